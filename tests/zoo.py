"""A zoo of small Keras models and an independent reference for what the
inspector must report on each (issue 10, "a differential model zoo").

Each configuration is a function that creates its layers and returns a `Net`:
input specs, a `wire(call, *inputs)` function that connects the layers, and
how to compile. `wire` runs twice: once on `keras.Input`s with a plain call
(that builds the model), and once eagerly through a `Tap`, which calls each
layer itself and adds a watched zero tensor to every output of every call, so
dLoss/d(output) is a plain `GradientTape` gradient w.r.t. that zero. Nothing
here imports seernn_widgets.

Entry names follow /work/notes/contract.md: "name" for a layer's first output
of its first call, "name[i]" for its other (flattened) outputs, "name#k" for
its k-th call.
"""
import dataclasses
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers as L
from keras import tree
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask

B, T, C, U = 5, 6, 3, 4       # batch, timesteps, channels, units
VOCAB = 7
LENGTHS = (6, 4, 2, 5, 3)     # unpadded lengths of the padded samples


@dataclasses.dataclass
class In:
    """One model input: shape without batch; kind normal | padded | tokens |
    padded_tokens (padding = trailing zeros, `LENGTHS`)."""
    shape: tuple
    kind: str = "normal"
    name: str = None

    @property
    def dtype(self):
        return "int32" if "tokens" in self.kind else "float32"

    def data(self, rng):
        if "tokens" in self.kind:
            v = rng.integers(1, VOCAB, (B, *self.shape)).astype("int32")
        else:
            v = rng.standard_normal((B, *self.shape)).astype("float32")
        if self.kind.startswith("padded"):
            for i, n in enumerate(LENGTHS):
                v[i, n:] = 0
        return v


@dataclasses.dataclass
class Net:
    inputs: list
    wire: Callable = None        # wire(call, *inputs) -> outputs (tensor, list or dict)
    sequential: list = None      # or: the layers of a keras.Sequential, in order
    loss: object = "mse"
    loss_weights: object = None
    labels_as: str = "auto"      # "dict": labels keyed by output name
    sample_weight: object = False   # True: one per sample; "temporal": (batch, timesteps)
    dict_inputs: bool = False
    mixed: bool = False          # built under the mixed_float16 policy

    def __post_init__(self):
        if self.sequential is not None:
            def wire(call, x):
                for layer in self.sequential:
                    x = call(layer, x)
                return x
            self.wire = wire

    @property
    def tolerance(self):
        return dict(rtol=1e-2, scale=1e-2, atol=1e-4) if self.mixed else \
            dict(rtol=1e-4, scale=1e-5, atol=1e-6)


CASES = {}


def case(fn=None, *, mixed=False):
    """Register a configuration under its function's name. `mixed`: its
    layers are created under the mixed_float16 policy."""
    def register(fn):
        fn.mixed = mixed
        CASES[fn.__name__] = fn
        return fn
    return register(fn) if fn is not None else register


def make(case_id):
    """Fresh layers and `Net` of a configuration (call after clear_session;
    sets the mixed_float16 policy for mixed cases: reset it afterwards)."""
    fn = CASES[case_id]
    if fn.mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    net = fn()
    net.mixed = fn.mixed
    return net


# -- building and data ----------------------------------------------------------
def plain_call(layer, *args, **kwargs):
    return layer(*args, **kwargs)


def build(net, name):
    if net.sequential is not None:
        (spec,) = net.inputs
        return keras.Sequential([keras.Input(spec.shape, dtype=spec.dtype), *net.sequential],
                                name=name)
    inputs = [keras.Input(s.shape, dtype=s.dtype, name=s.name) for s in net.inputs]
    outputs = net.wire(plain_call, *inputs)
    if net.dict_inputs:
        return keras.Model({s.name: i for s, i in zip(net.inputs, inputs)}, outputs, name=name)
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs, name=name)


def compile_model(model, net):
    model.compile(optimizer="sgd", loss=net.loss, loss_weights=net.loss_weights)


def input_data(net, rng):
    arrays = [s.data(rng) for s in net.inputs]
    if net.dict_inputs:
        return {s.name: a for s, a in zip(net.inputs, arrays)}
    return arrays if len(arrays) > 1 else arrays[0]


def _loss_for(net, index, name):
    loss = net.loss
    if isinstance(loss, dict):
        return loss[name]
    if isinstance(loss, (list, tuple)):
        return loss[index]
    return loss


