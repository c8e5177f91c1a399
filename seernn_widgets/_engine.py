"""The traced forward+backward pass behind every inspection.

One `tf.function` per model computes, in a single pass, every entry's output
(see `_layers.entries`), the gradient of the compiled loss with respect to
each of those outputs, and the gradient with respect to every trainable
weight. TensorFlow retraces only for a new input signature; engines are
shared per model and hold it weakly, so a dropped model is collected.

How outputs get their gradients: a functional model's own graph is run node
by node (`Function._run_through_graph`, as `Functional.call` does); a
subclassed model's `call` runs as written while `_capture` catches the layer
calls it makes (its entries come from the first trace). Either way each
call's outputs pass through a watched identity "tap" before anything
downstream uses them. So every output is on the tape, also the output of a weightless
layer fed straight by an Input (Masking, Dropout, ...), and its gradient
counts exactly the paths that start at that call. A gradient the tape still
returns as None is structurally absent (the output does not reach the loss)
and is reported as None, never as zeros.

The model is never changed: no `layer.call` is replaced, and the state a pass
may touch (loss-metric trackers, stateful RNNs' states, dropout seeds; in
training mode also moving statistics) is saved before the pass and written
back after it, with Ctrl-C held until that is done.
"""
import contextlib
import inspect
import signal
import threading
import weakref
from collections import deque

import keras
import numpy as np
import tensorflow as tf
from keras import tree
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask
from keras.src.losses.loss import unscale_loss_for_distribution
from keras.src.models.functional import operation_fn
from keras.src.trainers.compile_utils import CompileLoss
from keras.src.trainers.trainer import Trainer

from . import _capture, _layers

_HALF = (tf.float16, tf.bfloat16)
_LOGIT_OPS = ("Softmax", "Sigmoid")


def _local_copies(variable):
    """[variable], or a distributed variable's copies on this worker."""
    value = getattr(variable, "value", variable)
    if isinstance(value, tf.distribute.DistributedValues):
        return list(value.distribute_strategy.experimental_local_results(value))
    return [variable]


def _widen(tensor):
    if tensor is None:
        return None
    return tf.cast(tensor, tf.float32) if tensor.dtype in _HALF else tensor


def _mask(tensor):
    """The Keras mask a layer attached to its output (False = a masked
    timestep), as float32 so a traced function can return it; None if none."""
    mask = get_keras_mask(tensor)
    return None if mask is None else tf.cast(mask, tf.float32)


def _dense(gradient):
    """Embedding weights get IndexedSlices: the dense array of the weight's shape."""
    return tf.convert_to_tensor(gradient) if isinstance(gradient, tf.IndexedSlices) else gradient


def _tap(tensor, tape):
    """A watched copy of `tensor` carrying its Keras mask and logits, so the
    layers downstream and the loss treat it as the original."""
    if not tensor.dtype.is_floating:
        return tensor            # integer outputs have no gradient
    tapped = tf.identity(tensor)
    if tape is not None:
        tape.watch(tapped)
    mask = get_keras_mask(tensor)
    if mask is not None:
        set_keras_mask(tapped, mask)
    logits = getattr(tensor, "_keras_logits", None)
    if logits is None and getattr(getattr(tensor, "op", None), "type", None) in _LOGIT_OPS:
        logits = tensor.op.inputs[0]   # Keras' losses read a Softmax op's input
    if logits is not None:
        tapped._keras_logits = logits
    return tapped


@contextlib.contextmanager
def held_interrupts():
    """Ctrl-C (SIGINT) waits until the block is done, then interrupts: a
    restore loop cut in half would leave the model changed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(*received[0])


def step_of(model):
    """The optimizer's iteration count (None without an optimizer). Every
    read of the model starts here: on JAX, inside `fit`, Keras keeps the
    training state apart and empties the variables until something asks for
    them, so it is written back first (a no-op once written, and elsewhere)."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()
    optimizer = getattr(model, "optimizer", None)
    return None if optimizer is None else int(optimizer.iterations.numpy())


class NotCompiledError(RuntimeError):
    """Gradients need a loss, and the model was never compiled with one."""


