"""`Recorder`: write an inspector's snapshots to a run directory while a
model trains (see `_run_store` for the layout, `runs.Run` to read it)."""
import asyncio
import json
import os
import platform

import keras
import numpy as np
import zarr
from zarr.core.buffer.cpu import Buffer
from zarr.core.sync import sync

from . import _run_store as store
from . import rnn
from .live import LiveRefresh


class Recorder(LiveRefresh):
    """Record the inspector's arrays on its probe batch to `path` (a local
    path or an fsspec URL) while a model trains: a Keras callback, scheduled
    as `LiveRefresh` is (every `every_n_batches` batches and/or at the end of
    every `every_n_epochs` epochs, at most once per `min_interval_s`, and at
    the end of training); `record(logs)` records now, for hand-written loops.

    Args:
        what: any of 'outputs' (with the layers' masks), 'gradients'
            (dLoss/d(output)), 'weights', 'weight_gradients'.
        layers: the entries to record (ids as the inspector takes them);
            None: every entry.
        keep: 'all', an int K (the last K snapshots) or 'log' (64 steps spaced
            evenly in log(step), first and last kept);
        max_bytes: then the oldest snapshots go until the rest fit (the
            newest always stays). Sizes are exact: arrays are stored raw.

    A path that already holds a run of the same model and layers is
    continued (a restarted job); one of another model is refused.

    Example:
        rec = Recorder(Inspector(model, x[:16], y[:16]), "runs/lstm", every_n_batches=10)
        model.fit(x, y, epochs=5, callbacks=[rec])
        Run("runs/lstm").steps
    """

    def __init__(self, inspector, path, every_n_batches=None, every_n_epochs=None,
                 min_interval_s=0, what=store.WHAT, layers=None, keep="all", max_bytes=None):
        super().__init__(inspector, every_n_batches, every_n_epochs, min_interval_s)
        what = (what,) if isinstance(what, str) else tuple(what)
        unknown = [w for w in what if w not in store.WHAT]
        if unknown or not what:
            raise ValueError(f"what must be some of {list(store.WHAT)}, got {what!r}")
        if max_bytes is not None and (isinstance(max_bytes, bool)
                                      or not isinstance(max_bytes, int) or max_bytes < 1):
            raise ValueError(f"max_bytes must be None or an int >= 1, got {max_bytes!r}")
        self.path = str(path)
        self.what = what
        self.keep = store.check_keep(keep)
        self.max_bytes = max_bytes
        names = inspector.layer_names
        self.entries = names if layers is None else [inspector.entry_name(i) for i in layers]
        self._store = store.open_store(self.path, "w")
        self._arrays = {}       # kind -> zarr.Array of its rows
        self._layout = None     # _run_store.layout() of a snapshot: on the first record
        self._listing = []      # [[slot, step, logs, nbytes]], oldest first
        self._next_slot = 0
        self.recorded = 0

    def _act(self, logs):
        self.record(logs)

    # -- one snapshot -------------------------------------------------------------
    def record(self, logs=None):
        """Write one snapshot (the inspector's arrays now, with `logs`) and
        list it; returns its step."""
        if not self._is_chief():
            return None
        with self.inspector.steady():   # the step is read once
            arrays = self._arrays_now()
            if self._layout is None:   # the run is opened once the shapes are known
                self._open(self._metadata(arrays))
            step = self.inspector.step
        if step is None:   # no optimizer: the record's number
            step = self._listing[-1][1] + 1 if self._listing else 0
        slot, self._next_slot = self._next_slot, self._next_slot + 1
        self._grow(slot + 1)
        rows = store.pack(arrays, self._layout)
        sync(_all(self._arrays[kind].async_array.setitem(slot, row)
                  for kind, row in rows.items()))   # one object per kind, concurrently
        entry = [slot, int(step), _plain_logs(logs), int(sum(v.nbytes for v in arrays.values()))]
        self._commit(entry)
        again = [s for s in self._listing[:-1] if s[1] == step]   # a step recorded again
        self._drop(again)
        self._apply_keep()
        self.recorded += 1
        return step

    def _arrays_now(self):
        """{array key: array} of the inspector now (`_run_store` keys)."""
        insp, names, arrays = self.inspector, self.inspector.layer_names, {}
        weights = self._weight_specs()
        for name in self.entries:
            e = names.index(name)
            if "outputs" in self.what:
                arrays[store.array_key("outputs", e)] = np.asarray(insp.outputs(name), np.float32)
                mask = insp.mask(name)
                if mask is not None:
                    arrays[store.array_key("masks", e)] = np.asarray(mask, np.uint8)
            if "gradients" in self.what and insp.has_labels and insp.reaches_loss(name):
                arrays[store.array_key("output_gradients", e)] = np.asarray(
                    insp.gradients(name), np.float32)
        if "weights" in self.what:
            values = {v.path: w for name in self.entries
                      for v, w in zip(insp.layer(name).weights, insp.weights(name))}
            for w, spec in enumerate(weights):
                arrays[store.array_key("weights", w)] = np.asarray(values[spec["path"]],
                                                                    np.float32)
        if "weight_gradients" in self.what and insp.has_labels:
            grads = insp.weight_gradients()
            for w, spec in enumerate(weights):
                if grads.get(spec["path"]) is not None:
                    arrays[store.array_key("weight_gradients", w)] = np.asarray(
                        grads[spec["path"]], np.float32)
        return arrays

    def _weight_specs(self):
        """[{path, shape, trainable}] of the recorded layers' weights, each once."""
        specs = {}
        for name in self.entries:
            for v in self.inspector.layer(name).weights:
                specs.setdefault(v.path, {"path": v.path, "shape": list(v.shape),
                                          "trainable": bool(v.trainable)})
        return list(specs.values())

    def _metadata(self, arrays):
        """What a reader needs besides the arrays: the model, its entries
        (shapes, kinds, RNN layouts, which weights), versions."""
        insp, names = self.inspector, self.inspector.layer_names
        weights = self._weight_specs()
        index = {spec["path"]: w for w, spec in enumerate(weights)}
        entries = {}
        for name in self.entries:
            layer, info = insp.layer(name), insp.rnn_info(name)
            entries[name] = {
                "index": names.index(name), "kind": type(layer).__name__,
                "output_shape": list(insp.output_shape(name)),
                "mask": insp.mask(name) is not None,
                "reaches_loss": bool(insp.has_labels and insp.reaches_loss(name)),
                "frozen": insp.frozen(name), "weights": [index[v.path] for v in layer.weights],
                "rnn": None if info is None else _info_json(info),
                "rnn_weights": None if info is None else [
                    [d, k, index[v.path]] for (d, k), v in rnn.variables(layer).items()],
            }
        return {
            "format": store.FORMAT, "model": insp.name, "layer_names": list(self.entries),
            "entries": entries, "weights": weights, "batch_size": insp.batch_size,
            "has_labels": bool(insp.has_labels), "what": list(self.what),
            "keep": self.keep, "max_bytes": self.max_bytes,
            "layout": store.layout(arrays),
            "summary": _summary(insp.model),
            "versions": {"seernn_widgets": _version(), "keras": keras.__version__,
                         "backend": keras.backend.backend(), "zarr": zarr.__version__,
                         "python": platform.python_version()},
        }

    # -- the group ------------------------------------------------------------------
    def _open(self, meta):
        """Create the run, or continue the one at the path if it is of the
        same model, entries and arrays."""
        try:
            group = zarr.open_group(self._store, mode="r+")
            old = group.attrs.get("seernn_widgets")
        except FileNotFoundError:
            group, old = None, None
        if old is not None:
            same = {k: old.get(k) for k in ("model", "layer_names", "layout")}
            if same != {k: meta[k] for k in same}:
                raise ValueError(f"{self.path} holds a run of another model or layer set "
                                 f"({old.get('model')!r}: {old.get('layer_names')}); "
                                 f"record to a new path")
            self._listing = [[slot, m["step"], m["logs"], m["nbytes"]]
                             for slot, m in store.read_markers(self._store, {}).items()]
            self._next_slot = 1 + max((s[0] for s in self._listing), default=-1)
            for kind in meta["layout"]:
                self._arrays[kind] = group[kind]
        else:
            group = zarr.open_group(self._store, mode="w", attributes={"seernn_widgets": meta})
            for kind, row in meta["layout"].items():
                self._arrays[kind] = group.create_array(
                    kind, shape=(store.capacity_for(1), row["length"]),
                    chunks=(1, row["length"]), dtype=row["dtype"],
                    fill_value=0 if row["dtype"] == "uint8" else np.nan, compressors=None)
        self._layout = meta["layout"]

    def _grow(self, slots):
        for array in self._arrays.values():
            if array.shape[0] < slots:
                array.resize((store.capacity_for(slots), *array.shape[1:]))

    def _commit(self, entry):
        """List snapshot `entry` ([slot, step, logs, nbytes]): its marker,
        one object put (atomic)."""
        slot, step, logs, nbytes = entry
        marker = json.dumps({"step": step, "logs": logs, "nbytes": nbytes}).encode()
        sync(self._store.set(store.marker_key(slot), Buffer.from_bytes(marker)))
        self._listing.append(entry)

    def _apply_keep(self):
        drop = store.to_drop([s[1] for s in self._listing], [s[3] for s in self._listing],
                             self.keep, self.max_bytes)
        self._drop([self._listing[i] for i in drop])

    def _drop(self, entries):
        """Unlist `entries` (their markers), then delete their rows."""
        if not entries:
            return
        slots = {slot for slot, *_ in entries}
        self._listing = [s for s in self._listing if s[0] not in slots]
        sync(_all(self._store.delete(store.marker_key(slot)) for slot in slots))
        sync(_all(self._store.delete(store.chunk_key(kind, slot))
                  for slot in slots for kind in self._arrays))

    @staticmethod
    def _is_chief():
        """Under a multi-worker strategy only the chief (or worker 0 when
        there is none) records; the others' numbers are the same."""
        cluster = json.loads(os.environ.get("TF_CONFIG") or "{}")
        task = cluster.get("task", {})
        if not task:
            return True
        has_chief = "chief" in cluster.get("cluster", {})
        return task.get("type") == "chief" or (
            not has_chief and task.get("type") == "worker" and int(task.get("index", 0)) == 0)


async def _all(coroutines):
    """Run `coroutines` concurrently on zarr's event loop (`sync(_all(...))`)."""
    return await asyncio.gather(*coroutines)


def _plain_logs(logs):
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            out[str(key)] = str(value)
    return out


def _info_json(info):
    return {"layer_name": info.layer_name, "cell": info.cell, "units": info.units,
            "gates": list(info.gates), "directions": list(info.directions),
            "kernels": list(info.kernels), "merge_mode": info.merge_mode,
            "return_sequences": info.return_sequences,
            "layouts": [[d, {"cell": lay.cell, "units": lay.units, "gates": list(lay.gates),
                             "kernels": list(lay.kernels)}] for d, lay in info.layouts]}


def _summary(model):
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def _version():
    from importlib.metadata import version
    return version("seernn_widgets")
