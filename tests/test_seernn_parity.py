"""see-rnn 1.15.1's own tests, ported to Keras 3 by changing only the import.

Each test is one call pattern from see-rnn's `tests/test_all.py` (named in its
docstring) or from see-rnn's README, and asserts what see-rnn 1.15.1 returns
for it: the type and structure (an array or a list, which layers, in which
order) and the numbers, derived independently (NumPy, `layer.get_weights()`,
a GradientTape over the layers). Where we deliberately differ from see-rnn the
test says so; /work/notes/compat-differences.md lists those differences.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from keras.layers import (
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Conv1D,
    Dense,
    Input,
    SimpleRNN,
    TimeDistributed,
    concatenate,
)
from keras.models import Model
from keras.regularizers import l1_l2, l2

from seernn_widgets import (
    detect_nans,
    get_gradients,
    get_outputs,
    get_rnn_weights,
    get_weights,
    weights_norm,
)
from seernn_widgets.compat import (
    get_full_name,
    get_layer,
    get_weight_penalties,
    rnn_summary,
    weight_loss,
)

UNITS = 6
BATCH_SHAPE = (8, 20, 2 * UNITS)   # see-rnn: (8, 100, 12); shorter to share the CPU


# -- see-rnn's tests/backend.py, on Keras 3 --------------------------------------
def make_model(rnn_layer, batch_shape=BATCH_SHAPE, units=UNITS, bidirectional=False,
               use_bias=True, activation="tanh", recurrent_dropout=0, include_dense=False):
    kw = {}
    if not use_bias:
        kw["use_bias"] = False
    if activation == "relu":
        kw["activation"] = "relu"
        kw["recurrent_dropout"] = recurrent_dropout
    kw.update(kernel_regularizer=l1_l2(1e-4), recurrent_regularizer=l1_l2(1e-4),
              bias_regularizer=l1_l2(1e-4))
    ipt = Input(batch_shape=batch_shape)
    layer = rnn_layer(units, return_sequences=True, **kw)
    x = (Bidirectional(layer) if bidirectional else layer)(ipt)
    if include_dense:
        x = TimeDistributed(Dense(units, bias_regularizer=l1_l2(1e-4)))(x)
    out = rnn_layer(units, return_sequences=False)(x)
    model = Model(ipt, out)
    model.compile("adam", "mse")
    return model


def reset_seeds(seed):
    """see-rnn's reset_seeds(reset_graph_with_backend=K): fresh layer names
    ('gru', 'gru_1', ...) and seeds."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)


def make_data(batch_shape, units, rng):
    return (rng.standard_normal(batch_shape).astype("float32"),
            rng.uniform(-1, 1, (batch_shape[0], units)).astype("float32"),
            rng.uniform(0, 2, batch_shape[0]).astype("float32"))


def train_model(model, iterations, rng):
    x, y, sw = make_data(model.input.shape, model.layers[2].units, rng)
    for _ in range(iterations):
        model.train_on_batch(x, y, sample_weight=sw)


# -- independent references ---------------------------------------------------------
def mse(y, pred, sample_weight=None):
    """Keras' 'mse' with its default 'sum_over_batch_size' reduction."""
    per_sample = ops.mean(ops.square(ops.convert_to_tensor(y) - pred), axis=-1)
    if sample_weight is not None:
        per_sample = per_sample * ops.convert_to_tensor(sample_weight)
    return ops.mean(per_sample)


def chain_tape(model, x, y, sample_weight=None, watch=None):
    """Run a chain model (Input -> layers[1] -> layers[2] ...) layer by layer on
    a tape, watching the output of layer index `watch`; (tape, loss, watched)."""
    with tf.GradientTape(persistent=True) as tape:
        h, watched = tf.convert_to_tensor(x), None
        for i, layer in enumerate(model.layers[1:], 1):
            h = layer(h, training=False)
            if i == watch:
                tape.watch(h)
                watched = h
        loss = mse(y, h, sample_weight) + sum(model.losses)
    return tape, loss, watched


def output_grad(model, index, x, y, sample_weight=None):
    tape, loss, watched = chain_tape(model, x, y, sample_weight, watch=index)
    return tape.gradient(loss, watched).numpy()


def weight_grads(model, layer, x, y, sample_weight=None):
    tape, loss, _ = chain_tape(model, x, y, sample_weight)
    return [g.numpy() for g in tape.gradient(loss, layer.trainable_variables)]


def layer_output(model, index, x):
    h = tf.convert_to_tensor(x)
    for layer in model.layers[1:index + 1]:
        h = layer(h, training=False)
    return h.numpy()


def close(actual, expected):
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-3,
                               atol=1e-5 * max(float(np.abs(expected).max()), 1e-12))


def column_norms(w, norm_fn=(np.sqrt, np.square)):
    """see-rnn's norm of each slice along the last axis, the others summed."""
    others = tuple(range(w.ndim - 1))
    if isinstance(norm_fn, tuple):
        return norm_fn[0](np.sum(norm_fn[1](w), axis=others))
    return np.sum(norm_fn(w), axis=others)


# -- test_main: uni- and bi-directional LSTM, GRU, SimpleRNN ---------------------------
CONFIGS = [(rnn, bidir) for bidir in (False, True) for rnn in (LSTM, GRU, SimpleRNN)]
CONFIG_IDS = [("bi-" if bidir else "uni-") + rnn.__name__ for rnn, bidir in CONFIGS]


