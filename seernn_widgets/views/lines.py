"""Line views of one layer's outputs or gradients, as see-rnn's features_1D
(one small plot per channel, values over timesteps) and features_0D (each
unit's value across samples)."""
import colorsys
import html
import math

import bqplot
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import TraitError

from .. import slicing
from ..stats import detect_nans
from ._base import (
    Control,
    DirectionView,
    Kind,
    Whole,
    checkbox,
    dropdown,
    sample_slider,
    validate_sample,
)
from ._browser import (
    Row,
    apply_sets,
    attach_features0d,
    attach_features1d,
    sync_features0d,
    sync_features1d,
    tick_sets,
)
from ._heatmap import MASK_COLOUR
from ._ticks import (
    grid_columns,
    index_ticks,
    left_margin,
    right_margin,
    title_style,
    value_ticks,
    y_label_offset,
)
from .features import rank, sequence_data, sequence_mask
from .selection import Linked

DEFAULT_CHANNELS = 16   # layers can have hundreds of units: start with a few
CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def palette(n):
    """n colours; colour k depends only on (k, n), so sample k (or unit k)
    looks the same in every subplot and after every redraw."""
    if n <= len(CATEGORY10):
        return CATEGORY10[:n]
    rgb = (colorsys.hls_to_rgb(k / n, 0.45, 0.7) for k in range(n))
    return ["#" + "".join(f"{round(255 * c):02x}" for c in colour) for colour in rgb]


def first_channels(n):
    return list(range(min(DEFAULT_CHANNELS, n)))


def validate_channels(value, n, where):
    """A non-empty list of distinct ints in [0, n)."""
    try:
        channels = list(value)
    except TypeError:
        channels = []
    ints = all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_))
               for c in channels)
    if not (channels and ints and all(0 <= c < n for c in channels)
            and len(set(channels)) == len(channels)):
        raise TraitError(f"channels must be a non-empty list of distinct ints in "
                         f"[0, {n - 1}] ({where} has {n}), got {value!r}")
    return [int(c) for c in channels]


class _LayerArrayView(DirectionView):
    """What both line views share: a layer's outputs or output-gradients of
    a given rank, and a direction for concat-Bidirectional layers."""

    rank = None  # the output rank the view shows

    def layer_choices(self):
        return [name for name in self.inspector.layer_names
                if rank(self.inspector.output_shape(name)) == self.rank]

    def _data(self):
        return sequence_data(self.inspector, self.layer, self.mode, self.step)

    def _units(self):
        """Channels of the whole layer, from the static shape (no compute)."""
        return int(self.layer_shape()[-1])

    def n_channels(self):
        """Channels of the chosen direction."""
        n = self._units()
        return len(range(n)[slicing.direction_channels(n, self.direction)])

    def _top_controls(self):
        return widgets.HBox([dropdown(self, "layer", "layer"), dropdown(self, "mode", "mode"),
                             self.direction_dropdown()])

    def _describe(self, values, extra="", direction=None):
        """Title text: what is shown (in `direction`, default the view's),
        and any NaN/Inf in it."""
        nans = detect_nans(values)
        direction = self.direction if direction is None else direction
        return (f"{self.heading()}{extra}"
                + (f" - {direction}" if direction != "both" else self.merged_note())
                + self.step_note()
                + (f" - {nans}" if nans else ""))

    def value_label(self):
        """The y axis's label: what a value is."""
        return {"outputs": "output", "gradients": "gradient"}.get(self.mode, "value")


