"""see-rnn 1.15.1's inspection functions on Keras 3.

Same names, signatures and return conventions, so that a see-rnn user migrates
by changing the import. They run on the shared traced engine, so repeated calls
on the same model do not retrace.
"""
from copy import deepcopy

import keras
import numpy as np

from . import _layers, rnn
from .inspector import GRADIENT_MODES, Inspector, check_choice
from .stats import column_norms, detect_nans  # noqa: F401  (re-exported)


def _one_or_list(values, one_requested):
    return values[0] if one_requested and len(values) == 1 else values


def _requested_layers(model, _id, layer, wildcard=_layers.output_layers):
    if layer is not None:
        return [layer], True
    return _layers.resolve_layers(model, _id, wildcard)


def get_outputs(model, _id, input_data, layer=None, learning_phase=0,
                as_dict=False):
    """Outputs of the layer(s) `_id` (or `layer`) on `input_data`."""
    layers, one = _requested_layers(model, _id, layer)
    insp = Inspector(model, input_data, learning_phase=learning_phase)
    outs = {lay.name: insp.outputs(lay) for lay in layers}
    return outs if as_dict else _one_or_list(list(outs.values()), one)


def _params_to_layers(model, params):
    """Split `params` (weights and/or layer output tensors) into the Keras
    variables and the layers whose outputs they are."""
    params = params if isinstance(params, list) else [params]
    found = []
    for p in params:
        if isinstance(p, keras.Variable):
            found.append(("weights", p))
        elif hasattr(p, "_keras_history"):
            found.append(("outputs", p._keras_history.operation))
        else:
            raise TypeError(f"params must be model weights (keras.Variable) or "
                            f"layer outputs (layer.output), got {type(p).__name__}")
    return found


def get_gradients(model, _id, input_data, labels, sample_weight=None,
                  learning_phase=0, layer=None, mode="outputs", params=None,
                  as_dict=False):
    """Gradients of the compiled loss w.r.t. the outputs (`mode='outputs'`)
    or trainable weights (`mode='weights'`) of layer(s) `_id`."""
    check_choice("mode", mode, GRADIENT_MODES)
    insp = Inspector(model, input_data, labels, sample_weight, learning_phase)
    if params is not None:
        grads = {}
        weight_grads = insp.weight_gradients()
        for kind, p in _params_to_layers(model, params):
            if kind == "weights":
                grads[p.path] = weight_grads[p.path]
            else:
                grads[p.name] = insp.gradients(p, "outputs")
        one = not isinstance(params, list)
    else:
        wildcard = _layers.output_layers if mode == "outputs" else _layers.weight_layers
        layers, one = _requested_layers(model, _id, layer, wildcard)
        grads = {}
        for lay in layers:
            if mode == "outputs":
                grads[lay.name] = insp.gradients(lay, "outputs")
            else:
                for v, g in zip(lay.trainable_variables, insp.gradients(lay, "weights")):
                    grads[v.path] = g
    return grads if as_dict else _one_or_list(list(grads.values()), one)


def _weights_of_id(model, _id):
    """{path: variable} for one see-rnn weight id: int, (idx, weight idxs),
    'layer' or 'layer/weight' (both names may be partial)."""
    if isinstance(_id, tuple):
        layer_idx, *weight_idxs = _id
        if len(weight_idxs) == 1 and isinstance(weight_idxs[0], (list, tuple)):
            weight_idxs = list(weight_idxs[0])
        layer = _layers.find_layer(model, layer_idx)
        return {w.path: w for i, w in enumerate(layer.weights) if i in weight_idxs}
    weight_name = None
    if isinstance(_id, str) and "/" in _id:
        _id, weight_name = _id.split("/", 1)
    layer = _layers.find_layer(model, _id)
    found = {w.path: w for w in layer.weights
             if weight_name is None or weight_name in w.path}
    if not found:
        names = [w.path for w in layer.weights]
        raise _layers.LayerNotFoundError(
            f"no weight matching {weight_name!r} in layer {layer.name!r}; its "
            f"weights are {names}")
    return found


def get_weights(model, _id, omit_names=None, as_tensors=False, as_dict=False):
    """Weights of layer(s) `_id`; a str id may end in '/weight_name'."""
    if isinstance(_id, str) and _id == "*":
        ids = [lay.name for lay in _layers.weight_layers(model)]
    else:
        ids = _id if isinstance(_id, list) else [_id]
    omit = omit_names if isinstance(omit_names, list) else (
        [omit_names] if omit_names else [])
    weights = {}
    for one in ids:
        weights.update(_weights_of_id(model, one))
    weights = {path: w for path, w in weights.items()
               if not any(name in path for name in omit)}
    if not as_tensors:
        weights = {path: w.numpy() for path, w in weights.items()}
    if as_dict:
        return weights
    values = list(weights.values())
    return values[0] if len(ids) == 1 and len(values) == 1 else values


def get_rnn_weights(model, _id, layer=None, as_tensors=False, concat_gates=True):
    """[kernel, recurrent_kernel, bias] of an RNN layer (forward's then
    backward's for Bidirectional); with `concat_gates=False`, each kernel is
    a list of per-gate arrays (LSTM i,f,c,o; GRU z,r,h)."""
    layer = layer if layer is not None else _layers.find_layer(model, _id)
    layout = rnn.info(layer)
    weights = []
    for variable in rnn.variables(layer).values():
        value = variable.value if as_tensors else variable.numpy()
        if concat_gates:
            weights.append(value)
        elif as_tensors:
            weights.append(keras.ops.split(value, max(len(layout.gates), 1), axis=-1))
        else:
            weights.append(rnn.split_gates(value, len(layout.gates)))
    return weights


def weights_norm(model, _id, _dict=None, stat_fns=(np.max, np.mean),
                 norm_fn=(np.sqrt, np.square), omit_names=None, axis=-1,
                 verbose=0):
    """Statistics of per-column weight norms, accumulated across calls:
    result[layer_name][weight_index][stat_index] is a list with one value per
    call (pass the previous result as `_dict` to track norms over training)."""
    ids = _id if isinstance(_id, list) else [_id]
    stats = deepcopy(_dict) if _dict else {}
    for one in ids:
        layer_id = one[0] if isinstance(one, tuple) else one
        name = _layers.find_layer(model, layer_id).name
        weights = get_weights(model, one, omit_names)
        weights = weights if isinstance(weights, list) else [weights]
        per_weight = stats.setdefault(name, [])
        for w_idx, w in enumerate(weights):
            norms = column_norms(w, norm_fn, axis)
            if len(per_weight) <= w_idx:
                per_weight.append([[] for _ in stat_fns])
            for stat_idx, fn in enumerate(stat_fns):
                per_weight[w_idx][stat_idx].append(float(fn(norms)))
        if verbose:
            latest = [[values[-1] for values in w] for w in per_weight]
            print(name, latest)
    return stats