@pytest.fixture(scope="module", params=CONFIGS, ids=CONFIG_IDS)
def main_model(request):
    rnn, bidir = request.param
    reset_seeds(1)
    rng = np.random.default_rng(1)
    model = make_model(rnn, bidirectional=bidir)
    train_model(model, 2, rng)
    x, y, _ = make_data(BATCH_SHAPE, UNITS, rng)
    return model, x, y


def test_main_outputs(main_model):
    """_test_outputs: outs = get_outputs(model, 1, x)"""
    model, x, _ = main_model
    close(get_outputs(model, 1, x), layer_output(model, 1, x))


def test_main_output_gradients_by_name(main_model):
    """_test_outputs_gradients: get_gradients(model, name, x, y, mode='outputs')"""
    model, x, y = main_model
    grads_all = get_gradients(model, model.layers[1].name, x, y, mode="outputs")
    close(grads_all, output_grad(model, 1, x, y))


def test_main_output_gradients_by_index(main_model):
    """_test_outputs_gradients: get_gradients(model, 2, x, y, mode='outputs')"""
    model, x, y = main_model
    grads_last = get_gradients(model, 2, x, y, mode="outputs")
    close(grads_last, output_grad(model, 2, x, y))


def test_main_weight_gradients_of_layer(main_model):
    """_test_weights_gradients (rnn_histogram/rnn_heatmap mode='grads'):
    get_gradients(model, None, x, y, layer=layer, mode='weights')"""
    model, x, y = main_model
    layer = model.layers[1]
    grads = get_gradients(model, None, x, y, layer=layer, mode="weights")
    expected = weight_grads(model, layer, x, y)
    assert isinstance(grads, list) and len(grads) == len(expected)
    for g, e in zip(grads, expected):
        close(g, e)


def test_main_rnn_weights(main_model):
    """_test_weights (rnn_heatmap mode='weights'):
    get_rnn_weights(model, _id, as_tensors=False, concat_gates=True)"""
    model, *_ = main_model
    weights = get_rnn_weights(model, model.layers[1].name, as_tensors=False,
                              concat_gates=True)
    expected = model.layers[1].get_weights()  # forward cell's, then backward's
    assert isinstance(weights, list) and len(weights) == len(expected)
    for w, e in zip(weights, expected):
        assert isinstance(w, np.ndarray)
        np.testing.assert_array_equal(w, e)


def expected_summary(layer):
    """What rnn_summary prints, from the layer's weights: per direction, the
    cuDNN line (LSTM/GRU, tanh/sigmoid: compatible), each weight's path and
    shape, and its per-gate shapes (a GRU's under `input_bias`)."""
    bidir = isinstance(layer, Bidirectional)
    parts = [layer.forward_layer, layer.backward_layer] if bidir else [layer]
    lines = []
    for header, part in zip(["// FORWARD LAYER", "// BACKWARD LAYER"], parts):
        kind = type(part).__name__
        gates = {"LSTM": "ifco", "GRU": "zrh", "SimpleRNN": ""}[kind]
        lines += [header] if bidir else []
        lines += ["cuDNN-compatible: True"] if gates else []
        kernels = list(zip(("kernel", "recurrent_kernel", "bias"),
                           (w.path for w in part.weights), part.get_weights()))
        if kind == "GRU":   # reset_after: row 0 of the bias is the input bias
            kernels.append(("input_bias", "input_bias", kernels[2][2][0]))
        for name, path, w in kernels:
            lines.append(f"{path} -- shape={w.shape}")
            if not (kind == "GRU" and name == "bias"):
                lines += [f"{name}_{g} -- shape={np.split(w, len(gates), -1)[0].shape}"
                          for g in gates]
            lines.append("")
    return lines


def test_main_rnn_summary(main_model, capsys):
    """test_main: rnn_summary(model.layers[1])"""
    model, *_ = main_model
    rnn_summary(model.layers[1])
    assert capsys.readouterr().out.split("\n")[:-1] == expected_summary(model.layers[1])


# -- test_errors / test_misc: the GRU(relu, recurrent_dropout) model --------------------
@pytest.fixture(scope="module")
def misc():
    reset_seeds(2)
    rng = np.random.default_rng(2)
    model = make_model(GRU, activation="relu", recurrent_dropout=0.3)
    x, y, sw = make_data(BATCH_SHAPE, UNITS, rng)
    model.train_on_batch(x, y, sample_weight=sw)
    return model, x, y


def test_errors_unknown_mode_raises(misc):
    """test_errors: get_gradients(model, 1, x, y, mode='cactus')"""
    model, x, y = misc
    with pytest.raises(Exception, match="mode"):
        get_gradients(model, 1, x, y, mode="cactus")


def test_errors_layer_overrides_id(misc):
    """test_errors: get_gradients(model, 1, x, y, layer=model.layers[1]) --
    see-rnn warns that `layer` overrides `_id` and returns its gradients."""
    model, x, y = misc
    with pytest.warns(UserWarning, match="override"):
        grads = get_gradients(model, 2, x, y, layer=model.layers[1])
    close(grads, output_grad(model, 1, x, y))


