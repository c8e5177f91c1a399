"""see-rnn's functions: ids, return conventions and numbers."""
import keras
import numpy as np
import pytest

from models import batch, stacked_lstm
from seernn_widgets import (
    detect_nans,
    get_gradients,
    get_outputs,
    get_rnn_weights,
    get_weights,
    weights_norm,
)


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
    assert [g.shape for g in grads.values()] == [
        tuple(v.shape) for v in model.get_layer("bigru").trainable_variables]
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


# -- get_weight_penalties / weight_loss / rnn_summary on Keras 3 -----------------------
from keras.regularizers import L1, L1L2, L2  # noqa: E402

from seernn_widgets.compat import get_weight_penalties, rnn_summary, weight_loss  # noqa: E402


def regularized_model(activity=True):
    """Every kind of L1/L2/L1L2 weight penalty, a frozen regularized layer and
    an activity regularizer; trained once so no penalized weight is zero."""
    keras.utils.set_random_seed(3)
    ipt = keras.Input((5, 3), name="x")
    h = keras.layers.Conv1D(4, 2, kernel_regularizer=L2(2e-2), bias_regularizer=L1(3e-2),
                            name="conv")(ipt)
    h = keras.layers.LSTM(3, return_sequences=True, kernel_regularizer=L1L2(1e-2, 2e-2),
                          recurrent_regularizer=L1(4e-2), name="lstm")(h)
    frozen = keras.layers.Dense(3, kernel_regularizer=L2(5e-2), name="frozen")
    h = frozen(h)
    h = keras.layers.GRU(2, activity_regularizer=L2(1.0) if activity else None, name="gru")(h)
    out = keras.layers.Dense(1, bias_regularizer=L1L2(0.0, 0.0), name="out")(h)
    model = keras.Model(ipt, out)
    frozen.trainable = False
    model.compile("sgd", "mse")
    rng = np.random.default_rng(3)
    model.train_on_batch(rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 1)))
    return model


def expected_weight_loss(model):
    """The penalties of regularized_model's trainable weights, in NumPy."""
    w = {v.path: v.numpy().astype("float64") for v in model.weights}
    return (2e-2 * np.square(w["conv/kernel"]).sum() + 3e-2 * np.abs(w["conv/bias"]).sum()
            + 1e-2 * np.abs(w["lstm/lstm_cell/kernel"]).sum()
            + 2e-2 * np.square(w["lstm/lstm_cell/kernel"]).sum()
            + 4e-2 * np.abs(w["lstm/lstm_cell/recurrent_kernel"]).sum())


def test_weight_penalties_read_every_l1_l2_regularizer_not_activity():
    model = regularized_model()
    assert get_weight_penalties(model) == {
        "conv/kernel": (0.0, 2e-2), "conv/bias": (pytest.approx(3e-2), 0.0),
        "lstm/lstm_cell/kernel": (1e-2, 2e-2),
        "lstm/lstm_cell/recurrent_kernel": (pytest.approx(4e-2), 0.0),
        "frozen/kernel": (0.0, 5e-2)}   # all-zero L1L2 left out, frozen kept (see-rnn)
    assert weight_loss(model) == pytest.approx(expected_weight_loss(model), rel=1e-6)


def test_weight_loss_is_what_keras_adds_for_weights():
    model = regularized_model(activity=False)
    assert weight_loss(model) == pytest.approx(expected_weight_loss(model), rel=1e-6)
    assert weight_loss(model) == pytest.approx(float(sum(model.losses)), rel=1e-5)


def test_weight_loss_of_an_unregularized_model_is_zero(setup):
    model, *_ = setup
    assert get_weight_penalties(model) == {} and weight_loss(model) == 0.0


def test_other_regularizers_are_left_out_with_a_warning():
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.OrthogonalRegularizer(),
                               bias_regularizer=L2(0.5), name="ortho")
    model = keras.Sequential([keras.Input((3,)), layer])
    with pytest.warns(UserWarning, match="OrthogonalRegularizer"):
        assert get_weight_penalties(model) == {layer.bias.path: (0.0, 0.5)}


def test_rnn_summary_cudnn_line_only_for_lstm_and_gru(capsys):
    ipt = keras.Input((4, 2))
    model = keras.Model(ipt, [
        keras.layers.RNN(keras.layers.LSTMCell(3), name="rnn")(ipt),
        keras.layers.LSTM(3, use_bias=False, use_cudnn=False, name="lstm")(ipt),
        keras.layers.GRU(3, reset_after=False, unroll=True, name="gru")(ipt)])
    rnn_summary(model.get_layer("rnn"))
    out = capsys.readouterr().out
    assert "cuDNN" not in out and "rnn/lstm_cell/kernel -- shape=(2, 12)" in out
    assert "recurrent_kernel_o -- shape=(3, 3)" in out
    rnn_summary(model.get_layer("lstm"))
    out = capsys.readouterr().out
    assert out.startswith("cuDNN-compatible: False (use_cudnn=False, use_bias=False)\n")
    assert "bias" not in out.replace("use_bias", "")
    rnn_summary(model.get_layer("gru"))
    out = capsys.readouterr().out
    assert out.startswith("cuDNN-compatible: False (unroll=True, reset_after=False)\n")
    assert "gru/gru_cell/bias -- shape=(9,)\n\ninput_bias -- shape=(9,)\ninput_bias_z" in out


def test_rnn_summary_of_a_layer_that_is_not_recurrent(setup):
    model, *_ = setup
    with pytest.raises(TypeError, match="not a recurrent"):
        rnn_summary(model.get_layer("dense"))
