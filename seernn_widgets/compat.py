"""see-rnn 1.15.1's inspection functions on Keras 3.

Same names, signatures and return conventions as see-rnn 1.15.1
(`see_rnn/inspect_gen.py`, `inspect_rnn.py`), so that a see-rnn user migrates
by changing the import:

- An `_id` is an int (index into `model.layers`), a str (the earliest layer,
  in model order, whose name contains it), a list of them, or '*'. As in
  see-rnn, a list is fetched index ids first, then name ids; `get_weights`
  takes name ids first. Ids that name the same layer give it twice
  (`['gru', 1]` -> two arrays), except in `get_weights` and `weights_norm`.
- One id asked for (also `['gru']`, `layer=`, `params=[w]`) and one array
  found -> the array; otherwise a list (or a dict with `as_dict=True`).
- Nothing is truncated: every sample of `input_data` is used.

They run on the shared traced engine, so repeated calls on the same model do
not retrace. The deliberate differences from see-rnn are listed in the
README's "Coming from see-rnn" table.
"""
import warnings
from copy import deepcopy

import keras
import numpy as np

from . import _layers, rnn
from .inspector import GRADIENT_MODES, Inspector, NoGradientError, check_choice
from .stats import detect_nans  # noqa: F401  (re-exported)

_GATES = {keras.layers.LSTMCell: "ifco", keras.layers.GRUCell: "zrh"}   # see-rnn's order


# -- which layers an `_id` names -----------------------------------------------
def _is_wildcard(_id):
    return isinstance(_id, str) and _id == "*"


def _as_list(_id):
    return list(_id) if isinstance(_id, list) else [_id]


def _layer_at(model, index):
    if isinstance(index, bool) or not isinstance(index, int):
        raise _layers.LayerNotFoundError(
            f"layer id must be an int, a str, a list of them or '*', got "
            f"{index!r} ({type(index).__name__}); {_layers.describe_choices(model)}")
    try:
        return model.layers[index]
    except IndexError:
        raise _layers.LayerNotFoundError(
            f"layer index {index} is out of range; "
            f"{_layers.describe_choices(model)}") from None


def _find_layers(model, ids):
    """[(position in `ids`, layer)] as see-rnn's `get_layer` orders them:
    index ids first, then name ids, each name taken by the earliest layer
    (in model order) whose name contains it."""
    found = [(i, _layer_at(model, one)) for i, one in enumerate(ids)
             if not isinstance(one, str)]
    names = [(i, one) for i, one in enumerate(ids) if isinstance(one, str)]
    for layer in model.layers:
        match = next(((i, n) for i, n in names if n in layer.name), None)
        if match is not None:
            found.append((match[0], layer))
            names.remove(match)
    if names:
        raise _layers.LayerNotFoundError(
            f"no layer name contains {[n for _, n in names]}; "
            f"{_layers.describe_choices(model)}")
    return found


def _requested_layers(model, _id, layer):
    """(layers, whether one was asked for): `layer` (a layer or a list of
    them) overrides `_id`, as in see-rnn."""
    if layer is not None:
        if _id is not None:
            warnings.warn("`layer` will override `_id`", stacklevel=3)
        layers = _as_list(layer)
        return layers, len(layers) == 1
    ids = _as_list(_id)
    return [found for _, found in _find_layers(model, ids)], len(ids) == 1


def get_layer(model, _id):
    """The layer(s) `_id` names: one id -> the layer, else a list.

    Example:
        get_layer(model, 'gru')          # the earliest layer whose name contains 'gru'
        get_layer(model, ['gru', 3])     # [model.layers[3], that layer]: indices first
    """
    layers, one = _requested_layers(model, _id, None)
    return layers[0] if one else layers


def get_full_name(model, _id):
    """The full name(s) of the layer(s) `_id` names, as `get_layer` finds them.

    Example:
        get_full_name(model, 'bidir')    # 'bidirectional'
        get_full_name(model, [1, 2])     # ['lstm', 'bidirectional']
    """
    layers, one = _requested_layers(model, _id, None)
    names = [layer.name for layer in layers]
    return names[0] if one else names


def _returned(pairs, one_requested, as_dict):
    """see-rnn's return convention for [(name, value)]."""
    if as_dict:
        return dict(pairs)
    values = [value for _, value in pairs]
    return values[0] if one_requested and len(values) == 1 else values