def test_errors_outputs_as_dict(misc):
    """test_errors: get_outputs(model, 1, x, as_dict=True)"""
    model, x, _ = misc
    outs = get_outputs(model, 1, x, as_dict=True)
    assert list(outs) == ["gru"]
    close(outs["gru"], layer_output(model, 1, x))


def test_misc_gradients_by_index(misc):
    """test_misc: grads = get_gradients(model, 1, x, y)"""
    model, x, y = misc
    close(get_gradients(model, 1, x, y), output_grad(model, 1, x, y))


def test_misc_gradients_as_dict(misc):
    """test_misc: get_gradients(model, 1, x, y, as_dict=True)"""
    model, x, y = misc
    grads = get_gradients(model, 1, x, y, as_dict=True)
    assert list(grads) == ["gru"]
    close(grads["gru"], output_grad(model, 1, x, y))


def test_misc_gradients_name_and_index_of_same_layer(misc):
    """test_misc: get_gradients(model, ['gru', 1], x, y) -- two arrays"""
    model, x, y = misc
    grads = get_gradients(model, ["gru", 1], x, y)
    assert isinstance(grads, list) and len(grads) == 2
    for g in grads:
        close(g, output_grad(model, 1, x, y))


def test_misc_outputs_name_and_index_of_same_layer(misc):
    """test_misc: get_outputs(model, ['gru', 1], x) -- two arrays"""
    model, x, _ = misc
    outs = get_outputs(model, ["gru", 1], x)
    assert isinstance(outs, list) and len(outs) == 2
    for o in outs:
        close(o, layer_output(model, 1, x))


def test_errors_get_layer(misc):
    """test_errors: pass_on_error(get_layer, model);
    pass_on_error(get_layer, model, 'capsule')"""
    model, *_ = misc
    with pytest.raises(TypeError):
        get_layer(model)
    with pytest.raises(Exception, match="capsule"):
        get_layer(model, "capsule")


def test_misc_get_layer(misc):
    """test_misc: get_layer(model, 'gru') -- the earliest layer whose name
    contains 'gru'; a list of ids gives index ids first, then names"""
    model, *_ = misc
    assert get_layer(model, "gru") is model.layers[1]
    assert get_layer(model, 2) is model.layers[2]
    assert get_layer(model, ["gru"]) is model.layers[1]
    both = get_layer(model, ["gru_1", 1])
    assert both[0] is model.layers[1] and both[1] is model.layers[2]


def test_misc_get_full_name(misc):
    """test_misc: get_full_name(model, 'gru'); get_full_name(model, 1);
    pass_on_error(get_full_name, model, 'croc')"""
    model, *_ = misc
    assert [layer.name for layer in model.layers] == ["input_layer", "gru", "gru_1"]
    assert get_full_name(model, "gru") == "gru"
    assert get_full_name(model, 1) == "gru"
    assert get_full_name(model, "u_1") == "gru_1"
    assert get_full_name(model, ["gru", 2]) == ["gru_1", "gru"]
    with pytest.raises(Exception, match="croc"):
        get_full_name(model, "croc")


def test_misc_rnn_summary_not_cudnn_compatible(misc, capsys):
    """rnn_summary of the GRU(activation='relu', recurrent_dropout=0.3)"""
    model, *_ = misc
    rnn_summary(model.layers[1])
    gate_lines = lambda kind, shape: [f"{kind}_{g} -- shape={shape}" for g in "zrh"]  # noqa: E731
    assert capsys.readouterr().out.split("\n") == [
        "cuDNN-compatible: False (activation=relu, recurrent_dropout=0.3)",
        "gru/gru_cell/kernel -- shape=(12, 18)", *gate_lines("kernel", (12, 6)), "",
        "gru/gru_cell/recurrent_kernel -- shape=(6, 18)",
        *gate_lines("recurrent_kernel", (6, 6)), "",
        "gru/gru_cell/bias -- shape=(2, 18)", "",
        "input_bias -- shape=(18,)", *gate_lines("input_bias", (6,)), "", ""]


def test_misc_weights_norm_omit_bias_verbose(misc, capsys):
    """test_misc: weights_norm(model, 'gru', omit_names='bias', verbose=1)"""
    model, *_ = misc
    stats = weights_norm(model, "gru", omit_names="bias", verbose=1)
    kernel, recurrent, _ = model.get_layer("gru").get_weights()
    assert list(stats) == ["gru"] and len(stats["gru"]) == 2
    for w_stats, w in zip(stats["gru"], (kernel, recurrent)):
        norms = column_norms(w)
        assert w_stats == [[pytest.approx(norms.max())], [pytest.approx(norms.mean())]]
    # see-rnn prints the layer's index, then each weight's stats
    assert capsys.readouterr().out.startswith("1 ")


def test_misc_weights_norm_l1_ids_naming_one_layer(misc):
    """test_misc: weights_norm(model, ['gru', 1, (1, 1)], norm_fn=np.abs) --
    one l1 norm per weight (no square root), the layer counted once."""
    model, *_ = misc
    stats = weights_norm(model, ["gru", 1, (1, 1)], norm_fn=np.abs)
    weights = model.get_layer("gru").get_weights()
    assert list(stats) == ["gru"] and len(stats["gru"]) == 3
    for w_stats, w in zip(stats["gru"], weights):
        norms = column_norms(w, np.abs)
        assert w_stats == [[pytest.approx(norms.max())], [pytest.approx(norms.mean())]]


