"""RNNHistogram and RNNHeatmap: one RNN layer's weights (or weight-gradients)
by kernel and gate (see-rnn rnn_histogram / rnn_heatmap)."""
import html

import bqplot
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import TraitError

from .. import rnn, slicing
from ..stats import nan_inf_counts
from . import _colour as colour
from ._base import Control, Kind, View, Whole, checkbox, dropdown, norm_controls
from ._browser import (
    apply_sets,
    attach_rnn_heatmap,
    attach_rnn_histogram,
    rnn_state,
    sync_rnn_heatmap,
    sync_rnn_histogram,
    tick_sets,
)
from ._heatmap import DIVERGING, GREYS, Heatmap
from ._ticks import (
    Ticks,
    count_ticks,
    grid_columns,
    index_ticks,
    left_margin,
    right_margin,
    value_ticks,
    y_label_offset,
)
from .selection import Linked, draw_selection

MAX_TICKS = 10   # per heatmap axis

EQUATE_AXES = (0, 1, 2)
# kernels whose subplots share x/y ranges, per equate_axes
SHARED_KERNELS = {0: (), 1: ("input", "recurrent"), 2: rnn.KERNELS}


def nan_inf_text(nans, infs):
    """'NaN 3, Inf 1' (only the non-zero parts), '' when there are none."""
    return ", ".join(f"{name} {n}" for name, n in (("NaN", nans), ("Inf", infs)) if n)


def _same(cached, now):
    """Whether two tuples hold the very same objects: the cache is for them."""
    return len(cached) == len(now) and all(a is b for a, b in zip(cached, now))


class _RNNView(View):
    """What both RNN views share: recurrent layers only, weights or
    weight-gradients, and a direction for Bidirectional layers."""

    modes = ("weights", "gradients")
    controls = {**View.controls, "direction": Kind.SLICE, "gate": Kind.SLICE}
    direction = traitlets.Unicode("forward")
    gate = traitlets.Unicode("all")

    def layer_choices(self):
        """Each recurrent layer once (its first entry: 'enc', not 'enc[1]'),
        but no Bidirectional of two layouts (see `_coerce`)."""
        infos = {name: self.inspector.rnn_info(name) for name in self.inspector.layer_names}
        names = [name for name, info in infos.items()
                 if info is not None and name == info.layer_name and info.same_layout]
        if not names:
            raise ValueError(
                f"{type(self).__name__} needs an LSTM, GRU or SimpleRNN layer (or a "
                f"Bidirectional of one); model {self.inspector.name!r} has "
                f"{self.inspector.layer_names}")
        return names

    def mode_choices(self, layer):
        """Weights; weight-gradients when the layer has them (not frozen) and
        the inspector can compute them."""
        return ["weights"] + (["gradients"] if self.inspector.has_labels
                              and self.inspector.has_weight_gradients(layer) else [])

    def _why_not(self, mode):
        if mode == "gradients" and self.inspector.frozen(self.layer):
            return f"layer {self.layer!r} is frozen (trainable=False): it has no weight-gradients"
        return super()._why_not(mode)

    def arrays(self):
        """`rnn.RNNArrays` of the shown layer, from the inspector's cache."""
        return self.inspector.rnn(self.layer, self.mode, step=self.step)

    def info(self):
        return self.inspector.rnn_info(self.layer)

    def choices(self, name):
        info = self.info()
        if name == "direction":
            return list(info.directions)
        if name == "gate":
            return ["all", *info.gates]
        return super().choices(name)

    def _not_allowed(self, name, allowed):
        if name == "gate":
            return (f"gate must be one of {allowed} for layer {self.layer!r} "
                    f"({self.info().cell}), got {self.gate!r}")
        return super()._not_allowed(name, allowed)

    def _coerce(self, name, value):
        value = super()._coerce(name, value)
        if name == "layer":   # a Bidirectional of two layouts cannot share one plot
            info = self.inspector.rnn_info(value)
            if info is not None and not info.same_layout:
                layouts = [info.layout(d) for d in info.directions]
                raise TraitError(
                    f"{type(self).__name__} cannot show layer {value!r}: its directions have "
                    f"different layouts, forward {_layout_text(layouts[0])} and backward "
                    f"{_layout_text(layouts[1])}; inspect each with insp.rnn({value!r})")
        return value

    def _refit(self, given):
        """After a layer change, fall back to 'forward' and 'all' where the
        new layer lacks the direction or gate."""
        super()._refit(given)
        if "direction" not in given and self.direction not in self.choices("direction"):
            self.direction = "forward"
        if "gate" not in given and self.gate not in self.choices("gate"):
            self.gate = "all"

    def gate_choices(self):
        return tuple(self.choices("gate"))

    def shown_gates(self):
        """The gates drawn: all of the cell's, or the chosen one."""
        return self.info().gates if self.gate == "all" else (self.gate,)

    def _top_controls(self):
        self.direction_control = dropdown(self, "direction", "direction")
        self.gate_control = dropdown(self, "gate", "gate")
        return widgets.HBox([dropdown(self, "layer", "layer"), dropdown(self, "mode", "mode"),
                             self.direction_control, self.gate_control])

    def _show_controls(self):
        """Direction and gate controls only where the layer has a choice."""
        info = self.info()
        self.direction_control.layout.display = None if len(info.directions) > 1 else "none"
        self.gate_control.layout.display = None if info.gates else "none"

    def _heading(self, direction=None, gate="all"):
        """'lstm weights (backward) - forget gate - step 20'."""
        direction = self.direction if direction is None else direction
        bidirectional = len(self.info().directions) > 1
        return (f"{self.heading()}" + (f" ({direction})" if bidirectional else "")
                + (f" - {rnn.GATE_LABELS.get(gate, gate)} gate" if gate != "all" else "")
                + self.step_note())