def labels(model, net, x, rng):
    """Labels fitting each model output (its shape when run) and its loss."""
    out = tree.flatten(model(x, training=False))
    names = getattr(model, "output_names", None) or [None] * len(out)
    ys = []
    for i, (tensor, name) in enumerate(zip(out, names)):
        shape = tuple(tensor.shape)
        loss = _loss_for(net, i, name)
        if loss == "categorical_crossentropy":
            y = np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[:-1])]
        elif loss == "sparse_categorical_crossentropy":
            y = rng.integers(0, shape[-1], shape[:-1]).astype("int32")
        elif loss == "binary_crossentropy":
            y = rng.integers(0, 2, shape).astype("float32")
        else:
            y = rng.standard_normal(shape).astype("float32")
        ys.append(y)
    if net.labels_as == "dict":
        return dict(zip(model.output_names, ys))
    return ys if len(ys) > 1 else ys[0]


def sample_weights(net, rng):
    if not net.sample_weight:
        return None
    shape = (B, T) if net.sample_weight == "temporal" else (B,)
    return rng.uniform(0.2, 2.0, shape).astype("float32")


# -- the independent reference --------------------------------------------------
@dataclasses.dataclass
class Entry:
    name: str
    layer: object
    output: object       # the tapped tensor (what downstream layers and the loss see)
    zero: object         # the watched zero added to the layer's output
    mask: object = None
    parents: tuple = ()  # the entries this call read (their tapped tensors)
    gradient: object = None   # dLoss/d(output); None: structurally absent


class Tap:
    """A `call` for `Net.wire` that runs each layer eagerly (inference mode)
    and taps every output of every call: output + watched zero, with the
    Keras mask and softmax/sigmoid logits the output carried."""

    def __init__(self, tape):
        self.tape = tape
        self.entries = {}
        self.calls = {}
        self._names = {}     # id(tapped tensor) -> entry name

    def __call__(self, layer, *args, **kwargs):
        if getattr(layer, "_call_has_training_arg", False):
            kwargs.setdefault("training", False)
        parents = tuple(dict.fromkeys(self._names[id(t)] for t in tree.flatten((args, kwargs))
                                      if id(t) in self._names))
        out = layer(*args, **kwargs)
        k = self.calls[layer.name] = self.calls.get(layer.name, 0) + 1
        base = layer.name if k == 1 else f"{layer.name}#{k}"
        tapped = []
        for i, t in enumerate(tree.flatten(out)):
            zero = tf.zeros_like(t)
            self.tape.watch(zero)
            u = t + zero
            mask = get_keras_mask(t)
            if mask is not None:
                set_keras_mask(u, mask)
            if hasattr(t, "_keras_logits"):
                u._keras_logits = t._keras_logits
            name = base if i == 0 else f"{base}[{i}]"
            self.entries[name] = Entry(name, layer, u, zero, mask, parents)
            self._names[id(u)] = name
            tapped.append(u)
        return tree.pack_sequence_as(out, tapped)


def _plain_copy(t):
    """`t` without the logits Keras attached (so a loss is written on `t`
    itself), keeping its mask."""
    u = tf.identity(t)
    mask = get_keras_mask(t)
    if mask is not None:
        set_keras_mask(u, mask)
    return u


def _tensors(x):
    return tree.map_structure(tf.convert_to_tensor, x)


def _loss(model, x, y, y_pred, sample_weight):
    return model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                              training=False)