class Features1D(Linked, _LayerArrayView):
    """One small line plot per channel: value (y) vs timestep (x), samples
    overlaid, sample k in the same colour in every plot; masked timesteps
    are drawn over in grey. Lines longer than 2 x `time_resolution` points
    keep each bin's min and max (spikes survive).

    Example:
        Features1D(insp, 'lstm', mode='gradients', channels=[0, 3], n_rows=1)
    """

    rank = 3
    controls = {**DirectionView.controls, "sample": Kind.SLICE, "channels": Kind.SLICE,
                "n_rows": Kind.LAYOUT, "share_xy": Kind.SCALE, "time_resolution": Kind.SLICE}

    sample = Control("all")     # int or 'all'
    channels = Control()        # indices into the chosen direction's channels
    n_rows = Whole(4, min=1)
    share_xy = traitlets.Bool(True)   # one y range for all plots (fair comparison)
    time_resolution = Whole(512, min=1)   # bins along time, 2 points each

    def __init__(self, inspector, layer=None, mode=None, **controls):
        self._figures = []     # a pool, reused as the shown channels change
        self._n_shown = 0      # channels of the direction last drawn
        super().__init__(inspector, layer, mode, **controls)

    @traitlets.default("channels")
    def _default_channels(self):
        return first_channels(self.n_channels())

    def n_samples(self):
        return self.inspector.batch_size

    def _coerce(self, name, value):
        if name == "sample" and isinstance(value, np.integer):
            return int(value)
        if name == "channels" and not isinstance(value, (str, bytes)):
            try:   # ints as ints; what is not a list of ints is refused by the check
                return [int(c) if isinstance(c, np.integer) else c for c in value]
            except TypeError:
                return value
        return super()._coerce(name, value)

    def _refit(self, given):
        super()._refit(given)
        if "channels" not in given:
            self.channels = self.channels_for(self.direction)

    def channels_for(self, direction):
        """The channels the transaction keeps when `direction` is chosen
        alone: those that still exist, or the default for that direction
        when none do or the default was shown."""
        n = len(range(self._units())[slicing.direction_channels(self._units(), direction)])
        kept = [c for c in self.channels if isinstance(c, int) and c < n]
        if not kept or self.channels == first_channels(self._n_shown):
            kept = first_channels(n)
        return kept

    def _check_values(self):
        validate_sample(self.sample, self.n_samples(), allow_all=True)
        where = f"layer {self.layer!r}" + (
            f" direction {self.direction!r}" if self.direction != "both" else "")
        validate_channels(self.channels, self.n_channels(), where)

    def view_data(self):
        return slicing.features_1d(self._data(), self.channels, self.sample,
                                   self.direction)

    # -- widgets ------------------------------------------------------------------
    def _build(self):
        self.title_line = widgets.HTML()
        self.title_line.add_class("seernn-title")
        self.grid = widgets.GridBox(layout=widgets.Layout(width="100%"))
        self.sample_control = sample_slider(self)
        every = self.all_samples_control = widgets.Checkbox(
            value=self.sample == "all", description="all samples", indent=False)
        every.add_class("seernn-sample-all")
        self.bind("sample", every, to_view=lambda on: "all" if on else self.sample_control.value,
                  to_control=lambda sample: sample == "all")
        self.channel_control = widgets.SelectMultiple(
            description="channels", rows=6, options=list(range(self.n_channels())))
        self.channel_control.add_class("seernn-channels")
        self.bind("channels", self.channel_control, to_view=list, to_control=tuple,
                  options=lambda: list(range(self.n_channels())))
        rows = widgets.BoundedIntText(min=1, max=10_000, value=self.n_rows, description="n_rows",
                                      layout=widgets.Layout(width="160px"))
        self.bind("n_rows", rows)
        share = checkbox(self, "share_xy")
        self.body.children = [self._top_controls(), self.title_line, self.grid,
                              widgets.HBox([self.sample_control, every, rows, share]),
                              self.channel_control]
        self.slicer = attach_features1d(self)   # the controls act in the page too
        self.body.children += (self.slicer,)

    # -- drawing --------------------------------------------------------------------
    def _redraw(self, kinds):
        sync_features1d(self, kinds)   # every state the page can show, for the page
        self.show_direction_control()
        if kinds == {Kind.LAYOUT}:
            return self._layout_grid()
        self._figures_for(len(self.channels))
        apply_sets(self.drawn_sets(self.sample, self.direction, self.channels, self.share_xy))
        self._n_shown = self.n_channels()

    def kept(self):
        """(shown samples, timesteps) bool, False where masked, or None."""
        kept = sequence_mask(self.inspector, self.layer, self.mode, self.step)
        if kept is not None and self.sample != "all":
            kept = kept[self.sample:self.sample + 1]
        return None if kept is None or kept.all() else kept

    def drawn_sets(self, sample, direction, channels, share_xy, memo=None):
        """[(widget, trait, value)]: everything drawn for that state, each
        trait of each widget it draws (the figures exist: `_figures_for`).
        `_redraw` applies them; the page twin sends them for every state
        (one `memo` dict across states: the arrays of a direction are cut
        once, and a sample's lines are `Row`s of the all-samples arrays)."""
        memo = {} if memo is None else memo
        lines = self._direction_lines(direction, tuple(channels), memo)
        pick = (lambda a: a) if sample == "all" else (lambda a: Row(a, sample))
        if "palette" not in memo:
            memo["palette"] = palette(self.inspector.batch_size)
        colours = memo["palette"] if sample == "all" else [memo["palette"][sample]]
        sets, figures = [], self._figures[:len(channels)]
        label = self.value_label()
        ranges = self._sample_ranges(direction, tuple(channels), sample, memo)
        shared = ranges["shared"] if share_xy else (None, None)
        for figure, channel, drawn, own in zip(figures, channels, lines["figures"],
                                               ranges["own"]):
            mark, masked = figure.marks
            x = drawn["x"] if drawn["x"].ndim == 1 else pick(drawn["x"])
            sets += [(mark, "x", x), (mark, "y", pick(drawn["y"])), (mark, "colors", colours)]
            if lines["kept"] is None:
                sets.append((masked, "visible", False))
            else:   # grey over the masked stretches (NaN where kept)
                visible = sample == "all" or not lines["kept"][sample].all()
                sets += [(masked, "visible", visible), (masked, "x", x),
                         (masked, "y", pick(drawn["masked"]))]
            sets.append((figure, "title", f"channel {channel}"))
            x_ticks = lines["x_ticks"]
            sets += tick_sets(figure.axes[0], x_ticks, memo=memo)
            # round ticks inside the range drawn (its own when not shared)
            scale = mark.scales["y"]
            sets += [(scale, "min", shared[0]), (scale, "max", shared[1])]
            y_ticks = _value_ticks(*(ranges["shared"] if share_xy else own), memo)
            offset, left = _y_margins(y_ticks, label, memo)
            sets += [*tick_sets(figure.axes[1], y_ticks, label, memo),
                     (figure.axes[1], "label_offset", offset),
                     (figure, "fig_margin", {**figure.fig_margin, "left": left,
                                             "right": right_margin(x_ticks, 14)})]
        sets += [(self.grid, "children", tuple(figures)),
                 (self.grid.layout, "grid_template_columns",
                  grid_columns(math.ceil(len(figures) / self.n_rows)))]
        sets.append((self.title_line, "value", self._title_html(sample, direction, tuple(channels),
                                                                 lines, memo)))
        return sets

    def _direction_lines(self, direction, channels, memo):
        """All samples' lines of `channels` in `direction`, as drawn: per
        figure x, y (and the masked overlay), the x ticks, the keep-mask."""
        key = ("lines", direction, channels)
        if key not in memo:
            data = slicing.features_1d(self._data(), channels, "all", direction)
            kept = sequence_mask(self.inspector, self.layer, self.mode, self.step)
            kept = None if kept is None or kept.all() else kept
            figures = []
            for lines in data.values():
                x, y = slicing.min_max_per_bin(lines, self.time_resolution)
                drawn = {"x": x, "y": y, "lines": lines}
                if kept is not None:   # x is arange(timesteps), or per line when binned
                    kept_at = kept if x.ndim == 1 else np.take_along_axis(kept, x.astype(int), -1)
                    drawn["masked"] = np.where(kept_at, np.float32(np.nan), y)
                figures.append(drawn)
            steps = self._data().shape[1]
            memo[key] = {"figures": figures, "kept": kept,
                         "x_ticks": index_ticks(steps, 5)}
        return memo[key]

    def _sample_ranges(self, direction, channels, sample, memo):
        """The y ranges of a sample's (or all samples') lines: each figure's
        own and the one they share."""
        key = ("ranges", direction, channels, sample)
        if key not in memo:
            lines = [f["lines"] if sample == "all" else f["lines"][sample:sample + 1]
                     for f in self._direction_lines(direction, channels, memo)["figures"]]
            memo[key] = {"own": [slicing.finite_range([one], (-1.0, 1.0)) for one in lines],
                         "shared": slicing.finite_range(lines, (-1.0, 1.0))}
        return memo[key]

    def _title_html(self, sample, direction, channels, lines, memo):
        key = ("title", direction, channels, sample)
        if key not in memo:
            shown = [f["lines"] if sample == "all" else f["lines"][sample:sample + 1]
                     for f in lines["figures"]]
            which = "all samples" if sample == "all" else f"sample {sample}"
            text = self._describe(np.stack(shown), f" - {which}", direction)
            if lines["kept"] is not None and (sample == "all" or not lines["kept"][sample].all()):
                text += " - masked timesteps in grey"
            memo[key] = f"<b>{html.escape(text)}</b>"
        return memo[key]

    def _figures_for(self, n):
        while len(self._figures) < n:
            self._figures.append(self._new_figure())
        return self._figures[:n]

    def _new_figure(self):
        x_scale, y_scale = bqplot.LinearScale(), bqplot.LinearScale()
        mark = bqplot.Lines(scales={"x": x_scale, "y": y_scale}, stroke_width=1.5)
        masked = bqplot.Lines(scales={"x": x_scale, "y": y_scale}, stroke_width=2.5,
                              colors=[MASK_COLOUR], visible=False)
        figure = bqplot.Figure(
            marks=[mark, masked],
            axes=[bqplot.Axis(scale=x_scale, label="timestep", label_offset="28px"),
                  bqplot.Axis(scale=y_scale, side="left", label=self.value_label())],
            fig_margin={"top": 25, "bottom": 40, "left": 50, "right": 14},
            title_style={"font-size": "12px"},
            layout=widgets.Layout(height="170px", width="100%", min_width="0"))
        figure.add_class("seernn-features1d")
        return figure

    def _layout_grid(self):
        columns = math.ceil(len(self.grid.children) / self.n_rows)
        self.grid.layout.grid_template_columns = grid_columns(columns)


