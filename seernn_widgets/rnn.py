"""Where an RNN layer keeps its kernels, gates and directions (Keras 3).

Keras 3 stores each cell's gates side by side along the last axis:
LSTM `kernel (in, 4u)`, `recurrent_kernel (u, 4u)`, `bias (4u,)` in gate order
i, f, c, o; GRU in order z, r, h, with a `(2, 3u)` bias when `reset_after=True`
(row 0 input bias, row 1 recurrent bias); SimpleRNN has no gates. A
`Bidirectional` wrapper holds a forward and a backward copy of the cell.
"""
from dataclasses import dataclass

import numpy as np

GATES = {
    "LSTM": ("i", "f", "c", "o"),
    "GRU": ("z", "r", "h"),
    "SimpleRNN": (),
}
GATE_LABELS = {"i": "input", "f": "forget", "c": "cell", "o": "output",
               "z": "update", "r": "reset", "h": "new"}
KERNELS = ("input", "recurrent", "bias")
_CELL_ATTRS = {"input": "kernel", "recurrent": "recurrent_kernel", "bias": "bias"}
_CELLS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}


class NotRecurrentError(TypeError):
    """An RNN view was asked of a layer that is not an LSTM/GRU/SimpleRNN."""


def _cell_type(rnn_layer):
    import keras  # here: a recorded run (runs.Run) reads RNNInfo without Keras
    cell = getattr(rnn_layer, "cell", None)
    for name, cell_type in _CELLS.items():
        if isinstance(cell, getattr(keras.layers, name)):
            return cell_type
    return None


def parts(layer):
    """{direction: the RNN layer running it} of an RNN layer or a Bidirectional."""
    import keras
    if isinstance(layer, keras.layers.Bidirectional):
        return {"forward": layer.forward_layer, "backward": layer.backward_layer}
    return {"forward": layer}


def cells(layer):
    """{direction: cell} for an RNN layer or a Bidirectional wrapper of one."""
    found = parts(layer)
    if all(_cell_type(part) for part in found.values()):
        return {direction: part.cell for direction, part in found.items()}
    raise NotRecurrentError(
        f"layer {layer.name!r} is a {type(layer).__name__}, not a recurrent "
        f"layer: RNN views take LSTM, GRU or SimpleRNN layers (or "
        f"Bidirectional wrappers of them, or keras.layers.RNN over their cells)")


def is_recurrent(layer):
    try:
        cells(layer)
        return True
    except NotRecurrentError:
        return False


@dataclass(frozen=True)
class CellLayout:
    """How one direction's cell lays out its kernels."""
    cell: str                   # 'LSTM', 'GRU' or 'SimpleRNN'
    units: int
    gates: tuple                # () for SimpleRNN
    kernels: tuple              # ('input', 'recurrent'[, 'bias'])


@dataclass(frozen=True)
class RNNInfo:
    """What a plot needs to label one RNN layer. `cell`, `units`, `gates`
    and `kernels` are the forward direction's; a Bidirectional's backward
    layer may differ (`layout(direction)`, `same_layout`)."""
    layer_name: str
    cell: str
    units: int
    gates: tuple
    directions: tuple           # ('forward',) or ('forward', 'backward')
    kernels: tuple
    merge_mode: str | None      # Bidirectional's merge_mode, else None
    return_sequences: bool
    layouts: tuple = ()         # ((direction, CellLayout), ...)

    def layout(self, direction):
        if direction not in self.directions:
            raise ValueError(f"direction must be one of {list(self.directions)} for layer "
                             f"{self.layer_name!r}, got {direction!r}")
        return dict(self.layouts).get(direction) or CellLayout(
            self.cell, self.units, self.gates, self.kernels)   # every direction alike

    @property
    def same_layout(self):
        """Whether every direction has the forward's cell type and size."""
        return len({layout for _, layout in self.layouts}) == 1

    def describe(self):
        """'LSTM(8) forward, GRU(4) backward'."""
        return ", ".join(f"{lay.cell}({lay.units}) {d}" for d, lay in self.layouts)


def _layout(rnn_layer):
    cell, cell_type = rnn_layer.cell, _cell_type(rnn_layer)
    return CellLayout(cell=cell_type, units=cell.units, gates=GATES[cell_type],
                      kernels=KERNELS if cell.use_bias else KERNELS[:2])


def info(layer):
    cells(layer)   # refuses a layer that is not recurrent
    layouts = {direction: _layout(part) for direction, part in parts(layer).items()}
    forward = layouts["forward"]
    return RNNInfo(
        layer_name=layer.name, cell=forward.cell, units=forward.units,
        gates=forward.gates, directions=tuple(layouts), kernels=forward.kernels,
        merge_mode=getattr(layer, "merge_mode", None),
        return_sequences=bool(parts(layer)["forward"].return_sequences),
        layouts=tuple(layouts.items()))


def variables(layer):
    """{(direction, kernel): keras Variable} of an RNN layer, each direction
    by its own cell."""
    layout = info(layer)
    return {(direction, kernel): getattr(cell, _CELL_ATTRS[kernel])
            for direction, cell in cells(layer).items()
            for kernel in layout.layout(direction).kernels}


def split_gates(array, n_gates):
    """Per-gate pieces of a kernel, split along its last axis."""
    if n_gates == 0:
        return [array]
    return np.split(np.asarray(array), n_gates, axis=-1)


@dataclass(frozen=True)
class RNNArrays:
    """One RNN layer's weights (or weight-gradients) by direction and kernel.

    `arrays[(direction, kernel)]` is the full matrix, gates side by side;
    `gate(direction, kernel, gate)` cuts one gate out of it.
    """
    info: RNNInfo
    arrays: dict

    def gate(self, direction, kernel, gate):
        layout = self.info.layout(direction)
        if gate not in layout.gates:
            raise ValueError(f"gate {gate!r} is not one of the {direction} {layout.cell}'s "
                             f"gates {list(layout.gates)}")
        return self.gates_of(direction, kernel)[layout.gates.index(gate)]

    def gates_of(self, direction, kernel):
        """[array per gate] (one piece, the whole matrix, for SimpleRNN),
        split by that direction's own cell."""
        return split_gates(self.arrays[(direction, kernel)],
                           len(self.info.layout(direction).gates))
