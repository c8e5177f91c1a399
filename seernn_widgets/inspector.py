"""`Inspector`: the arrays every widget shares, computed once per change."""
import contextlib

import keras
import numpy as np
from keras import tree

from . import _data, _engine, _gates, _layers, rnn
from ._history import History
from ._source import (  # noqa: F401  (re-exported: inspector.NoGradientError, ...)
    GRADIENT_MODES,
    RNN_KINDS,
    FrozenLayerError,
    NoGradientError,
    check_choice,
)

# what a pass computes, cheapest first; each level includes the ones before
LEVELS = ("outputs", "output_gradients", "weight_gradients")


class Inspector:
    """Layer outputs, gradients and weights of `model` on one batch.

    Example:
        insp = Inspector(model, x, y)
        insp.outputs('lstm')                   # (batch, timesteps, units)
        insp.gradients('lstm')                 # dLoss/d(output), same shape
        insp.rnn('lstm').gate('forward', 'recurrent', 'f')

    One traced forward+backward pass fills a cache with every layer's output,
    output-gradient and the weight-gradients; every later request, from any
    widget, reads that cache. The cache is dropped by `refresh()` and, by
    itself, whenever `model.optimizer.iterations` has moved (so after `fit`,
    `train_on_batch` or `optimizer.apply_gradients`). Weights changed any other
    way (`set_weights`, `assign`) need `refresh()`.

    Memory: the batch is cut to `max_samples` samples (with a warning), and
    the history keeps at most `history` past snapshots and `history_max_bytes`
    of them (1 GiB; the newest always; `history.nbytes(step)` tells one's
    size).

    The model is never changed: no weights, optimizer state, metrics,
    stateful-RNN states or `layer.call` are touched. `learning_phase=1` runs layers in training mode
    (dropout on); state that mode would update is put back after each pass.
    """

    _steady = False   # see steady()

    def __init__(self, model, input_data, labels=None, sample_weight=None,
                 learning_phase=0, history=8, history_max_bytes=2 ** 30,
                 max_samples=64):
        check_choice("learning_phase", learning_phase, (0, 1))
        if max_samples is not None and (isinstance(max_samples, bool)
                                        or not isinstance(max_samples, int) or max_samples < 1):
            raise ValueError(f"max_samples must be None (keep every sample) or an int "
                             f">= 1, got {max_samples!r}")
        self.model = model
        self.learning_phase = int(learning_phase)
        x, y, sample_weight = _data.first_batch(input_data, labels, sample_weight)
        x, y, sample_weight = _data.as_arrays(x, y, sample_weight, model)
        self.x, self.y, self.sample_weight = _data.limit_samples(
            tuple(map(_data.to_tensors, (x, y, sample_weight))), max_samples)
        self.batch_size = _data.batch_size(self.x)
        _data.check_inputs(self.x, model)
        self._check_labels()
        self._entries = None     # {name: _layers.Entry}, on first use
        self._rnn_infos = {}     # id(layer) -> (layer, rnn_info)
        self._compiled_gates = {}   # the backend's compiled gate runs (see _gates)
        self.compute_count = 0   # forward(+backward) passes run so far
        self._snapshot = {}      # what was computed since the last change
        self._level = 0          # index in LEVELS of the most ever asked for
        self._asked = set()      # 'weights' and/or 'pass', once asked for
        self._seen_step = self.step
        self._listeners = []
        self.history = History(history, history_max_bytes)  # past steps, for scrubbing

    # -- what is there --------------------------------------------------------
    @property
    def entries(self):
        """{entry name: `_layers.Entry`}: every output of every layer call."""
        if self._entries is None:
            self._entries = {e.name: e for e in self._engine().discover(self.x)
                             if not _layers.is_input_layer(e.layer)}
        return self._entries

    def _engine(self):
        return _engine.engine_for(self.model, self.learning_phase)

    @property
    def layer_names(self):
        """Ids of the inspectable outputs, in model order: 'lstm', and for a
        layer with several outputs 'lstm[1]', ...; for later calls of a
        shared layer 'enc#2', ... (see `_layers`)."""
        return list(self.entries)

    @property
    def name(self):
        return self.model.name

    @property
    def has_labels(self):
        """Whether gradients can be computed: labels and a compiled loss."""
        return self._has_loss()

    @property
    def step(self):
        """The optimizer's iteration count (None for an uncompiled model)."""
        return _engine.step_of(self.model)

    def layer(self, _id):
        """The Keras layer for an index, an entry or (partial) layer name,
        or a layer object."""
        if isinstance(_id, keras.layers.Layer):
            if _id not in self.model.layers and not any(
                    _id is entry.layer for entry in self.entries.values()):   # nested ones
                raise _layers.LayerNotFoundError(
                    f"layer {_id.name!r} is not in model {self.model.name!r}; "
                    f"{_layers.describe_choices(self.model)}")
            return _id
        if isinstance(_id, str) and _id in self.entries:
            return self.entries[_id].layer
        try:
            return _layers.find_layer(self.model, _id)
        except _layers.LayerNotFoundError:
            # a layer inside a layer of a subclassed model, by part of its name
            found = (e.layer for e in self.entries.values()
                     if isinstance(_id, str) and _id in e.layer.name)
            layer = next(found, None)
            if layer is None:
                raise
            return layer

    def entry(self, _id):
        """The `_layers.Entry` an id names (a layer's first output for an
        index, a layer name or a layer object)."""
        if isinstance(_id, str) and _id in self.entries:
            return self.entries[_id]
        layer = self.layer(_id)
        if _layers.is_input_layer(layer):
            raise _layers.LayerNotFoundError(
                f"{layer.name!r} is an InputLayer, which has no output to "
                f"inspect; choose one of {self.layer_names}")
        for entry in self.entries.values():
            if entry.layer is layer:
                return entry
        raise _layers.LayerNotFoundError(
            f"layer {layer.name!r} is never called in model {self.model.name!r}'s "
            f"graph, so it has no output; choose one of {self.layer_names}")

    def entry_name(self, _id):
        return self.entry(_id).name

    # -- what the views need to know, without computing ------------------------
    def output_shape(self, _id):
        """Shape of the entry's output on the batch, as computed (Keras'
        symbolic shape can be wrong, e.g. for a Bidirectional whose backward
        layer has other units)."""
        return self.outputs(_id).shape

    def weight_names(self, _id):
        return [w.path for w in self.layer(_id).weights]

    def weight_shapes(self, _id):
        return [tuple(w.shape) for w in self.layer(_id).weights]

    def rnn_info(self, _id):
        """`rnn.RNNInfo` of a recurrent layer, None for any other layer."""
        layer = self.layer(_id)
        if id(layer) not in self._rnn_infos:   # read per control change: once per layer
            self._rnn_infos[id(layer)] = (layer, rnn.info(layer) if rnn.is_recurrent(layer)
                                          else None)
        return self._rnn_infos[id(layer)][1]

    def frozen(self, _id):
        """Whether the layer has weights and none of them is trainable."""
        layer = self.layer(_id)
        return bool(layer.weights) and not layer.trainable_variables

    def reaches_loss(self, _id):
        """Whether the entry's output is on a path to the loss, read off the
        graph or a trace (no pass): False for an unused state, attention
        scores nobody reads, an output compiled with loss None, or without
        labels/loss."""
        entry = self.entry(_id)
        if not self._has_loss() or "float" not in entry.dtype:
            return False
        engine = self._engine()
        if entry.tensor is None:   # no graph: the traced gradient is not None
            reaching = engine.reaching(self.x, self.y, self.sample_weight)
            return reaching[engine.entries.index(entry)]
        if engine.loss_ancestors is None:
            engine.loss_ancestors = _layers.loss_ancestors(self.model)
        return id(entry.tensor) in engine.loss_ancestors

    def has_weight_gradients(self, _id):
        return bool(self.layer(_id).trainable_variables)

    # -- arrays -----------------------------------------------------------------
    def outputs(self, layer, step=None):
        """The layer's output on the batch (at a recorded past `step`, if
        given: see `history`)."""
        return self._pass("outputs", step)["outputs"][self.entry_name(layer)]

    def gradients(self, layer, mode="outputs", step=None):
        """dLoss/d(layer output) (`mode='outputs'`) or [dLoss/d(weight) for each
        trainable weight] (`mode='weights'`); the loss is the compiled one,
        with Keras' reduction, `sample_weight` and regularization, as in fit."""
        check_choice("mode", mode, GRADIENT_MODES)
        if mode == "outputs":
            name = self.entry_name(layer)
            grad = self._pass("output_gradients", step)["output_gradients"][name]
            if grad is None:
                raise NoGradientError(
                    f"the output {name!r} does not reach the loss of model "
                    f"{self.model.name!r}, so it has no gradient (none is drawn as zeros)")
            return grad
        return [self._weight_gradient(v, step) for v in self._trainable_of(layer)]

    def _trainable_of(self, _id):
        """The layer's trainable weights ([] if it has no weights at all); an
        error for a frozen one."""
        layer = self.layer(_id)
        if layer.weights and not layer.trainable_variables:
            raise FrozenLayerError(f"layer {layer.name!r} is frozen (trainable=False): "
                                   f"it has no weight-gradients")
        return layer.trainable_variables

    def _weight_gradient(self, variable, step=None):
        grad = self.weight_gradients(step).get(variable.path)
        if grad is None:
            if not variable.trainable:
                raise FrozenLayerError(f"weight {variable.path!r} is frozen "
                                       f"(trainable=False): it has no gradient")
            raise NoGradientError(f"weight {variable.path!r} does not reach the loss of "
                                  f"model {self.model.name!r}, so it has no gradient")
        return grad

    def weight_gradients(self, step=None):
        """{variable path: dLoss/d(variable)} for every trainable weight."""
        return self._pass("weight_gradients", step)["weight_gradients"]

    def weights(self, layer, step=None):
        """The layer's weights, as `layer.get_weights()` orders them."""
        weights = self._weights(step)
        return [weights[v.path] for v in self.layer(layer).weights]

    def rnn(self, layer, kind="weights", step=None):
        """`rnn.RNNArrays`: weights or weight-gradients split by direction,
        kernel (input, recurrent, bias) and gate."""
        check_choice("kind", kind, RNN_KINDS)
        layer = self.layer(layer)
        variables = rnn.variables(layer)
        if kind == "weights":
            weights = self._weights(step)
            arrays = {key: weights[v.path] for key, v in variables.items()}
        else:
            self._trainable_of(layer)   # a frozen layer: say so by name
            arrays = {key: self._weight_gradient(v, step) for key, v in variables.items()}
        return rnn.RNNArrays(info=rnn.info(layer), arrays=arrays)

    def mask(self, layer, step=None):
        """Which timesteps of the layer's output are kept: bool (samples,
        timesteps), False where masked (Masking, Embedding(mask_zero=True)
        and the layers the mask propagates through); None when the output
        carries no mask."""
        return self._pass("outputs", step)["masks"].get(self.entry_name(layer))

    def gates(self, layer, direction=None, step=None):
        """{gate: (samples, timesteps, units)} activations of a recurrent
        layer on the batch, after their nonlinearity: LSTM i, f, c, o (c the
        candidate), GRU z, r, h (h the candidate), SimpleRNN h. `direction`:
        'forward' or 'backward' of a Bidirectional, None both side by side
        along units (forward first), as a concat output. `gates[g][:, t]`
        produced the output at t; masked timesteps (`gates_mask`) hold what
        the cell computed there and Keras discarded (see `_gates`)."""
        info = self.rnn_info(layer)
        if info is None:
            rnn.cells(self.layer(layer))   # refuses by name
        check_choice("direction", direction, (None, *info.directions))
        per_direction = self._gates(layer, step)[0]
        if direction is not None:
            return per_direction[direction]
        names = {tuple(g) for g in per_direction.values()}
        if len(names) > 1:
            raise _gates.GatesUnavailableError(
                f"layer {info.layer_name!r} has other gates in each direction "
                f"({info.describe()}): pick direction='forward' or 'backward'")
        return {gate: per_direction[info.directions[0]][gate] if len(per_direction) == 1
                else np.concatenate([g[gate] for g in per_direction.values()], axis=-1)
                for gate in next(iter(names))}

    def has_gates(self, _id):
        """Whether `gates()` can be asked of the entry (no pass): the first
        output of a recurrent layer's call in a functional graph (a state
        output, 'lstm[1]', belongs to the same call: its gates are 'lstm's)."""
        entry = self.entry(_id)
        return rnn.is_recurrent(entry.layer) and entry.node is not None and entry.index == 0

    def gates_mask(self, layer, step=None):
        """bool (samples, timesteps), False at the masked timesteps of
        `gates()` (in their time order); None when the layer's input
        carries no mask."""
        return self._gates(layer, step)[1]

    def gate_functions(self, layer, direction="forward"):
        """{gate: name of its activation}, e.g. {'i': 'sigmoid', 'c': 'tanh', ...}."""
        part = rnn.parts(self.layer(layer))
        check_choice("direction", direction, list(part))
        info = self.rnn_info(layer)
        functions = _gates.functions(part[direction].cell, info.layout(direction).cell)
        return {gate: _gates.activation_name(f) for gate, f in functions.items()}

    def _gates(self, layer, step):
        """({direction: {gate: array}}, mask) of the layer's call, computed
        once per step (kept in that step's snapshot)."""
        call = self._layer_call(layer)
        if step is None:
            self._drop_if_trained()
        snapshot = self._snapshot if step is None else self.history.snapshot(step)
        cached = snapshot.setdefault("gates", {})
        if call.name not in cached:
            arrays = self._call_arrays(call, step)
            cached[call.name] = (_gates.layer_gates(arrays, bool(self.learning_phase),
                                                    self._compiled_gates),
                                 _gates.gates_mask(arrays, self.rnn_info(call.name)))
            if step is None:
                self._keep("gates", cached)
        return cached[call.name]

    def _layer_call(self, layer):
        """The first-output entry of the layer call `layer` names, with its
        graph node (gates read the call's inputs off it)."""
        entry = self.entry(layer)
        rnn.cells(entry.layer)   # refuses a layer that is not recurrent
        if entry.node is None:
            raise _gates.GatesUnavailableError(
                f"gates need the inputs of layer {entry.layer.name!r}'s call, read off a "
                f"functional graph; model {self.model.name!r} is subclassed (no graph). "
                f"A functional or Sequential model of the same layers has them")
        return next(e for e in self.entries.values()
                    if e.node is entry.node and e.index == 0)

    def _call_arrays(self, call, step):
        """`_gates.LayerCall`: the call's input, initial states, mask and
        outputs on the batch, and the weights, at `step`."""
        args, kwargs = call.node.arguments.args, call.node.arguments.kwargs
        mask = kwargs.get("mask")
        if mask is not None and mask is not getattr(args[0], "_keras_mask", None):
            raise _gates.GatesUnavailableError(
                f"layer {call.layer.name!r} is called with an explicit mask=; gates "
                f"read the mask its input carries (Masking, mask_zero=True)")
        states = kwargs.get("initial_state", args[1] if len(args) > 1 else None)
        parts = rnn.parts(call.layer).values()
        if states is None and any(getattr(p, "stateful", False) for p in parts):
            if step is not None:
                raise _gates.GatesUnavailableError(
                    f"layer {call.layer.name!r} is stateful: its states at step {step} "
                    f"were not recorded, so only the gates of the current step are known")
            states = [s for p in parts for s in p.states]
        source, kept = self._tensor_value(args[0], step)
        outputs = [self.outputs(e.name, step) for e in self.entries.values()
                   if e.node is call.node]
        merged_none = getattr(call.layer, "merge_mode", "") is None
        return _gates.LayerCall(
            layer=call.layer, inputs=source,
            initial_states=None if states is None else [
                self._tensor_value(t, step)[0] for t in tree.flatten(states)],
            kept=kept, output=outputs[:2] if merged_none else outputs[0],
            weights=self._weights(step))

    def _tensor_value(self, tensor, step):
        """(value on the batch, its mask or None) of a symbolic tensor of the
        graph: an entry's output, a model input, or a state variable."""
        if isinstance(tensor, keras.Variable):
            return np.asarray(tensor.numpy(), np.float32), None
        for entry in self.entries.values():
            if entry.tensor is tensor:
                return self.outputs(entry.name, step), self.mask(entry.name, step)
        graph = _layers.graph_of(self.model)
        inputs = [id(t) for t in graph.inputs]
        return np.asarray(tree.flatten(self.x)[inputs.index(id(tensor))], np.float32), None

    @property
    def loss(self):
        """The compiled loss on the batch (computed with the gradients)."""
        return self._pass("output_gradients")["loss"]

    # -- freshness ----------------------------------------------------------------
    def refresh(self, logs=None):
        """Forget the cached arrays (the model changed), record a snapshot of
        the new state in `history` (with the training `logs`, if given) and
        tell the widgets. Call it after each training step of a hand-written
        loop that you want to see; `LiveRefresh` calls it from `fit`."""
        self._snapshot = {}
        self._seen_step = self.step
        if self.history.size:  # record now what has been asked for so far
            self._keep("logs", dict(logs or {}))
            if "weights" in self._asked:
                self._weights()
            if "pass" in self._asked:
                self._pass(LEVELS[self._level] if self._has_loss() else "outputs")
        for callback in list(self._listeners):
            callback(self)

    def logs(self, step):
        """The training logs recorded with the snapshot at `step`."""
        return self.history.get(step, "logs")

    def observe(self, callback):
        """Call `callback(inspector)` after every `refresh()`."""
        self._listeners.append(callback)

    def unobserve(self, callback):
        """Stop calling `callback` (no error if it was not observing)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    # -- internals ------------------------------------------------------------------
    def _has_loss(self):
        """Whether gradients can be computed: labels and a compiled loss."""
        return self.y is not None and self.model.compiled

    @contextlib.contextmanager
    def steady(self):
        """For many reads with no training in between (a view recording every
        state its page can show): the optimizer's step, a TensorFlow variable
        read per array otherwise, is read once."""
        self._drop_if_trained()
        outer, self._steady = self._steady, True
        try:
            yield
        finally:
            self._steady = outer

    def _drop_if_trained(self):
        if self._steady:
            return
        step = self.step
        if step != self._seen_step:
            self._snapshot = {}
            self._seen_step = step

    def _keep(self, key, value):
        """Cache `value` for the current step, and record it in the history."""
        self._snapshot[key] = value
        self.history.record(self._seen_step, self._snapshot)
        return value

    def _weights(self, step=None):
        if step is not None:
            return self.history.get(step, "weights")
        self._drop_if_trained()
        self._asked.add("weights")
        if "weights" not in self._snapshot:
            self._keep("weights", {v.path: v.numpy() for v in self.model.weights})
        return self._snapshot["weights"]

    def _pass(self, need, step=None):
        """The cached pass if it has `need`, else a new one. What was once
        asked for stays in every later pass, so after a refresh one pass
        serves every widget. With `step`, the pass recorded then."""
        if step is not None:
            recorded = self.history.get(step, "pass")
            if recorded["level"] < LEVELS.index(need):
                raise ValueError(f"the snapshot at step {step} has no "
                                 f"{need.replace('_', '-')} (nothing had asked for "
                                 f"them then); steps recorded: {self.history.steps}")
            return recorded
        if need != "outputs":   # refuse before anything is remembered as asked
            if self.y is None:
                raise ValueError("gradients need labels: pass labels= to "
                                 "Inspector (or a Dataset yielding (x, y))")
            if not self.model.compiled:
                raise _engine.NotCompiledError(
                    f"model {self.model.name!r} is not compiled, so it has no loss "
                    f"to differentiate: call model.compile(optimizer, loss=...) "
                    f"first (or ask only for outputs/weights)")
        self._drop_if_trained()
        self._asked.add("pass")
        self._level = max(self._level, LEVELS.index(need))
        cached = self._snapshot.get("pass")
        if cached is not None and cached["level"] >= LEVELS.index(need):
            return cached
        engine = self._engine()
        if self._level == 0 or (need == "outputs" and not self._has_loss()):
            result = {**engine.outputs(self.x), "level": 0}
        else:
            result = self._full_pass(engine, self._level == 2)
            result["level"] = self._level
        self.compute_count += 1
        return self._keep("pass", result)

    def _full_pass(self, engine, weight_gradients):
        try:
            return engine.full(self.x, self.y, self.sample_weight, weight_gradients)
        except _engine.NotCompiledError:
            raise
        except Exception as e:
            try:   # only on failure: did the forward pass fail, or the loss?
                engine.outputs(self.x)
            except Exception:
                raise ValueError(
                    f"running model {self.model.name!r} on input_data of shape "
                    f"{_shapes(self.x)} failed (model input shape "
                    f"{_input_shapes(self.model)}). Cause: {e}") from e
            raise ValueError(
                f"computing the loss failed for labels of shape "
                f"{_shapes(self.y)} against model output shape "
                f"{_output_shapes(self.model)} (loss: {self.model.loss!r}); "
                f"labels must fit the model's output(s) as model.fit expects "
                f"them. Cause: {e}") from e

    def _check_labels(self):
        if self.y is None:
            return
        if _sample_counts(self.y) != {self.batch_size}:
            raise ValueError(
                f"labels must have {self.batch_size} samples like input_data, "
                f"got labels of shape {_shapes(self.y)}")
        if self.sample_weight is not None:
            if _sample_counts(self.sample_weight) != {self.batch_size}:
                raise ValueError(
                    f"sample_weight must have {self.batch_size} samples like "
                    f"input_data (one weight per sample, or per timestep), got "
                    f"sample_weight of shape {_shapes(self.sample_weight)}")
        n_outputs = len(_output_shapes(self.model))
        n_labels = len(tree.flatten(self.y))
        if n_outputs and n_labels != n_outputs:
            raise ValueError(
                f"model {self.model.name!r} has {n_outputs} output(s) "
                f"{_output_shapes(self.model)} but {n_labels} label array(s) "
                f"were given {_shapes(self.y)}")


def _output_shapes(model):
    """Shapes of the model's outputs ([] when it has no symbolic outputs)."""
    try:
        return [tuple(t.shape) for t in model.outputs]
    except (AttributeError, ValueError):
        return []


def _sample_counts(structure):
    """The first-axis sizes of every array in `structure` (None for a scalar)."""
    return {int(t.shape[0]) if t.shape.rank else None for t in tree.flatten(structure)}


def _input_shapes(model):
    try:
        return [tuple(t.shape) for t in model.inputs]
    except (AttributeError, ValueError):
        return []


def _shapes(structure):
    return tree.map_structure(lambda t: tuple(t.shape), structure)
