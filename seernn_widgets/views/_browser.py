"""`BrowserSlicer`: the view's controls keep working while a cell runs.

During `model.fit` the kernel cannot read the page's control messages (they
queue until the cell ends, ipywidgets #3468), but its own messages still
reach the page. So each view also sends its whole float32 cube (every
sample, every direction, every gate) once per data change, and this
invisible anywidget re-slices it in the page when a control moves: it sets
the ImageGL mark's image, the colour range and the title on their models,
browser-only (js/widget.js, slicing in js/slicing.js - the twin of
seernn_widgets/slicing.py). The controls' own values still reach the kernel
when it is free, and it then draws the same picture.

A cube over `BUDGET` bytes is not sent (a websocket message over the
server's 10 MiB limit drops the connection); the controls that pick a slice
then need the kernel (disabled, with a tooltip, while it is busy), and the
colour controls still act in the page.
"""
import contextlib
import itertools
import json
import re
import types
from pathlib import Path

import anywidget
import bqplot
import ipywidgets
import numpy as np
import traitlets
from ipywidgets import widget_serialization

from .. import slicing
from ._base import Kind, owning
from ._heatmap import DIVERGING, GREYS
from ._ticks import grid_columns, left_margin, y_label_offset

CUBE_CHANGES = {Kind.DATA, Kind.LAYOUT}   # the page's cube is sent again

BUDGET = 8 * 2**20          # bytes of cube sent to the page, at most

_PACKAGE = Path(__file__).resolve().parent.parent
# the page's ES modules, each after the ones it imports (anywidget serves one file)
MODULES = ("slicing.js", "contexts.js", "colour.js", "ticks.js", "twins.js", "widget.js")
_IMPORT = re.compile(r'^import \{[^}]*\} from "\./([\w.]+\.js)";\n', re.M)


def js_dir():
    """Where the ES module sources are: the package's static/ in a wheel
    (setup.py copies them there), the repository's js/ in a source checkout."""
    for folder in (_PACKAGE / "static", _PACKAGE.parent / "js"):
        if (folder / "widget.js").is_file():
            return folder
    raise FileNotFoundError(f"widget.js is in neither {_PACKAGE / 'static'} nor "
                            f"{_PACKAGE.parent / 'js'}")


def esm_source():
    """`MODULES` as one module: anywidget serves a single file, so each
    module's imports of its siblings are dropped and the modules are joined
    in order (an import of a module not before it is an error)."""
    folder, parts = js_dir(), []
    for i, name in enumerate(MODULES):
        text = (folder / name).read_text(encoding="utf-8")
        for imported in _IMPORT.findall(text):
            if imported not in MODULES[:i]:
                raise RuntimeError(f"{folder / name} imports {imported}, which is not "
                                   f"among the modules before it {MODULES[:i]}")
        parts.append(_IMPORT.sub("", text))
    return "\n".join(parts)