def reference(model, net, x, y, sample_weight):
    """Everything the inspector must report, computed without it.

    Returns (entries {name: Entry}, weight_gradients {id(variable): array},
    absent {id(variable)}: the weights the loss does not depend on (their
    gradient above is zeros), loss). Raises AssertionError when the zoo's own
    wiring does not reproduce the model (a bug in the zoo, not in the inspector)."""
    xt, yt = _tensors(x), _tensors(y)
    swt = None if sample_weight is None else tf.convert_to_tensor(sample_weight)
    args = ([xt[s.name] for s in net.inputs] if net.dict_inputs
            else list(xt) if isinstance(xt, (list, tuple)) else [xt])
    with tf.GradientTape(persistent=True) as tape:
        tap = Tap(tape)
        y_pred = net.wire(tap, *args)
        loss = _loss(model, xt, yt, y_pred, swt)
        # Keras computes a cross-entropy on a softmax/sigmoid output from its
        # logits: that output's own gradient is the same loss written on it
        own = {}
        flat = tree.flatten(y_pred)
        for i, t in enumerate(flat):
            if hasattr(t, "_keras_logits"):
                name = next(e.name for e in tap.entries.values() if e.output is t)
                plain = [(_plain_copy(u) if j == i else u) for j, u in enumerate(flat)]
                own[name] = _loss(model, xt, yt, tree.pack_sequence_as(y_pred, plain), swt)
    entries = tap.entries
    grads = tape.gradient(loss, [e.zero for e in entries.values()])
    for entry, g in zip(entries.values(), grads):
        entry.gradient = g
    for name, own_loss in own.items():
        entries[name].gradient = tape.gradient(own_loss, entries[name].zero)
    del tape

    # weight-gradients: a plain tape over the model itself
    with tf.GradientTape() as tape:
        model_pred = model(xt, training=False)
        model_loss = _loss(model, xt, yt, model_pred, swt)
    variables = model.trainable_variables
    wgrads = tape.gradient(model_loss, variables)
    weight_gradients, absent = {}, set()
    for v, g in zip(variables, wgrads):
        if g is None:
            absent.add(id(v))
        # a weight the loss does not depend on: dLoss/dw is zero (fit's
        # optimizer leaves it unchanged); weight-gradients are dense arrays
        g = tf.zeros(v.shape) if g is None else tf.convert_to_tensor(g)
        weight_gradients[id(v)] = np.asarray(g, dtype="float32")

    # the zoo's wiring must be the model
    tol = net.tolerance
    for a, b in zip(tree.flatten(model_pred), flat):
        np.testing.assert_allclose(np.asarray(tf.cast(a, "float32")),
                                   np.asarray(tf.cast(b, "float32")),
                                   rtol=tol["rtol"], atol=tol["atol"],
                                   err_msg="zoo: wiring differs from the model")
    np.testing.assert_allclose(float(model_loss), float(loss), rtol=tol["rtol"],
                               err_msg="zoo: loss differs from the model's")
    return entries, weight_gradients, absent, float(loss)


# -- the configurations -------------------------------------------------------------
def seq(kind="normal", shape=(T, C), name=None):
    return In(shape, kind, name)


def head(units=2, name="head", **kw):
    return L.Dense(units, name=name, **kw)


def _rnn_pair(cls, **kw):
    # one RNN -> Dense, sequence or last output
    rnn = cls(U, name="rnn", **kw)
    return Net([seq()], sequential=[rnn, head()])


def _rnn_case(name, cls, kwargs):
    def fn():
        return _rnn_pair(cls, **kwargs)
    fn.__name__ = name
    return fn


# RNN variants, each on its own: LSTM, GRU (reset_after True/False), SimpleRNN
_OPTIONS = {"seq": {"return_sequences": True}, "last": {},
            "backwards": {"go_backwards": True, "return_sequences": True},
            "nobias": {"use_bias": False},
            "backwards_nobias_last": {"go_backwards": True, "use_bias": False},
            "dropout": {"dropout": 0.3, "recurrent_dropout": 0.3, "return_sequences": True}}
for _cls, _tag, _extra, _opts in [
        (L.LSTM, "lstm", {}, ("seq", "last", "backwards", "nobias", "dropout")),
        (L.GRU, "gru", {}, ("seq", "last", "backwards", "nobias", "dropout")),
        (L.GRU, "gru_reset_before", {"reset_after": False}, ("seq", "nobias")),
        (L.SimpleRNN, "simplernn", {}, ("seq", "backwards_nobias_last", "dropout"))]:
    for _opt in _opts:
        case(_rnn_case(f"{_tag}_{_opt}", _cls, {**_extra, **_OPTIONS[_opt]}))


@case
def lstm_state_unused():
    """return_state: the states reach nothing ("rnn[1]", "rnn[2]": no gradient)."""
    rnn = L.LSTM(U, return_sequences=True, return_state=True, name="rnn")
    out = head()
    return Net([seq()], lambda call, x: call(out, call(rnn, x)[0]))


@case
def lstm_state_used():
    """return_state, last output: the output is unused, both states used."""
    rnn = L.LSTM(U, return_state=True, name="rnn")
    cat = L.Concatenate(name="cat")
    out = head()

    def wire(call, x):
        _, h, c = call(rnn, x)
        return call(out, call(cat, [h, c]))
    return Net([seq()], wire)