def test_misc_weights_norm_accumulates_into_copy(misc):
    """test_misc: stats = weights_norm(model, 'gru');
    weights_norm(model, 'gru', _dict=stats)"""
    model, *_ = misc
    stats = weights_norm(model, "gru")
    again = weights_norm(model, "gru", _dict=stats)
    assert [len(s) for w in stats["gru"] for s in w] == [1] * 6   # not mutated
    assert [len(s) for w in again["gru"] for s in w] == [2] * 6
    kernel = model.get_layer("gru").get_weights()[0]
    assert again["gru"][0][0] == [pytest.approx(column_norms(kernel).max())] * 2


def test_misc_weights_norm_values_are_numpy_scalars(misc):
    """weights_norm keeps what the stat function returned (np.float32 for
    float32 weights), as see-rnn does."""
    model, *_ = misc
    stats = weights_norm(model, "gru")
    assert all(type(v) is np.float32 for w in stats["gru"] for s in w for v in s)


def test_misc_weights_norm_all_weights_omitted(misc):
    """weights_norm(model, 'gru', omit_names='gru') -- see-rnn starts each
    layer's entry as [[]] and leaves it so when no weight is left."""
    model, *_ = misc
    assert weights_norm(model, "gru", omit_names="gru") == {"gru": [[]]}


def test_misc_get_weights_list(misc):
    """test_misc: get_weights(model, 'gru', as_dict=False)"""
    model, *_ = misc
    weights = get_weights(model, "gru", as_dict=False)
    expected = model.get_layer("gru").get_weights()
    assert isinstance(weights, list) and len(weights) == 3
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_misc_get_weights_dict(misc):
    """test_misc: get_weights(model, 'gru', as_dict=True) -- keyed by the
    weights' full names (Keras 3: variable paths)"""
    model, *_ = misc
    weights = get_weights(model, "gru", as_dict=True)
    layer = model.get_layer("gru")
    assert list(weights) == [w.path for w in layer.weights]
    for w, e in zip(weights.values(), layer.get_weights()):
        np.testing.assert_array_equal(w, e)


def test_misc_get_weights_layer_slash_weight(misc):
    """test_misc: get_weights(model, 'gru/bias') -- the array itself"""
    model, *_ = misc
    bias = get_weights(model, "gru/bias")
    assert isinstance(bias, np.ndarray)
    np.testing.assert_array_equal(bias, model.get_layer("gru").cell.bias.numpy())


def test_misc_get_weights_ids_naming_one_layer(misc):
    """test_misc: get_weights(model, ['gru', 1, (1, 1)]) -- each weight once"""
    model, *_ = misc
    weights = get_weights(model, ["gru", 1, (1, 1)])
    expected = model.get_layer("gru").get_weights()
    assert isinstance(weights, list) and len(weights) == 3
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_misc_get_weights_names_before_indices(misc):
    """get_weights(model, [2, 'gru']) -- see-rnn takes the name ids first,
    then the index ids"""
    model, *_ = misc
    weights = get_weights(model, [2, "gru"])
    expected = model.layers[1].get_weights() + model.layers[2].get_weights()
    assert [w.shape for w in weights] == [e.shape for e in expected]
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_misc_get_weights_unknown_weight_raises(misc):
    """test_misc: get_weights(model, 'gru/goo')"""
    model, *_ = misc
    with pytest.raises(Exception, match="goo"):
        get_weights(model, "gru/goo")


def test_misc_get_weights_wildcard(misc):
    """test_misc: get_weights(model, '*')"""
    model, *_ = misc
    weights = get_weights(model, "*")
    expected = model.layers[1].get_weights() + model.layers[2].get_weights()
    assert isinstance(weights, list) and len(weights) == 6
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_misc_gradients_wildcard_with_sample_weight(misc):
    """test_misc: get_gradients(model, '*', x, y, sample_weight=np.ones(len(x)))
    -- every layer but the Input"""
    model, x, y = misc
    sw = np.ones(len(x), dtype="float32")
    grads = get_gradients(model, "*", x, y, sample_weight=sw)
    assert isinstance(grads, list) and len(grads) == 2
    close(grads[0], output_grad(model, 1, x, y, sw))
    close(grads[1], output_grad(model, 2, x, y, sw))


def test_misc_outputs_wildcard(misc):
    """test_misc: get_outputs(model, '*', x)"""
    model, x, _ = misc
    outs = get_outputs(model, "*", x)
    assert isinstance(outs, list) and len(outs) == 2
    close(outs[0], layer_output(model, 1, x))
    close(outs[1], layer_output(model, 2, x))


def test_misc_weight_gradients_wildcard(misc):
    """get_gradients(model, '*', x, y, mode='weights') -- every trainable
    weight, layer by layer, in one flat list"""
    model, x, y = misc
    grads = get_gradients(model, "*", x, y, mode="weights")
    expected = (weight_grads(model, model.layers[1], x, y)
                + weight_grads(model, model.layers[2], x, y))
    assert isinstance(grads, list) and len(grads) == 6
    for g, e in zip(grads, expected):
        close(g, e)