class BrowserSlicer(anywidget.AnyWidget):
    """Holds a view's cube in the page and redraws from it there (see the
    module docstring). Renders nothing."""

    _esm = esm_source()

    kind = traitlets.Unicode().tag(sync=True)          # 'features2d' or 'rnn'
    controls = traitlets.Dict().tag(sync=True, **widget_serialization)
    heatmaps = traitlets.List().tag(sync=True, **widget_serialization)
    cube = traitlets.Bytes(b"").tag(sync=True)         # float32 parts, back to back
    shapes = traitlets.List().tag(sync=True)           # shape of each part
    state = traitlets.Dict().tag(sync=True)            # the kernel's controls and labels
    # controls that need the kernel: the page disables them (tooltip `tips`)
    # while it is busy, and in a page without one (js/twins.js TwinKernelGuard)
    kernel_only = traitlets.Dict().tag(sync=True, **widget_serialization)
    tips = traitlets.Dict().tag(sync=True)

    def __init__(self, kind, controls, heatmaps=(), kernel_only=None, slicing=()):
        super().__init__(kind=kind, controls=controls, layout={"display": "none"},
                         heatmaps=[heatmap_models(h) for h in heatmaps],
                         kernel_only=kernel_only or {}, tips=KERNEL_TIPS)
        # the controls that pick a slice of the cube: without one (over
        # BUDGET) they need the kernel; the colour controls never do
        self.slicing = {name: controls[name] for name in slicing}

    def need_kernel(self, view):
        """Add the view's step control (made after the others) to kernel_only."""
        step = view.control_widgets.get("step")
        if step is not None and "step" not in self.kernel_only:
            self.kernel_only = {**self.kernel_only, "step": step}

    def update(self, state, parts=None, heatmaps=None):
        """Send the kernel's control `state`, and new numbers when `parts`
        (float32 arrays, one per heatmap) are given; one message."""
        with self.hold_sync():
            if heatmaps is not None:
                self.heatmaps = [heatmap_models(h) for h in heatmaps]
            if parts is not None:
                parts = [np.ascontiguousarray(p, dtype=np.float32) for p in parts]
                fits = bool(parts) and sum(p.nbytes for p in parts) <= BUDGET
                self.shapes = [list(p.shape) for p in parts] if fits else []
                self.cube = b"".join(p.tobytes() for p in parts) if fits else b""
                self._slicing_needs_kernel(not fits)
            self.state = state

    def _slicing_needs_kernel(self, needs):
        others = {n: c for n, c in self.kernel_only.items() if n not in self.slicing}
        kernel_only = {**others, **self.slicing} if needs else others
        if kernel_only != self.kernel_only:
            self.kernel_only = kernel_only


def heatmap_models(heatmap):
    """The models of a Heatmap (or GateHeatmap) the page redraws."""
    models = {"mark": heatmap.mark, "scale": heatmap.colour_scale, "figure": heatmap.figure,
              "colour_axis": heatmap.colour_axis}
    if getattr(heatmap, "mask", None) is not None:
        models["mask"] = heatmap.mask
    models.update(x_axis=heatmap.x_axis, y_axis=heatmap.y_axis)
    if hasattr(heatmap, "gate_lines"):
        models.update(lines=heatmap.gate_lines)
    return models


def _axes_json(axes):
    """A view's `axes(...)` ({'x', 'y': Ticks, 'x_label', 'y_label'}) as the
    page sets them on the Axis models (and the left margin the y labels need)."""
    return {"x": {**axes["x"].to_json(), "label": axes["x_label"]},
            "y": {**axes["y"].to_json(), "label": axes["y_label"],
                  "label_offset": y_label_offset(axes["y"])},
            "left": left_margin(axes["y"], axes["y_label"])}


def _norm(norm):
    """'auto', ... or [lo, hi] in the data's units."""
    return norm if isinstance(norm, str) else [float(v) for v in norm]


def colour_state(view, colours):
    """What the page needs to colour any state it can reach without the
    kernel, computed here (the page only looks up): the automatic ranges in
    the units drawn ({choice: [lo, hi]} or a list per sample / kernel), the
    palette's end colours, the kernel's norm in the units drawn ('drawn'),
    and per heatmap its colour bar's ticks for every range the page can
    reach ('bar': {'lo hi' (JavaScript's String of each): [[value, label],
    ...]}, the automatic ranges and the kernel's hand-set one) and, for a
    range dragged in the page, the rule's inputs ('bar_rule': js/ticks.js
    barTicks, the twin of _colour.bar_ticks)."""
    from ._colour import bar_max_ticks, ticks_per_side, to_drawn
    from ._ticks import js_number
    ranges = view.colour_ranges()
    as_list = lambda r: [float(r[0]), float(r[1])]   # noqa: E731
    heights = view.bar_heights()
    reachable = [set() for _ in heights]   # per heatmap: its (lo, hi) in drawn units
    for choice in view.NORMS:
        r = ranges[choice]
        for i, own in enumerate(reachable):
            if isinstance(r, tuple):
                own.add(r)
            elif len(r) == len(heights):   # one per heatmap (RNNHeatmap's kernels)
                own.add(tuple(r[i]))
            else:                          # one per sample (Features2D)
                own.update(tuple(x) for x in r)
    if isinstance(view.norm, tuple):
        for own in reachable:
            own.add(to_drawn(view.norm, view.colour_scale, ranges["c"]))
    return {"ranges": {choice: (as_list(r) if isinstance(r, tuple) else [as_list(x) for x in r])
                       for choice in view.NORMS for r in [ranges[choice]]},
            "ends": [list(end) for end in colours],
            "bar": [{f"{js_number(lo)} {js_number(hi)}":
                     [[float(v), t] for v, t in view.bar_ticks((lo, hi), height)]
                     for lo, hi in sorted(own)} for own, height in zip(reachable, heights)],
            "bar_rule": [{"symlog": view.colour_scale == "symlog", "c": float(ranges["c"]),
                          "per_side": ticks_per_side(h), "max_ticks": bar_max_ticks(h)}
                         for h in heights],
            # the norm the kernel draws, in the units drawn (the page's, until
            # the kernel's control values reach it)
            "drawn": view.norm if isinstance(view.norm, str)
            else as_list(to_drawn(view.norm, view.colour_scale, ranges["c"]))}