@case
def gru_state_and_sequence():
    rnn = L.GRU(U, return_sequences=True, return_state=True, name="rnn")
    pool = L.GlobalAveragePooling1D(name="pool")
    add = L.Add(name="add")
    out = head()

    def wire(call, x):
        s, h = call(rnn, x)
        return call(out, call(add, [call(pool, s), h]))
    return Net([seq()], wire)


@case
def seq2seq():
    """Encoder states as the decoder's initial state, two inputs."""
    enc = L.LSTM(U, return_state=True, name="enc")
    dec = L.LSTM(U, return_sequences=True, name="dec")
    out = L.TimeDistributed(L.Dense(2), name="td")

    def wire(call, a, b):
        _, h, c = call(enc, a)
        return call(out, call(dec, b, initial_state=[h, c]))
    return Net([seq(name="a"), seq(name="b", shape=(T - 1, 2))], wire)


@case
def stacked_sequential():
    return Net([seq()], sequential=[
        L.LSTM(U, return_sequences=True, name="lstm"), L.GRU(U, return_sequences=True, name="gru"),
        L.SimpleRNN(3, name="srnn"), head()])


# -- Bidirectional ------------------------------------------------------------------
def _bi(layer, merge_mode="concat", **kw):
    return L.Bidirectional(layer, merge_mode=merge_mode, name="bi", **kw)


@case
def bi_lstm_concat():
    return Net([seq()], sequential=[_bi(L.LSTM(U, return_sequences=True)), head()])


@case
def bi_gru_sum():
    return Net([seq()], sequential=[_bi(L.GRU(U), "sum"), head()])


@case
def bi_lstm_mul_dropout():
    return Net([seq()], sequential=[
        _bi(L.LSTM(U, return_sequences=True, dropout=0.4, recurrent_dropout=0.2), "mul"), head()])


@case
def bi_simplernn_ave():
    return Net([seq()], sequential=[_bi(L.SimpleRNN(U), "ave"), head()])


@case
def bi_merge_none():
    """merge_mode=None: "bi" forward, "bi[1]" backward, both used."""
    bi = _bi(L.LSTM(U, return_sequences=True), None)
    add = L.Add(name="add")
    out = head()
    return Net([seq()], lambda call, x: call(out, call(add, call(bi, x))))


@case
def bi_merge_none_backward_unused():
    bi = _bi(L.GRU(U), None)
    out = head()
    return Net([seq()], lambda call, x: call(out, call(bi, x)[0]))


@case
def bi_gru_behind_lstm():
    bi = _bi(L.LSTM(U, return_sequences=True),
             backward_layer=L.GRU(U, return_sequences=True, go_backwards=True))
    return Net([seq()], sequential=[bi, head()])


@case
def bi_backward_other_units():
    """LSTM(3) forward, LSTM(5) backward, concatenated: last, since Keras'
    symbolic shape of such an output is wrong (3 + 3) for a layer after it."""
    bi = _bi(L.LSTM(3), backward_layer=L.LSTM(5, go_backwards=True))
    return Net([seq()], sequential=[L.Dense(U, name="pre"), bi])


@case
def bi_gru_behind_lstm_sum():
    bi = _bi(L.LSTM(U), "sum", backward_layer=L.GRU(U, go_backwards=True, reset_after=False))
    return Net([seq()], sequential=[bi, head()])


@case
def bi_return_state():
    """concat with return_state: "bi", then forward h, c and backward h, c;
    only the forward h is used besides the output."""
    bi = _bi(L.LSTM(U, return_state=True))
    cat = L.Concatenate(name="cat")
    out = head()

    def wire(call, x):
        o, fh, fc, bh, bc = call(bi, x)
        return call(out, call(cat, [o, fh]))
    return Net([seq()], wire)


@case
def bi_frozen():
    bi = _bi(L.LSTM(U, return_sequences=True))
    bi.trainable = False
    return Net([seq()], sequential=[bi, L.GRU(3, name="gru"), head()])


def _adapted(shape, name="norm"):
    norm = L.Normalization(name=name)
    norm.adapt(np.random.default_rng(1).normal(1.0, 2.0, (8, *shape)).astype("float32"))
    return norm


# -- weightless layers, first after Input / middle / last -------------------------
@case
def masking_first_lstm():
    return Net([seq("padded")], sequential=[L.Masking(name="masking"), L.LSTM(U, name="lstm"),
                                            head()])