def _layout_text(layout):
    """'LSTM(4)' for an `rnn.CellLayout`."""
    return f"{layout.cell}({layout.units})"


class _HistogramCell:
    """A small bqplot Figure with a Bars mark: one gate of one kernel."""

    def __init__(self):
        self.x_scale = bqplot.LinearScale(allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=0.0, max=1.0, allow_padding=False)
        empty = np.zeros(1, np.float32)
        self.mark = bqplot.Bars(x=empty, y=empty, padding=0.0,
                                scales={"x": self.x_scale, "y": self.y_scale})
        axes = [bqplot.Axis(scale=self.x_scale, label="value", label_offset="28px"),
                bqplot.Axis(scale=self.y_scale, side="left", label="count")]
        self.figure = bqplot.Figure(
            marks=[self.mark], axes=axes, title_style={"font-size": "12px"},
            fig_margin={"top": 30, "bottom": 40, "left": 40, "right": 10},
            layout={"height": "170px", "width": "auto", "min_width": "0"})
        self.figure.add_class(CELL_CLASS)

    def sets(self, counts, edges, y_max, title, shown=True, memo=None):
        """[(widget, trait, value)] drawing these counts (what
        _ticks.set_histogram_axes sets on the axes), or hiding the figure.
        The figure stays in the grid either way: showing it again only
        toggles its display; its class names it a histogram only while shown."""
        memo = {} if memo is None else memo
        classes = [c for c in self.figure._dom_classes if not c.startswith(CELL_CLASS)]
        figure = self.figure
        if not shown:
            return [(figure.layout, "display", "none"),
                    (figure, "_dom_classes", (*classes, f"{CELL_CLASS}-hidden"))]
        centres = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
        lo, hi = float(edges[0]), float(edges[-1])
        x_ticks, y_ticks = _histogram_ticks(lo, hi, float(y_max), memo)
        x_axis, y_axis = figure.axes[:2]
        return [(self.mark, "x", centres), (self.mark, "y", counts.astype(np.float32)),
                (self.x_scale, "min", lo), (self.x_scale, "max", hi),
                (self.y_scale, "max", float(y_max)),
                *tick_sets(x_axis, x_ticks, "value", memo),
                *tick_sets(y_axis, y_ticks, "count", memo),
                (y_axis, "label_offset", y_label_offset(y_ticks)),
                (figure, "fig_margin", {**figure.fig_margin,
                                        "left": left_margin(y_ticks, "count"),
                                        "right": right_margin(x_ticks)}),
                (figure, "title", title),
                (figure.layout, "display", None),
                (figure, "_dom_classes", (*classes, CELL_CLASS))]


CELL_CLASS = "seernn-rnnhistogram"


