"""A run directory: snapshots of an inspector in one Zarr v3 group.

Layout: one 2-D array per kind of array, (slots, values), one chunk per
snapshot (a row), uncompressed, so a snapshot is one object per kind:

    zarr.json                 group; attributes:
        seernn_widgets        the run's metadata, written once: `FORMAT`,
                              the model, its entries (shapes, kinds, RNN
                              layouts, weights), and per kind where each array
                              lies in a row ('layout': {kind: {'length',
                              'dtype', 'parts': {'outputs/<entry>': [offset, shape]}}})
    outputs                   float32, every recorded entry's output, flattened
    masks                     uint8, the entries with a mask (1 kept)
    output_gradients          float32, the entries whose output reaches the loss
    weights, weight_gradients float32, every weight (its index in the metadata)
    snapshots/<slot>.json     the commit of one snapshot: {step, logs, nbytes}

One row per kind, not one array per layer: a snapshot is written as 5
objects, not ~40 (zarr spends ~0.7 ms of Python per chunk), and a reader
drawing one step reads each kind once.

Atomic per snapshot: a snapshot's rows go to a new slot (slots are never
reused), and only then is its marker `snapshots/<slot>.json` written: one
object put, atomic in every store we use (zarr's LocalStore writes a
temporary file and renames it; object stores put whole objects; the memory
store replaces a dict entry). A writer killed at any moment leaves every
listed snapshot whole. One object per snapshot, not one listing rewritten
on each: a record costs the same at step 10 and at step 100 000, and a
reader reads only the markers it has not seen. A snapshot the keep policy
drops loses its marker first, then its rows; a reader that finds a listed
slot's row missing was overtaken by that and says so.

Keras-free: the reading side (`runs.Run`) imports only this, zarr and NumPy.
"""
import asyncio
import json
import math

import numpy as np
import zarr
import zarr.storage
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

FORMAT = 1
WHAT = ("outputs", "gradients", "weights", "weight_gradients")   # Recorder's `what`


def open_store(path, mode):
    """A Zarr store for a local path or an fsspec URL ('memory://run',
    'file:///tmp/run', 's3://bucket/run', ...). Local paths (and file://)
    use zarr's LocalStore, whose writes are atomic."""
    path = str(path)
    if path.startswith("file://"):
        path = path[len("file://"):]
    if "://" not in path:
        return zarr.storage.LocalStore(path, read_only=mode == "r")
    return zarr.storage.FsspecStore.from_url(path, read_only=mode == "r")


def array_key(kind, index):
    """One array's name in a row's layout: 'outputs/3', 'weights/7'."""
    return f"{kind}/{index}"


MARKERS = "snapshots"


def marker_key(slot):
    return f"{MARKERS}/{slot}.json"


def read_markers(store, known):
    """{slot: {'step', 'logs', 'nbytes'}} of the listed snapshots, by slot;
    markers in `known` ({slot: marker}) are not read again (they never change)."""
    async def read():
        slots = [int(name[:-len(".json")]) async for name in store.list_dir(MARKERS)
                 if name.endswith(".json")]
        new = [slot for slot in slots if slot not in known]
        found = await asyncio.gather(*(store.get(marker_key(slot), default_buffer_prototype())
                                       for slot in new))
        markers = {slot: known[slot] for slot in slots if slot in known}
        markers.update({slot: json.loads(value.to_bytes())
                        for slot, value in zip(new, found) if value is not None})
        return dict(sorted(markers.items()))
    return sync(read())


def chunk_key(kind, slot):
    """The object holding a kind's row `slot` (zarr v3's default chunk keys)."""
    return f"{kind}/c/{slot}/0"


def layout(arrays):
    """{kind: {'length', 'dtype', 'parts': {key: [offset, shape]}}} of
    {key: array}: where each array lies in its kind's row."""
    out = {}
    for key, value in arrays.items():
        kind = key.split("/")[0]
        row = out.setdefault(kind, {"length": 0, "dtype": DTYPES[kind], "parts": {}})
        row["parts"][key] = [row["length"], list(value.shape)]
        row["length"] += int(value.size)
    return out


def pack(arrays, rows):
    """{kind: 1-D row} of {key: array}, laid out as `rows` (layout())."""
    packed = {kind: np.empty(row["length"], row["dtype"]) for kind, row in rows.items()}
    for key, value in arrays.items():
        kind = key.split("/")[0]
        offset, _ = rows[kind]["parts"][key]
        packed[kind][offset:offset + value.size] = np.ravel(value)
    return packed


def unpack(row, part, kind):
    """One array out of its kind's row (a view)."""
    offset, shape = part
    value = row[offset:offset + int(np.prod(shape, dtype=int))].reshape(shape)
    return value.astype(bool) if kind == "masks" else value


DTYPES = {"outputs": "float32", "masks": "uint8", "output_gradients": "float32",
          "weights": "float32", "weight_gradients": "float32"}


# -- keep policy -----------------------------------------------------------------
def check_keep(keep):
    """'all', an int K >= 1 (the last K) or 'log' (steps spaced evenly in
    log(step), the first and the last always)."""
    if keep in ("all", "log") or (isinstance(keep, int) and not isinstance(keep, bool)
                                  and keep >= 1):
        return keep
    raise ValueError(f"keep must be 'all', 'log' or an int >= 1 (the last K snapshots), "
                     f"got {keep!r}")


def to_drop(steps, sizes, keep, max_bytes, log_count=64):
    """Indices into `steps` (oldest first; `sizes` their bytes) the policy
    drops: 'all' none; K all but the last K; 'log' down to `log_count` steps
    spaced evenly in log(1 + step). Then, over `max_bytes`, the oldest but the
    newest go until the rest fits (the newest is always kept)."""
    n = len(steps)
    keep_set = set(range(n))
    if isinstance(keep, int):
        keep_set = set(range(max(0, n - keep), n))
    elif keep == "log" and n > log_count:
        logs = np.log1p(np.maximum(np.asarray(steps, float), 0))
        targets = np.linspace(logs[0], logs[-1], log_count)
        keep_set = {int(np.argmin(np.abs(logs - t))) for t in targets} | {0, n - 1}
    if max_bytes is not None:
        total = sum(sizes[i] for i in keep_set)
        for i in sorted(keep_set)[:-1]:
            if total <= max_bytes:
                break
            keep_set.discard(i)
            total -= sizes[i]
    return [i for i in range(n) if i not in keep_set]


def capacity_for(slots):
    """Slots an array holds: a power of two >= `slots` (resized rarely)."""
    return 1 << max(4, math.ceil(math.log2(max(slots, 1))))
