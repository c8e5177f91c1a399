"""`Run`: a recorded run (`Recorder`) read back, as a source every widget
takes where it takes an `Inspector`. Needs neither the model nor
TensorFlow/Keras: Zarr, fsspec and NumPy."""
import logging
import threading

import numpy as np
import zarr
from zarr.core.sync import sync

from . import _run_store as store
from . import rnn
from ._source import (
    GRADIENT_MODES,
    RNN_KINDS,
    FrozenLayerError,
    NoGradientError,
    check_choice,
)

log = logging.getLogger(__name__)
ROWS_CACHED = 16   # rows (one kind of one snapshot) kept in memory


class StepDroppedError(KeyError):
    """The snapshot asked for is not (or no longer) in the run."""


class Run:
    """The snapshots a `Recorder` wrote to `path` (a local path or an fsspec
    URL), with the array methods and ids of an `Inspector`: `outputs`,
    `gradients`, `weights`, `rnn`, `mask`, `logs`, each at a recorded `step`
    (None: the latest). `refresh()` picks up new snapshots; `follow()` does it
    in a background thread and redraws the widgets over the run.

    Example:
        run = Run("runs/lstm")
        run.steps                          # [0, 10, 20, ...]
        run.outputs("lstm", step=20)       # (samples, timesteps, units)
        Features2D(run.follow(), "lstm")   # redraws as the job records
    """

    def __init__(self, path):
        self.path = str(path)
        self._store = store.open_store(self.path, "r")
        try:
            group = zarr.open_group(self._store, mode="r")
        except FileNotFoundError:
            raise FileNotFoundError(f"no run at {self.path}: a Recorder writes one") from None
        meta = group.attrs.get("seernn_widgets")
        if meta is None or meta.get("format") != store.FORMAT:
            raise ValueError(f"{self.path} is not a seernn_widgets run of format "
                             f"{store.FORMAT} (its attributes: {sorted(group.attrs)})")
        self.meta = meta
        self._entries = meta["entries"]
        self._arrays = {}          # kind -> zarr.Array (reopened when it grew)
        self._rows = {}            # (kind, slot) -> row, the last ROWS_CACHED read
        self._listeners = []
        self._slots = {}           # step -> (slot, logs)
        self._lock = threading.Lock()
        self._follower = None
        self._markers = {}         # slot -> {step, logs, nbytes}: markers read so far
        self._read_listing()

    # -- the listing ------------------------------------------------------------------
    def _read_listing(self):
        """The listed snapshots (their markers; only new ones are read)."""
        self._markers = store.read_markers(self._store, self._markers)
        slots = {m["step"]: (slot, m["logs"]) for slot, m in self._markers.items()}
        with self._lock:   # by slot: a step recorded again is its later slot
            changed = slots.keys() != self._slots.keys()
            self._slots = slots
        return changed

    def refresh(self, logs=None):
        """Read the listing again; tell the widgets if it changed. Returns
        whether it did."""
        changed = self._read_listing()
        if changed:
            for callback in list(self._listeners):
                callback(self)
        return changed

    def follow(self, interval_s=2.0):
        """Poll for new snapshots every `interval_s` seconds in a background
        thread (widgets over the run redraw; the kernel stays free); returns
        the run. `stop()` ends it."""
        if self._follower is None:
            stop = threading.Event()

            def poll():
                while not stop.wait(interval_s):
                    try:
                        self.refresh()
                    except Exception as e:   # a store that hiccups: try again next time
                        log.warning("Run %s: %s", self.path, e)

            thread = threading.Thread(target=poll, name=f"seernn-run-{self.path}", daemon=True)
            self._follower = (thread, stop)
            thread.start()
        return self

    def stop(self):
        """Stop following."""
        if self._follower is not None:
            self._follower[1].set()
            self._follower = None

    # -- what the widgets ask (the source protocol) ---------------------------------
    @property
    def name(self):
        return self.meta["model"]

    @property
    def layer_names(self):
        return list(self.meta["layer_names"])

    @property
    def steps(self):
        """The recorded steps, oldest first."""
        return sorted(self._slots)

    @property
    def history(self):
        """The steps a widget can scrub to: every recorded one."""
        return self

    @property
    def step(self):
        """The latest recorded step (None before the first)."""
        steps = self.steps
        return steps[-1] if steps else None

    @property
    def batch_size(self):
        return self.meta["batch_size"]

    @property
    def has_labels(self):
        return self.meta["has_labels"]

    def entry_name(self, _id):
        """An entry's name for its name, index in `layer_names`, or a part of
        its name found in one entry."""
        names = self.layer_names
        if isinstance(_id, str):
            if _id in names:
                return _id
            found = [n for n in names if _id in n]
            if len(found) == 1:
                return found[0]
        elif isinstance(_id, (int, np.integer)) and not isinstance(_id, bool) \
                and -len(names) <= _id < len(names):
            return names[_id]
        raise KeyError(f"run {self.path} has no layer {_id!r}; its layers: {names}")

    def _entry(self, _id):
        return self._entries[self.entry_name(_id)]

    def output_shape(self, _id):
        return tuple(self._entry(_id)["output_shape"])

    def weight_names(self, _id):
        return [self.meta["weights"][w]["path"] for w in self._entry(_id)["weights"]]

    def weight_shapes(self, _id):
        return [tuple(self.meta["weights"][w]["shape"]) for w in self._entry(_id)["weights"]]

    def rnn_info(self, _id):
        info = self._entry(_id)["rnn"]
        if info is None:
            return None
        layouts = tuple((d, rnn.CellLayout(lay["cell"], lay["units"], tuple(lay["gates"]),
                                           tuple(lay["kernels"]))) for d, lay in info["layouts"])
        return rnn.RNNInfo(
            layer_name=info["layer_name"], cell=info["cell"], units=info["units"],
            gates=tuple(info["gates"]), directions=tuple(info["directions"]),
            kernels=tuple(info["kernels"]), merge_mode=info["merge_mode"],
            return_sequences=info["return_sequences"], layouts=layouts)

    def frozen(self, _id):
        return self._entry(_id)["frozen"]

    def reaches_loss(self, _id):
        return self._entry(_id)["reaches_loss"]

    def has_weight_gradients(self, _id):
        return any(self.meta["weights"][w]["trainable"] for w in self._entry(_id)["weights"])

    # -- arrays ----------------------------------------------------------------------
    def outputs(self, layer, step=None):
        return self._read("outputs", self._entry(layer)["index"], step, "outputs")

    def mask(self, layer, step=None):
        entry = self._entry(layer)
        if not entry["mask"]:
            return None
        return self._read("masks", entry["index"], step, "outputs")

    def gradients(self, layer, mode="outputs", step=None):
        check_choice("mode", mode, GRADIENT_MODES)
        if mode == "outputs":
            entry = self._entry(layer)
            if not entry["reaches_loss"]:
                raise NoGradientError(
                    f"the output {self.entry_name(layer)!r} does not reach the loss of model "
                    f"{self.name!r}, so it has no gradient (none is drawn as zeros)")
            return self._read("output_gradients", entry["index"], step, "gradients")
        if self.frozen(layer):
            raise FrozenLayerError(f"layer {self.entry_name(layer)!r} is frozen "
                                   f"(trainable=False): it has no weight-gradients")
        return [self._read("weight_gradients", w, step, "weight_gradients")
                for w in self._entry(layer)["weights"] if self.meta["weights"][w]["trainable"]]

    def weights(self, layer, step=None):
        return [self._read("weights", w, step, "weights") for w in self._entry(layer)["weights"]]

    def rnn(self, layer, kind="weights", step=None):
        check_choice("kind", kind, RNN_KINDS)
        entry = self._entry(layer)
        if entry["rnn"] is None:
            raise rnn.NotRecurrentError(f"layer {self.entry_name(layer)!r} is a "
                                        f"{entry['kind']}, not a recurrent layer")
        if kind == "gradients" and entry["frozen"]:
            raise FrozenLayerError(f"layer {self.entry_name(layer)!r} is frozen "
                                   f"(trainable=False): it has no weight-gradients")
        what = "weights" if kind == "weights" else "weight_gradients"
        arrays = {(d, k): self._read(what, w, step, what) for d, k, w in entry["rnn_weights"]}
        return rnn.RNNArrays(info=self.rnn_info(layer), arrays=arrays)

    def logs(self, step):
        return dict(self._slot(step)[1])

    # -- reading ----------------------------------------------------------------------
    def _slot(self, step):
        with self._lock:
            slots = self._slots
        if step is None:
            if not slots:
                raise StepDroppedError(f"run {self.path} has no snapshot yet")
            step = max(slots)
        if step not in slots:
            raise StepDroppedError(f"run {self.path} has no snapshot at step {step!r}; "
                                   f"recorded steps: {sorted(slots)}")
        return slots[step]

    def _read(self, kind, index, step, asked):
        """One array of the snapshot at `step`, from its kind's row."""
        key = store.array_key(kind, index)
        row_layout = self.meta["layout"].get(kind, {"parts": {}})
        if key not in row_layout["parts"]:
            raise KeyError(f"run {self.path} did not record {asked} "
                           f"(it recorded {self.meta['what']})")
        return store.unpack(self._row(kind, step), row_layout["parts"][key], kind)

    def _row(self, kind, step):
        """A kind's row at `step`, read once (a view draws many arrays of one step)."""
        slot, _ = self._slot(step)
        cached = self._rows.get((kind, slot))
        if cached is not None:
            return cached
        array = self._arrays.get(kind)
        if array is None or array.shape[0] <= slot:   # new, or grown since opened
            array = self._arrays[kind] = zarr.open_array(self._store, path=kind, mode="r")
        row = array[slot]
        if self.meta.get("keep", "all") != "all" or self.meta.get("max_bytes"):
            # the keep policy may have dropped it since the listing was read
            if not sync(self._store.exists(store.chunk_key(kind, slot))):
                raise StepDroppedError(f"the snapshot at step {step} was dropped by the run's "
                                       f"keep policy while it was read; refresh()")
        with self._lock:
            self._rows[(kind, slot)] = row
            while len(self._rows) > ROWS_CACHED:
                self._rows.pop(next(iter(self._rows)))
        return row

    # -- observers ---------------------------------------------------------------------
    def observe(self, callback):
        """Call `callback(run)` when `refresh()` finds new snapshots."""
        self._listeners.append(callback)

    def unobserve(self, callback):
        if callback in self._listeners:
            self._listeners.remove(callback)
