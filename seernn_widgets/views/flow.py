"""GradientFlow: how much gradient each sequence layer's output gets at each
timestep (see-rnn's "does the gradient reach the early timesteps?", "how well
does it backpropagate layer to layer?"), for the whole model at once.

The numbers (pure NumPy, `timestep_flow`, `time_ratio`):

* flow[t] of a layer = mean over the kept samples at t and over all channels
  of |dLoss/d(output)[sample, t, channel]|. A sample is kept at t unless
  `insp.mask(layer)` is False there (masked timesteps are what the next
  layers ignore, so their gradient is no signal); a timestep no sample keeps
  is NaN (drawn as a gap, a yellow cell in the heatmap), never 0.
* Time runs along each layer's output array, as the next layer reads it. A
  `go_backwards` layer's output is reversed (its output timestep t comes
  from input timestep T-1-t), and so is the time of every layer reading it:
  its line is drawn as Keras returns it, not flipped, and its legend entry
  and verdict say 'reversed'. (A Bidirectional's output is in input order.)
* The verdict: for each layer with T >= 2 timesteps, with k = max(1,
  floor(edge * T)) (`edge` = 0.1 by default), ratio = mean(flow[:k]) /
  mean(flow[-k:]) (NaN timesteps left out of both means); the title names
  the layer with the smallest ratio: "lstm: early timesteps get 1e-4 of the
  late gradient". A layer whose early or late mean is NaN or whose late
  mean is 0 has no ratio.
* Layers whose output does not reach the loss have no gradient: they are
  skipped and named under the figure (never drawn as zeros).
"""
import html
import math

import bqplot
import ipywidgets as widgets
import numpy as np
from bqplot_image_gl import ImageGL
from traitlets import TraitError

from ..inspector import NoGradientError
from ._base import Control, Kind, View, dropdown
from ._browser import attach_kernel_only
from ._heatmap import NAN_COLOUR
from ._ticks import Ticks, cell_extent, index_ticks, set_ticks, title_style, value_ticks
from .features import rank
from .lines import palette

EDGE = 0.1        # the verdict's share of timesteps at each end
SCALES = ("log", "linear")
LOW, HIGH = (247, 251, 255), (8, 48, 107)   # the heatmap: light (small) to dark blue (large)
N_COLOURS = 256


