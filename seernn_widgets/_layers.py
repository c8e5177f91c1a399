"""Resolve see-rnn style layer ids (`_id`) to Keras layers.

An `_id` is an int (index into `model.layers`), a str (a full layer name, or
else the first name that contains it), a list mixing both, or '*' (every layer
that has an output, InputLayers excluded).
"""
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
