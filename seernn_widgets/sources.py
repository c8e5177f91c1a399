"""Sources over arrays the user already has, for the see-rnn style functions
(`seernn_widgets.visuals`): they answer the views' source protocol (the
metadata and array calls an `Inspector` answers, listed in the views'
docstrings) without a model pass.

- `ArraySource`: one fixed array as one pseudo-layer's 'outputs' - what
  `features_2D(grads)` shows. No labels, no weights, no history.
- `RNNWeightsSource`: an RNN layer's weight (or weight-gradient) list as
  see-rnn's `get_rnn_weights` / `get_gradients(mode='weights')` return it,
  split by the gate layout of the model's layer - what
  `rnn_heatmap(model, 'lstm', data=...)` shows.

`update(...)` replaces the numbers and redraws every view over the source.
"""
import dataclasses

import numpy as np

from . import rnn
from ._history import History

CHANNEL_AXES = (0, -1)


class _FixedSource:
    """What both sources share: one entry, no history, no training step,
    views told of `update`."""

    batch_size = None
    step = None   # no optimizer: nothing to scrub by

    def __init__(self, name):
        self.name = name
        self.history = History(0)
        self._listeners = []

    @property
    def layer_names(self):
        return [self.name]

    def entry_name(self, _id):
        """The one entry's name, for that name or index 0."""
        index = isinstance(_id, (int, np.integer)) and not isinstance(_id, bool)
        if (isinstance(_id, str) and _id == self.name) or (index and _id in (0, -1)):
            return self.name
        raise KeyError(f"{type(self).__name__} holds one entry, {self.name!r} "
                       f"(or index 0), got {_id!r}")

    def layer(self, _id):
        """No Keras layer stands behind an array."""
        self.entry_name(_id)
        return None

    def observe(self, callback):
        self._listeners.append(callback)

    def unobserve(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self):
        for callback in list(self._listeners):
            callback(self)

    @staticmethod
    def _latest_only(step):
        if step is not None:
            raise ValueError(f"a fixed array has no recorded steps, got step={step!r}")


class ArraySource(_FixedSource):
    """One array as the 'outputs' of one pseudo-layer named `name`.

    `data` is 2-D (samples, units) or 3-D (samples, timesteps, channels);
    with `channel_axis=0` it is given channels first, (units, samples) or
    (channels, timesteps, samples) (see-rnn's convention), and reversed.

    Example:
        source = ArraySource(get_gradients(model, 1, x, y), name="gradients")
        Features2D(source)
    """

    def __init__(self, data, name="array", channel_axis=-1):
        super().__init__(str(name))
        self.channel_axis = channel_axis
        self.data = self._checked(data)

    def _checked(self, data):
        data = np.asarray(data)
        if data.ndim not in (2, 3):
            raise ValueError(f"an array source takes a 2-D (samples, units) or 3-D "
                             f"(samples, timesteps, channels) array; got shape {data.shape}")
        if data.dtype == bool:
            data = data.astype(np.float32)
        if not (np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)):
            raise ValueError(f"an array source takes real numbers; got dtype {data.dtype}")
        if 0 in data.shape:
            raise ValueError(f"an array source needs at least one value; got shape {data.shape}")
        axis = self.channel_axis
        if isinstance(axis, bool) or axis not in (*CHANNEL_AXES, data.ndim - 1):
            raise ValueError(f"channel_axis must be 0 (channels first) or -1 (channels "
                             f"last), got {axis!r}")
        return data.T if axis == 0 else data

    def update(self, data):
        """New numbers (same rank); views over the source redraw."""
        data = self._checked(data)
        if data.ndim != self.data.ndim:
            raise ValueError(f"update needs a {self.data.ndim}-D array like the first, "
                             f"got shape {data.shape}")
        self.data = data
        self._notify()

    # -- metadata ---------------------------------------------------------------
    @property
    def batch_size(self):
        return self.data.shape[0]

    has_labels = False   # no loss behind it: mode 'outputs' only

    def output_shape(self, _id):
        self.entry_name(_id)
        return tuple(self.data.shape)

    def weight_names(self, _id):
        self.entry_name(_id)
        return []

    def weight_shapes(self, _id):
        self.entry_name(_id)
        return []

    def rnn_info(self, _id):
        self.entry_name(_id)
        return None

    def frozen(self, _id):
        self.entry_name(_id)
        return False

    def has_weight_gradients(self, _id):
        self.entry_name(_id)
        return False

    # -- arrays ---------------------------------------------------------------------
    def outputs(self, _id, step=None):
        self.entry_name(_id)
        self._latest_only(step)
        return self.data

    def mask(self, _id, step=None):
        self.entry_name(_id)
        return None

    def describe(self, _id, mode):
        """What a title calls the data: its name alone ('gradients', or the
        user's title), since 'outputs' is only how the views file it."""
        self.entry_name(_id)
        return self.name

    def gradients(self, _id, mode="outputs", step=None):
        raise ValueError(f"{self.name!r} is an array as given: it has no gradients "
                         f"(it is shown as 'outputs')")

    def weights(self, _id, step=None):
        self.entry_name(_id)
        return []

    def rnn(self, _id, kind="weights", step=None):
        raise ValueError(f"{self.name!r} is an array as given, not a recurrent layer")

    def __repr__(self):
        return f"ArraySource({self.name!r}, shape={self.data.shape})"