def _histogram_ticks(lo, hi, y_max, memo):
    """A histogram's x ticks (round values) and y ticks (integer counts), as
    _ticks.set_histogram_axes makes them."""
    key = ("histogram ticks", lo, hi, y_max)
    if key not in memo:
        memo[key] = (value_ticks(lo, hi, 3), count_ticks(y_max))
    return memo[key]


class RNNHistogram(_RNNView):
    """Grid of histograms: rows = kernels (input, recurrent, bias), columns =
    gates, for one direction. NaN/Inf are left out of the counts and counted
    in the subplot's title.

    equate_axes: 0 each subplot its own ranges; 1 input and recurrent subplots
    share x (the same bins) and y ranges; 2 the bias subplots too.

    Example:
        RNNHistogram(insp, 'bidirectional', direction='backward', equate_axes=2)
    """

    controls = {**_RNNView.controls, "equate_axes": Kind.SCALE, "bins": Kind.LAYOUT,
                "bias": Kind.LAYOUT}

    equate_axes = Whole(1, min=0, max=max(EQUATE_AXES))
    bins = Whole(50, min=1)
    bias = traitlets.Bool(True)

    def _histograms(self, direction=None, gate=None, equate_axes=None, bias=None, memo=None):
        """{(kernel, gate): (counts, edges, n_nan, n_inf)} of the view's state
        (or of the one given); gate is None for SimpleRNN. Shared subplots
        are binned over their common range. `memo`: a dict kept across
        states (each piece binned once per range)."""
        direction = self.direction if direction is None else direction
        gate = self.gate if gate is None else gate
        equate_axes = self.equate_axes if equate_axes is None else equate_axes
        bias = self.bias if bias is None else bias
        memo = {} if memo is None else memo
        arrays = self.arrays()
        kernels = [k for k in arrays.info.kernels if bias or k != "bias"]
        gates = arrays.info.gates or (None,)
        if ("pieces", direction) not in memo:
            memo[("pieces", direction)] = {
                (kernel, g): piece for kernel in arrays.info.kernels
                for g, piece in zip(gates, arrays.gates_of(direction, kernel))}
        pieces = {key: piece for key, piece in memo[("pieces", direction)].items()
                  if key[0] in kernels and gate in ("all", key[1])}
        shared = SHARED_KERNELS[equate_axes]
        common = slicing.finite_range([p for (k, _), p in pieces.items() if k in shared])
        histograms = {}
        for key, piece in pieces.items():
            at = common if key[0] in shared else None
            if ("histogram", direction, key, at) not in memo:
                memo[("histogram", direction, key, at)] = slicing.histogram(piece, self.bins, at)
            histograms[key] = memo[("histogram", direction, key, at)]
        return histograms

    def view_data(self):
        return {key: (counts, edges) for key, (counts, edges, _, _) in self._histograms().items()}

    def _build(self):
        self.cells = {}   # (kernel, gate) -> _HistogramCell, kept across layers
        self.title_line = widgets.HTML()
        self.title_line.add_class("seernn-title")
        self.grid = widgets.GridBox(layout={"width": "100%"})
        self.grid.add_class("seernn-rnnhistogram-grid")
        equate = dropdown(self, "equate_axes", "equate axes", options=[
            ("0: own axes", 0), ("1: share kernels", 1), ("2: share all", 2)])
        bins = widgets.BoundedIntText(value=self.bins, min=1, max=10_000, description="bins")
        self.bind("bins", bins)
        bias = checkbox(self, "bias")
        self.body.children = [self._top_controls(), self.title_line, self.grid,
                         widgets.HBox([equate, bins, bias])]
        self.slicer = attach_rnn_histogram(self)   # the controls act in the page too
        self.body.children += (self.slicer,)

    def _redraw(self, kinds):
        sync_rnn_histogram(self, kinds)   # every state the page can show, for the page
        self._show_controls()
        for key in self.cell_keys():
            if key not in self.cells:
                self.cells[key] = _HistogramCell()
        apply_sets(self.drawn_sets(self.direction, self.gate, self.equate_axes, self.bias))

    def cell_keys(self):
        """(kernel, gate) of every subplot the layer can show, in grid order."""
        info = self.info()
        return [(k, g) for k in info.kernels for g in (info.gates or (None,))]

    def drawn_sets(self, direction, gate, equate_axes, bias, memo=None):
        """[(widget, trait, value)]: everything drawn for that state (the
        cells exist). Every subplot of the layer stays in the grid, those not
        shown hidden: a gate or bias change only toggles their display.
        `_redraw` applies them; the page twin sends them for every state."""
        memo = {} if memo is None else memo
        histograms = self._histograms(direction, gate, equate_axes, bias, memo)
        shared = SHARED_KERNELS[equate_axes]
        common_y = max([h[0].max(initial=1) for (k, _), h in histograms.items() if k in shared],
                       default=1)
        sets = []
        for key in self.cell_keys():
            cell = self.cells[key]
            if key not in histograms:
                sets += cell.sets(None, None, None, None, shown=False)
                continue
            kernel, gate_ = key
            counts, edges, nans, infs = histograms[key]
            y_max = common_y if kernel in shared else counts.max(initial=1)
            title = kernel if gate_ is None else f"{kernel}: {gate_}"
            bad = nan_inf_text(nans, infs)
            sets += cell.sets(counts, edges, y_max, f"{title}  {bad}" if bad else title,
                              memo=memo)
        gates = self.info().gates if gate == "all" else (gate,)
        return sets + [
            (self.grid.layout, "grid_template_columns", grid_columns(max(len(gates), 1))),
            (self.grid, "children", tuple(self.cells[key].figure for key in self.cell_keys())),
            (self.title_line, "value", f"<b>{html.escape(self._heading(direction))}</b>")]


