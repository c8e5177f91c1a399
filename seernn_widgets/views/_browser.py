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
server's 10 MiB limit drops the connection); the controls then wait for the
kernel, as without this widget.
"""
import re
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from ipywidgets import widget_serialization

from .. import slicing
from ._base import Kind
from ._ticks import left_margin, y_label_offset

CUBE_CHANGES = {Kind.DATA, Kind.LAYOUT}   # the page's cube is sent again

BUDGET = 8 * 2**20          # bytes of cube sent to the page, at most

_PACKAGE = Path(__file__).resolve().parent.parent
# the page's ES modules, each after the ones it imports (anywidget serves one file)
MODULES = ("slicing.js", "contexts.js", "widget.js")
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

    def __init__(self, kind, controls, heatmaps=()):
        super().__init__(kind=kind, controls=controls, layout={"display": "none"},
                         heatmaps=[heatmap_models(h) for h in heatmaps])

    def update(self, state, parts=None, heatmaps=None):
        """Send the kernel's control `state`, and new numbers when `parts`
        (float32 arrays, one per heatmap) are given; one message."""
        with self.hold_sync():
            if heatmaps is not None:
                self.heatmaps = [heatmap_models(h) for h in heatmaps]
            if parts is not None:
                parts = [np.ascontiguousarray(p, dtype=np.float32) for p in parts]
                fits = sum(p.nbytes for p in parts) <= BUDGET
                self.shapes = [list(p.shape) for p in parts] if fits else []
                self.cube = b"".join(p.tobytes() for p in parts) if fits else b""
            self.state = state


def heatmap_models(heatmap):
    """The models of a Heatmap (or GateHeatmap) the page redraws."""
    models = {"mark": heatmap.mark, "scale": heatmap.colour_scale, "figure": heatmap.figure}
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
    return None if norm is None else [float(v) for v in norm]


# -- Features2D ------------------------------------------------------------------
def attach_features2d(view):
    """A slicer for a Features2D, following its sample, direction,
    reflect_half and norm controls."""
    controls = {name: view.control_widgets[name]
                for name in ("sample", "direction", "reflect_half", "norm", "norm_auto")}
    return BrowserSlicer("features2d", controls, [view.heatmap])


def features2d_state(view):
    """The kernel's controls and labels. Views send it before their new
    image too: the page then takes that image as agreeing with its controls
    instead of re-slicing (a second draw) while the state is on its way."""
    kept = view.kept()
    return {"sample": view.sample, "direction": view.direction,
            "reflect_half": view.reflect_half, "timesteps_xaxis": view.timesteps_xaxis,
            "norm": _norm(view.norm),
            # presentation, one entry per state the page can reach (it only looks up)
            "titles": view.page_titles(),
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
        parts = [] if drawn > BUDGET else [slicing.peak_per_bin(data, view.time_resolution)]
        if parts and kept is not None:
            parts.append(slicing.kept_per_bin(kept, view.time_resolution))
    view.slicer.update(state, parts, [view.heatmap])


# -- RNNHeatmap ------------------------------------------------------------------
def attach_rnn_heatmap(view):
    """A slicer for an RNNHeatmap, following its direction, gate and norm
    controls; its heatmaps are given by `sync_rnn_heatmap`."""
    controls = {name: view.control_widgets[name]
                for name in ("direction", "gate", "norm", "norm_auto")}
    return BrowserSlicer("rnn", controls)


def rnn_state(view):
    """The kernel's controls and labels (sent first too: see features2d_state)."""
    arrays, info = view.arrays(), view.info()
    return {"direction": view.direction, "gate": view.gate, "norm": _norm(view.norm),
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
        parts = [np.stack([binned.arrays[(d, k)] for d in info.directions])
                 for k in info.kernels]
    view.slicer.update(state, parts, [view.heatmaps[k] for k in info.kernels])