def rnn_arrays(info, data, shapes):
    """{(direction, kernel): array} of a see-rnn weight list: per direction
    (forward, then backward) its kernel, recurrent kernel and bias (when the
    cell has one), each whole or as a list of per-gate arrays
    (`concat_gates=False`). `shapes` are the layer's variable shapes, by the
    same keys; a GRU's per-gate bias (its input bias) has its row's shape."""
    slots = [(d, k) for d in info.directions for k in info.layout(d).kernels]
    if not isinstance(data, (list, tuple)) or len(data) != len(slots):
        got = f"{len(data)} arrays" if isinstance(data, (list, tuple)) else type(data).__name__
        raise ValueError(f"data must be a list of {len(slots)} arrays for layer "
                         f"{info.layer_name!r} ({info.describe()}): "
                         f"{', '.join(f'{d} {k}' for d, k in slots)}; got {got}")
    arrays = {}
    for (direction, kernel), value in zip(slots, data):
        if isinstance(value, (list, tuple)):   # per gate: side by side, as Keras keeps them
            value = np.concatenate([np.asarray(v) for v in value], axis=-1)
        value = np.asarray(value)
        shape = tuple(shapes[(direction, kernel)])
        if value.shape not in (shape, shape[1:] if len(shape) == 2 and kernel == "bias" else shape):
            raise ValueError(f"data's {direction} {kernel} has shape {value.shape}; layer "
                             f"{info.layer_name!r} ({info.describe()}) has {shape}")
        arrays[(direction, kernel)] = value
    return arrays


def _without_bias(info):
    """`info` with the biases left out of every direction's kernels."""
    def unbiased(layout):
        return dataclasses.replace(layout, kernels=tuple(k for k in layout.kernels if k != "bias"))
    layouts = tuple((d, unbiased(info.layout(d))) for d in info.directions)
    return dataclasses.replace(info, kernels=layouts[0][1].kernels, layouts=layouts)


class RNNWeightsSource(_FixedSource):
    """An RNN layer's weights (`kind='weights'`) or weight-gradients
    (`kind='gradients'`) as given, laid out by `info` (`rnn.RNNInfo` of the
    model's layer); `shapes` = {(direction, kernel): variable shape}.
    `show_bias=False` leaves the biases out.

    Example:
        source = RNNWeightsSource.of_layer(model.get_layer('lstm'), get_rnn_weights(model, 'lstm'))
        RNNHeatmap(source)
    """

    def __init__(self, info, data, shapes, kind="weights", show_bias=True):
        if kind not in ("weights", "gradients"):
            raise ValueError(f"kind must be 'weights' or 'gradients', got {kind!r}")
        super().__init__(info.layer_name)
        self.kind, self.show_bias = kind, bool(show_bias)
        self._full_info, self._shapes = info, shapes
        self.info = info if show_bias else _without_bias(info)
        self.arrays = self._split(data)

    @classmethod
    def of_layer(cls, layer, data, kind="weights", show_bias=True):
        """Laid out by a Keras RNN layer (or Bidirectional wrapper of one)."""
        shapes = {key: tuple(v.shape) for key, v in rnn.variables(layer).items()}
        return cls(rnn.info(layer), data, shapes, kind, show_bias)

    def _split(self, data):
        arrays = rnn_arrays(self._full_info, data, self._shapes)
        return {key: a for key, a in arrays.items() if key[1] in self.info.layout(key[0]).kernels}

    def update(self, data):
        """New numbers for the same layer; views over the source redraw."""
        self.arrays = self._split(data)
        self._notify()

    # -- metadata ---------------------------------------------------------------
    @property
    def has_labels(self):
        """Gradients are 'there' only when that is what was given."""
        return self.kind == "gradients"

    def output_shape(self, _id):
        self.entry_name(_id)
        return ()   # no output: the layer is shown by its weights

    def weight_names(self, _id):
        self.entry_name(_id)
        return [f"{d}/{k}" for d, k in self.arrays]

    def weight_shapes(self, _id):
        self.entry_name(_id)
        return [tuple(a.shape) for a in self.arrays.values()]

    def rnn_info(self, _id):
        self.entry_name(_id)
        return self.info

    def frozen(self, _id):
        self.entry_name(_id)
        return False

    def has_weight_gradients(self, _id):
        self.entry_name(_id)
        return self.kind == "gradients"

    # -- arrays ---------------------------------------------------------------------
    def rnn(self, _id, kind="weights", step=None):
        self.entry_name(_id)
        self._latest_only(step)
        if kind != self.kind:
            raise ValueError(f"this source holds the {self.kind} of {self.name!r} that were "
                             f"passed as data, not its {kind}")
        return rnn.RNNArrays(self.info, dict(self.arrays))

    def weights(self, _id, step=None):
        self.entry_name(_id)
        if self.kind != "weights":
            raise ValueError(f"this source holds the gradients of {self.name!r}, not its weights")
        return list(self.arrays.values())

    def gradients(self, _id, mode="outputs", step=None):
        self.entry_name(_id)
        if mode == "weights" and self.kind == "gradients":
            return list(self.arrays.values())
        raise ValueError(f"this source holds the {self.kind} of {self.name!r} that were "
                         f"passed as data; it has no {mode}-gradients")

    def outputs(self, _id, step=None):
        raise ValueError(f"this source holds the {self.kind} of {self.name!r}, not its outputs")

    def mask(self, _id, step=None):
        return None

    def __repr__(self):
        return f"RNNWeightsSource({self.name!r}, {self.info.describe()}, kind={self.kind!r})"