# -- Features2D ------------------------------------------------------------------
def attach_features2d(view):
    """A slicer for a Features2D, following its sample, direction,
    reflect_half and norm controls."""
    controls = {name: view.control_widgets[name]
                for name in ("sample", "direction", "reflect_half", "norm", "norm_auto")}
    return BrowserSlicer("features2d", controls, [view.heatmap],
                         _kernel_only(view, ("layer", "mode", "gate", "colour_scale")),
                         slicing=("sample", "direction", "reflect_half"))


PRESENTATION = ("titles", "axes", "steps", "masked")   # what a colour change keeps


def features2d_state(view, kinds=None):
    """The kernel's controls and labels. Views send it before their new
    image too: the page then takes that image as agreeing with its controls
    instead of re-slicing (a second draw) while the state is on its way. A
    change of colours only (`kinds` {SCALE}: norm) keeps the presentation
    sent last (titles of every state: ~15 ms a norm change otherwise)."""
    from ._base import Kind
    state = {"sample": view.sample, "direction": view.direction,
             "reflect_half": view.reflect_half, "timesteps_xaxis": view.timesteps_xaxis,
             "norm": _norm(view.norm), "colour": colour_state(view, view.heatmap.colours)}
    last = view.slicer.state
    if kinds == {Kind.SCALE} and all(key in last for key in PRESENTATION):
        return {**state, **{key: last[key] for key in PRESENTATION}}
    kept = view.kept()
    # presentation, one entry per state the page can reach (it only looks up)
    return {**state, "titles": view.page_titles(),
            "axes": {direction: _axes_json(view.axes(direction))
                     for direction in dict(view.page_states())},
            "steps": view._data().shape[1],
            "masked": None if kept is None else (~kept).sum(axis=1).tolist()}


def sync_features2d(view, kinds, state):
    """`state` (features2d_state), and the cube when the numbers changed:
    downsampled along time as the view draws it (per sample, so the page's
    slice equals the kernel's), with the keep-mask (1 kept, 0 masked) as a
    second part when the layer has one."""
    parts = None
    if kinds & CUBE_CHANGES:
        data, kept = view._data(), view.kept()
        samples, steps, channels = data.shape
        drawn = samples * min(steps, view.time_resolution) * channels * 4
        parts = [] if drawn > BUDGET else [
            view.drawn_image(slicing.peak_per_bin(data, view.time_resolution))]
        if parts and kept is not None:
            parts.append(slicing.kept_per_bin(kept, view.time_resolution))
    view.slicer.need_kernel(view)
    view.slicer.update(state, parts, [view.heatmap])


# -- RNNHeatmap ------------------------------------------------------------------
def attach_rnn_heatmap(view):
    """A slicer for an RNNHeatmap, following its direction, gate and norm
    controls; its heatmaps are given by `sync_rnn_heatmap`."""
    controls = {name: view.control_widgets[name]
                for name in ("direction", "gate", "norm", "norm_auto")}
    return BrowserSlicer("rnn", controls,
                         kernel_only=_kernel_only(view, ("layer", "mode", "colour_scale")),
                         slicing=("direction", "gate"))


