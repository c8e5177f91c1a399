"""Features2D: what is drawn equals the right slice of the inspector's arrays."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views.features import Features2D


@pytest.fixture(scope="module")
def insp():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    ipt = keras.Input((12, 3))
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name="bilstm")(ipt)
    h = keras.layers.GRU(5, return_sequences=True, name="gru")(h)
    h = keras.layers.Conv1D(6, 3, name="conv")(h)
    out = keras.layers.SimpleRNN(2, name="srnn")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    return Inspector(model, rng.standard_normal((5, 12, 3)), rng.standard_normal((5, 2)))


def test_offers_layers_with_3d_arrays(insp):
    # srnn returns its last state: its gates are a sequence
    assert Features2D(insp).layer_choices() == ["bilstm", "gru", "conv", "srnn"]


@pytest.mark.parametrize("sample, direction, reflect", [
    (0, "both", False), (3, "both", True), (2, "forward", False),
    (4, "backward", False)])   # reflect_half with one direction: refused (test_labels.py)
def test_bidirectional_slices(insp, sample, direction, reflect):
    w = Features2D(insp, "bilstm", mode="gradients")
    w.sample, w.direction, w.reflect_half = sample, direction, reflect
    seq = insp.gradients("bilstm")[sample]                 # (timesteps, 8 channels)
    forward, backward = seq[:, :4], seq[:, 4:]
    if reflect:
        backward = backward[::-1]                          # flipped along time
    expected = {"both": np.concatenate([forward, backward], 1),
                "forward": forward, "backward": backward}[direction].T
    np.testing.assert_array_equal(w.view_data(), expected)
    np.testing.assert_array_equal(w.heatmap.mark.image, expected)
    assert w.heatmap.mark.image.dtype == np.float32


@pytest.mark.parametrize("layer", ["gru", "conv"])
def test_other_layers_and_timesteps_on_y(insp, layer):
    w = Features2D(insp, layer, sample=1, timesteps_xaxis=False)
    np.testing.assert_array_equal(w.view_data(), insp.outputs(layer)[1])
    w.timesteps_xaxis = True
    np.testing.assert_array_equal(w.view_data(), insp.outputs(layer)[1].T)


def test_conv1d_kernel_is_shown_per_kernel_position(insp):
    w = Features2D(insp, "conv", mode="weights", sample=2)
    kernel = insp.model.get_layer("conv").kernel.numpy()     # (3, in, out)
    np.testing.assert_array_equal(w.view_data(), kernel[2].T)
    with pytest.raises(TraitError, match=r"\[0, 2\]"):
        w.sample = 3


def test_norm_auto_is_symmetric_max_abs_and_a_norm_change_only_recolours(insp):
    w = Features2D(insp, "gru", mode="gradients", sample=4)
    peak = np.abs(insp.gradients("gru")).max()               # over every sample
    assert (w.heatmap.colour_scale.min, w.heatmap.colour_scale.max) == (-peak, peak)
    w.sample = 1                                             # same colours for all samples
    assert (w.heatmap.colour_scale.min, w.heatmap.colour_scale.max) == (-peak, peak)
    image = w.heatmap.mark.image
    w.norm = (-0.5, 0.25)
    assert (w.heatmap.colour_scale.min, w.heatmap.colour_scale.max) == (-0.5, 0.25)
    assert w.heatmap.mark.image is image                    # no new image sent
    w.norm = None
    assert w.heatmap.colour_scale.max == peak


def test_invalid_values_name_the_allowed_ones_and_change_nothing(insp):
    w = Features2D(insp, "gru", sample=2)
    before = w.view_data()
    for trait, value, allowed in [("sample", 5, r"\[0, 4\]"), ("sample", -1, r"\[0, 4\]"),
                                  ("direction", "backward", r"\['both'\]"),
                                  ("norm", (1, -1), "min <= max"),
                                  ("mode", "weights", "3-D"),
                                  ("layer", "srnn", r"output has shape \(5, 2\); layer "
                                                    r"'srnn' offers modes \['gates'\]"),
                                  ("layer", "nope", "layer names"),
                                  ("time_resolution", 0, "an int >= 1")]:
        with pytest.raises(TraitError, match=allowed):
            setattr(w, trait, value)
    assert (w.layer, w.sample, w.direction, w.norm, w.mode, w.time_resolution) == (
        "gru", 2, "both", "auto", "outputs", 1024)
    np.testing.assert_array_equal(w.view_data(), before)


def test_controls_follow_traits_and_never_recompute(insp):
    w = Features2D(insp, "bilstm")
    passes = insp.compute_count
    w.sample = 3
    assert w.sample_control.value == 3
    w.sample_control.value = 1                               # what the slider does
    assert w.sample == 1
    w.reflect_half, w.direction, w.norm = True, "backward", (-1, 1)
    assert w.reflect_half is False                           # one direction: nothing to reflect
    w.layer = "gru"                                          # direction falls back to both
    assert w.direction == "both" and w.direction_control.layout.display == "none"
    assert insp.compute_count == passes


def test_refresh_redraws_new_numbers(insp):
    w = Features2D(insp, "gru", mode="gradients")
    before = w.view_data()
    insp.model.train_on_batch(insp.x, insp.y)
    insp.refresh()
    assert not np.array_equal(w.heatmap.mark.image, before)
    np.testing.assert_array_equal(w.heatmap.mark.image, insp.gradients("gru")[0].T)


def test_a_model_plus_data_makes_its_own_inspector(insp):
    w = Features2D(insp.model, "gru", mode="gradients", input_data=insp.x, labels=insp.y)
    assert w.inspector is not insp
    np.testing.assert_allclose(w.view_data(), insp.gradients("gru")[0].T, rtol=1e-6)


def test_planted_nans_are_counted_in_the_title(insp):
    w = Features2D(insp, "conv", mode="weights")
    kernel = insp.model.get_layer("conv").kernel
    original = kernel.numpy().copy()
    try:
        planted = original.copy()
        planted[0, :2, 0] = np.nan
        planted[0, 3, 1] = np.inf
        kernel.assign(planted)
        insp.refresh()
        assert np.isnan(w.view_data()).sum() == 2
        assert "NaN" in w.heatmap.figure.title and "Inf" in w.heatmap.figure.title
        peak = np.abs(planted[np.isfinite(planted)]).max()
        assert w.heatmap.colour_scale.max == pytest.approx(peak)   # auto norm ignores them
    finally:
        kernel.assign(original)
        insp.refresh()