@case
def masking_gru_sequence_loss():
    """The mask reaches the loss (a masked sequence output), with per-timestep
    sample weights (Keras cannot broadcast per-sample ones against the mask)."""
    return Net([seq("padded")], sequential=[L.Masking(name="masking"),
                                            L.GRU(U, return_sequences=True, name="gru"),
                                            L.TimeDistributed(L.Dense(2), name="td")],
               sample_weight="temporal")


@case
def masking_bi_simplernn():
    return Net([seq("padded")], sequential=[
        L.Masking(name="masking"), _bi(L.SimpleRNN(U, return_sequences=True), "sum"),
        L.GlobalAveragePooling1D(name="pool"), head()])


@case
def dropout_first():
    return Net([seq()], sequential=[L.Dropout(0.5, name="drop"), L.LSTM(U, name="lstm"), head()])


@case
def gaussian_noise_first():
    return Net([seq()], sequential=[L.GaussianNoise(0.3, name="noise"), L.GRU(U, name="gru"),
                                    head()])


@case
def rescaling_first():
    return Net([seq()], sequential=[L.Rescaling(0.5, offset=0.1, name="rescale"),
                                    L.LSTM(U, name="lstm"), head()])


@case
def normalization_first():
    return Net([seq()], sequential=[_adapted((T, C)), L.GRU(U, name="gru"), head()])


@case
def permute_first():
    return Net([seq(shape=(C, T))], sequential=[L.Permute((2, 1), name="permute"),
                                                L.LSTM(U, name="lstm"), head()])


@case
def reshape_first():
    return Net([In((T * C,))], sequential=[L.Reshape((T, C), name="reshape"),
                                           L.SimpleRNN(U, name="srnn"), head()])


@case
def weightless_middle():
    """Weightless layers between two RNNs."""
    return Net([seq()], sequential=[
        L.LSTM(U, return_sequences=True, name="lstm"), L.Dropout(0.5, name="drop"),
        L.GaussianNoise(0.3, name="noise"), L.Rescaling(0.5, offset=0.2, name="rescale"),
        _adapted((T, U)), L.Activation("relu", name="act"), L.Permute((2, 1), name="permute"),
        L.Reshape((T, U), name="reshape"), L.GRU(3, name="gru"), head()])


@case
def weightless_last():
    """Each weightless layer as a model output (last), losses weighted."""
    rnn = L.GRU(U, return_sequences=True, name="gru")
    lasts = [L.Dropout(0.5, name="drop"), L.GaussianNoise(0.3, name="noise"),
             L.Rescaling(2.0, name="rescale"), L.Activation("tanh", name="act"),
             L.Permute((2, 1), name="permute"), L.Reshape((T * U,), name="reshape"),
             L.Masking(name="masking"), _adapted((T, U))]
    cat = L.Concatenate(name="cat")

    def wire(call, x):
        h = call(rnn, x)
        return [call(layer, h) for layer in lasts] + [call(cat, [h, h])]
    return Net([seq()], wire, loss=["mse"] * (len(lasts) + 1),
               loss_weights=[1.0, 0.5, 2.0, 1.5, 0.7, 0.3, 1.2, 0.8, 0.6])


@case
def concatenate_inputs():
    cat = L.Concatenate(name="cat")
    rnn = L.LSTM(U, name="lstm")
    out = head()
    return Net([seq(name="a"), seq(name="b", shape=(T, 2))],
               lambda call, a, b: call(out, call(rnn, call(cat, [a, b]))))


@case
def add_inputs():
    add = L.Add(name="add")
    rnn = L.GRU(U, return_sequences=True, name="gru")
    out = head()
    return Net([seq(name="a"), seq(name="b")],
               lambda call, a, b: call(out, call(rnn, call(add, [a, b]))))


@case
def weightless_chain():
    """Every weightless layer in a row before the only weights."""
    return Net([seq("padded")], sequential=[
        L.Activation("tanh", name="act"), L.Masking(name="masking"), L.Dropout(0.2, name="drop"),
        L.GaussianNoise(0.1, name="noise"), L.Rescaling(1.5, name="rescale"),
        L.LSTM(U, name="lstm"), head()])


# -- Embedding and masks ------------------------------------------------------------
def _embed(mask_zero=True, name="embed"):
    return L.Embedding(VOCAB, 3, mask_zero=mask_zero, name=name)