def test_misc_rnn_weights_per_gate_tensors(misc):
    """test_misc: get_rnn_weights(model, 1, concat_gates=False, as_tensors=True)
    -- [kernel, recurrent_kernel, input_bias], each a list of z, r, h gates"""
    model, *_ = misc
    gates = get_rnn_weights(model, 1, concat_gates=False, as_tensors=True)
    kernel, recurrent, bias = model.layers[1].get_weights()
    assert [len(g) for g in gates] == [3, 3, 3]
    for weight, expected in zip(gates, (kernel, recurrent, bias[0])):
        for i, gate in enumerate(weight):
            np.testing.assert_array_equal(np.asarray(gate),
                                          expected[..., i * UNITS:(i + 1) * UNITS])


def test_misc_prefetched_rnn_weights(misc):
    """_test_prefetched_data: weights = get_rnn_weights(model, 1)"""
    model, *_ = misc
    weights = get_rnn_weights(model, 1)
    assert isinstance(weights, list) and len(weights) == 3
    for w, e in zip(weights, model.layers[1].get_weights()):
        np.testing.assert_array_equal(w, e)


@pytest.mark.parametrize("data, include_inf, expected", [
    (np.array([1] * 9999 + [np.nan]), True, "1 NaN"),   # see-rnn: "1% NaN" (a count)
    (np.array([np.nan, np.inf, -np.inf, 0]), True, "25.0% NaN, 50.0% Inf"),
    (np.array([np.nan, np.inf, -np.inf, 0]), False, "25.0% NaN"),
    (np.array([np.inf, 0]), True, "50.0% Inf"),
    (np.array([0]), True, None),
], ids=["tiny-count", "nan-and-inf", "nan-only", "inf-only", "clean"])
def test_misc_detect_nans(data, include_inf, expected):
    """test_misc: detect_nans(data, include_inf=...)"""
    assert detect_nans(data, include_inf=include_inf) == expected


@pytest.fixture(scope="module")
def simple_rnn_no_bias():
    reset_seeds(3)
    model = make_model(SimpleRNN, units=128, use_bias=False)
    train_model(model, 1, np.random.default_rng(3))
    return model


def test_misc_simple_rnn_weights(simple_rnn_no_bias):
    """test_misc: data = get_rnn_weights(_model, 1) -- SimpleRNN(use_bias=False)"""
    weights = get_rnn_weights(simple_rnn_no_bias, 1)
    expected = simple_rnn_no_bias.layers[1].get_weights()
    assert isinstance(weights, list) and len(weights) == 2
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_misc_simple_rnn_weights_not_gated(simple_rnn_no_bias):
    """test_misc: get_rnn_weights(_model, 1, concat_gates=False) -- not a gated
    RNN, so see-rnn returns the whole kernels, as with concat_gates=True"""
    with pytest.warns(UserWarning, match="not a gated RNN"):
        weights = get_rnn_weights(simple_rnn_no_bias, 1, concat_gates=False)
    expected = simple_rnn_no_bias.layers[1].get_weights()
    assert isinstance(weights, list) and len(weights) == 2
    for w, e in zip(weights, expected):
        assert isinstance(w, np.ndarray)
        np.testing.assert_array_equal(w, e)