class GateHeatmap(Heatmap):
    """A Heatmap with vertical lines between gates and gate names as the
    x tick labels (at each gate's centre)."""

    def __init__(self, image, norm, **kwargs):
        super().__init__(image, norm, **kwargs)
        self.gate_lines = bqplot.Lines(x=[[0, 0]], y=[[0, 0]], colors=["black"],
                                       stroke_width=1.5, visible=False,
                                       scales={"x": self.x_scale, "y": self.y_scale})
        self.figure.marks = [self.mark, self.gate_lines]

    def show_gates(self, boundaries, height):
        """Lines between gates at column `boundaries` (cell edges), over
        `height` rows."""
        # hidden lines still count in the x scale's domain: keep them inside
        at = boundaries or [0]
        with self.gate_lines.hold_sync():
            self.gate_lines.visible = bool(boundaries)
            self.gate_lines.x = np.array([[b, b] for b in at], np.float32)
            self.gate_lines.y = np.array([[-0.5, height - 0.5]] * len(at), np.float32)


class RNNHeatmap(Linked, colour.ColourControls, _RNNView):
    """One heatmap per kernel (input, recurrent, bias) of one direction,
    gates side by side and separated by lines; diverging colours centred
    on 0, or |values| in greys from white (0) to black (max). Kernels
    bigger than `resolution` = (rows, columns) are drawn binned to it, each
    pixel keeping its bin's largest-|value| entry (bins never straddle gates).

    Example:
        RNNHeatmap(insp, 'gru', mode='gradients', absolute_value=True)
    """

    controls = {**_RNNView.controls, "norm": Kind.SCALE, "absolute_value": Kind.SLICE,
                "resolution": Kind.LAYOUT, "colour_scale": Kind.LAYOUT}
    # the automatic colour ranges (see _colour): over the layer, each kernel, robust
    NORMS = (colour.AUTO, "kernel", colour.ROBUST)

    norm = Control(colour.AUTO)   # one of NORMS, or (lo, hi); None is 'auto'
    colour_scale = Control("linear")   # or 'symlog': sign(v)*log10(1+|v|/c) drawn
    absolute_value = traitlets.Bool(False)
    resolution = traitlets.Tuple(traitlets.Int(min=1), traitlets.Int(min=1),
                                 default_value=(256, 1024))   # ~ a figure's pixels

    Y_LABELS = {"input": "input channel", "recurrent": "hidden unit", "bias": "bias row"}
    HEIGHTS = {"input": 260, "recurrent": 260, "bias": 130}

    def _prepare(self):
        self._ranges = None  # (arrays, colour scale, ranges): see colour_ranges
        self._binned = {}    # (direction, kernel) -> ((array, resolution), binned)
        self._bad = None     # (binned arrays, {(direction, gate, kernel): NaN/Inf text})

    def binned(self, directions=None):
        """The layer's arrays of `directions` (all by default) binned to
        `resolution`, as the page's cube holds them; each binned once per
        data change, and only when first needed (the shown direction first)."""
        arrays = self.arrays()
        info = arrays.info
        binned = {}
        for where in [(d, k) for d in directions or info.directions for k in info.kernels]:
            raw = arrays.arrays[where]
            cached = self._binned.get(where)
            if cached is None or not _same(cached[0], (raw, self.resolution)):
                cached = self._binned[where] = ((raw, self.resolution), slicing.peak_per_bin_2d(
                    raw, len(info.gates), self.resolution))
            binned[where] = cached[1]
        return rnn.RNNArrays(info, binned)

    def _matrices(self):
        """{kernel: (matrix drawn, (width, height) it spans in units and rows)}
        of the shown direction."""
        arrays, binned = self.arrays(), self.binned([self.direction])
        width = self.info().units * max(len(self.shown_gates()), 1)
        return {kernel: (slicing.rnn_matrix(binned, self.direction, kernel,
                                            self.absolute_value, self.gate)[0],
                         (width, np.atleast_2d(arrays.arrays[(self.direction, kernel)]).shape[0]))
                for kernel in arrays.info.kernels}

    def view_data(self):
        return {kernel: matrix for kernel, (matrix, _) in self._matrices().items()}

    def colour_ranges(self):
        """The automatic ranges, one per kernel (in `info.kernels` order) in
        the units drawn: {'auto': ..., 'kernel': ..., 'robust': ...}, plus 'c'
        (the symlog's linthresh). 'auto' is ±max|value| over every direction, kernel and gate of
        the layer, so a direction or gate change keeps the colours; 'kernel'
        over each kernel's directions and gates. (0, max) for absolute_value.
        Computed once per data change and colour scale."""
        arrays = self.arrays()
        parts = tuple(arrays.arrays.values())
        scale = self.colour_scale
        if self._ranges is None or not _same(self._ranges[0], parts) \
                or self._ranges[1] != scale:
            values = np.concatenate([np.ravel(a) for a in parts])
            c = colour.linthresh(values) if scale == "symlog" else 1.0
            top = colour.peak(values)
            kernels = arrays.info.kernels
            tops = {colour.AUTO: [top] * len(kernels),
                    colour.ROBUST: [colour.robust_peak(values)] * len(kernels),
                    "kernel": [colour.peak(np.concatenate(
                        [np.ravel(arrays.arrays[(d, k)]) for d in arrays.info.directions]))
                        for k in kernels]}
            self._ranges = (parts, scale, {"tops": tops, "c": c})
        cached = self._ranges[2]
        drawn = {choice: [colour.to_drawn(colour.symmetric(t, self.absolute_value), scale,
                                          cached["c"]) for t in tops]
                 for choice, tops in cached["tops"].items()}
        return {**drawn, "c": cached["c"]}

    def norm_shown(self, kernel=None):
        """The colour range of `kernel`'s heatmap now, in the units drawn;
        without a kernel the widest of them (what the slider shows)."""
        ranges = self.colour_ranges()
        if isinstance(self.norm, tuple):
            return colour.to_drawn(self.norm, self.colour_scale, ranges["c"])
        shown = ranges[self.norm]
        if kernel is not None:
            return shown[self.info().kernels.index(kernel)]
        return (min(lo for lo, _ in shown), max(hi for _, hi in shown))

    def _set_norm(self, kernel, **kwargs):
        norm = self.norm_shown(kernel)
        self.heatmaps[kernel].set_norm(norm, ticks=self.bar_ticks(norm, self.HEIGHTS[kernel]),
                                       **kwargs)

    def bar_heights(self):
        """The figure height of each kernel's heatmap, for its colour bar's ticks."""
        return [self.HEIGHTS[k] for k in self.info().kernels]

    def _build(self):
        self.heatmaps = {}   # kernel -> GateHeatmap, kept across layers
        norm_box = norm_controls(self, dropdown(self, "colour_scale", "colours",
                                                options=list(colour.COLOUR_SCALES)))
        self._controls = (self._top_controls(), norm_box)
        # the page re-slices while the kernel is busy (e.g. in model.fit)
        self.slicer = attach_rnn_heatmap(self)

    def kernel_title(self, direction, gate, kernel, bad):
        """One heatmap's title ('bad': its NaN/Inf text); the page's too."""
        return f"{self._heading(direction, gate)}: {kernel}" + (
            f"  {bad} (NaN yellow)" if bad else "")

    def page_titles(self):
        """{'direction/gate': [title of each kernel]} for every state the
        page can show without the kernel; NaN/Inf counted in the drawn
        (binned) matrices, as the kernel's own titles count them."""
        binned = self.binned()
        parts = tuple(binned.arrays.values())
        if self._bad is None or not _same(self._bad[0], parts):
            info = binned.info
            self._bad = (parts, {
                (d, g, k): nan_inf_text(*nan_inf_counts(
                    slicing.rnn_matrix(binned, d, k, False, g)[0]))
                for d in info.directions for g in self.choices("gate") for k in info.kernels})
        info = self.info()
        return {f"{d}/{g}": [self.kernel_title(d, g, k, self._bad[1][(d, g, k)])
                             for k in info.kernels]
                for d in info.directions for g in self.choices("gate")}

    def gate_axis(self, gate):
        """The x axis for `gate` ('all' or one): {'ticks', 'label',
        'boundaries'}: gate names at the gates' centres, or unit indices."""
        info = self.info()
        units = info.units
        if gate == "all" and info.gates:
            centres = [units * g + (units - 1) / 2 for g in range(len(info.gates))]
            return {"ticks": Ticks(tuple(centres),
                                   tuple(rnn.GATE_LABELS.get(g, g) for g in info.gates)),
                    "label": f"gates, {units} units each",
                    "boundaries": [units * g - 0.5 for g in range(1, len(info.gates))]}
        label = "unit" if gate == "all" else f"unit of the {rnn.GATE_LABELS.get(gate, gate)} gate"
        return {"ticks": index_ticks(units, MAX_TICKS), "label": label, "boundaries": []}

    def gate_axis_json(self, gate):
        """`gate_axis` as the page's slicer is sent it."""
        axis = self.gate_axis(gate)
        return {**axis["ticks"].to_json(), "label": axis["label"],
                "boundaries": axis["boundaries"]}

    def _heatmap(self, kernel, image, norm):
        if kernel not in self.heatmaps:
            heatmap = GateHeatmap(image, norm, css_class="seernn-rnnheatmap",
                                  y_label=self.Y_LABELS[kernel], height=self.HEIGHTS[kernel])
            heatmap.figure.add_class(f"seernn-rnnheatmap-{kernel}")
            self.heatmaps[kernel] = heatmap
        return self.heatmaps[kernel]

    def _redraw(self, kinds):
        self._show_controls()
        state = rnn_state(self)
        self.slicer.update(state)   # before the images: the page's controls agree first
        matrices = self._matrices()
        data = {kernel: matrix for kernel, (matrix, _) in matrices.items()}
        if kinds == {Kind.SCALE}:   # colours only, no new image
            for kernel in data:
                self._set_norm(kernel)
            colour.note_drawn(self)
            sync_rnn_heatmap(self, kinds, state)
            return
        x_axis = self.gate_axis(self.gate)
        for kernel, (matrix, extent) in matrices.items():
            norm = self.norm_shown(kernel)
            heatmap = self._heatmap(kernel, self.drawn_image(matrix), norm)
            heatmap.colours = GREYS if self.absolute_value else DIVERGING
            title = self.kernel_title(self.direction, self.gate, kernel,
                                      nan_inf_text(*nan_inf_counts(matrix)))
            heatmap.show(self.drawn_image(matrix), norm, title, extent)
            self._set_norm(kernel)
            heatmap.set_axes(x_axis["ticks"], index_ticks(extent[1], MAX_TICKS),
                             x_axis["label"], self.Y_LABELS[kernel])
            heatmap.show_gates(x_axis["boundaries"], extent[1])
        top, norm_box = self._controls
        self.body.children = [top, *(self.heatmaps[k].figure for k in data), norm_box,
                              self.slicer]
        colour.note_drawn(self)
        sync_rnn_heatmap(self, kinds, state)
        draw_selection(self)   # the selected unit's kernel columns; clicks select a unit
