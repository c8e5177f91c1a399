"""The inspector's pass on Keras' JAX backend: the same forward (graph or
`_capture`, taps on every layer call) and the same loss as `_engine.Engine`,
with JAX's gradient step instead of a TensorFlow tape.

JAX differentiates functions, not tensors: each floating output gets a
zero array added (its "tap"), and `jax.value_and_grad` of the loss with
respect to the taps is dLoss/d(output) - exactly the paths that start at
that call, as the TensorFlow tape's watched identity gives. The pass runs
on the model's variables' values inside a `keras.StatelessScope`, so
nothing it assigns (metric trackers, seeds, stateful states) reaches the
model. One jitted function per (model, level); XLA rounds like `fit` does.

Whether an output reaches the loss is read off the jaxpr: an output whose
tap the loss does not depend on (dead-code elimination keeps no use of it)
has no gradient, reported as None, never as zeros.
"""
import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax._src.interpreters import partial_eval as pe
from keras import tree
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask

from . import _engine, _layers


def _floating(t):
    return keras.backend.is_float_dtype(keras.backend.standardize_dtype(t.dtype))


def _widen(t):
    return None if t is None else (t.astype(jnp.float32) if _floating(t) else t)


def _mask(t):
    mask = get_keras_mask(t)
    return None if mask is None else jnp.asarray(mask, jnp.float32)


def _arrays(data):
    """The inspector's batch (TensorFlow tensors) as NumPy arrays."""
    return None if data is None else tree.map_structure(np.asarray, data)


class JaxEngine(_engine.Engine):
    """`_engine.Engine` on the JAX backend (see the module docstring)."""

    def __init__(self, model, training):
        self._jit_cache = {}   # (what, weight_gradients) -> jitted function
        self._shapes = {}      # input shapes -> the entries with those shapes
        super().__init__(model, training)

    @staticmethod
    def _trace(body, jit):
        return body     # JAX traces in `_call`

    def _values(self):
        model = self.model
        return ([v.value for v in model.trainable_variables],
                [v.value for v in model.non_trainable_variables])

    def _mapping(self, trainable, non_trainable):
        model = self.model
        return (list(zip(model.trainable_variables, trainable))
                + list(zip(model.non_trainable_variables, non_trainable)))

    def _run_model(self, trainable, non_trainable, x, tap):
        """(y_pred, outs, activity losses) of the model on the given values."""
        with keras.StatelessScope(state_mapping=self._mapping(trainable, non_trainable),
                                  collect_losses=True) as scope:
            y_pred, outs = self._forward(x, tap)
        return y_pred, outs, list(scope.losses)

    def _tapper(self, taps):
        """A `_forward` tap adding taps[entry] to each floating output (None:
        no taps, while the entries are found)."""
        index = {} if taps is None else {e.key: i for i, e in enumerate(self.entries)}

        def tap(t, key):
            i = index.get(key)
            if i is None or taps[i] is None:
                return t
            tapped = t + taps[i]
            mask = get_keras_mask(t)
            if mask is not None:
                set_keras_mask(tapped, mask)
            return tapped
        return tap

    # -- entries and reachability --------------------------------------------------
    def discover(self, x):
        if self.entries is None:
            self._check_built()
            trainable, non_trainable = self._values()
            x = _arrays(x)

            def forward(trainable, non_trainable, x):
                y_pred, _, _ = self._run_model(trainable, non_trainable, x, self._tapper(None))
                return y_pred
            jax.eval_shape(forward, trainable, non_trainable, x)
            self.entries = _layers.traced_entries(self._calls)
        return self.entries

    def _zero_taps(self, x):
        return [jnp.zeros(e.shape, e.dtype) if _floating(e) else None
                for e in self._shaped_entries(x)]

    def _shaped_entries(self, x):
        """The entries with the shapes of batch `x` (a graph's symbolic shapes
        have None for the batch axis; inspectors of one model may differ)."""
        x = _arrays(x)
        key = tuple(tuple(a.shape) for a in tree.flatten(x))
        if key not in self._shapes:
            trainable, non_trainable = self._values()

            def forward(trainable, non_trainable, x):
                return self._run_model(trainable, non_trainable, x, self._tapper(None))[1]
            shapes = jax.eval_shape(forward, trainable, non_trainable, x)
            self._shapes[key] = [
                _layers.Entry(e.name, e.layer, e.call, e.index, tuple(s.shape),
                              keras.backend.standardize_dtype(s.dtype))
                for e, s in zip(self.entries, shapes)]
        return self._shapes[key]

    def reaching(self, x, y, sample_weight):
        if self._reaching is None:
            self.discover(x)
            self._private_compile_loss(y)
            trainable, non_trainable = self._values()
            taps = self._zero_taps(x)
            closed = jax.make_jaxpr(
                lambda taps: self._loss_of(trainable, non_trainable, taps,
                                           *map(_arrays, (x, y, sample_weight)))[0])(taps)
            _, used = pe.dce_jaxpr(closed.jaxpr, [True])
            used = iter(used)
            self._reaching = [tap is not None and next(used) for tap in taps]
        return self._reaching

    # -- the pass ---------------------------------------------------------------------
    def _loss_of(self, trainable, non_trainable, taps, x, y, sample_weight):
        """(loss, (outs, masks)): `fit`'s loss on these values, activity and
        weight regularizers included (as JAXTrainer.compute_loss_and_updates)."""
        model = self.model
        y_pred, outs, losses = self._run_model(trainable, non_trainable, x, self._tapper(taps))
        saved = model._losses_override
        model._losses_override = losses
        try:
            with keras.StatelessScope(state_mapping=self._mapping(trainable, non_trainable)):
                loss = self._loss(x, y, y_pred, sample_weight)
        finally:
            model._losses_override = saved
        return loss, (outs, [_mask(t) for t in outs])

    def _jitted(self, name, make):
        if name not in self._jit_cache:
            self._jit_cache[name] = jax.jit(make())
        return self._jit_cache[name]

    def _call(self, body, *args):
        self.jit = True
        trainable, non_trainable = self._values()
        if body == self._outputs:
            (x,) = args

            def outputs(trainable, non_trainable, x):
                _, outs, _ = self._run_model(trainable, non_trainable, x, self._tapper(None))
                return [_widen(t) for t in outs], [_mask(t) for t in outs]
            fn = self._jitted("outputs", lambda: outputs)
            return fn(trainable, non_trainable, _arrays(x))
        x, y, sample_weight, weight_gradients = args
        reaching = self.reaching(x, y, sample_weight)
        grad = self._jitted(("full", weight_gradients), lambda: jax.value_and_grad(
            self._loss_of, argnums=(0, 2) if weight_gradients else (2,), has_aux=True))
        taps = self._zero_taps(x)
        (loss, (outs, masks)), grads = grad(trainable, non_trainable, taps,
                                            *map(_arrays, (x, y, sample_weight)))
        tap_grads = grads[-1]
        out_grads = [g if reached else None for g, reached in zip(tap_grads, reaching)]
        weight_grads = grads[0] if weight_gradients else []
        return ([_widen(t) for t in outs], [_widen(g) for g in out_grads],
                [_widen(g) for g in weight_grads], loss, masks)