def rnn_state(view):
    """The kernel's controls and labels (sent first too: see features2d_state)."""
    arrays, info = view.arrays(), view.info()
    return {"direction": view.direction, "gate": view.gate, "norm": _norm(view.norm),
            "colour": colour_state(view, GREYS if view.absolute_value else DIVERGING),
            "absolute_value": view.absolute_value, "layer": view.layer, "mode": view.mode,
            "directions": list(info.directions), "gates": list(info.gates),
            "units": info.units, "titles": view.page_titles(),
            "x_axes": {gate: view.gate_axis_json(gate) for gate in view.choices("gate")},
            "kernels": list(info.kernels),
            "rows": [np.atleast_2d(arrays.arrays[(info.directions[0], k)]).shape[0]
                     for k in info.kernels]}


def sync_rnn_heatmap(view, kinds, state):
    """`state` (rnn_state), and per kernel a (directions, rows, cols) cube
    when the numbers changed: every direction and gate, binned as the view
    draws them. Called after the redraw: the heatmaps are made on first use."""
    info, parts = view.info(), None
    if kinds & CUBE_CHANGES:
        binned = view.binned()
        parts = [view.drawn_image(np.stack([binned.arrays[(d, k)] for d in info.directions]))
                 for k in info.kernels]
    view.slicer.need_kernel(view)
    view.slicer.update(state, parts, [view.heatmaps[k] for k in info.kernels])


# -- page twins by lookup: Features0D, Features1D, RNNHistogram, WeightNorms, Explorer
#
# Their states are few (a direction, a gate, a sample ...), so for every state
# a control can reach in the page Python computes what is drawn and the page
# only looks up the row of the state its controls show (js/twins.js). Each
# view's `drawn_sets(state)` is the one account of what it draws -
# [(widget, trait, value)]: marks' x/y, scales' ranges, axes' ticks, titles,
# the grid's children - that its own `_redraw` applies (`apply_sets`) and that
# the table sends per state, computed straight from the cached arrays with
# one memo across the states (each direction cut once, a sample's lines a
# `Row` of the all-samples arrays, ticks once per range). Controls that need
# the kernel (a layer, a mode, a step, bins, channels) are `kernel_only`: the
# page disables them, with a tooltip, while the kernel is busy and in a page
# without a kernel.
KERNEL_TIPS = {
    "busy": "needs the Python kernel, which is busy (a cell is running): "
            "this control acts once the cell ends",
    "offline": "needs a running Python kernel: this page has none (a static export)",
}
ROW_BUDGET = 400    # states a table may hold; over it, the controls are kernel_only
POOL = 64           # Features1D figures made ahead: channels the page can show


class _Table:
    """Rows {state key: [[model index, trait, value]]}; arrays go into the
    binary cube (deduplicated), widgets by index into `models`."""

    def __init__(self):
        self.models, self._model_index = [], {}
        self.parts, self._part_index, self.size = [], {}, 0
        self._by_id = {}   # id(array) -> (array, part): one tobytes per array object
        self._encoded = {}   # id(list or dict) -> (it, its JSON form): shared by rows

    def model(self, widget):
        index = self._model_index.get(id(widget))
        if index is None:
            index = self._model_index[id(widget)] = len(self.models)
            self.models.append(widget)
        return index

    def value(self, value):
        if value is None or type(value) in (str, bool, int):
            return value
        if isinstance(value, (list, tuple, dict)):   # the same object in many rows
            known = self._encoded.get(id(value))
            if known is None or known[0] is not value:
                known = self._encoded[id(value)] = (value, self._value(value))
            return known[1]
        return self._value(value)

    def _value(self, value):
        if isinstance(value, ipywidgets.Widget):
            return {"$m": self.model(value)}
        if isinstance(value, Row):
            return {"$s": [self.part(value.array), int(value.index)]}
        if isinstance(value, np.ndarray):
            return {"$a": self.part(value)}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            value = value.item()
        if isinstance(value, float) and not np.isfinite(value):
            return {"$f": repr(value)}   # JSON has no NaN/Infinity
        return value

    def part(self, value):
        """The index of array `value` among the parts (equal arrays: one part)."""
        known = self._by_id.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        array = np.ascontiguousarray(value)
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float64)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._part_index:
            self._part_index[key] = len(self.parts)
            self.parts.append(array)
            self.size += array.nbytes
        self._by_id[id(value)] = (value, self._part_index[key])
        return self._part_index[key]

    def row(self, log):
        return [[self.model(w), name, self.value(v)] for w, name, v in log]


