"""Inspection never changes the model, even when it fails half-way."""
import numpy as np
import pytest

from models import assert_same_state, batch, model_state, stacked_lstm
from seernn_widgets import Inspector, get_gradients, get_outputs


def _trained(rng, dropout=0.0):
    model = stacked_lstm(dropout=dropout)
    x, y = batch(rng)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # optimizer and metrics have state
    return model, x, y


@pytest.mark.parametrize("learning_phase", [0, 1])
def test_every_inspection_leaves_the_model_bit_for_bit_unchanged(rng, learning_phase):
    model, x, y = _trained(rng, dropout=0.3)
    before = model_state(model)
    insp = Inspector(model, x, y, learning_phase=learning_phase)
    for name in insp.layer_names:
        insp.outputs(name), insp.gradients(name)
        insp.gradients(name, "weights"), insp.weights(name)
    insp.rnn("bigru"), insp.rnn("bigru", "gradients")
    get_outputs(model, "*", x), get_gradients(model, "*", x, y, mode="weights")
    assert_same_state(before, model_state(model))


def test_training_mode_really_is_training_mode(rng):
    model, x, y = _trained(rng, dropout=0.5)
    eval_out = Inspector(model, x, y).outputs("drop")
    train_out = Inspector(model, x, y, learning_phase=1).outputs("drop")
    assert (train_out == 0).mean() > 0.3 > (eval_out == 0).mean()


def test_a_failing_pass_leaves_model_unchanged_and_caches_nothing(rng):
    model, x, y = _trained(rng)
    before = model_state(model)
    insp = Inspector(model, x, np.zeros((8, 5), "float32"))  # 5 labels for 2 outputs
    with pytest.raises(ValueError, match="labels"):
        insp.gradients("lstm")
    assert insp._snapshot.get("pass") is None and insp.compute_count == 0
    assert_same_state(before, model_state(model))
    model.fit(x, y, epochs=1, verbose=0)  # and the model still trains
