"""Bad input: a clear exception that names what is allowed."""
import keras
import numpy as np
import pytest

from models import batch, stacked_lstm
from seernn_widgets import Inspector, get_gradients, get_outputs
from seernn_widgets.rnn import NotRecurrentError


@pytest.fixture
def setup(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    return model, x, y


@pytest.mark.parametrize("bad_id", ["nope", 7, -8, 2.5])
def test_unknown_layer_lists_names_and_index_range(setup, bad_id):
    model, x, y = setup
    with pytest.raises(KeyError) as err:
        Inspector(model, x, y).outputs(bad_id)
    message = str(err.value)
    assert "'lstm'" in message and "'bigru'" in message and "0..6" in message


def test_uncompiled_model_asked_for_gradients_says_to_compile(rng):
    ipt = keras.Input((5, 3))
    model = keras.Model(ipt, keras.layers.LSTM(2)(ipt))
    x, y = rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 2))
    insp = Inspector(model, x, y)
    assert insp.outputs(1).shape == (4, 2)  # outputs need no loss
    with pytest.raises(RuntimeError, match=r"not compiled.*model\.compile"):
        insp.gradients(1)


@pytest.mark.parametrize("labels_shape, words", [((8, 3), "output shape"), ((5, 2), "8 samples")])
def test_labels_that_do_not_fit_name_both_shapes(setup, labels_shape, words):
    model, x, _ = setup
    with pytest.raises(ValueError, match=words) as err:
        Inspector(model, x, np.zeros(labels_shape, "float32")).gradients("lstm")
    assert str(labels_shape) in str(err.value)


def test_mode_outside_the_allowed_set(setup):
    model, x, y = setup
    with pytest.raises(ValueError, match=r"\['outputs', 'weights'\].*'grads'"):
        Inspector(model, x, y).gradients("lstm", mode="grads")
    with pytest.raises(ValueError, match=r"\['outputs', 'weights'\]"):
        get_gradients(model, 1, x, y, mode="activations")


def test_rnn_view_of_non_recurrent_layer_names_its_class(setup):
    model, x, y = setup
    with pytest.raises(NotRecurrentError, match=r"'dense' is a Dense.*LSTM, GRU or SimpleRNN"):
        Inspector(model, x, y).rnn("dense")


def test_gradients_without_labels_say_to_pass_labels(setup):
    model, x, _ = setup
    with pytest.raises(ValueError, match="labels="):
        Inspector(model, x).gradients("lstm")


def test_input_layer_has_no_output_to_inspect(setup):
    model, x, _ = setup
    with pytest.raises(KeyError, match="InputLayer.*'lstm'"):
        get_outputs(model, 0, x)


def test_empty_batch_and_learning_phase(setup):
    model, x, _ = setup
    with pytest.raises(ValueError, match="empty batch"):
        Inspector(model, x[:0])
    with pytest.raises(ValueError, match=r"learning_phase must be one of \[0, 1\]"):
        Inspector(model, x, learning_phase=2)


def test_a_failed_gradient_request_does_not_break_later_refreshes(rng):
    ipt = keras.Input((5, 3))
    model = keras.Model(ipt, keras.layers.LSTM(2)(ipt))
    insp = Inspector(model, rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 2)))
    with pytest.raises(RuntimeError, match="not compiled"):
        insp.gradients(1)
    insp.refresh()                                  # outputs still work
    assert insp.outputs(1).shape == (4, 2)