def _message_cleared(view):
    """The sets that clear the view's message line: every state a table
    holds is one the kernel draws (built from the view's choices), so a
    message left by an earlier refusal goes, as the kernel's redraw clears it."""
    from ._base import show_message
    line = types.SimpleNamespace(value="", layout=types.SimpleNamespace(display=None))
    show_message(types.SimpleNamespace(message=line), "")
    return [(view.message, "value", line.value),
            (view.message.layout, "display", line.layout.display)]


def tick_sets(axis, ticks, label=None, memo=None):
    """_ticks.set_ticks as sets: tick labels first, then values, then the
    axis label (`memo`: a dict kept across states, one axis_traits per Ticks)."""
    memo = {} if memo is None else memo
    key = ("axis", ticks)
    if key not in memo:
        memo[key] = ticks.axis_traits()
    traits = memo[key]
    return [(axis, "tick_labels", traits["tick_labels"]),
            (axis, "tick_values", traits["tick_values"]),
            *([] if label is None else [(axis, "label", label)])]


class Row:
    """Row `index` of a 2-D array, as a value in a table: the page takes it
    from the one array it already has (js/twins.js `$s`), not as a part of
    its own; the kernel sets `array[index]`."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def value(self):
        return self.array[self.index]


TICK_TRAITS = ("tick_labels", "tick_values")


def _unchanged(old, new):
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        if not (isinstance(old, np.ndarray) and isinstance(new, np.ndarray)):
            return False
        return old.shape == new.shape and old.dtype == new.dtype and np.array_equal(
            old, new, equal_nan=old.dtype.kind == "f")
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return len(old) == len(new) and all(_unchanged(a, b) for a, b in zip(old, new))
    try:
        return type(old) is type(new) and bool(old == new)
    except (TypeError, ValueError):
        return False


def apply_sets(sets):
    """Put [(widget, trait, value)] on the widgets, in order, leaving equal
    values alone (an equal set would send a message). Consecutive sets on
    one widget go in one message (a mark's x and y), but an Axis's
    tick_labels and tick_values each in its own, labels first (see
    _ticks.set_ticks). The kernel draws with it what a table row says."""
    groups = []
    for widget, trait, value in sets:
        if isinstance(value, Row):
            value = value.value()
        if _unchanged(getattr(widget, trait), value):
            continue
        alone = trait in TICK_TRAITS
        if groups and groups[-1][0] is widget and not alone and not groups[-1][2]:
            groups[-1][1][trait] = value
        else:
            groups.append((widget, {trait: value}, alone))
    for widget, traits, _ in groups:
        with widget.hold_sync():
            for trait, value in traits.items():
                setattr(widget, trait, value)


def row_key(values):
    """The page's key of a state: JSON of the values, as JS JSON.stringify."""
    return json.dumps(values, separators=(",", ":"))


class TwinSlicer(BrowserSlicer):
    """A `BrowserSlicer` whose page twin looks states up (js/twins.js)."""

    models = traitlets.List().tag(sync=True, **widget_serialization)

    unchecks = traitlets.Dict().tag(sync=True)   # moving control A unchecks B (as in Python)

    def __init__(self, kind, controls, kernel_only, unchecks=None):
        super().__init__(kind, controls, kernel_only=kernel_only)
        self.unchecks = unchecks or {}

    def rows(self):
        """{state key: [[model index, trait, value]]}, the table sent."""
        return json.loads(self.state.get("rows") or "{}")

    def send_table(self, view, keys, states, kinds, record, layout=None):
        """Record every state in `states` (dicts of the `keys` controls), one
        row each, and send them with the kernel's state; over ROW_BUDGET
        rows or BUDGET bytes, no rows: the controls join `kernel_only`.
        `layout`: (Layout widget, template) whose grid_template_columns the
        page sets to template.format(ceil(figures / n_rows)). `record`:
        states -> iterable of sets, the view's own account of what it draws
        for each (its `drawn_sets`: the very sets its `_redraw`
        applies, each complete)."""
        self.need_kernel(view)
        # the rows hold while only the keys moved; the heading changes
        # alone when another model's view opens (View._retitle)
        others = {n: v for n, v in view.control_state().items() if n not in keys}
        others[None] = view.heading()
        if not kinds & CUBE_CHANGES and others == getattr(self, "_others", None):
            self.state = {**self.state, "kernel": row_key([getattr(view, k) for k in keys])}
            return
        self._others = others
        table, rows = _Table(), {}
        states = list(states)
        if len(states) <= ROW_BUDGET:
            with getattr(view.inspector, "steady", contextlib.nullcontext)():
                # a row at a time, each JSON at once: the rows' ~100k small
                # objects never live together (a full garbage collection
                # every refresh or two otherwise)
                logs = zip((row_key([v[k] for k in keys]) for v in states), record(states))
                cleared = _message_cleared(view)
                for key, log in logs:
                    rows[key] = json.dumps(table.row(log + cleared),
                                           separators=(",", ":"), allow_nan=False)
                    if table.size > BUDGET:
                        rows = {}
                        break
        extra = {} if layout is None else {
            "layout": {"model": table.model(layout[0]), "template": layout[1]}}
        parts = table.parts if rows else []
        own = {n: c for n, c in self.kernel_only.items()
               if all(c is not twin for twin in self.controls.values())}
        self.kernel_only = {**own, **(self.controls if states and not rows else {})}
        meta, offset = [], 0
        for part in parts:
            meta.append({"dtype": part.dtype.name, "shape": list(part.shape), "offset": offset})
            offset += part.nbytes
        with self.hold_sync():
            self.models = table.models
            self.cube = b"".join(p.tobytes() for p in parts)
            self.shapes = meta
            self.state = {"keys": keys, "kernel": row_key([getattr(view, k) for k in keys]),
                          "options": {name: _option_values(w) for name, w in self.controls.items()
                                      if hasattr(w, "options")},
                          # one JSON string: a nested table of ~1 MB kept in the
                          # state as Python lists is walked by every send and
                          # by the garbage collector (a full collection per
                          # refresh or two: ~200 ms with TensorFlow loaded)
                          "rows": "{" + ",".join(f"{json.dumps(key)}:{row}"
                                                 for key, row in rows.items()) + "}",
                          **extra}


def _option_values(control):
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def _kernel_only(view, names):
    """{name: control widget} of the controls `names` that exist."""
    found = {name: view.control_widgets.get(name) or next(iter(_bound(view, name)), None)
             for name in names}
    return {name: control for name, control in found.items() if control is not None}


# -- Features0D -------------------------------------------------------------------
def attach_features0d(view):
    return TwinSlicer("table", {"direction": view.control_widgets["direction"]},
                      _kernel_only(view, ("layer", "mode", "step")))


def sync_features0d(view, kinds):
    """Every direction, drawn by the view's own `drawn_sets`."""
    view.slicer.send_table(view, ["direction"],
                           [{"direction": d} for d in view.choices("direction")], kinds,
                           lambda states: (view.drawn_sets(s["direction"]) for s in states))


# -- RNNHistogram -----------------------------------------------------------------
def attach_rnn_histogram(view):
    names = ("direction", "gate", "equate_axes", "bias")
    return TwinSlicer("table", {n: view.control_widgets[n] for n in names},
                      _kernel_only(view, ("layer", "mode", "step", "bins")))


def sync_rnn_histogram(view, kinds):
    """Every (direction, gate, equate_axes, bias) at the bins in effect, as
    the view's own `drawn_sets`; the cells of every gate and kernel are made
    first (the page only shows figures the kernel made)."""
    from .rnn_plots import EQUATE_AXES, _HistogramCell
    with owning(view):
        for key in view.cell_keys():
            if key not in view.cells:
                view.cells[key] = _HistogramCell()
    keys = ["direction", "gate", "equate_axes", "bias"]
    states = [dict(zip(keys, v)) for v in itertools.product(
        view.choices("direction"), view.choices("gate"), EQUATE_AXES, (True, False))]

    def record(states):
        memo = {}
        return (view.drawn_sets(s["direction"], s["gate"], s["equate_axes"], s["bias"], memo)
                for s in states)

    view.slicer.send_table(view, keys, states, kinds, record=record)


# -- Features1D -------------------------------------------------------------------
def _bound(view, name):
    """The control widgets bound to trait `name`."""
    return [b.control for b in view._bindings if b.name == name]


def attach_features1d(view):
    slider, every = _bound(view, "sample")
    controls = {"sample": slider, "sample_all": every,
                "direction": view.control_widgets["direction"],
                "share_xy": view.control_widgets["share_xy"],
                "n_rows": _bound(view, "n_rows")[0]}
    return TwinSlicer("table", controls, _kernel_only(view, ("layer", "mode", "step")) | {
        "channels": _bound(view, "channels")[0]}, unchecks={"sample": "sample_all"})


def sync_features1d(view, kinds):
    """Every (sample incl. 'all', direction, share_xy) with the kernel's
    channels (re-fitted per direction as the kernel would); n_rows is
    layout only: the page sets the grid's columns for it. The rows are the
    view's own `drawn_sets`, a sample's lines rows of the all-samples arrays."""
    keys = ["sample", "direction", "share_xy"]
    directions = view.choices("direction")
    channels = {d: view.channels_for(d) for d in directions}
    with owning(view):   # the figures the page may show
        view._figures_for(max(min(view._units(), POOL), *map(len, channels.values())))

    def record(states):
        memo = {}
        return (view.drawn_sets(s["sample"], s["direction"], channels[s["direction"]],
                                s["share_xy"], memo) for s in states)

    states = [dict(zip(keys, v)) for v in itertools.product(
        ["all", *range(view.n_samples())], directions, (True, False))]
    view.slicer.send_table(view, keys, states, kinds,
                           layout=(view.grid.layout, grid_columns("{}")), record=record)


# -- WeightNorms ------------------------------------------------------------------
def attach_weight_norms(view):
    """A pool of Lines marks on the view's scales, as many as the tracked
    layer with most weights draws: the page shows any layer's history on them."""
    from .norms import STATS
    n = len(STATS) * max(len(view.inspector.weight_names(name)) for name in view.layer_choices())
    slicer = TwinSlicer("table", {"layer": view.control_widgets["layer"]}, {})
    slicer.pool = [bqplot.Lines(scales={"x": view.x_scale, "y": view.y_scale},
                                marker="circle", marker_size=16) for _ in range(n)]
    return slicer


def sync_weight_norms(view, kinds):
    """Every tracked layer's whole history, drawn on the pool by the view's
    own `drawn_sets`."""
    view.slicer.send_table(view, ["layer"], [{"layer": name} for name in view.layer_choices()],
                           kinds, lambda states: (view.drawn_sets(s["layer"]) for s in states))


# -- Explorer ---------------------------------------------------------------------
def attach_kernel_only(view):
    """A view whose every control needs the kernel (GradientFlow,
    LayerHealth: nothing to slice in the page): the page disables them,
    saying why, while the kernel is busy. Its `_redraw` calls
    `slicer.need_kernel(view)` for the step control, made after the others."""
    return TwinSlicer("table", {}, dict(view.control_widgets))


def attach_explorer(explorer):
    """The Explorer's menus build a new view in Python: kernel_only."""
    return TwinSlicer("table", {}, {"layer": explorer._layer_menu,
                                    "what": explorer._what_menu})