# -- arrays ----------------------------------------------------------------------
def _inspector(model, input_data, labels=None, sample_weight=None, learning_phase=0):
    # see-rnn feeds the whole batch: keep every sample, record no history
    return Inspector(model, input_data, labels, sample_weight, learning_phase,
                     history=0, max_samples=None)


def _entry_names(insp, layer):
    """Entry names of the layer's outputs, first call (what `layer.output` is)."""
    names = [name for name, e in insp.entries.items() if e.layer is layer and e.call == 0]
    return names or [insp.entry_name(layer)]   # the inspector's error if none


def _per_output(insp, layer, value_of):
    """`value_of(entry)` for the layer's output, a list for a layer with
    several outputs (as `layer.output` is)."""
    values = [value_of(name) for name in _entry_names(insp, layer)]
    return values[0] if len(values) == 1 else values


def get_outputs(model, _id, input_data, layer=None, learning_phase=0,
                as_dict=False):
    """Outputs of the layer(s) `_id` (or `layer`) on `input_data`.

    Example:
        outs = get_outputs(model, 1, x)        # model.layers[1]'s output
        outs = get_outputs(model, '*', x)      # every non-Input layer's
    """
    if _is_wildcard(_id):
        layers, one = _layers.output_layers(model), True
    else:
        layers, one = _requested_layers(model, _id, layer)
    insp = _inspector(model, input_data, learning_phase=learning_phase)
    return _returned([(lay.name, _per_output(insp, lay, insp.outputs)) for lay in layers],
                     one, as_dict)


def _skipped(layer, warn):
    """see-rnn leaves out output-gradients of Input layers and of layers
    with a softmax activation (tf.keras gave them none)."""
    if _layers.is_input_layer(layer):
        reason = "is an Input layer; input gradients are not fetched"
    elif getattr(getattr(layer, "activation", None), "__name__", "").lower() == "softmax":
        reason = ("has a softmax activation; its output-gradient is skipped as "
                  "see-rnn skips it (Inspector.gradients gives it)")
    else:
        return False
    if warn:
        warnings.warn(f"layer {layer.name!r} {reason}", stacklevel=4)
    return True


def _clipped(model, pairs):
    """The gradients as the model's optimizer clips them (`clipnorm` each,
    `global_clipnorm` all returned ones together, `clipvalue`), as see-rnn
    returns them."""
    optimizer = getattr(model, "optimizer", None)
    clipnorm, global_clipnorm, clipvalue = (
        getattr(optimizer, name, None) for name in ("clipnorm", "global_clipnorm", "clipvalue"))
    grads = [g for _, g in pairs]

    def scaled(g, norm, limit):
        return (g * (limit / max(norm, limit))).astype(g.dtype)

    if clipnorm:
        grads = keras.tree.map_structure(
            lambda g: scaled(g, float(np.linalg.norm(g)), clipnorm), grads)
    elif global_clipnorm:
        total = float(np.sqrt(sum(np.sum(np.square(g, dtype="float64"))
                                  for g in keras.tree.flatten(grads))))
        grads = keras.tree.map_structure(lambda g: scaled(g, total, global_clipnorm), grads)
    elif clipvalue:
        grads = keras.tree.map_structure(lambda g: np.clip(g, -clipvalue, clipvalue), grads)
    return [(name, g) for (name, _), g in zip(pairs, grads)]


def _weight_gradient(insp, variable):
    grad = insp.weight_gradients().get(variable.path)
    if grad is None:
        raise NoGradientError(f"weight {variable.path!r} has no gradient: it is not "
                              f"trainable or does not reach the loss")
    return grad


def _output_gradient_of(insp, tensor):
    """(entry name, gradient) for a layer output tensor given in `params`."""
    for name, entry in insp.entries.items():
        if entry.tensor is tensor:
            return name, insp.gradients(name, "outputs")
    raise ValueError(f"params: {tensor!r} is not the output of a layer of model "
                     f"{insp.model.name!r}")


def _params_gradients(insp, params):
    pairs = []
    for p in params:
        if isinstance(p, keras.Variable):
            pairs.append((p.path, _weight_gradient(insp, p)))
        elif hasattr(p, "_keras_history"):
            if not _skipped(p._keras_history.operation, warn=True):
                pairs.append(_output_gradient_of(insp, p))
        else:
            raise TypeError(f"params must be model weights (keras.Variable) or "
                            f"layer outputs (layer.output), got {type(p).__name__}")
    return pairs


