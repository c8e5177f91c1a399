"""see-rnn's functions: ids, return conventions and numbers."""
import keras
import numpy as np
import pytest

from models import batch, stacked_lstm
from seernn_widgets import (detect_nans, get_gradients, get_outputs, get_rnn_weights,
                            get_weights, weights_norm)


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    return (stacked_lstm(), *batch(rng))


def test_ids_int_name_partial_list_and_wildcard(setup):
    model, x, y = setup
    by_index = get_outputs(model, 2, x)
    assert np.array_equal(get_outputs(model, "bigru", x), by_index)
    assert np.array_equal(get_outputs(model, "bigr", x), by_index)   # first name containing it
    both = get_outputs(model, ["srnn", 1], x)   # see-rnn: index ids first, then names
    assert [o.shape for o in both] == [(8, 10, 6), (8, 6)]
    every = get_outputs(model, "*", x, as_dict=True)
    assert list(every) == ["lstm", "bigru", "bn", "drop", "srnn", "dense"]
    assert np.array_equal(get_outputs(model, None, x, layer=model.layers[5]), both[1])


def test_gradients_weights_mode_follows_trainable_weights(setup):
    model, x, y = setup
    grads = get_gradients(model, "bigru", x, y, mode="weights", as_dict=True)
    assert list(grads) == [v.path for v in model.get_layer("bigru").trainable_variables]
    assert [g.shape for g in grads.values()] == [tuple(v.shape) for v in model.get_layer("bigru").trainable_variables]
    dense = model.get_layer("dense")
    by_params = get_gradients(model, None, x, y, params=[dense.kernel, dense.output])
    np.testing.assert_array_equal(by_params[0], grads_of(model, x, y, "dense")[0])
    np.testing.assert_array_equal(by_params[1], get_gradients(model, "dense", x, y))


def grads_of(model, x, y, name):
    return get_gradients(model, name, x, y, mode="weights")


def test_get_weights_ids(setup):
    model, *_ = setup
    lstm = model.get_layer("lstm")
    assert np.array_equal(get_weights(model, "lstm/recurrent"), lstm.cell.recurrent_kernel.numpy())
    listed = get_weights(model, "lstm")
    assert [w.shape for w in listed] == [tuple(w.shape) for w in lstm.weights]
    picked = get_weights(model, (1, 0, 2), as_dict=True)
    assert list(picked) == [lstm.weights[0].path, lstm.weights[2].path]
    no_bias = get_weights(model, "*", omit_names="bias", as_dict=True)
    assert no_bias and not any("bias" in name for name in no_bias)


def test_rnn_weights_concat_and_per_gate(setup):
    model, *_ = setup
    layer = model.get_layer("bigru")
    whole = get_rnn_weights(model, "bigru")
    assert [w.shape for w in whole] == [(6, 18), (6, 18), (2, 18)] * 2
    per_gate = get_rnn_weights(model, "bigru", concat_gates=False)
    kernel = layer.backward_layer.cell.kernel.numpy()
    z, r, h = per_gate[3]
    np.testing.assert_array_equal(z, kernel[:, :6])
    np.testing.assert_array_equal(r, kernel[:, 6:12])
    np.testing.assert_array_equal(h, kernel[:, 12:])
    input_bias = layer.forward_layer.cell.bias.numpy()[0]   # see-rnn's input_bias_z, _r, _h
    for b, gate in zip(per_gate[2], np.split(input_bias, 3)):
        np.testing.assert_array_equal(b, gate)
    lstm_gates = get_rnn_weights(model, "lstm", concat_gates=False)
    assert [len(k) for k in lstm_gates] == [4, 4, 4]
    tensors = get_rnn_weights(model, "lstm", as_tensors=True, concat_gates=False)
    np.testing.assert_array_equal(np.asarray(tensors[1][1]), lstm_gates[1][1])


def test_weights_norm_accumulates_l2_column_norm_stats(setup):
    model, *_ = setup
    kernel = model.get_layer("dense").kernel.numpy()
    column_l2 = np.sqrt((kernel ** 2).sum(axis=0))
    stats = weights_norm(model, "dense")
    assert stats["dense"][0][0] == [pytest.approx(column_l2.max())]
    assert stats["dense"][0][1] == [pytest.approx(column_l2.mean())]
    again = weights_norm(model, ["dense"], _dict=stats)
    assert len(again["dense"][0][0]) == 2 and len(stats["dense"][0][0]) == 1  # input not mutated
    l1 = weights_norm(model, "dense", norm_fn=(np.abs, np.abs), stat_fns=(np.min,))
    assert l1["dense"][0][0] == [pytest.approx(np.abs(kernel).sum(axis=0).min())]


def test_detect_nans():
    assert detect_nans(np.array([np.nan, np.inf, 1.0, 2.0])) == "25.0% NaN, 25.0% Inf"
    assert detect_nans(np.array([np.nan, np.inf, 1.0, 2.0]), include_inf=False) == "25.0% NaN"
    assert detect_nans(np.ones(10)) is None
    tiny = np.ones(10000)
    tiny[:3] = np.inf
    assert detect_nans(tiny) == "3 Inf"
