"""The traced forward+backward pass behind every inspection.

One `tf.function` per model computes, in a single pass, every inspectable
layer's output, the gradient of the compiled loss with respect to each of those
outputs, and the gradient with respect to every trainable weight. TensorFlow
retraces only for a new input signature; engines are shared per model.

The model is never changed: layers are called through a functional sub-model
that shares them (no patched `layer.call`), and the state a pass may touch
(loss-metric trackers; in training mode also moving statistics and dropout seeds)
is saved before the pass and written back after it, even when it fails.
"""
import inspect
import weakref

import keras
import numpy as np
import tensorflow as tf
from keras import tree

from . import _layers

_HALF = (tf.float16, tf.bfloat16)


def _widen(tensor):
    return tf.cast(tensor, tf.float32) if tensor.dtype in _HALF else tensor


def _mask(tensor):
    """The Keras mask a layer attached to its output (False = a masked
    timestep), as float32 so a traced function can return it; None if none."""
    mask = getattr(tensor, "_keras_mask", None)
    return None if mask is None else tf.cast(mask, tf.float32)


def _zeros_if_none(grads, like):
    return [tf.zeros_like(t) if g is None else g for g, t in zip(grads, like)]


def _output_in(model, layer):
    """The layer's output in `model`'s graph, read off its call node: a
    nested model's `.output` is its own inner graph's output instead."""
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return layer.output
    for node in reversed(nodes):  # shared layers: the call `model` reaches
        outputs = node.output_tensors
        outputs = outputs[0] if len(outputs) == 1 else outputs
        if len(nodes) == 1:
            return outputs
        try:
            keras.Model(model.inputs, outputs)
            return outputs
        except ValueError:
            continue
    return layer.output


class NotCompiledError(RuntimeError):
    """Gradients need a loss, and the model was never compiled with one."""