# -- test_multi_io ------------------------------------------------------------------------
def test_multi_io_wildcard():
    """test_multi_io: get_gradients(model, '*', [x1, x2], [y1, y2]);
    get_outputs(model, '*', [x1, x2])"""
    reset_seeds(4)
    ipt1, ipt2 = Input((40, 8)), Input((40, 16))
    ipts = concatenate([ipt1, ipt2])
    gru1, gru2 = GRU(6, return_sequences=True), GRU(12, return_sequences=True)
    model = Model([ipt1, ipt2], [gru1(ipts), gru2(ipts)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(4)
    x1, x2, y1, y2 = (rng.standard_normal(s).astype("float32")
                      for s in ((8, 40, 8), (8, 40, 16), (8, 40, 6), (8, 40, 12)))

    grads = get_gradients(model, "*", [x1, x2], [y1, y2])
    outs = get_outputs(model, "*", [x1, x2])
    assert outs[0].shape == grads[0].shape == (8, 40, 24)
    assert outs[1].shape == grads[1].shape == (8, 40, 6)
    assert outs[2].shape == grads[2].shape == (8, 40, 12)

    with tf.GradientTape() as tape:
        joined = ops.concatenate([x1, x2], axis=-1)
        tape.watch(joined)
        out1, out2 = gru1(joined), gru2(joined)
        loss = mse(y1, out1) + mse(y2, out2)
    expected = tape.gradient(loss, [joined, out1, out2])
    for g, e in zip(grads, expected):
        close(g, e.numpy())
    close(outs[0], joined.numpy())
    close(outs[1], out1.numpy())


# -- test_none_gradients --------------------------------------------------------------------
def test_none_gradients_softmax_skipped():
    """test_none_gradients: get_gradients(model, '*', x, y) on
    Input -> Dense -> Activation('softmax') -- see-rnn skips the softmax layer
    (and the Input), so a list holding the Dense output's gradient."""
    n_classes, batch_size = 4, 16
    reset_seeds(5)
    ipt = Input(batch_shape=(batch_size, 8))
    model = Model(ipt, Activation("softmax")(Dense(n_classes)(ipt)))
    model.compile("adam", "categorical_crossentropy")
    rng = np.random.default_rng(5)
    y = np.eye(n_classes, dtype="float32")[rng.integers(0, n_classes, batch_size)]
    x = rng.standard_normal((batch_size, 8)).astype("float32")
    model.train_on_batch(x, y)

    grads = get_gradients(model, "*", x, y)
    assert isinstance(grads, list) and len(grads) == 1
    logits = model.layers[1](x).numpy().astype("float64")
    softmax = np.exp(logits - logits.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    close(grads[0], (softmax - y) / batch_size)   # d(mean cross-entropy)/d(logits)

    with pytest.warns(UserWarning, match="softmax"):
        assert get_gradients(model, 2, x, y) == []   # named: skipped too, with a warning


# -- test_inspect_gen -------------------------------------------------------------------------
def test_inspect_gen_weight_penalties_and_loss():
    """test_inspect_gen: make_model(GRU, activation='relu', bidirectional=True,
    recurrent_dropout=0.3, include_dense=True);
    assert bool(get_weight_penalties(model)); assert weight_loss(model) > 0"""
    reset_seeds(15)
    rng = np.random.default_rng(15)
    model = make_model(GRU, activation="relu", bidirectional=True, recurrent_dropout=0.3,
                       include_dense=True)
    model.train_on_batch(*make_data(BATCH_SHAPE, UNITS, rng))   # biases away from 0
    bidir, dense = model.layers[1], model.layers[2].layer
    regularized = bidir.forward_layer.weights + bidir.backward_layer.weights + [dense.bias]
    penalties = get_weight_penalties(model)
    # Keras 3's l1_l2(1e-4) is l1=1e-4, l2=0 (tf.keras' l2 default was 0.01)
    assert penalties == {w.path: (1e-4, 0.0) for w in regularized}
    expected = 1e-4 * sum(np.abs(w.numpy().astype("float64")).sum() for w in regularized)
    loss = weight_loss(model)
    assert loss > 0 and loss == pytest.approx(expected, rel=1e-12)
    assert loss == pytest.approx(float(sum(model.losses)), rel=1e-5)   # what Keras adds


# -- test_track_weight_decays -----------------------------------------------------------------
def test_track_weight_decays():
    """test_track_weight_decays: l2_stats = weights_norm(model, [1, 3], l2_stats,
    omit_names='bias', verbose=1) after each train_on_batch"""
    reset_seeds(6)
    batch_shape, wd = (32, 15, 12), 2e-3
    layer_kw = dict(padding="same", kernel_regularizer=l2(wd))
    ipt = Input(batch_shape=batch_shape)
    x = Conv1D(12, 8, activation="relu", **layer_kw)(ipt)
    x = Conv1D(6, 1, activation="relu", **layer_kw)(x)
    model = Model(ipt, Conv1D(12, 8, activation="linear", **layer_kw)(x))
    model.compile("adam", "mse")
    X = np.random.default_rng(6).standard_normal((3, *batch_shape)).astype("float32")

    l2_stats, expected = {}, {1: [], 3: []}
    for x in X:
        model.train_on_batch(x, x)
        l2_stats = weights_norm(model, [1, 3], l2_stats, omit_names="bias", verbose=1)
        for idx in expected:
            expected[idx].append(column_norms(model.layers[idx].get_weights()[0]))
    names = [model.layers[1].name, model.layers[3].name]
    assert list(l2_stats) == names
    for name, idx in zip(names, (1, 3)):
        maxes, means = l2_stats[name][0]
        assert maxes == pytest.approx([n.max() for n in expected[idx]], rel=1e-5)
        assert means == pytest.approx([n.mean() for n in expected[idx]], rel=1e-5)
    merged = np.array(list(l2_stats.values()))   # (layers, weights, stats, batches)
    assert merged.shape == (2, 1, 2, 3)


# -- test_envs: per-gate weights, and a cell without get_weights --------------------------------
def test_envs_rnn_weights_per_gate_arrays(misc):
    """test_envs: get_rnn_weights(model, 1, concat_gates=False, as_tensors=False)"""
    model, *_ = misc
    gates = get_rnn_weights(model, 1, concat_gates=False, as_tensors=False)
    kernel, recurrent, bias = model.layers[1].get_weights()
    assert [len(g) for g in gates] == [3, 3, 3]
    for weight, expected in zip(gates, (kernel, recurrent, bias[0])):
        for i, gate in enumerate(weight):
            assert isinstance(gate, np.ndarray)
            np.testing.assert_array_equal(gate, expected[..., i * UNITS:(i + 1) * UNITS])


def test_envs_rnn_weights_without_cell_get_weights():
    """test_envs: setattr(model.layers[2].cell, 'get_weights', None);
    get_rnn_weights(model, 2, concat_gates=True, as_tensors=False)"""
    reset_seeds(7)
    model = make_model(GRU, batch_shape=(8, 10, 12))
    expected = model.layers[2].get_weights()
    model.layers[2].cell.get_weights = None
    weights = get_rnn_weights(model, 2, concat_gates=True, as_tensors=False)
    assert len(weights) == 3
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_bidirectional_lstm_per_gate():
    """get_rnn_weights(bi_lstm, 1, concat_gates=False) -- forward's kernels,
    then backward's, each a list of the i, f, c, o gates"""
    reset_seeds(8)
    model = make_model(LSTM, batch_shape=(8, 10, 12), bidirectional=True)
    gates = get_rnn_weights(model, 1, concat_gates=False)
    expected = model.layers[1].get_weights()
    assert [len(g) for g in gates] == [4] * 6
    for weight, whole in zip(gates, expected):
        for i, gate in enumerate(weight):
            np.testing.assert_array_equal(gate, whole[..., i * UNITS:(i + 1) * UNITS])


# -- return conventions the ported tests imply ----------------------------------------------------
def test_one_id_in_a_list_returns_the_array(misc):
    """get_outputs(model, ['gru'], x): one id requested -> the array"""
    model, x, _ = misc
    close(get_outputs(model, ["gru"], x), layer_output(model, 1, x))


def test_index_ids_come_before_name_ids(misc):
    """get_outputs(model, ['gru_1', 1], x) -- see-rnn fetches the index ids
    first, then the name ids"""
    model, x, _ = misc
    outs = get_outputs(model, [model.layers[2].name, 1], x)
    close(outs[0], layer_output(model, 1, x))
    close(outs[1], layer_output(model, 2, x))


@pytest.fixture(scope="module")
def one_layer():
    reset_seeds(9)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 4)).astype("float32")
    y = rng.standard_normal((5, 3)).astype("float32")
    seq = keras.Sequential([Input((4,)), Dense(3, use_bias=False)])
    ipt = Input((4,))
    func = Model(ipt, Dense(3, use_bias=False)(ipt))
    for model in (seq, func):
        model.compile("sgd", "mse")
    return seq, func, x, y


def test_wildcard_outputs_of_one_layer_model(one_layer):
    """get_outputs(model, '*', x) on a one-layer model -> the array"""
    seq, func, x, _ = one_layer
    for model in (seq, func):
        close(get_outputs(model, "*", x), x @ model.layers[-1].get_weights()[0])


def test_wildcard_gradients_of_one_layer_model(one_layer):
    """get_gradients(model, '*', x, y): see-rnn returns the array when
    model.layers holds one layer (Sequential), a list when it also holds the
    InputLayer (functional)"""
    seq, func, x, y = one_layer
    for model in (seq, func):
        kernel = model.layers[-1].get_weights()[0]
        d_out = 2 * (x @ kernel - y) / y.size
        d_kernel = x.T @ d_out
        out_grads = get_gradients(model, "*", x, y)
        weight_grads_ = get_gradients(model, "*", x, y, mode="weights")
        if model is seq:
            close(out_grads, d_out)
            close(weight_grads_, d_kernel)
        else:
            assert isinstance(out_grads, list) and len(out_grads) == 1
            close(out_grads[0], d_out)
            assert isinstance(weight_grads_, list) and len(weight_grads_) == 1
            close(weight_grads_[0], d_kernel)


def test_params_one_weight_returns_the_array(misc):
    """get_gradients(model, None, x, y, params=[w]) and params=w -> the array"""
    model, x, y = misc
    layer = model.layers[1]
    expected = weight_grads(model, layer, x, y)[0]
    close(get_gradients(model, None, x, y, params=[layer.cell.kernel]), expected)
    close(get_gradients(model, None, x, y, params=layer.cell.kernel), expected)


def test_params_weight_and_output(misc):
    """get_gradients(model, None, x, y, params=[w, layer.output]) -> a list"""
    model, x, y = misc
    layer = model.layers[1]
    grads = get_gradients(model, None, x, y, params=[layer.cell.kernel, layer.output])
    assert isinstance(grads, list) and len(grads) == 2
    close(grads[0], weight_grads(model, layer, x, y)[0])
    close(grads[1], output_grad(model, 1, x, y))


def test_one_weight_layer_weight_gradients(one_layer):
    """get_gradients(model, 0, x, y, mode='weights') on a layer with one
    trainable weight -> the array"""
    seq, _, x, y = one_layer
    kernel = seq.layers[0].get_weights()[0]
    close(get_gradients(seq, 0, x, y, mode="weights"),
          x.T @ (2 * (x @ kernel - y) / y.size))


def test_never_truncates_samples():
    """get_outputs / get_gradients on 100 samples: every sample kept, and the
    loss averaged over all 100 (see-rnn feeds the whole batch)"""
    reset_seeds(10)
    rng = np.random.default_rng(10)
    model = make_model(GRU, batch_shape=(None, 10, 12))
    x, y, _ = make_data((100, 10, 12), UNITS, rng)
    outs = get_outputs(model, 1, x)
    assert outs.shape == (100, 10, UNITS)
    close(outs, layer_output(model, 1, x))
    grads = get_gradients(model, 1, x, y, mode="weights")
    for g, e in zip(grads, weight_grads(model, model.layers[1], x, y)):
        close(g, e)
    close(get_gradients(model, 2, x, y), output_grad(model, 2, x, y))


@pytest.fixture(scope="module")
def small():
    """Input -> GRU -> Dropout -> GRU -> Dense (frozen), and a batch."""
    reset_seeds(11)
    rng = np.random.default_rng(11)
    ipt = Input((6, 3))
    h = GRU(4, return_sequences=True)(ipt)
    h = keras.layers.Dropout(0.5)(h)
    h = GRU(4)(h)
    frozen = Dense(2)
    model = Model(ipt, frozen(h))
    frozen.trainable = False
    model.compile("adam", "mse")
    x = rng.standard_normal((9, 6, 3)).astype("float32")
    y = rng.standard_normal((9, 2)).astype("float32")
    return model, x, y


def test_sample_weight_weighs_the_loss(small):
    """get_gradients(model, 1, x, y, sample_weight=sw) -- the compiled loss
    weighted per sample, as fit weighs it"""
    model, x, y = small
    sw = np.linspace(0, 2, len(x)).astype("float32")
    close(get_gradients(model, 1, x, y, sample_weight=sw), output_grad(model, 1, x, y, sw))
    grads = get_gradients(model, 3, x, y, sample_weight=sw, mode="weights")
    for g, e in zip(grads, weight_grads(model, model.layers[3], x, y, sw)):
        close(g, e)


def test_weight_gradients_of_layers_without_trainable_weights(small):
    """get_gradients(model, 'dropout' / frozen, x, y, mode='weights') -- no
    trainable weights, so see-rnn returns an empty list"""
    model, x, y = small
    assert get_gradients(model, 2, x, y, mode="weights") == []
    assert get_gradients(model, 4, x, y, mode="weights") == []


def test_layer_list_returns_a_list(small):
    """get_outputs(model, None, x, layer=[l1, l2]) -- `layer` may be a list"""
    model, x, _ = small
    outs = get_outputs(model, None, x, layer=[model.layers[1], model.layers[3]])
    assert isinstance(outs, list) and len(outs) == 2
    close(outs[0], layer_output(model, 1, x))
    close(outs[1], layer_output(model, 3, x))


def test_get_weights_as_tensors(small):
    """get_weights(model, 'gru', as_tensors=True) -- the weight variables"""
    model, *_ = small
    tensors = get_weights(model, "gru", as_tensors=True)
    assert [id(t) for t in tensors] == [id(w) for w in model.layers[1].weights]


def test_rnn_weights_of_a_layer_that_is_not_recurrent(small):
    """get_rnn_weights(model, 'dense') raises (see-rnn: unsupported RNN type)"""
    model, *_ = small
    with pytest.raises(Exception, match="not a recurrent"):
        get_rnn_weights(model, "dense")


@pytest.mark.parametrize("clip", [dict(clipvalue=1e-3), dict(clipnorm=1e-3),
                                  dict(global_clipnorm=1e-3)],
                         ids=["clipvalue", "clipnorm", "global_clipnorm"])
def test_gradients_clipped_as_the_optimizer_clips(clip):
    """get_gradients on a model compiled with a clipping optimizer -- see-rnn
    returns the gradients clipped (its docstring's NOTE), all returned
    gradients together for global_clipnorm"""
    reset_seeds(12)
    rng = np.random.default_rng(12)
    model = make_model(GRU, batch_shape=(8, 10, 12))
    model.compile(keras.optimizers.Adam(**clip), "mse")
    x, y, _ = make_data((8, 10, 12), UNITS, rng)
    raw = weight_grads(model, model.layers[1], x, y)
    if "clipvalue" in clip:
        expected = [np.clip(g, -1e-3, 1e-3) for g in raw]
    elif "clipnorm" in clip:
        expected = [g * 1e-3 / max(np.linalg.norm(g), 1e-3) for g in raw]
    else:
        total = np.sqrt(sum(np.sum(g.astype("float64") ** 2) for g in raw))
        expected = [g * 1e-3 / max(total, 1e-3) for g in raw]
    grads = get_gradients(model, 1, x, y, mode="weights")
    for g, e in zip(grads, expected):
        close(g, e)


# -- deliberate differences from see-rnn (see /work/notes/compat-differences.md) ----------------
def test_difference_multi_output_layer_gives_a_list():
    """get_outputs / get_gradients of LSTM(return_state=True): see-rnn failed
    (`layer.output` is a list); we return the list of its outputs' arrays"""
    reset_seeds(13)
    rng = np.random.default_rng(13)
    ipt = Input((5, 3))
    seq, h, c = LSTM(4, return_sequences=True, return_state=True)(ipt)
    joined = concatenate([keras.layers.GlobalAveragePooling1D()(seq), h, c])
    model = Model(ipt, Dense(2)(joined))
    model.compile("adam", "mse")
    x = rng.standard_normal((7, 5, 3)).astype("float32")
    y = rng.standard_normal((7, 2)).astype("float32")
    outs = get_outputs(model, "lstm", x)
    expected = model.layers[1](x)
    assert isinstance(outs, list) and len(outs) == 3
    for o, e in zip(outs, expected):
        close(o, e.numpy())
    grads = get_gradients(model, "lstm", x, y)
    assert [g.shape for g in grads] == [(7, 5, 4), (7, 4), (7, 4)]


def test_difference_wildcard_weights_of_sequential_keep_first_layer():
    """get_weights(sequential, '*'): see-rnn skipped model.layers[0], which in
    a Sequential is the first real layer; we keep every layer's weights"""
    reset_seeds(14)
    model = keras.Sequential([Input((3,)), Dense(2), Dense(1)])
    weights = get_weights(model, "*")
    expected = model.layers[0].get_weights() + model.layers[1].get_weights()
    assert len(weights) == 4
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)