# -- the numbers (pure NumPy) --------------------------------------------------------
def timestep_flow(grad, kept=None):
    """(timesteps,) float64: mean |grad| over channels and the samples `kept`
    (bool (samples, timesteps), None = all) at each timestep; NaN where
    no sample is kept."""
    per_sample = np.abs(np.asarray(grad, dtype=np.float64)).mean(axis=-1)   # (samples, T)
    if kept is None:
        return per_sample.mean(axis=0)
    kept = np.asarray(kept, dtype=bool)
    counts = kept.sum(axis=0)
    total = np.where(kept, per_sample, 0.0).sum(axis=0)   # masked NaN/Inf never enter
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def edge_size(timesteps, edge=EDGE):
    """k: the timesteps at each end the verdict averages; None for T < 2."""
    if timesteps < 2:
        return None
    return min(max(1, math.floor(edge * timesteps + 1e-9)), timesteps // 2)


def time_ratio(flow, edge=EDGE):
    """mean(flow[:k]) / mean(flow[-k:]) over the non-NaN entries (see the
    module), or None when it is not defined."""
    flow = np.asarray(flow, dtype=np.float64)
    k = edge_size(len(flow), edge)
    if k is None:
        return None
    early, late = flow[:k], flow[-k:]
    early, late = early[~np.isnan(early)], late[~np.isnan(late)]
    if not early.size or not late.size:
        return None
    early, late = early.mean(), late.mean()
    if not (math.isfinite(early) and math.isfinite(late)) or late <= 0:
        return None
    return float(early / late)


def format_ratio(ratio):
    """'0.53', '2.4', '1e-4', '3e+5': two digits near 1, a power of ten far away."""
    if 0.01 <= ratio < 100:
        return f"{ratio:.2g}"
    mantissa, exponent = f"{ratio:.0e}".split("e")
    return f"{mantissa}e{'-' if exponent[0] == '-' else '+'}{int(exponent[1:])}"


def sequential_palette(n=N_COLOURS):
    return ["#" + "".join(f"{round(lo + (hi - lo) * i / (n - 1)):02x}"
                          for lo, hi in zip(LOW, HIGH)) for i in range(n)]


class GradientFlow(View):
    """Mean |dLoss/d(output)| per timestep of every sequence layer (3-D
    output) that reaches the loss, one line per layer in model order, on a
    log scale; the title's verdict compares early to late timesteps (see the
    module for the definitions). With recorded history, a heatmap of one
    layer (`layer`): training steps (rows) x timesteps, log10 colours.

    Example:
        flow = GradientFlow(insp)              # LiveRefresh(insp) keeps it live
        flow.view_data()                       # {'lstm': (timesteps,), ...}
        flow.verdict()                         # ('lstm', 1.3e-4, 'lstm: early ...')
        flow.set_controls(layer='lstm_1', scale='linear', edge=0.2)
    """

    modes = ("gradients",)
    # layer: only which history heatmap is drawn; the lines are every layer's
    controls = {"layer": Kind.SLICE, "scale": Kind.SCALE, "edge": Kind.SLICE}
    scale = Control("log")    # 'log': log y axis and log10 colours; 'linear'
    edge = Control(EDGE)      # the verdict's share of timesteps at each end, in (0, 0.5]

    def __init__(self, inspector, layer=None, **controls):
        """`layer`: the layer of the history heatmap (default the first)."""
        self._cache = {}      # (layer, step) -> (gradient, mask, flow): once per array
        self._marks = []      # a pool of Lines marks, one per layer drawn
        super().__init__(inspector, layer, **controls)

    # -- what it shows -------------------------------------------------------------
    def sequence_layers(self):
        """Every entry with a 3-D (samples, timesteps, channels) output."""
        return [name for name in self.inspector.layer_names
                if rank(self.inspector.output_shape(name)) == 3]

    def layer_choices(self):
        """The sequence layers whose output reaches the loss."""
        return [name for name in self.sequence_layers() if self.has_output_gradient(name)]

    def mode_choices(self, layer):
        return ["gradients"]

    def _construct(self, layer, mode, controls):
        if not self.layer_choices():
            why = ("it needs labels and a compiled loss" if not self.inspector.has_labels else
                   f"no layer with a 3-D output reaches the loss (3-D outputs: "
                   f"{self.sequence_layers()})")
            raise ValueError(f"GradientFlow can show no layer of model "
                             f"{self.inspector.name!r}: {why}")
        super()._construct(layer, mode, controls)

    def choices(self, name):
        if name == "scale":
            return list(SCALES)
        return super().choices(name)

    def _not_allowed(self, name, allowed):
        if name == "scale":
            return f"scale must be one of {allowed}, got {self.scale!r}"
        if name == "layer" and self.layer in self.sequence_layers():
            return (f"GradientFlow has no history of layer {self.layer!r}: its output does "
                    f"not reach the loss; layers it can show: {allowed}")
        return super()._not_allowed(name, allowed)

    def _coerce(self, name, value):
        if name == "edge" and isinstance(value, (np.floating, np.integer)):
            return value.item()
        return super()._coerce(name, value)

    def _check_values(self):
        edge = self.edge
        if isinstance(edge, bool) or not isinstance(edge, (int, float)) \
                or not 0 < edge <= 0.5:
            raise TraitError(f"edge must be a number in (0, 0.5] (the share of timesteps "
                             f"at each end the verdict compares), got {edge!r}")

    def subject(self, what=None, layer=None):
        return "gradient flow"

    def reversed_in_time(self, layer):
        """Whether the layer's output runs backwards in time (go_backwards)."""
        try:
            return bool(getattr(self.inspector.layer(layer), "go_backwards", False))
        except Exception:   # a source without Keras layers (a recorded run)
            return False

    # -- the numbers -----------------------------------------------------------------
    def flow(self, layer, step=None):
        """(timesteps,) float64 of `layer` at `step` (None: the latest);
        NoGradientError when the output has no gradient there."""
        grad = self.inspector.gradients(layer, "outputs", step=step)
        kept = self.inspector.mask(layer, step)
        if kept is not None and kept.shape != grad.shape[:2]:
            kept = None   # not a mask of these timesteps
        cached = self._cache.get((layer, step))
        if cached is not None and cached[0] is grad and cached[1] is kept:
            return cached[2]
        flow = timestep_flow(grad, kept)
        self._cache[(layer, step)] = (grad, kept, flow)
        return flow

    def flows(self, step=None):
        """({layer: flow}, {layer: why skipped}) at `step`, in model order."""
        flows, skipped = {}, {}
        for name in self.sequence_layers():
            if name not in self.layer_choices():
                skipped[name] = "does not reach the loss"
                continue
            try:
                flows[name] = self.flow(name, step)
            except NoGradientError:
                skipped[name] = "does not reach the loss"
        return flows, skipped

    def view_data(self):
        """{layer: (timesteps,) float64}: the lines drawn (`step`: the
        snapshot shown), in model order."""
        return self.flows(self.step)[0]

    def ratios(self):
        """{layer: early/late ratio or None} (see the module)."""
        return {name: time_ratio(flow, self.edge) for name, flow in self.view_data().items()}

    def verdict(self):
        """(layer, ratio, text) for the layer with the smallest ratio, or
        (None, None, text) when no layer has one."""
        known = {name: r for name, r in self.ratios().items() if r is not None}
        if not known:
            return None, None, "no early/late verdict (fewer than 2 timesteps or no gradient)"
        name = min(known, key=known.get)
        early = "early output (late input) timesteps" if self.reversed_in_time(name) \
            else "early timesteps"
        share = "no" if known[name] == 0 else format_ratio(known[name])   # never '0e+0'
        return name, known[name], f"{name}: {early} get {share} of the late gradient"

    def history(self, layer=None):
        """{'steps': recorded steps (oldest first), 'flow': (steps, timesteps)
        float64} of `layer` (default the heatmap's); a step without the
        layer's gradient is a row of NaN."""
        layer = self.layer if layer is None else self.inspector.entry_name(layer)
        steps = list(self.inspector.history.steps)
        timesteps = self.layer_shape(layer)[1]
        rows = []
        for step in steps:
            try:
                rows.append(self.flow(layer, step))
            except (NoGradientError, KeyError):   # recorded without gradients
                rows.append(np.full(timesteps, np.nan))
        self._forget_evicted(steps)
        flow = np.stack(rows) if rows else np.zeros((0, timesteps))
        return {"steps": steps, "flow": flow}

    def _forget_evicted(self, steps):
        kept = set(steps) | {None}
        self._cache = {k: v for k, v in self._cache.items() if k[1] in kept}

    # -- widgets ------------------------------------------------------------------------
    def _build(self):
        self.x_scale = bqplot.LinearScale()
        self.y_scales = {"log": bqplot.LogScale(), "linear": bqplot.LinearScale()}
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="timestep")
        self.y_axis = bqplot.Axis(scale=self.y_scales[self.scale], side="left",
                                  label="mean |dLoss/d(output)|", label_offset="55px")
        self.figure = bqplot.Figure(
            axes=[self.x_axis, self.y_axis],
            fig_margin={"top": 40, "bottom": 40, "left": 90, "right": 20},
            layout=widgets.Layout(height="320px", width="100%"))
        self.figure.add_class("seernn-gradientflow")
        self.legend = widgets.HTML()
        self.legend.add_class("seernn-legend")

        self.colour_scale = bqplot.ColorScale(colors=sequential_palette(), min=0, max=1)
        self.heat_x = bqplot.LinearScale(allow_padding=False)
        self.heat_y = bqplot.LinearScale(allow_padding=False, reverse=True)
        self.image = ImageGL(image=np.full((1, 1), np.nan, np.float32), x=cell_extent(1),
                             y=cell_extent(1), scales={"x": self.heat_x, "y": self.heat_y,
                                                       "image": self.colour_scale})
        self.heat_x_axis = bqplot.Axis(scale=self.heat_x, label="timestep")
        self.heat_y_axis = bqplot.Axis(scale=self.heat_y, side="left", label="training step")
        self.heatmap = bqplot.Figure(
            # no ColorAxis: its bar rendered a few pixels tall here; the title says the range
            marks=[self.image], axes=[self.heat_x_axis, self.heat_y_axis],
            background_style={"fill": NAN_COLOUR},
            fig_margin={"top": 40, "bottom": 40, "left": 70, "right": 20},
            layout=widgets.Layout(height="260px", width="100%"))
        self.heatmap.add_class("seernn-gradientflow-history")
        self.history_note = widgets.HTML()

        edge = widgets.BoundedFloatText(value=self.edge, min=0.001, max=0.5, step=0.05,
                                        description="edge", layout={"width": "160px"})
        self.bind("edge", edge)
        self.control_widgets["edge"] = edge
        top = widgets.HBox([dropdown(self, "scale", "scale"), edge])
        history = widgets.VBox([dropdown(self, "layer", "history of"), self.heatmap,
                                self.history_note])
        self.history_box = history
        self.slicer = attach_kernel_only(self)
        self.body.children = [top, self.figure, self.legend, history, self.slicer]

    def _redraw(self, kinds):
        self.slicer.need_kernel(self)
        flows, skipped = self.flows(self.step)
        self._draw_lines(flows, skipped)
        self._draw_history()

    def drawn_lines(self):
        """{layer: y drawn}: `view_data()`, with 0 as NaN on the log scale
        (a log axis has no 0; the title counts them)."""
        data = self.view_data()
        if self.scale == "linear":
            return data
        return {name: np.where(flow > 0, flow, np.nan) for name, flow in data.items()}

    def _draw_lines(self, flows, skipped):
        while len(self._marks) < len(flows):
            self._marks.append(bqplot.Lines(scales={"x": self.x_scale,
                                                    "y": self.y_scales["log"]},
                                            stroke_width=2, marker="circle", marker_size=12))
        y_scale = self.y_scales[self.scale]
        colours = palette(len(flows))
        drawn = self.drawn_lines()
        marks = self._marks[:len(flows)]
        for mark, colour, name in zip(marks, colours, flows):
            with mark.hold_sync():
                mark.scales = {"x": self.x_scale, "y": y_scale}
                mark.x = np.arange(len(flows[name]), dtype=np.float64)
                mark.y = drawn[name]
                mark.colors = [colour]
                mark.labels = [name]
        self.figure.marks = marks
        self.y_axis.scale = y_scale
        self._set_axes(flows, drawn)
        zeros = sum(int((flow == 0).sum()) for flow in flows.values()) \
            if self.scale == "log" else 0
        title = (f"{self.heading()}: {self.verdict()[2]}{self.step_note()}"
                 + (f" - {len(skipped)} layer{'s' * (len(skipped) > 1)} without gradient"
                    if skipped else "")
                 + (f" - {zeros} zero values not drawn (log scale)" if zeros else ""))
        self.figure.title_style = title_style(title, width_px=600)
        self.figure.title = title
        self.legend.value = self.legend_html(list(flows), colours, skipped)

    def _set_axes(self, flows, drawn):
        longest = max(len(flow) for flow in flows.values())
        set_ticks(self.x_axis, index_ticks(longest, 10))
        self.x_scale.min, self.x_scale.max = -0.5, longest - 0.5
        values = np.concatenate([y for y in drawn.values()])
        values = values[np.isfinite(values)]
        scale = self.y_scales[self.scale]
        if self.scale == "log":
            lo, hi = (float(values.min()), float(values.max())) if values.size else (1e-8, 1.0)
            lo_exp, hi_exp = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
            hi_exp = max(hi_exp, lo_exp + 1)
            every = max(1, math.ceil((hi_exp - lo_exp) / 8))
            decades = list(range(lo_exp, hi_exp + 1, every))
            ticks = Ticks(tuple(10.0 ** e for e in decades),
                          tuple(f"1e{e}" for e in decades))
            scale.min, scale.max = 10.0 ** lo_exp, 10.0 ** hi_exp
        else:
            hi = float(values.max()) if values.size else 1.0
            hi = hi if hi > 0 else 1.0
            ticks = value_ticks(0.0, hi, 5)
            scale.min, scale.max = 0.0, hi * 1.05
        set_ticks(self.y_axis, ticks)

    def legend_html(self, names, colours, skipped):
        """One entry per layer in its colour, model order; then the layers
        skipped and the verdict's definition."""
        def entry(name, colour):
            label = name + (" (go_backwards: reversed time)"
                            if self.reversed_in_time(name) else "")
            return (f'<span class="seernn-legend-entry"><span style="display:inline-block;'
                    f'width:18px;vertical-align:middle;border-top:2px solid {colour}"></span> '
                    f'{html.escape(label)}</span>')
        lines = ['<div style="display:flex;flex-wrap:wrap;gap:2px 14px;margin-left:80px;'
                 'font-size:12px">' + "".join(map(entry, names, colours)) + "</div>"]
        if skipped:
            lines.append(f'<div class="seernn-skipped" style="margin-left:80px;font-size:12px">'
                         f'not drawn, no gradient (output does not reach the loss): '
                         f'{html.escape(", ".join(skipped))}</div>')
        share = f"{self.edge * 100:g}%"
        lines.append(f'<div style="margin-left:80px;font-size:11px;color:#555">verdict: mean '
                     f'over the first vs the last {share} of timesteps (at least one), '
                     f'the layer with the smallest ratio; masked timesteps left out</div>')
        return "".join(lines)

    def history_image(self, layer=None):
        """(steps, timesteps) float32 as coloured: log10 of the history
        (0 and NaN: NaN) under scale 'log', else the history itself."""
        flow = self.history(layer)["flow"]
        if self.scale == "linear":
            return flow.astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(flow > 0, np.log10(flow), np.nan).astype(np.float32)

    def _draw_history(self):
        data = self.history()
        steps = data["steps"]
        if not steps:
            self.heatmap.layout.visibility = "hidden"   # not display: the colour bar keeps its size
            self.history_note.value = ("no training history recorded (the inspector keeps "
                                       "none, or the model has no optimizer)")
            return
        self.heatmap.layout.visibility = "visible"
        image = self.history_image()
        n_steps, timesteps = image.shape
        finite = image[np.isfinite(image)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        with self.image.hold_sync():
            self.image.x, self.image.y = cell_extent(timesteps), cell_extent(n_steps)
            self.image.image = np.ascontiguousarray(image)
        with self.colour_scale.hold_sync():
            self.colour_scale.min, self.colour_scale.max = lo, hi
        set_ticks(self.heat_x_axis, index_ticks(timesteps, 10))
        rows = index_ticks(n_steps, 8)
        set_ticks(self.heat_y_axis, Ticks(rows.values, tuple(str(steps[i])
                                                              for i in rows.values)))
        what = "log10 mean |dLoss/d(output)|" if self.scale == "log" \
            else "mean |dLoss/d(output)|"
        missing = int(np.isnan(image).sum())
        shown = (lambda v: f"{10 ** v:.1e}") if self.scale == "log" else (lambda v: f"{v:.2g}")  # noqa: E731
        title = (f"{self.layer}: {what} by training step (white {shown(lo)}, "
                 f"dark blue {shown(hi)})" + (f" - {missing} missing (yellow)" if missing else ""))
        self.heatmap.title_style = title_style(title, width_px=600)
        self.heatmap.title = title
        self.history_note.value = ""