@case
def embedding_mask_lstm():
    return Net([seq("padded_tokens", shape=(T,))],
               sequential=[_embed(), L.LSTM(U, name="lstm"), head()])


@case
def embedding_mask_gru_sequence_loss():
    return Net([seq("padded_tokens", shape=(T,))],
               sequential=[_embed(), L.GRU(U, return_sequences=True, name="gru"),
                           L.TimeDistributed(L.Dense(2), name="td")])


@case
def embedding_mask_bi_lstm():
    return Net([seq("padded_tokens", shape=(T,))],
               sequential=[_embed(), _bi(L.LSTM(3)), head()])


@case
def embedding_conv_pool():
    return Net([seq("tokens", shape=(T,))],
               sequential=[_embed(False), L.Conv1D(U, 3, name="conv"),
                           L.GlobalAveragePooling1D(name="pool"), head()])


@case
def embedding_frozen():
    emb = _embed()
    emb.trainable = False
    return Net([seq("padded_tokens", shape=(T,))], sequential=[emb, L.GRU(U, name="gru"), head()])


# -- frozen layers ------------------------------------------------------------------
@case
def lstm_frozen():
    lstm = L.LSTM(U, return_sequences=True, name="lstm")
    lstm.trainable = False
    return Net([seq()], sequential=[lstm, L.GRU(3, name="gru"), head()])


@case
def dense_frozen_middle():
    dense = L.Dense(U, name="dense")
    dense.trainable = False
    return Net([seq()], sequential=[L.LSTM(U, name="lstm"), dense, head()])


# -- multi-input / multi-output ------------------------------------------------------
def _two_heads():
    rnn = L.LSTM(U, return_sequences=True, name="lstm")
    pool = L.GlobalAveragePooling1D(name="pool")
    a, b = L.Dense(2, name="out_a"), L.Dense(3, name="out_b")
    return rnn, pool, a, b


@case
def multi_out_list():
    rnn, pool, a, b = _two_heads()

    def wire(call, x):
        h = call(rnn, x)
        return [call(a, call(pool, h)), call(b, h)]
    return Net([seq()], wire, loss=["mse", "mae"], loss_weights=[0.3, 2.0])


@case
def multi_out_dict_labels():
    rnn, pool, a, b = _two_heads()

    def wire(call, x):
        h = call(rnn, x)
        return {"out_a": call(a, call(pool, h)), "out_b": call(b, h)}
    return Net([seq()], wire, loss={"out_a": "mse", "out_b": "huber"},
               loss_weights={"out_a": 1.5, "out_b": 0.5}, labels_as="dict")


@case
def multi_in_out():
    ra, rb = L.GRU(U, name="gru_a"), L.SimpleRNN(U, name="srnn_b")
    cat = L.Concatenate(name="cat")
    a, b = L.Dense(2, name="out_a"), L.Dense(1, name="out_b", activation="sigmoid")

    def wire(call, xa, xb):
        h = call(cat, [call(ra, xa), call(rb, xb)])
        return [call(a, h), call(b, h)]
    return Net([seq(name="xa"), seq(name="xb", shape=(T - 1, 2))], wire,
               loss=["mse", "binary_crossentropy"], loss_weights=[1.0, 0.7])


@case
def dict_inputs():
    ra = L.LSTM(U, name="lstm")
    pool = L.GlobalAveragePooling1D(name="pool")
    add = L.Add(name="add")
    out = head()

    def wire(call, xa, xb):
        return call(out, call(add, [call(ra, xa), call(pool, xb)]))
    return Net([seq(name="first"), seq(name="second", shape=(T, U))], wire, dict_inputs=True)


# -- nested models and shared layers ------------------------------------------------
@case
def nested_sequential():
    inner = keras.Sequential([keras.Input((T, U)),
                              L.LSTM(3, return_sequences=True, name="inner_lstm"),
                              L.Dense(3, name="inner_dense")], name="inner")
    return Net([seq()], sequential=[L.Dense(U, name="pre"), inner, L.GRU(3, name="gru"), head()])


@case
def nested_functional_two_outputs():
    i = keras.Input((T, C))
    s, h, c = L.LSTM(3, return_sequences=True, return_state=True, name="inner_lstm")(i)
    inner = keras.Model(i, [s, h], name="inner")
    cat = L.Concatenate(name="cat")
    pool = L.GlobalAveragePooling1D(name="pool")
    out = head()

    def wire(call, x):
        s, h = call(inner, x)
        return call(out, call(cat, [call(pool, s), h]))
    return Net([seq()], wire)


