"""Which layer calls a model's `call` makes, caught while the inspector's own
pass runs: how the engine sees inside a subclassed `keras.Model`, whose
layers are wired in Python, not in a graph Keras keeps.

`capturing(model, tap)` puts a wrapper on `keras.layers.Layer.__call__` for
the duration of the block only, and only for the thread that opened it (a
context variable says which pass is listening). Each call of a layer the
user would name - a layer called by the model's `call`, or by a layer the
user wrote (not by Keras' own layers: a Bidirectional's inner GRU, an RNN's
cell, a nested functional model's layers are theirs) - returns its outputs
through `tap`, and is recorded in the order the calls start. The wrapper is removed in
a `finally`, so an exception or Ctrl-C inside the pass leaves
`Layer.__call__` as it was; nothing is set on the model or its layers.

Inside a traced function the block runs once, while tracing: later calls
of the traced function run the graph it recorded (taps included).
"""
import contextlib
import contextvars
import threading
from dataclasses import dataclass, field

import keras
from keras import tree

_listening = contextvars.ContextVar("seernn_capture", default=None)
_lock = threading.Lock()
_depth = 0                       # open `capturing` blocks, all threads
_original_call = keras.layers.Layer.__call__


@dataclass
class Call:
    """One call of `layer`: its `number` (1 for the first call in the pass)
    and its outputs as tapped, flattened (None until the call returns)."""
    layer: object
    number: int
    outputs: list = None


@dataclass
class Calls:
    """What one pass records: its calls, in the order they start (a layer
    the user wrote comes before the calls it makes)."""
    root: object
    tap: object
    calls: list = field(default_factory=list)
    _stack: list = field(default_factory=list)
    _numbers: dict = field(default_factory=dict)

    def run(self, layer, args, kwargs):
        parent = self._stack[-1] if self._stack else None
        named = layer is not self.root and (parent is self.root or (
            parent is not None and _users_own(parent)))
        if named:
            number = self._numbers[id(layer)] = self._numbers.get(id(layer), 0) + 1
            call = Call(layer, number)
            self.calls.append(call)
        self._stack.append(layer)
        try:
            outputs = _original_call(layer, *args, **kwargs)
        finally:
            self._stack.pop()
        if not named:
            return outputs
        call.outputs = [self.tap(t, (id(layer), number - 1, index))
                        for index, t in enumerate(tree.flatten(outputs))]
        return tree.pack_sequence_as(outputs, call.outputs)


def _users_own(layer):
    """A layer the user wrote (its calls of other layers are theirs to name)."""
    return not type(layer).__module__.startswith("keras")


def _call(self, *args, **kwargs):
    calls = _listening.get()
    if calls is None:
        return _original_call(self, *args, **kwargs)
    return calls.run(self, args, kwargs)


@contextlib.contextmanager
def capturing(model, tap):
    """Record the layer calls `model`'s call makes in this block (`Calls`),
    each call's outputs passed through `tap(tensor, (id(layer), call, index))`
(call counting from 0, index: which of its flattened outputs). The model's own call
    may come through `__call__` (`model(x)`) or directly (`stateless_call`)."""
    global _depth
    calls = Calls(model, tap, _stack=[model])
    token = _listening.set(calls)
    with _lock:
        if _depth == 0:
            keras.layers.Layer.__call__ = _call
        _depth += 1
    try:
        yield calls
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                keras.layers.Layer.__call__ = _original_call
        _listening.reset(token)
