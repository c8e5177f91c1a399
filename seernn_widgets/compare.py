"""`Difference`: two sources (Inspectors or recorded Runs) of one model
layout as one source whose arrays are `a - b`; what a view's `compare=`
shows. Every view draws it with its usual controls and colour scale, so
`Features2D(run_a, 'lstm', compare=run_b)` shows where, per unit and
timestep, the two runs' outputs part, and `WeightNorms(run_a, compare=run_b)`
the column norms of w_a - w_b: how far apart the runs' weights are, step by
step. Keras-free."""
import numpy as np

from . import rnn


class Difference:
    """a - b, array by array, of two sources of the same entries, shapes,
    gate layouts and probe batch size.

    Steps: two recorded runs are compared at the steps both hold (`steps`);
    the latest is the latest common one. Sources without recorded steps
    (Inspectors: live models) are compared as they are now, or at a step
    both still hold in their history.
    """

    is_difference = True

    def __init__(self, a, b):
        if a is b:
            raise ValueError("compare= needs another source than the view's own")
        self.a, self.b = a, b
        names = [n for n in a.layer_names if n in b.layer_names]
        mismatched = [n for n in names if tuple(a.output_shape(n)) != tuple(b.output_shape(n))
                      or a.rnn_info(n) != b.rnn_info(n)
                      or list(a.weight_shapes(n)) != list(b.weight_shapes(n))]
        if not names or mismatched or a.batch_size != b.batch_size:
            raise ValueError(
                f"compare= needs two sources of one model layout on probe batches of one size: "
                f"{a.name!r} ({a.batch_size} samples; layers {a.layer_names}) and {b.name!r} "
                f"({b.batch_size} samples; layers {b.layer_names})"
                + (f"; these differ in shape or gate layout: {mismatched}" if mismatched else ""))
        self._names = names
        self._relays = {}   # a view's callback -> what a and b call

    # -- the source protocol ---------------------------------------------------
    @property
    def name(self):
        return f"{self.a.name} - {self.b.name}"

    @property
    def layer_names(self):
        return list(self._names)

    @property
    def batch_size(self):
        return self.a.batch_size

    @property
    def has_labels(self):
        return self.a.has_labels and self.b.has_labels

    @property
    def steps(self):
        """The steps both hold (recorded runs), oldest first; None for live sources."""
        a, b = (getattr(s, "steps", None) for s in (self.a, self.b))
        if a is None or b is None:
            return None
        return sorted(set(a) & set(b))

    @property
    def history(self):
        return _Steps(self._common_history())

    def _common_history(self):
        return sorted(set(self.a.history.steps) & set(self.b.history.steps))

    @property
    def step(self):
        steps = self.steps
        if steps is not None:
            return steps[-1] if steps else None
        return self.a.step if self.a.step == self.b.step else None

    def _at(self, step):
        """The step to read both at: a run's latest common step for None."""
        if step is None and self.steps is not None:
            if not self.steps:
                raise KeyError(f"{self.a.name!r} and {self.b.name!r} hold no common step "
                               f"to compare")
            return self.steps[-1]
        return step

    def entry_name(self, _id):
        name = self.a.entry_name(_id)
        if name not in self._names:
            raise KeyError(f"{name!r} is not in both {self.a.name!r} and {self.b.name!r}; "
                           f"common layers: {self._names}")
        return name

    def output_shape(self, _id):
        return self.a.output_shape(_id)

    def weight_names(self, _id):
        return self.a.weight_names(_id)

    def weight_shapes(self, _id):
        return self.a.weight_shapes(_id)

    def rnn_info(self, _id):
        return self.a.rnn_info(_id)

    def frozen(self, _id):
        return self.a.frozen(_id) or self.b.frozen(_id)

    def reaches_loss(self, _id):
        return self.a.reaches_loss(_id) and self.b.reaches_loss(_id)

    def has_weight_gradients(self, _id):
        return self.a.has_weight_gradients(_id) and self.b.has_weight_gradients(_id)

    # -- arrays: a - b ---------------------------------------------------------------
    def outputs(self, layer, step=None):
        step = self._at(step)
        return _minus(self.a.outputs(layer, step), self.b.outputs(layer, step))

    def gradients(self, layer, mode="outputs", step=None):
        step = self._at(step)
        a, b = self.a.gradients(layer, mode, step), self.b.gradients(layer, mode, step)
        return _minus(a, b) if mode == "outputs" else [_minus(x, y) for x, y in zip(a, b)]

    def weights(self, layer, step=None):
        step = self._at(step)
        return [_minus(x, y) for x, y in zip(self.a.weights(layer, step),
                                             self.b.weights(layer, step))]

    def rnn(self, layer, kind="weights", step=None):
        step = self._at(step)
        a, b = self.a.rnn(layer, kind, step), self.b.rnn(layer, kind, step)
        return rnn.RNNArrays(info=a.info, arrays={k: _minus(v, b.arrays[k])
                                                  for k, v in a.arrays.items()})

    def mask(self, layer, step=None):
        """Kept where both keep the timestep."""
        step = self._at(step)
        a, b = self.a.mask(layer, step), self.b.mask(layer, step)
        if a is None or b is None:
            return a if b is None else b
        return a & b

    def logs(self, step):
        return {"a": self.a.logs(step), "b": self.b.logs(step)}

    # -- observers ------------------------------------------------------------------
    def observe(self, callback):
        """`callback(self)` when either source has new numbers."""
        relay = self._relays[callback] = lambda _source: callback(self)
        self.a.observe(relay)
        self.b.observe(relay)

    def unobserve(self, callback):
        relay = self._relays.pop(callback, None)
        if relay is not None:
            self.a.unobserve(relay)
            self.b.unobserve(relay)


class _Steps:
    """What a view's step control reads (`history.steps`)."""

    def __init__(self, steps):
        self.steps = steps


def _minus(a, b):
    return np.asarray(a, np.float32) - np.asarray(b, np.float32)
