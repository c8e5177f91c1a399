"""Explorer picks the fitting view for a layer and what to look at."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Explorer, Features0D, Features2D, Inspector, RNNHeatmap


@pytest.fixture(scope="module")
def insp():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    ipt = keras.Input((9, 3))
    h = keras.layers.Conv1D(4, 3, name="conv")(ipt)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), name="bigru")(h)
    h = keras.layers.LSTM(2, name="lstm")(h)
    model = keras.Model(ipt, keras.layers.Dense(1, name="dense")(h))
    model.compile("adam", "mse")
    return Inspector(model, rng.standard_normal((4, 9, 3)), rng.standard_normal((4, 1)))


def test_each_choice_shows_the_fitting_view_with_the_right_data(insp):
    e = Explorer(insp, "bigru", "output-gradients")
    assert isinstance(e.view, Features2D) and e.view.mode == "gradients"
    np.testing.assert_array_equal(e.view_data(), insp.gradients("bigru")[0].T)
    e.what = "weight-gradients"
    assert isinstance(e.view, RNNHeatmap)
    np.testing.assert_array_equal(e.view_data()["recurrent"],
                                  insp.rnn("bigru", "gradients").arrays[("forward", "recurrent")])
    e.layer = "lstm"                      # 2-D outputs would need Features0D
    e.what = "outputs"
    assert isinstance(e.view, Features0D)
    np.testing.assert_array_equal(e.view_data(), insp.outputs("lstm"))
    e.layer, e.what = "conv", "weights"
    np.testing.assert_array_equal(e.view_data(), insp.model.get_layer("conv").kernel.numpy()[0].T)


def test_a_layer_change_falls_back_to_what_the_layer_can_show(insp):
    e = Explorer(insp, "bigru", "weights")
    e.layer = "dense"
    assert e.what == "outputs" and isinstance(e.view, Features0D)
    assert e.available("dense") == ["outputs", "output-gradients", "layer-health"]


def test_invalid_choices_name_the_allowed_ones(insp):
    e = Explorer(insp, "dense")
    with pytest.raises(TraitError,
                       match=r"can show \['outputs', 'output-gradients', 'layer-health'\]"):
        e.what = "weights"
    with pytest.raises(TraitError, match="layer names"):
        e.layer = "nope"
    with pytest.raises(TraitError, match=r"what must be one of"):
        e.what = "grads"
    assert (e.layer, e.what) == ("dense", "outputs")


def test_the_diagnosing_views(insp):
    from seernn_widgets import GradientFlow, LayerHealth
    e = Explorer(insp, "lstm", "gates")          # a last-state LSTM: its gates are sequences
    assert isinstance(e.view, Features2D) and e.view.gate == "i"
    np.testing.assert_array_equal(e.view_data(), insp.gates("lstm")["i"][0].T)
    assert "gradient-flow" not in e.available("lstm")   # a 2-D output has no timesteps
    e.set_controls(layer="bigru", what="gradient-flow")
    assert isinstance(e.view, GradientFlow) and e.view.layer == "bigru"
    flow = np.abs(insp.gradients("bigru")).mean(axis=(0, 2))
    np.testing.assert_allclose(e.view_data()["bigru"], flow, rtol=1e-6)
    e.what = "layer-health"
    assert isinstance(e.view, LayerHealth) and set(e.view_data()) == set(insp.layer_names)
    assert e.available("conv") == ["outputs", "output-gradients", "weights", "gradient-flow",
                                   "layer-health"]


def test_replaced_views_stop_following_the_inspector(insp):
    e = Explorer(insp, "bigru")
    old = e.view
    e.what = "weights"
    assert old._on_refresh not in insp._listeners
    assert e.view._on_refresh in insp._listeners
