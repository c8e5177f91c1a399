"""Gate activations of recurrent layers, vectorised over every timestep.

A cell's gates at step t depend only on the input x_t and the previous
hidden state h_{t-1}. The hidden state at every step is the layer's output
sequence (`return_sequences=True`; each half of a concat or unmerged
Bidirectional), so the gates of all timesteps are two matrix products and
the cell's activations, with no loop over time. A layer that returns only
its last state (or a Bidirectional that sums its halves) has its hidden
sequence recomputed once by an `RNN` over the layer's own cell, run
statelessly with the weights of the step asked for (the model is not
touched).

Time order: `gates[g][:, t]` are the activations that produced the
layer's output at t, in the order the layer returns its sequence: the
input's order, also for a Bidirectional's backward half; the processing
(reversed) order for a `go_backwards=True` layer, as Keras 3 returns it.

Masked timesteps: Keras runs the cell there too and then keeps the
previous state. The previous state is therefore the last kept step's
output (or the initial state), and the gates at a masked step are the
values the cell computed and Keras discarded; `gates_mask` says which they are.
"""
from dataclasses import dataclass

import numpy as np

from . import rnn

# the activations, by cell: 'c' / 'h' are the candidates (the cell's
# `activation`), the others its gates (`recurrent_activation`)
NAMES = {"LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h"), "SimpleRNN": ("h",)}
CANDIDATES = ("c", "h")
_MERGED = ("concat", None)   # merge modes whose halves can be read back from the output


class GatesUnavailableError(ValueError):
    """Gates cannot be computed for this layer call (and why)."""


@dataclass
class LayerCall:
    """What the gates of one recurrent layer call are computed from."""
    layer: object
    inputs: np.ndarray              # (samples, timesteps, features), input order
    initial_states: list | None     # [state arrays] as the call got them, or None
    kept: np.ndarray | None         # (samples, timesteps) bool, input order; None: no mask
    output: object                  # the call's first output (or, unmerged, the outputs)
    weights: dict                   # {variable path: array} at the step asked for


def activation_name(function):
    return getattr(function, "__name__", type(function).__name__)


def functions(cell, cell_type):
    """{gate: activation function} of one cell."""
    return {gate: cell.activation if gate in CANDIDATES else cell.recurrent_activation
            for gate in NAMES[cell_type]}


def cell_gates(cell_type, cell, kernel, recurrent, bias, x, h_prev, compiled):
    """{gate: (samples, timesteps, units)} from inputs `x` and previous hidden
    states `h_prev`, both in processing order; computed by the backend, its
    ops compiled together once per cell and kept in `compiled` (the
    inspector's: a module-level cache would keep every model alive; eager
    ops cost 0.30 of a training step, NumPy's products 2-3x more), returned
    as NumPy."""
    from keras import ops
    key = ("gates", id(cell))
    if key not in compiled:
        compiled[key] = _compiled(lambda *arrays: _gates_of(cell_type, cell, *arrays))
    gates = compiled[key](kernel, recurrent, bias, x, h_prev)
    return {gate: np.asarray(ops.convert_to_numpy(v), dtype=np.float32)
            for gate, v in gates.items()}


def _gates_of(cell_type, cell, kernel, recurrent, bias, x, h_prev):
    """The backend's computation of `cell_gates` (traced by `_compiled`)."""
    from keras import ops
    units = recurrent.shape[0]
    fns = functions(cell, cell_type)
    samples, steps = ops.shape(x)[0], ops.shape(x)[1]

    def dot(a, matrix):   # over the last axis, as one 2-D product
        flat = ops.matmul(ops.reshape(a, (samples * steps, a.shape[-1])), matrix)
        return ops.reshape(flat, (samples, steps, matrix.shape[-1]))

    xw = dot(x, kernel)
    if cell_type == "GRU":
        two_biases = bias is not None and len(bias.shape) == 2
        b_in, b_rec = (bias[0], bias[1]) if two_biases else (bias, None)
        if b_in is not None:
            xw = xw + b_in
        xz, xr, xh = ops.split(xw, 3, axis=-1)
        if getattr(cell, "reset_after", True):
            hu = dot(h_prev, recurrent) + (0 if b_rec is None else b_rec)
            hz, hr, hh = ops.split(hu, 3, axis=-1)
            z, r = fns["z"](xz + hz), fns["r"](xr + hr)
            gates = {"z": z, "r": r, "h": fns["h"](xh + r * hh)}
        else:
            hz, hr = ops.split(dot(h_prev, recurrent[:, :2 * units]), 2, axis=-1)
            z, r = fns["z"](xz + hz), fns["r"](xr + hr)
            gates = {"z": z, "r": r,
                     "h": fns["h"](xh + dot(r * h_prev, recurrent[:, 2 * units:]))}
    else:
        pre = xw + dot(h_prev, recurrent) + (0 if bias is None else bias)
        gates = {gate: fns[gate](part)
                 for gate, part in zip(fns, ops.split(pre, len(fns), axis=-1))}
    return gates