class Engine:
    """Traced passes over one model; see the module docstring."""

    def __init__(self, model, training):
        # weak: the engine cache must not keep a dropped model alive (a
        # functional model is its own graph)
        self._model = weakref.ref(model)
        graph = _layers.graph_of(model)
        self._graph = (lambda: None) if graph is None else weakref.ref(graph)
        self.training = bool(training)
        # a graph lists its calls; a subclassed model's come from `discover`
        self.entries = None if graph is None else _layers.entries(graph)
        self._calls = None          # the calls the first trace made (subclassed)
        self._reaching = None       # per entry: its output-gradient is not None
        self.loss_ancestors = None  # a graph's tensors on the loss's path (Inspector)
        self.trainable = list(model.trainable_variables)
        self._compile_loss = None   # see _private_compile_loss
        self.jit = False            # see _call
        self._xla_tried = False
        self._made_at_step = step_of(model)
        self._traced = {body: self._trace(body, False) for body in (self._outputs, self._full)}

    @staticmethod
    def _trace(body, jit):
        return tf.function(body, reduce_retracing=True, jit_compile=jit)

    @property
    def model(self):
        return self._model()

    @property
    def graph(self):
        return self._graph()

    @property
    def names(self):
        return [entry.name for entry in self.entries]

    # -- what a model without a graph calls ------------------------------------
    def discover(self, x):
        """The entries (`_layers.Entry`) of a subclassed model: its layer
        calls on `x`, read off a trace of the forward pass (nothing runs)."""
        if self.entries is None:
            self._check_built()
            self._traced[self._outputs].get_concrete_function(x)
            self.entries = _layers.traced_entries(self._calls)
        return self.entries

    def reaching(self, x, y, sample_weight):
        """[bool] per entry: whether its output reaches the loss, read off a
        trace of the full pass (None gradients are structural)."""
        if self._reaching is None:
            self.discover(x)
            self._private_compile_loss(y)
            self._traced[self._full].get_concrete_function(x, y, sample_weight, False)
        return self._reaching

    def _check_built(self):
        model = self.model
        if not model.built:
            raise ValueError(
                f"model {model.name!r} ({type(model).__name__}) has not been built, so its "
                f"layers have no weights yet: call it once (model(x), model.predict(x) or "
                f"model.fit) before inspecting it")

    # -- the traced bodies ---------------------------------------------------
    def _forward(self, x, tap):
        """(y_pred, [tapped output per entry]) from one run of the model,
        each layer call's outputs passed through `tap(tensor, Entry.key)`
        before anything downstream reads them."""
        if self.graph is None:
            return self._forward_captured(x, tap)
        pending = {}   # id(operation) -> its call nodes, in the order they run
        for node in _layers.run_order(self.graph):
            pending.setdefault(id(node.operation), deque()).append(node)
        tapped = {}    # id(node) -> its tapped outputs

        def tapping(operation):
            call = operation_fn(operation, training=self.training)

            def run(*args, **kwargs):
                outputs = call(*args, **kwargs)
                node = pending[id(operation)].popleft()
                flat = [tap(t, (id(node), i)) for i, t in enumerate(tree.flatten(outputs))]
                tapped[id(node)] = flat
                return tree.pack_sequence_as(outputs, flat)
            return run

        inputs = self.graph._standardize_inputs(x)
        y_pred = self.graph._run_through_graph(inputs, operation_fn=tapping)
        if isinstance(y_pred, (list, tuple)) and len(y_pred) == 1:
            y_pred = y_pred[0]   # as Functional.call returns it
        return y_pred, [tapped[id(e.node)][e.index] for e in self.entries]

    def _forward_captured(self, x, tap):
        """`_forward` of a model without a graph: its own `call`, each layer
        call it makes tapped (`_capture`)."""
        with _capture.capturing(self.model, tap) as record:
            y_pred = self.model(x, training=self.training)
        if self._calls is None:   # the first trace: `discover`
            self._calls = record.calls
            self._y_pred_spec = tree.map_structure(
                lambda t: keras.KerasTensor(t.shape, t.dtype), y_pred)
        entries = self.entries or _layers.traced_entries(record.calls)
        outputs = {(id(c.layer), c.number - 1): c.outputs for c in record.calls}
        return y_pred, [outputs[(id(e.layer), e.call)][e.index] for e in entries]

    def _outputs(self, x):
        _, outs = self._forward(x, lambda t, key: _tap(t, None))
        return [_widen(t) for t in outs], [_mask(t) for t in outs]

    def _private_compile_loss(self, y):
        """A never-fit model's compiled loss is not built yet, and building
        it adds per-output loss trackers (variables) to the model: use an
        equal CompileLoss of our own then, built here, outside the trace."""
        model = self.model
        theirs = getattr(model, "_compile_loss", None)
        overridden = type(model).compute_loss is not Trainer.compute_loss
        if theirs is None or theirs.built or overridden or self._compile_loss is not None:
            return
        ours = CompileLoss(theirs._user_loss, theirs._user_loss_weights,
                           theirs.reduction, theirs.output_names)
        ours.build(y, self._symbolic_outputs(y))
        self._compile_loss = ours

    def _symbolic_outputs(self, y):
        """The model's outputs as KerasTensors (what CompileLoss.build reads)."""
        graph = self.graph
        if graph is None:   # as `discover`'s trace returned them
            return self._y_pred_spec
        outputs = tree.pack_sequence_as(graph._outputs_struct, graph.outputs)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    def _loss(self, x, y, y_pred, sample_weight):
        """The compiled loss on the whole batch. Inside a distribution
        strategy's scope Keras scales it by 1/replicas (each replica's share
        of a global batch): undone, as Keras' own train_step does for its
        loss tracker, since the inspector's batch is not split."""
        model = self.model
        if self._compile_loss is not None:   # Trainer.compute_loss, on our CompileLoss
            losses = [self._compile_loss(y, y_pred, sample_weight)]
            losses += [model._aggregate_additional_loss(loss) for loss in model.losses]
            loss = sum(loss for loss in losses[1:] if loss is not None) + losses[0]
        else:
            kwargs = dict(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
            if "training" in inspect.signature(model.compute_loss).parameters:
                kwargs["training"] = self.training
            loss = model.compute_loss(**kwargs)
        return unscale_loss_for_distribution(loss)

    def _full(self, x, y, sample_weight, weight_gradients):
        # weight-gradients roughly double the backward pass: only when asked;
        # a distributed variable: w.r.t. the copy this worker's pass reads
        weights = [_local_copies(v)[0] for v in self.trainable] if weight_gradients else []
        with tf.GradientTape() as tape:
            y_pred, outs = self._forward(x, lambda t, key: _tap(t, tape))
            loss = self._loss(x, y, y_pred, sample_weight)
        floating = [i for i, t in enumerate(outs) if t.dtype.is_floating]
        grads, weight_grads = tape.gradient(loss, [[outs[i] for i in floating], weights])
        out_grads = [None] * len(outs)   # integer outputs have none
        for i, grad in zip(floating, grads):
            out_grads[i] = grad
        for i, own in self._own_gradients(x, y, y_pred, sample_weight, outs).items():
            out_grads[i] = own if out_grads[i] is None else out_grads[i] + own
        self._reaching = [g is not None for g in out_grads]   # while tracing
        return ([_widen(t) for t in outs],
                [_widen(g) for g in out_grads],
                [_widen(_dense(g)) for g in weight_grads],
                _widen(loss), [_mask(t) for t in outs])

    def _own_gradients(self, x, y, y_pred, sample_weight, outs):
        """{entry index: gradient} for the model outputs whose loss Keras
        computes from logits (a cross-entropy on a softmax/sigmoid output):
        that loss never reads the output, so `fit`'s graph has no gradient
        for it. This is the gradient of the same loss written on the output
        itself (a copy cut from the graph, on a tape of its own, so nothing
        else, e.g. a regularizer, is counted twice); the caller adds the
        paths through other layers."""
        flat_pred = tree.flatten(y_pred)
        if not any(hasattr(t, "_keras_logits") for t in flat_pred):
            return {}
        copies = [tf.stop_gradient(t) for t in flat_pred]
        for copy, t in zip(copies, flat_pred):   # the loss masks as fit's does
            set_keras_mask(copy, get_keras_mask(t))
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(copies)
            loss = self._loss(x, y, tree.pack_sequence_as(y_pred, copies), sample_weight)
        grads = tape.gradient(loss, copies)
        return {i: grad for i, out in enumerate(outs)
                for t, copy, grad in zip(flat_pred, copies, grads)
                if t is out and hasattr(t, "_keras_logits") and grad is not None}

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
            variables += model.non_trainable_variables
        else:
            variables += [v for v in model.non_trainable_variables
                          if v.path.endswith("seed_generator_state")]
        # under a distribution strategy, this worker's own copies: reading a
        # sync-on-read metric whole is an all-reduce across workers, which
        # only the chief (recording) would join, and writing it back divides it
        return [copy for v in variables for copy in _local_copies(v)]

    def _call(self, body, *args):
        """Run a traced body. Once the model has trained since this engine
        was made (live refreshes during `fit`), the bodies are compiled by
        XLA: a pass is about 1.6x faster on CPU, but compiling costs seconds,
        too much for one look, and XLA rounds differently (~1e-7), which must
        not show as two values for the same weights. Where XLA cannot compile
        the model, passes stay plain."""
        if not self._xla_tried and step_of(self.model) != self._made_at_step:
            self._xla_tried = True
            xla = {b: self._trace(b, True) for b in self._traced}
            try:
                result = self._run(xla[body], *args)
            except Exception:   # noqa: BLE001 - plain raises again if the data is at fault
                return self._run(self._traced[body], *args)
            self.jit, self._traced = True, xla
            return result
        return self._run(self._traced[body], *args)

    def _run(self, fn, *args):
        with held_interrupts():
            variables = self._volatile_variables()
            saved = [v.numpy() for v in variables]
            try:
                # trace here, not in the call: TensorFlow counts traces made in
                # calls across every engine (one per model) and would warn of
                # "retracing" once a few models have been inspected
                fn.get_concrete_function(*args)
                return fn(*args)
            finally:
                for variable, value in zip(variables, saved):
                    variable.assign(value)

    # -- public ----------------------------------------------------------------
    def outputs(self, x):
        """Outputs and masks (see `full`)."""
        self.discover(x)
        outs, masks = self._call(self._outputs, x)
        return {"outputs": dict(zip(self.names, map(np.asarray, outs))),
                "masks": self._masks(masks)}

    def _masks(self, masks):
        return {name: np.asarray(m) > 0 for name, m in zip(self.names, masks) if m is not None}

    def full(self, x, y, sample_weight, weight_gradients=True):
        """Outputs, output-gradients (None where an output does not reach
        the loss), weight-gradients by variable path (None unless
        `weight_gradients`; a weight off the loss's path has None), the
        loss, and the masks: {entry: bool (samples, timesteps), False where
        masked} of the outputs carrying a Keras mask (Masking,
        Embedding(mask_zero=True) and the layers they propagate through)."""
        self.discover(x)
        self._private_compile_loss(y)
        outs, out_grads, weight_grads, loss, masks = self._call(
            self._full, x, y, sample_weight, bool(weight_gradients))
        return {
            "outputs": dict(zip(self.names, map(np.asarray, outs))),
            "output_gradients": {name: None if g is None else np.asarray(g)
                                 for name, g in zip(self.names, out_grads)},
            "weight_gradients": {v.path: None if g is None else np.asarray(g)
                                 for v, g in zip(self.trainable, weight_grads)}
            if weight_gradients else None,
            "loss": float(loss),
            "masks": self._masks(masks),
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
        per_model[key] = _engine_class()(model, training)
    return per_model[key]


def _engine_class():
    """The engine of Keras' backend: the gradient step differs, nothing else."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return Engine
    if backend == "jax":
        from ._engine_jax import JaxEngine
        return JaxEngine
    raise NotImplementedError(
        f"the Keras backend {backend!r} is not supported: use 'tensorflow' or 'jax' "
        f"(KERAS_BACKEND, set before keras is imported)")