def get_gradients(model, _id, input_data, labels, sample_weight=None,
                  learning_phase=0, layer=None, mode="outputs", params=None,
                  as_dict=False):
    """Gradients of the compiled loss w.r.t. the outputs (`mode='outputs'`)
    or trainable weights (`mode='weights'`) of layer(s) `_id`, or w.r.t.
    `params` (weights and/or layer outputs; then `_id` and `mode` are ignored).
    As in see-rnn, the returned gradients are clipped as the optimizer would
    clip them (`clipnorm`, `global_clipnorm`, `clipvalue`).

    Example:
        grads = get_gradients(model, 1, x, y)                   # dLoss/d(output)
        grads = get_gradients(model, 'lstm', x, y, mode='weights')
    """
    check_choice("mode", mode, GRADIENT_MODES)
    if params is not None and layer is not None:
        raise ValueError("pass one (and only one) of `layer` or `params`")
    insp = _inspector(model, input_data, labels, sample_weight, learning_phase)
    if params is not None:
        pairs = _clipped(model, _params_gradients(insp, _as_list(params)))
        return _returned(pairs, len(pairs) == 1, as_dict)

    if _is_wildcard(_id):   # every layer, the InputLayer(s) too (then skipped)
        layers, one, warn = list(model.layers), len(model.layers) == 1, False
    else:
        (layers, one), warn = _requested_layers(model, _id, layer), True
    if mode == "weights":
        pairs = [(v.path, _weight_gradient(insp, v))
                 for lay in layers for v in lay.trainable_variables]
    else:
        gradient = lambda name: insp.gradients(name, "outputs")  # noqa: E731
        pairs = [(lay.name, _per_output(insp, lay, gradient))
                 for lay in layers if not _skipped(lay, warn)]
    return _returned(_clipped(model, pairs), one, as_dict)


# -- weights -----------------------------------------------------------------------
def _weights_of(model, _id):
    """{path: variable} for one see-rnn weight id: a layer, an int,
    (index, weight index(es)), or 'layer' / 'layer/weight' (both names may be
    partial)."""
    if isinstance(_id, keras.layers.Layer):
        return {w.path: w for w in _id.weights}
    if isinstance(_id, tuple):
        layer_idx, *picked = _id
        if len(picked) == 1 and isinstance(picked[0], (list, tuple)):
            picked = list(picked[0])
        weights = _layer_at(model, layer_idx).weights
        return {w.path: w for i, w in enumerate(weights) if not picked or i in picked}
    if not isinstance(_id, str):
        return {w.path: w for w in _layer_at(model, _id).weights}
    parts = _id.split("/")
    weight_name = parts[1] if len(parts) == 2 else None
    (_, layer), = _find_layers(model, [parts[0]])
    found = {w.path: w for w in layer.weights
             if weight_name is None or weight_name in w.path}
    if not found:
        raise _layers.LayerNotFoundError(
            f"weight w/ name {_id!r} not found; the weights of layer {layer.name!r} "
            f"are {[w.path for w in layer.weights]}")
    return found


def get_weights(model, _id, omit_names=None, as_tensors=False, as_dict=False):
    """Weights of layer(s) `_id`, each once; a str id may end in
    '/weight_name', a tuple (index, weight index(es)) picks weights.

    Example:
        get_weights(model, 'lstm/recurrent')   # the array
        get_weights(model, ['lstm', 2])        # a list
    """
    if _is_wildcard(_id):
        ids = [lay for lay in model.layers if lay.weights]
    else:   # see-rnn takes the name ids first
        ids = _as_list(_id)
        ids = [i for i in ids if isinstance(i, str)] + [i for i in ids if not isinstance(i, str)]
    omit = _as_list(omit_names) if omit_names else []
    weights = {}
    for one in ids:
        weights.update(_weights_of(model, one))
    pairs = [(path, w if as_tensors else w.numpy()) for path, w in weights.items()
             if not any(name in path for name in omit)]
    return _returned(pairs, len(ids) == 1, as_dict)


def _gates_of(cell):
    return next((g for cls, g in _GATES.items() if isinstance(cell, cls)), "")