def _y_margins(ticks, label, memo):
    """The y axis's label_offset and the figure's left margin for `ticks`."""
    key = ("margins", ticks, label)
    if key not in memo:
        memo[key] = (y_label_offset(ticks), left_margin(ticks, label))
    return memo[key]


def _value_ticks(lo, hi, memo):
    """value_ticks(lo, hi, max_ticks=4), once per range over a table's states."""
    key = ("ticks", lo, hi)
    if key not in memo:
        memo[key] = value_ticks(lo, hi, max_ticks=4)
    return memo[key]


class Features0D(_LayerArrayView):
    """Each unit's value (y) at each sample (x) of a 2-D (samples, units)
    array, e.g. a return_sequences=False RNN or a Dense layer; unit k has one
    colour across samples (and directions).

    Example:
        Features0D(insp, 'bidirectional', mode='gradients', direction='backward')
    """

    rank = 2

    def view_data(self):
        return slicing.features_0d(self._data(), self.direction)

    def _build(self):
        x_scale, y_scale = bqplot.LinearScale(), bqplot.LinearScale()
        scales = {"x": x_scale, "y": y_scale}
        self.x_axis = bqplot.Axis(scale=x_scale, label="sample")
        # points, not lines: samples have no order to connect (see-rnn scatters too)
        self.points = bqplot.Scatter(scales=scales, default_size=24)
        self.zero_line = bqplot.Lines(scales=scales, colors=["#000000"], stroke_width=1)
        self.figure = bqplot.Figure(
            marks=[self.zero_line, self.points],
            axes=[self.x_axis, bqplot.Axis(scale=y_scale, side="left",
                                           label=f"{self.value_label()} (colour: unit)")],
            fig_margin={"top": 40, "bottom": 40, "left": 60, "right": 20},
            layout=widgets.Layout(height="320px", width="100%"))
        self.figure.add_class("seernn-features0d")
        self.body.children = [self._top_controls(), self.figure]
        self.slicer = attach_features0d(self)   # the controls act in the page too
        self.body.children += (self.slicer,)

    def _redraw(self, kinds):
        sync_features0d(self, kinds)   # every state the page can show, for the page
        self.show_direction_control()
        apply_sets(self.drawn_sets(self.direction))

    def drawn_sets(self, direction):
        """[(widget, trait, value)]: everything drawn for `direction`; the
        page twin sends them for every direction (see Features1D)."""
        data = slicing.features_0d(self._data(), direction)
        n_samples, n_units = data.shape
        units = self._units()
        # integer ticks on real samples only; round values on y
        x_ticks, y_ticks = (index_ticks(n_samples, 10),
                            value_ticks(*slicing.finite_range([data], (-1.0, 1.0)), 5))
        label = f"{self.value_label()} (colour: unit)"
        title = self._describe(data, direction=direction)
        return [
            (self.points, "x", np.repeat(np.arange(n_samples, dtype=np.float32), n_units)),
            (self.points, "y", data.ravel()),
            # bqplot cycles the colours: point i is unit i % n_units
            (self.points, "colors", palette(units)[slicing.direction_channels(units, direction)]),
            *tick_sets(self.x_axis, x_ticks),
            *value_axis_sets(self.figure, x_ticks, y_ticks, label),
            (self.zero_line, "x", np.array([-0.5, n_samples - 0.5], dtype=np.float32)),
            (self.zero_line, "y", np.zeros(2, dtype=np.float32)),
            (self.figure, "title", title),
            (self.figure, "title_style", title_style(title))]


def value_axis_sets(figure, x_ticks, y_ticks, label):
    """A figure's left axis as sets: round `y_ticks` and `label`; the
    margins fit the tick labels (none clipped at any width)."""
    axis = figure.axes[1]
    return [*tick_sets(axis, y_ticks, label),
            (axis, "label_offset", y_label_offset(y_ticks)),
            (figure, "fig_margin", {**figure.fig_margin, "left": left_margin(y_ticks, label),
                                    "right": right_margin(x_ticks, 14)})]