@case
def nested_called_twice():
    """A nested model as a shared layer: "inner" and "inner#2"."""
    inner = keras.Sequential([keras.Input((T, C)), L.GRU(3, name="inner_gru")], name="inner")
    sub = L.Subtract(name="sub")
    out = head()
    return Net([seq(name="a"), seq(name="b")],
               lambda call, a, b: call(out, call(sub, [call(inner, a), call(inner, b)])))


@case
def shared_encoder():
    enc = L.LSTM(U, name="enc")
    cat = L.Concatenate(name="cat")
    out = head()

    def wire(call, a, b):
        return call(out, call(cat, [call(enc, a), call(enc, b)]))
    return Net([seq(name="a"), seq(name="b")], wire)


@case
def shared_encoder_with_states():
    """enc, enc[1], enc[2], enc#2, enc#2[1], enc#2[2]; some unused."""
    enc = L.GRU(U, return_sequences=True, return_state=True, name="enc")
    pool = L.GlobalAveragePooling1D(name="pool")
    add = L.Add(name="add")
    out = head()

    def wire(call, a, b):
        s1, _ = call(enc, a)
        _, h2 = call(enc, b)
        return call(out, call(add, [call(pool, s1), h2]))
    return Net([seq(name="a"), seq(name="b")], wire)


@case
def shared_dense_twice():
    rnn = L.SimpleRNN(U, return_sequences=True, name="srnn")
    dense = L.Dense(U, activation="tanh", name="dense")
    out = head()
    return Net([seq()], lambda call, x: call(out, call(dense, call(dense, call(rnn, x)))))


@case
def shared_masked_encoder():
    emb = _embed()
    enc = L.LSTM(U, name="enc")
    sub = L.Subtract(name="sub")
    out = head()

    def wire(call, a, b):
        return call(out, call(sub, [call(enc, call(emb, a)), call(enc, call(emb, b))]))
    return Net([seq("padded_tokens", shape=(T,), name="a"), seq("tokens", shape=(T,), name="b")],
               wire)


# -- TimeDistributed, Conv1D, pooling, attention, normalization ----------------------
@case
def timedistributed_dense():
    return Net([seq()], sequential=[L.LSTM(U, return_sequences=True, name="lstm"),
                                    L.TimeDistributed(L.Dense(3), name="td"),
                                    L.TimeDistributed(L.Dense(2), name="td_out")])


@case
def conv1d_gru():
    return Net([seq()], sequential=[L.Conv1D(U, 2, padding="causal", name="conv"),
                                    L.GRU(3, return_sequences=True, name="gru"),
                                    L.Conv1D(2, 3, name="conv_out"),
                                    L.GlobalAveragePooling1D(name="pool")])


@case
def mha_self():
    mha = L.MultiHeadAttention(2, 2, name="mha")
    pool = L.GlobalAveragePooling1D(name="pool")
    out = head()
    return Net([seq()], lambda call, x: call(out, call(pool, call(mha, x, x))))


@case
def mha_scores_unused():
    """return_attention_scores=True: "mha[1]" (scores) reaches nothing."""
    rnn = L.LSTM(U, return_sequences=True, name="lstm")
    mha = L.MultiHeadAttention(2, 2, name="mha")
    pool = L.GlobalAveragePooling1D(name="pool")
    out = head()

    def wire(call, x):
        h = call(rnn, x)
        o, _ = call(mha, h, h, return_attention_scores=True)
        return call(out, call(pool, o))
    return Net([seq()], wire)


@case
def mha_cross_scores_used():
    rnn = L.GRU(U, return_sequences=True, name="gru")
    mha = L.MultiHeadAttention(1, 3, name="mha")
    flat = L.Flatten(name="flat")
    cat = L.Concatenate(name="cat")
    pool = L.GlobalAveragePooling1D(name="pool")
    out = head()

    def wire(call, q, v):
        o, scores = call(mha, call(rnn, q), v, return_attention_scores=True)
        return call(out, call(cat, [call(pool, o), call(flat, scores)]))
    return Net([seq(name="q"), seq(name="v", shape=(T, 2))], wire)


