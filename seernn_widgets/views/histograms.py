"""Histograms of arrays as given (see-rnn features_hist, features_hist_v2,
hist_clipped): a grid of cells, each one or more histograms overlaid, and a
single histogram with its highest peaks clipped.

Counts are np.histogram's over the finite values; NaN and Inf are left out
of the bins and counted in the cell's title (never drawn as a value).
"""
import html

import bqplot
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import TraitError

from ._base import Whole, close_owned, owning
from ._ticks import grid_columns, set_histogram_axes

SHARING = (False, True, "row", "col")
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def nan_inf_text(nans, infs):
    """'NaN 3, Inf 1' (the non-zero parts), '' when there are none."""
    return ", ".join(f"{name} {n}" for name, n in (("NaN", nans), ("Inf", infs)) if n)


def histogram(values, bins):
    """(counts, edges, n_nan, n_inf): np.histogram of the finite values over
    their own range, as matplotlib's hist bins one array (edges in the
    values' float type); NaN and Inf counted, not binned."""
    values = np.asarray(values).ravel()
    finite = values[np.isfinite(values)]
    counts, edges = np.histogram(finite, bins=bins)
    return counts, edges, int(np.isnan(values).sum()), int(np.isinf(values).sum())


def shared_groups(n_cells, n_columns, share):
    """Cell indices grouped by the axis range they share: share=True all,
    'row' / 'col' per grid row / column, False each its own."""
    if share not in SHARING:
        raise ValueError(f"sharing must be one of {list(SHARING)}, got {share!r}")
    key = {True: lambda i: 0, False: lambda i: i, "row": lambda i: i // n_columns,
           "col": lambda i: i % n_columns}[share]
    groups = {}
    for i in range(n_cells):
        groups.setdefault(key(i), []).append(i)
    return list(groups.values())


class _Cell:
    """A small Figure: one step-outlined, filled Lines mark per histogram."""

    def __init__(self, height):
        self.x_scale = bqplot.LinearScale(allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=0.0, max=1.0, allow_padding=False)
        self.figure = bqplot.Figure(
            marks=[], title_style={"font-size": "12px"},
            axes=[bqplot.Axis(scale=self.x_scale, label="value", label_offset="28px"),
                  bqplot.Axis(scale=self.y_scale, side="left", label="count")],
            fig_margin={"top": 30, "bottom": 40, "left": 45, "right": 10},
            layout={"height": f"{height}px", "width": "auto", "min_width": "0"})
        self.figure.add_class("seernn-histogram")

    def show(self, histograms, x_range, y_max, title):
        """`histograms`: [(counts drawn, edges)], overlaid in order."""
        marks = self.figure.marks
        while len(marks) < len(histograms):
            colour = COLOURS[len(marks) % len(COLOURS)]
            marks = [*marks, bqplot.Lines(
                x=np.zeros(2, np.float32), y=np.zeros(2, np.float32),
                interpolation="step-after", fill="bottom", colors=[colour],
                fill_colors=[colour], fill_opacities=[0.45], stroke_width=1,
                scales={"x": self.x_scale, "y": self.y_scale})]
        for mark, (counts, edges) in zip(marks, histograms):
            with mark.hold_sync():   # step-after: the last edge closes the last bin
                mark.x = np.asarray(edges, np.float64)
                mark.y = np.append(counts, counts[-1]).astype(np.float64)
        self.figure.marks = marks[:len(histograms)]
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = (float(v) for v in x_range)
        self.y_scale.max = float(y_max) if y_max > 0 else 1.0
        set_histogram_axes(self.figure, x_range, self.y_scale.max)
        self.figure.title = title


