"""Resolve see-rnn style layer ids (`_id`) to Keras layers, and list the
inspectable outputs ("entries") of a model's graph.

An `_id` is an int (index into `model.layers`), a str (an entry name, a full
layer name, or else the first layer name that contains it), a list mixing
both, or '*' (every layer that has an output, InputLayers excluded).

Entries: every layer call has one entry per output - each call in a
functional graph, or each call a subclassed model's `call` makes (found by
`_capture` on the engine's first trace). `'lstm'` is the first output of the layer's first call;
a layer with several outputs (`LSTM(return_state=True)`) adds `'lstm[1]'`,
`'lstm[2]'`; a layer called again (a shared encoder) adds `'enc#2'`,
`'enc#2[1]'`...
"""
from collections import defaultdict
from dataclasses import dataclass

import keras


class LayerNotFoundError(KeyError, ValueError):
    """Raised for an `_id` that names no layer; the message lists the choices."""

    def __str__(self):  # KeyError would repr() the message
        return str(self.args[0])


def is_input_layer(layer):
    return isinstance(layer, keras.layers.InputLayer)


def all_layers(layer):
    """`layer` and every layer inside it (nested models, wrappers such as
    Bidirectional and TimeDistributed), depth first."""
    found = [layer]
    inner = list(getattr(layer, "layers", None) or [])
    inner += [getattr(layer, name) for name in ("forward_layer", "backward_layer", "layer")
              if isinstance(getattr(layer, name, None), keras.layers.Layer)]
    for sub in inner:
        found += all_layers(sub)
    return found


def output_layers(model):
    """Layers whose output can be inspected: every non-Input layer."""
    return [layer for layer in model.layers if not is_input_layer(layer)]


def weight_layers(model):
    return [layer for layer in model.layers if layer.weights]


@dataclass(frozen=True, eq=False)
class Entry:
    """One inspectable output: output `index` of call `call` (0-based) of
    `layer`, of `shape` and `dtype`; in a functional graph also its symbolic
    `tensor` and graph `node` (a subclassed model has neither: its entries
    come from the engine's first trace, see `_capture`)."""
    name: str
    layer: object
    call: int
    index: int
    shape: tuple
    dtype: str
    tensor: object = None
    node: object = None

    @property
    def key(self):
        """What a pass's tap is told about the output it taps (`Engine._forward`)."""
        return (id(self.node), self.index) if self.node is not None \
            else (id(self.layer), self.call, self.index)


def entry_name(layer, call, index):
    """'lstm', 'lstm[1]' (second output), 'enc#2' (second call), 'enc#2[1]'."""
    return layer.name + (f"#{call + 1}" if call else "") + (f"[{index}]" if index else "")


def graph_of(model):
    """The functional graph that runs `model` (a Sequential's inner one), or
    None for a model Keras keeps no graph of (a subclassed model, a
    Sequential never built)."""
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    return graph if hasattr(graph, "_nodes_by_depth") else None


def run_order(graph):
    """The graph's call nodes in the order `Function._run_through_graph`
    runs them (deepest first)."""
    by_depth = graph._nodes_by_depth
    return [node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]
            if node.operation is not None and not node.is_input]


def entries(graph):
    """[Entry] of every output of every layer call of a functional `graph`,
    in `graph.operations` order (the graph's other operations, e.g. a
    Masking's mask ops, are not layers a user would name)."""
    calls = defaultdict(list)   # id(operation) -> its nodes in this graph
    for node in run_order(graph):
        calls[id(node.operation)].append(node)
    found = []
    for op in graph.operations:
        if not isinstance(op, keras.layers.Layer):
            continue
        nodes = calls.get(id(op), [])
        inbound = list(getattr(op, "_inbound_nodes", []))
        nodes.sort(key=lambda n: next((i for i, m in enumerate(inbound) if m is n), len(inbound)))
        for call, node in enumerate(nodes):
            for index, tensor in enumerate(node.outputs):
                found.append(Entry(entry_name(op, call, index), op, call, index,
                                   tuple(tensor.shape), str(tensor.dtype), tensor, node))
    return found


def traced_entries(calls):
    """[Entry] of the layer calls `_capture` recorded (execution order)."""
    return [Entry(entry_name(c.layer, c.number - 1, index), c.layer, c.number - 1, index,
                  tuple(t.shape), keras.backend.standardize_dtype(t.dtype))
            for c in calls for index, t in enumerate(c.outputs)]


def describe_choices(model):
    names = ", ".join(repr(layer.name) for layer in model.layers)
    return f"layer names: [{names}]; indices 0..{len(model.layers) - 1}"


def find_layer(model, _id):
    """One layer from an int index or a (full or partial) name."""
    layers = model.layers
    if isinstance(_id, bool) or not isinstance(_id, (int, str)):
        raise LayerNotFoundError(
            f"layer id must be an int, a str, a list of them or '*', "
            f"got {_id!r} ({type(_id).__name__}); {describe_choices(model)}")
    if isinstance(_id, int):
        if -len(layers) <= _id < len(layers):
            return layers[_id]
        raise LayerNotFoundError(
            f"layer index {_id} is out of range; {describe_choices(model)}")
    for layer in layers:
        if layer.name == _id:
            return layer
    for layer in layers:
        if _id in layer.name:
            return layer
    raise LayerNotFoundError(
        f"no layer named or containing {_id!r}; {describe_choices(model)}")


def resolve_layers(model, _id, wildcard=output_layers):
    """Layers for `_id` and whether one (not a list) was asked for."""
    if isinstance(_id, str) and _id == "*":
        return wildcard(model), False
    if isinstance(_id, list):
        return [find_layer(model, one) for one in _id], False
    return [find_layer(model, _id)], True


def _losses_by_output(model):
    """The compiled loss of each model output, in `model.outputs` order
    (None: that output has no loss)."""
    outputs = list(graph_of(model).outputs)
    loss = getattr(getattr(model, "_compile_loss", None), "_user_loss", None)
    if isinstance(loss, dict):
        names = [t._keras_history.operation.name for t in outputs]
        return [loss.get(name) for name in names]
    if isinstance(loss, (list, tuple)) and len(loss) == len(outputs):
        return list(loss)
    return [loss] * len(outputs)


def loss_ancestors(model):
    """ids of the symbolic tensors on a path to an output that has a loss
    (of a model with a graph)."""
    outputs = graph_of(model).outputs
    todo = [t for t, loss in zip(outputs, _losses_by_output(model)) if loss is not None]
    seen = set()
    while todo:
        tensor = todo.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        operation, node_index, _ = tensor._keras_history
        todo += operation._inbound_nodes[node_index].input_tensors
    return seen