def _cell_weights(cell, as_tensors, concat_gates):
    """[kernel, recurrent_kernel(, bias)] of one cell, each per gate unless
    `concat_gates`; per gate, a GRU's bias is its input bias (see-rnn's
    `input_bias_z`, ...)."""
    kinds = ["kernel", "recurrent_kernel"] + (["bias"] if cell.use_bias else [])
    variables = [getattr(cell, kind) for kind in kinds]
    n_gates = len(_gates_of(cell))
    if not concat_gates and not n_gates:
        warnings.warn(f"{type(cell).__name__} is not a gated RNN; fetching per "
                      f"concat_gates=True instead", stacklevel=3)
    if concat_gates or not n_gates:
        return variables if as_tensors else [v.numpy() for v in variables]
    per_gate = []
    for v in variables:
        value = v.value if as_tensors else v.numpy()
        if len(v.shape) == 2 and v is getattr(cell, "bias", None):   # GRU reset_after
            value = value[0]
        per_gate.append(list(keras.ops.split(value, n_gates, axis=-1)) if as_tensors
                        else np.split(value, n_gates, axis=-1))
    return per_gate


def get_rnn_weights(model, _id, layer=None, as_tensors=False, concat_gates=True):
    """[kernel, recurrent_kernel, bias] of an RNN layer (forward's, then
    backward's for Bidirectional); with `concat_gates=False`, each is a list
    of per-gate arrays (LSTM i, f, c, o; GRU z, r, h).

    Example:
        kernel, recurrent, bias = get_rnn_weights(model, 'lstm')
    """
    if layer is None:   # see-rnn uses the first name id, else the first index
        ids = _as_list(_id)
        names = [i for i in ids if isinstance(i, str)]
        (_, layer), = _find_layers(model, [(names or ids)[0]])
    weights = []
    for cell in rnn.cells(layer).values():
        weights += _cell_weights(cell, as_tensors, concat_gates)
    return weights


def _norms(w, norm_fn, axis):
    """see-rnn's norm of each slice of `w` along `axis`, the other axes
    summed: outer(sum(inner(w))) for norm_fn=(outer, inner), else
    sum(norm_fn(w))."""
    w = np.asarray(w)
    axis = axis % w.ndim if w.ndim else None
    others = tuple(ax for ax in range(w.ndim) if ax != axis)
    if isinstance(norm_fn, (tuple, list)):
        outer, inner = norm_fn
        return outer(np.sum(inner(w), axis=others))
    return np.sum(norm_fn(w), axis=others)


def weights_norm(model, _id, _dict=None, stat_fns=(np.max, np.mean),
                 norm_fn=(np.sqrt, np.square), omit_names=None, axis=-1,
                 verbose=0):
    """Statistics of per-column weight norms, accumulated across calls:
    result[layer_name][weight_index][stat_index] is a list with one value per
    call (pass the previous result as `_dict` to track norms over training;
    it is not changed). Each layer is counted once, however many ids name it.

    Example:
        stats = weights_norm(model, 'lstm')                  # l2 norms
        stats = weights_norm(model, 'lstm', stats)           # one more value each
        weights_norm(model, [1, 3], norm_fn=np.abs)          # l1 norms
    """
    ids = _as_list(_id)
    found = _find_layers(model, [one[0] if isinstance(one, tuple) else one for one in ids])
    stats = deepcopy(_dict) if _dict else {layer.name: [[]] for _, layer in found}
    for l_idx, layer in enumerate(model.layers):
        positions = [i for i, lay in found if lay is layer]
        if not positions:
            continue
        first = ids[min(positions)]   # the layer's first id, in the order given
        weights = _weights_of(model, first if isinstance(first, tuple) else layer)
        weights = [w.numpy() for path, w in weights.items()
                   if not any(name in path for name in _as_list(omit_names or []))]
        per_weight = stats.setdefault(layer.name, [[]])
        for w_idx, w in enumerate(weights):
            values = [fn(_norms(w, norm_fn, axis)) for fn in stat_fns]
            if len(per_weight) <= w_idx:
                per_weight.append([])
            while len(per_weight[w_idx]) < len(values):
                per_weight[w_idx].append([])
            for history, value in zip(per_weight[w_idx], values):
                history.append(value)
        if verbose:   # see-rnn's line: layer index, then each weight's latest stats
            print(f"{l_idx} " + " -- ".join(", ".join(f"{s[-1]:.4f}" for s in w_stats)
                                            for w_stats in per_weight))
    return stats