class Engine:
    """Traced passes over one model; see the module docstring."""

    def __init__(self, model, training):
        self.model = model
        self.training = bool(training)
        self.layers = _layers.output_layers(model)
        self.trainable = list(model.trainable_variables)
        self._submodel = None
        self._outputs_fn = tf.function(self._outputs, reduce_retracing=True)
        self._full_fn = tf.function(self._full, reduce_retracing=True)

    # -- the traced bodies ---------------------------------------------------
    def submodel(self):
        """Functional model sharing the layers, returning (y_pred, outputs)."""
        if self._submodel is None:
            model = self.model
            try:
                # Sequential has no `.output` of its own, only `.outputs`
                y_pred = (model.outputs[0] if isinstance(model, keras.Sequential)
                          else model.output)
                layer_outputs = [_output_in(model, layer) for layer in self.layers]
                self._submodel = keras.Model(model.inputs, [y_pred, layer_outputs])
            except (AttributeError, ValueError) as e:
                raise TypeError(
                    f"cannot inspect layer outputs of {type(model).__name__} "
                    f"{model.name!r}: only functional and Sequential models "
                    f"with a known input shape (every layer called once) are "
                    f"supported ({e})") from e
        return self._submodel

    def _call(self, x):
        return self._submodel(x, training=self.training)

    def _outputs(self, x):
        _, outs = self._call(x)
        return [_widen(t) for t in outs], [_mask(t) for t in outs]

    def _loss(self, x, y, y_pred, sample_weight):
        kwargs = dict(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
        if "training" in inspect.signature(self.model.compute_loss).parameters:
            kwargs["training"] = self.training
        return self.model.compute_loss(**kwargs)

    def _full(self, x, y, sample_weight, weight_gradients):
        # weight-gradients roughly double the backward pass: only when asked
        weights = self.trainable if weight_gradients else []
        with tf.GradientTape() as tape:
            y_pred, outs = self._call(x)
            loss = self._loss(x, y, y_pred, sample_weight)
            # Keras computes a cross-entropy on a softmax/sigmoid output from
            # its logits, so the loss has no gradient w.r.t. that output: take
            # it from the same loss written on the output itself (a copy
            # without the logits Keras attached; cut from the graph, so one
            # gradient call of the sum gives both)
            flat_pred = tree.flatten(y_pred)
            via_logits = [hasattr(t, "_keras_logits") for t in flat_pred]
            own, own_loss = [], 0.0
            if any(via_logits):
                own = [tf.stop_gradient(t) for t in flat_pred]
                tape.watch(own)
                own_loss = self._loss(x, y, tree.pack_sequence_as(y_pred, own), sample_weight)
            total = loss + own_loss
        out_grads, weight_grads, own_grads = tape.gradient(total, [outs, weights, own])
        if own:
            out_grads = [next((g for t, g, v in zip(flat_pred, own_grads, via_logits)
                               if v and t is out), grad)
                         for out, grad in zip(outs, out_grads)]
        return ([_widen(t) for t in outs],
                [_widen(g) for g in _zeros_if_none(out_grads, outs)],
                [_widen(g) for g in _zeros_if_none(weight_grads, weights)],
                _widen(loss), [_mask(t) for t in outs])

    # -- state that a pass may touch, saved and put back ---------------------
    def _volatile_variables(self):
        """State a pass may move: metric trackers, stateful RNNs' states,
        dropout seeds; in training mode every non-trainable variable."""
        model = self.model
        variables = list(model.metrics_variables)
        for layer in _layers.all_layers(model):
            if getattr(layer, "stateful", False):
                variables += [s for s in getattr(layer, "states", None) or []
                              if isinstance(s, keras.Variable)]
        if self.training:
            return variables + model.non_trainable_variables
        return variables + [v for v in model.non_trainable_variables
                            if v.path.endswith("seed_generator_state")]

    def _run(self, fn, *args):
        variables = self._volatile_variables()
        saved = [v.numpy() for v in variables]
        try:
            return fn(*args)
        finally:
            for variable, value in zip(variables, saved):
                variable.assign(value)

    # -- public ----------------------------------------------------------------
    def outputs(self, x):
        """Outputs and masks (see `full`)."""
        self.submodel()
        outs, masks = self._run(self._outputs_fn, x)
        names = [layer.name for layer in self.layers]
        return {"outputs": dict(zip(names, map(np.asarray, outs))),
                "masks": self._masks(names, masks)}

    @staticmethod
    def _masks(names, masks):
        return {name: np.asarray(m) > 0 for name, m in zip(names, masks) if m is not None}

    def full(self, x, y, sample_weight, weight_gradients=True):
        """Outputs, output-gradients, weight-gradients by variable path (None
        unless `weight_gradients`), the loss, and the masks: {layer name:
        bool (samples, timesteps), False where masked} of the layers whose
        output carries a Keras mask (Masking, Embedding(mask_zero=True) and
        the layers they propagate through)."""
        if not self.model.compiled:
            raise NotCompiledError(
                f"model {self.model.name!r} is not compiled, so it has no loss "
                f"to differentiate: call model.compile(optimizer, loss=...) "
                f"first (or ask only for outputs/weights)")
        self.submodel()
        outs, out_grads, weight_grads, loss, masks = self._run(
            self._full_fn, x, y, sample_weight, bool(weight_gradients))
        names = [layer.name for layer in self.layers]
        return {
            "outputs": dict(zip(names, map(np.asarray, outs))),
            "output_gradients": dict(zip(names, map(np.asarray, out_grads))),
            "weight_gradients": {v.path: np.asarray(g)
                                 for v, g in zip(self.trainable, weight_grads)}
            if weight_gradients else None,
            "loss": float(loss),
            "masks": self._masks(names, masks),
        }


_engines = weakref.WeakKeyDictionary()


def _signature(model, training):
    """What a traced pass depends on besides the input signature."""
    return (bool(training), id(getattr(model, "_compile_loss", None)),
            tuple(v.path for v in model.trainable_variables))


def engine_for(model, training=False):
    """The shared engine of `model`, rebuilt if it was recompiled or its
    trainable weights changed (e.g. a layer was frozen)."""
    per_model = _engines.setdefault(model, {})
    key = _signature(model, training)
    if key not in per_model:
        per_model[key] = Engine(model, training)
    return per_model[key]