class HistogramGrid(widgets.VBox):
    """A grid of histogram cells, `n_columns` wide; cell k overlays the
    histograms of the arrays in `cells[k]`, each binned over its own finite
    range into `bins` bins (as matplotlib's hist does).

    share_x / share_y: False, True, 'row' or 'col' - cells in a group get one
    x (y) range, the union of theirs. `x_range` fixes every cell's x range;
    `center_zero` makes each symmetric about 0 (and wins over `x_range`);
    `y_max` fixes the top of every y range.

    Example:
        HistogramGrid([[w] for w in model.get_weights()], bins=50, share_x=False)
    """

    bins = Whole(100, min=1)

    def __init__(self, cells, bins=100, n_columns=1, titles=None, share_x=False,
                 share_y=False, x_range=None, center_zero=False, y_max=None, title=""):
        self.cells = [[np.asarray(a).ravel() for a in cell] for cell in cells]
        if not self.cells or not all(self.cells):
            raise ValueError("HistogramGrid needs at least one cell, each with at least one array")
        self.n_columns = max(1, int(n_columns))
        self.titles = list(titles or [])
        self.groups_x = shared_groups(len(self.cells), self.n_columns, share_x)
        self.groups_y = shared_groups(len(self.cells), self.n_columns, share_y)
        self.x_range = None if x_range is None else tuple(float(v) for v in x_range)
        self.center_zero, self.y_max = bool(center_zero), y_max
        self._owned = []
        with owning(self):
            super().__init__()
            try:
                self.bins = bins
                self._build(title)
            except BaseException:
                self.close()
                raise

    def _build(self, title):
        self.heading = widgets.HTML(f"<b>{html.escape(title)}</b>" if title else "")
        self.heading.add_class("seernn-title")
        self._cells = [_Cell(height=150) for _ in self.cells]
        self.grid = widgets.GridBox(
            [c.figure for c in self._cells],
            layout={"width": "100%",
                    "grid_template_columns": grid_columns(self.n_columns)})
        bins_control = widgets.BoundedIntText(value=self.bins, min=1, max=100_000,
                                              description="bins")
        bins_control.add_class("seernn-bins")
        widgets.link((bins_control, "value"), (self, "bins"))
        self.children = [self.heading, self.grid, bins_control]
        self._redraw()

    def close(self):
        """Close every widget the grid made (figures, marks, scales, controls)."""
        close_owned(self)
        super().close()

    @traitlets.observe("bins")
    def _bins_changed(self, _change):
        if getattr(self, "_cells", None):
            self._redraw()

    def view_data(self):
        """Per cell: {'histograms': [(counts, edges)], 'nan': n, 'inf': n,
        'x_range': (lo, hi), 'y_max': top of the y range}."""
        data = []
        for arrays in self.cells:
            hists = [histogram(a, self.bins) for a in arrays]
            data.append({"histograms": [(c, e) for c, e, _, _ in hists],
                         "nan": sum(h[2] for h in hists), "inf": sum(h[3] for h in hists),
                         "x_range": (min(float(e[0]) for _, e, _, _ in hists),
                                     max(float(e[-1]) for _, e, _, _ in hists)),
                         "y_max": max(float(c.max(initial=0)) for c, _, _, _ in hists)})
        for group in self.groups_x:
            lo = min(data[i]["x_range"][0] for i in group)
            hi = max(data[i]["x_range"][1] for i in group)
            for i in group:
                data[i]["x_range"] = (lo, hi)
        for group in self.groups_y:
            top = max(data[i]["y_max"] for i in group)
            for i in group:
                data[i]["y_max"] = top
        for cell in data:
            if self.center_zero:
                peak = max(abs(v) for v in cell["x_range"])
                cell["x_range"] = (-peak, peak)
            elif self.x_range is not None:
                cell["x_range"] = self.x_range
            if self.y_max is not None:
                cell["y_max"] = float(self.y_max)
        return data

    def _redraw(self):
        for k, (cell, shown) in enumerate(zip(self._cells, self.view_data())):
            label = self.titles[k] if k < len(self.titles) and self.titles[k] else ""
            bad = nan_inf_text(shown["nan"], shown["inf"])
            title = "  ".join(t for t in (label, bad) if t)
            cell.show(shown["histograms"], shown["x_range"], shown["y_max"], title)

    def __repr__(self):   # never print the arrays
        return f"HistogramGrid({len(self.cells)} cells, bins={self.bins})"


