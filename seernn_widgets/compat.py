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

_N_GATES = {keras.layers.LSTMCell: 4, keras.layers.GRUCell: 3}


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


def _cell_weights(cell, as_tensors, concat_gates):
    """[kernel, recurrent_kernel(, bias)] of one cell, each per gate unless
    `concat_gates`; per gate, a GRU's bias is its input bias (see-rnn's
    `input_bias_z`, ...)."""
    kinds = ["kernel", "recurrent_kernel"] + (["bias"] if cell.use_bias else [])
    variables = [getattr(cell, kind) for kind in kinds]
    n_gates = next((n for cls, n in _N_GATES.items() if isinstance(cell, cls)), 0)
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