@case
def batchnorm_layernorm():
    return Net([seq()], sequential=[L.LSTM(U, return_sequences=True, name="lstm"),
                                    L.BatchNormalization(name="bn"),
                                    L.LayerNormalization(name="ln"), L.GRU(3, name="gru"), head()])


# -- losses: cross-entropy outputs, sample_weight, regularizers ----------------------
@case
def softmax_cce():
    return Net([seq()], sequential=[L.LSTM(U, name="lstm"), head(3, activation="softmax")],
               loss="categorical_crossentropy")


@case
def softmax_activation_layer_cce():
    return Net([seq()], sequential=[L.GRU(U, name="gru"), head(3),
                                    L.Activation("softmax", name="softmax")],
               loss="categorical_crossentropy")


@case
def softmax_sparse_cce_sequence():
    return Net([seq()], sequential=[L.LSTM(U, return_sequences=True, name="lstm"),
                                    head(3, activation="softmax")],
               loss="sparse_categorical_crossentropy")


@case
def softmax_masked_cce():
    return Net([seq("padded_tokens", shape=(T,))],
               sequential=[_embed(), L.LSTM(U, return_sequences=True, name="lstm"),
                           head(3, activation="softmax")], loss="categorical_crossentropy")


@case
def sigmoid_output_feeds_another_output():
    """A sigmoid output (its loss from logits) that another output also
    reads: its gradient is the same loss written on it, through both paths."""
    rnn = L.LSTM(U, name="lstm")
    prob = L.Dense(2, activation="sigmoid", name="prob")
    out = head(name="value")

    def wire(call, x):
        p = call(prob, call(rnn, x))
        return [p, call(out, p)]
    return Net([seq()], wire, loss=["binary_crossentropy", "mse"], loss_weights=[0.5, 2.0])


@case
def states_as_outputs():
    """Encoder states are model outputs themselves (they reach the loss)."""
    rnn = L.LSTM(U, return_sequences=True, return_state=True, name="rnn")
    td = L.TimeDistributed(L.Dense(2), name="td")

    def wire(call, x):
        s, h, c = call(rnn, x)
        return [call(td, s), h]
    return Net([seq()], wire, loss=["mse", "mae"])


@case
def sample_weight_mse():
    return Net([seq()], sequential=[L.LSTM(U, name="lstm"), head()], sample_weight=True)


@case
def sample_weight_softmax():
    return Net([seq()], sequential=[_bi(L.GRU(3)), head(3, activation="softmax")],
               loss="categorical_crossentropy", sample_weight=True)


@case
def regularizers():
    reg = keras.regularizers
    return Net([seq()], sequential=[
        L.LSTM(U, return_sequences=True, kernel_regularizer=reg.L2(0.1),
               recurrent_regularizer=reg.L1(0.05), bias_regularizer=reg.L2(0.2), name="lstm"),
        L.GRU(3, kernel_regularizer=reg.L1L2(0.02, 0.03), name="gru"),
        head(kernel_regularizer=reg.L2(0.3))])


@case
def regularizers_softmax():
    """Regularization with a softmax output: its own-loss gradient must not
    count the regularizers twice."""
    reg = keras.regularizers
    return Net([seq()], sequential=[L.GRU(U, kernel_regularizer=reg.L2(0.2), name="gru"),
                                    head(3, activation="softmax", kernel_regularizer=reg.L2(0.3))],
               loss="categorical_crossentropy")


@case
def regularizers_bidirectional():
    reg = keras.regularizers
    return Net([seq()], sequential=[_bi(L.LSTM(3, kernel_regularizer=reg.L2(0.1))),
                                    head(kernel_regularizer=reg.L1(0.05))], sample_weight=True)


# -- mixed precision ------------------------------------------------------------------
@case(mixed=True)
def mixed_lstm():
    return Net([seq()], sequential=[L.LSTM(U, return_sequences=True, name="lstm"),
                                    L.GRU(3, name="gru"), head(dtype="float32")])


@case(mixed=True)
def mixed_bi_gru_masked():
    return Net([seq("padded_tokens", shape=(T,))],
               sequential=[_embed(), _bi(L.GRU(3)), head()])


@case(mixed=True)
def mixed_softmax_state():
    rnn = L.LSTM(U, return_state=True, name="rnn")
    out = head(3, activation="softmax", dtype="float32")
    return Net([seq()], lambda call, x: call(out, call(rnn, x)[1]),
               loss="categorical_crossentropy")