class ClippedHistogram(widgets.VBox):
    """One histogram whose `peaks_to_clip` highest bins are cut at 1.05 x the
    next highest count, so the rest stays readable; the clipped bins are
    annotated '(left edge, count)' (see-rnn hist_clipped).

    Example:
        ClippedHistogram(grads, bins=100, peaks_to_clip=2)
    """

    bins = Whole(10, min=1)
    peaks_to_clip = Whole(1, min=0)

    def __init__(self, data, bins=10, peaks_to_clip=1, title=""):
        self.data = np.asarray(data).ravel()
        self._title = title
        self._owned = []
        with owning(self):
            super().__init__()
            try:
                with self.hold_trait_notifications():
                    self.bins, self.peaks_to_clip = bins, peaks_to_clip
                self._build()
            except BaseException:
                self.close()
                raise

    def close(self):
        """Close every widget the histogram made."""
        close_owned(self)
        super().close()

    def _build(self):
        self._cell = _Cell(height=300)
        self.annotation = widgets.HTML()
        self.annotation.add_class("seernn-clipped-peaks")
        bins_control = widgets.BoundedIntText(value=self.bins, min=1, max=100_000,
                                              description="bins")
        peaks_control = widgets.BoundedIntText(value=self.peaks_to_clip, min=0, max=100_000,
                                               description="peaks to clip")
        widgets.link((bins_control, "value"), (self, "bins"))
        widgets.link((peaks_control, "value"), (self, "peaks_to_clip"))
        self.children = [self._cell.figure, self.annotation,
                         widgets.HBox([bins_control, peaks_control])]
        self._redraw()

    @traitlets.validate("bins")
    def _valid_bins(self, proposal):
        bins = proposal["value"]
        if self.peaks_to_clip >= bins:
            raise TraitError(f"bins must exceed peaks_to_clip ({self.peaks_to_clip}), got {bins}")
        return bins

    @traitlets.validate("peaks_to_clip")
    def _valid_peaks(self, proposal):
        value = proposal["value"]
        if value >= self.bins:
            raise TraitError(f"peaks_to_clip must be an int in [0, {self.bins - 1}] "
                             f"(fewer than bins={self.bins}), got {value!r}")
        return value

    @traitlets.observe("bins", "peaks_to_clip")
    def _changed(self, _change):
        if getattr(self, "_cell", None) is not None:
            self._redraw()

    def view_data(self):
        """{'counts', 'edges', 'peaks': [(left edge, count)] highest first,
        'y_max': the clipped top (None: nothing clipped), 'nan', 'inf'}."""
        counts, edges, nans, infs = histogram(self.data, self.bins)
        peaks, y_max = [], None
        if self.peaks_to_clip:
            order = np.argsort(-counts, kind="stable")   # ties: the leftmost bin first
            peaks = [(float(edges[i]), int(counts[i])) for i in order[:self.peaks_to_clip]]
            y_max = 1.05 * float(counts[order[self.peaks_to_clip]])
        return {"counts": counts, "edges": edges, "peaks": peaks, "y_max": y_max,
                "nan": nans, "inf": infs}

    def _redraw(self):
        shown = self.view_data()
        counts, edges, y_max = shown["counts"], shown["edges"], shown["y_max"]
        drawn = counts if y_max is None else np.minimum(counts, y_max)
        top = float(counts.max(initial=0)) if y_max is None else y_max
        bad = nan_inf_text(shown["nan"], shown["inf"])
        self._cell.show([(drawn, edges)], (edges[0], edges[-1]), top,
                        "  ".join(t for t in (self._title, bad) if t))
        self.annotation.value = "" if not shown["peaks"] else (
            '<span style="color:#b2182b"><b>clipped (left edge, count): </b>'
            + html.escape(", ".join(f"({x:.2f}, {n})" for x, n in shown["peaks"])) + "</span>")

    def __repr__(self):   # never print the arrays
        return (f"ClippedHistogram({self.data.size} values, bins={self.bins}, "
                f"peaks_to_clip={self.peaks_to_clip})")