# -- weight penalties ----------------------------------------------------------------
def _penalized(model):
    """[(variable, (l1, l2))] for every weight with an L1, L2 or L1L2
    regularizer, in model order (each variable once)."""
    found, seen = [], set()
    for layer in model.layers:
        for v in layer.weights:
            reg = getattr(v, "regularizer", None)
            if reg is None or id(v) in seen:
                continue
            seen.add(id(v))
            if not isinstance(reg, (keras.regularizers.L1, keras.regularizers.L2,
                                    keras.regularizers.L1L2)):
                warnings.warn(f"weight {v.path!r} has a {type(reg).__name__} regularizer, "
                              f"not L1/L2/L1L2: left out of the weight penalties",
                              stacklevel=3)
                continue
            found.append((v, (float(getattr(reg, "l1", 0.0)), float(getattr(reg, "l2", 0.0)))))
    return found


def get_weight_penalties(model):
    """{weight path: (l1, l2)} of every weight regularized with L1, L2 or
    L1L2 (all-zero penalties left out); frozen weights included.

    Example:
        get_weight_penalties(model)   # {'gru/gru_cell/kernel': (0.0001, 0.0), ...}
    """
    return {v.path: penalty for v, penalty in _penalized(model) if any(penalty)}


def weight_loss(model):
    """The sum of the weight penalties of the trainable weights: what Keras
    adds to the loss for weight regularizers (activity regularizers are
    not weight penalties). 0.0 if there are none.

    Example:
        weight_loss(model)   # == float(sum(model.losses)) without activity regularizers
    """
    trainable = {id(v) for v in model.trainable_weights}
    loss = 0.0
    for v, (l1, l2) in _penalized(model):
        if id(v) in trainable:
            w = v.numpy().astype("float64")
            loss += l1 * np.sum(np.abs(w)) + l2 * np.sum(np.square(w))
    return float(loss)


# -- RNN summary -----------------------------------------------------------------------
def _cudnn_blockers(rnn_layer):
    """Why a Keras 3 LSTM/GRU layer cannot run the cuDNN kernel (on a GPU,
    TensorFlow backend); [] if it can."""
    cell = rnn_layer.cell
    name = lambda fn: getattr(fn, "__name__", repr(fn))  # noqa: E731
    reasons = {
        "use_cudnn=False": rnn_layer.use_cudnn is False,
        f"activation={name(cell.activation)}": name(cell.activation) != "tanh",
        f"recurrent_activation={name(cell.recurrent_activation)}":
            name(cell.recurrent_activation) != "sigmoid",
        "unroll=True": rnn_layer.unroll,
        "use_bias=False": not cell.use_bias,
        "reset_after=False": not getattr(cell, "reset_after", True),
        f"recurrent_dropout={cell.recurrent_dropout}": cell.recurrent_dropout,
    }
    return [reason for reason, blocks in reasons.items() if blocks]


def rnn_summary(layer):
    """Print an RNN layer's weights (path and shape) and their per-gate
    shapes, as see-rnn printed them under `keras` 2; for a Bidirectional,
    the forward layer's, then the backward's. LSTM and GRU layers also say
    whether Keras 3 can run them on the cuDNN kernel.

    Example:
        rnn_summary(model.layers[1])
    """
    cells = rnn.cells(layer)
    for direction, cell in cells.items():
        if len(cells) == 2:
            print(f"// {direction.upper()} LAYER")
        part = getattr(layer, f"{direction}_layer", layer)
        if isinstance(part, (keras.layers.LSTM, keras.layers.GRU)):
            blockers = _cudnn_blockers(part)
            print("cuDNN-compatible:", "True" if not blockers else
                  f"False ({', '.join(blockers)})")
        gates = _gates_of(cell)
        is_gru = isinstance(cell, keras.layers.GRUCell)
        rows = [(v.path, tuple(v.shape), kind) for kind in ("kernel", "recurrent_kernel", "bias")
                if (v := getattr(cell, kind, None)) is not None]
        if is_gru and cell.use_bias:   # see-rnn's input_bias: row 0 of a reset_after bias
            rows.append(("input_bias", tuple(cell.bias.shape[-1:]), "input_bias"))
        for label, shape, kind in rows:
            print(label, f"-- shape={shape}")
            if gates and not (is_gru and kind == "bias"):
                gate_shape = shape[:-1] + (shape[-1] // len(gates),)
                for gate in gates:
                    print(f"{kind}_{gate} -- shape={gate_shape}")
            print()