def previous_states(hidden, h0, kept):
    """h_{t-1} for every processing step t: the hidden sequence shifted by
    one, starting at `h0`; at and after masked steps, the last kept step's
    state (a masked step keeps the state it was given)."""
    samples, steps, _ = hidden.shape
    if kept is None:
        return np.concatenate([h0[:, None], hidden[:, :-1]], axis=1)
    last_kept = np.where(kept, np.arange(steps), -1)
    last_kept = np.maximum.accumulate(last_kept, axis=1)             # at or before t
    before = np.concatenate([np.full((samples, 1), -1), last_kept[:, :-1]], axis=1)
    gathered = np.take_along_axis(hidden, np.maximum(before, 0)[..., None], axis=1)
    return np.where((before < 0)[..., None], h0[:, None], gathered)


def _twin(part, input_shape, compiled):
    """(an `RNN` over `part`'s own cell returning every hidden state, its
    stateless call compiled by the backend), made once per cell and
    direction (kept in `compiled`); it adds no weights to the model (the
    cell is built)."""
    import keras
    key = ("twin", id(part.cell), part.go_backwards)
    if key not in compiled:
        twin = keras.layers.RNN(part.cell, return_sequences=True, go_backwards=part.go_backwards)
        twin.build(input_shape)

        def run(trainable, non_trainable, inputs, mask, states):
            kwargs = {} if states is None else {"initial_state": states}
            return twin.stateless_call(trainable, non_trainable, inputs, mask=mask, **kwargs)[0]
        compiled[key] = (twin, _compiled(run))
    return compiled[key]


def _compiled(function):
    """`function` traced by the backend: an RNN run op by op loops in Python
    (eager TensorFlow runs a while-loop's body once per timestep)."""
    import keras
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        return tf.function(function, reduce_retracing=True)
    if backend == "jax":
        import jax
        return jax.jit(function)
    return function


def _recomputed(part, call, states, compiled):
    """`part`'s hidden sequence (processing order), by its twin RNN run with
    the weights of `call` (stateless: the cell's variables are not set)."""
    import keras
    twin, run = _twin(part, call.inputs.shape, compiled)
    # the twin's own seed generator is not the model's: its value as it is
    values = lambda variables: [call.weights.get(v.path, v.value)   # noqa: E731
                                for v in variables]
    hidden = run(values(twin.trainable_variables), values(twin.non_trainable_variables),
                 call.inputs, call.kept, states)
    return np.asarray(keras.ops.convert_to_numpy(hidden), dtype=np.float32)


def _split_states(call, directions):
    """{direction: its initial states or None}: a Bidirectional gives the
    first half of its initial states to the forward layer."""
    states = call.initial_states
    if states is None:
        return dict.fromkeys(directions)
    if len(directions) == 1:
        return {"forward": states}
    half = len(states) // 2
    return {"forward": states[:half], "backward": states[half:]}


def _hidden(call, direction, part, info, states, compiled):
    """One direction's hidden sequence in processing order."""
    if info.return_sequences and (len(info.directions) == 1 or info.merge_mode in _MERGED):
        if len(info.directions) == 1:
            return call.output
        if info.merge_mode is None:   # (forward, backward) outputs
            half = call.output[info.directions.index(direction)]
        else:
            units = info.layout("forward").units
            half = call.output[..., :units] if direction == "forward" else call.output[..., units:]
        return half[:, ::-1] if part.go_backwards else half   # back to processing order
    return _recomputed(part, call, states, compiled)


def layer_gates(call, training, compiled):
    """{direction: {gate: (samples, timesteps, units)}} of one recurrent
    layer call (see the module docstring for time order and masks);
    `compiled`: a dict the caller keeps, for the backend's compiled runs."""
    info = rnn.info(call.layer)
    parts = rnn.parts(call.layer)
    if training and any(getattr(p.cell, "dropout", 0) or getattr(p.cell, "recurrent_dropout", 0)
                        for p in parts.values()):
        raise GatesUnavailableError(
            f"layer {call.layer.name!r} has dropout, and the inspector runs in training mode "
            f"(learning_phase=1): the gates the pass used depend on random dropout masks "
            f"that cannot be reproduced; use learning_phase=0 to see them")
    states = _split_states(call, info.directions)
    found = {}
    for direction, part in parts.items():
        layout = info.layout(direction)
        cell_vars = rnn.variables(call.layer)
        kernel, recurrent = (call.weights[cell_vars[(direction, k)].path]
                             for k in ("input", "recurrent"))
        bias = call.weights[cell_vars[(direction, "bias")].path] if "bias" in layout.kernels \
            else None
        hidden = np.asarray(_hidden(call, direction, part, info, states[direction], compiled),
                            np.float32)
        x, kept = call.inputs, call.kept
        if part.go_backwards:
            x = x[:, ::-1]
            kept = None if kept is None else kept[:, ::-1]
        h0 = np.zeros((x.shape[0], layout.units), np.float32) if states[direction] is None \
            else np.asarray(states[direction][0], np.float32)
        h_prev = previous_states(hidden, h0, kept)
        gates = cell_gates(layout.cell, part.cell, kernel, recurrent, bias, x, h_prev, compiled)
        if part.go_backwards and len(info.directions) == 2:
            gates = {g: v[:, ::-1] for g, v in gates.items()}   # back to input order
        found[direction] = gates
    return found


def gates_mask(call, info):
    """The masked timesteps in the gates' time order (see `layer_gates`)."""
    if call.kept is None:
        return None
    backwards = len(info.directions) == 1 and rnn.parts(call.layer)["forward"].go_backwards
    return call.kept[:, ::-1] if backwards else call.kept
