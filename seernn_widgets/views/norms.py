"""WeightNorms: see-rnn's weight-norm tracking (`weights_norm` with `_dict`)
as a live plot: per-column l2 norms of each weight, summarised by max and
mean, one point per inspector refresh."""
import html
from copy import deepcopy

import bqplot
import ipywidgets as widgets
import numpy as np

from .. import slicing
from ..stats import column_norms
from ._base import Kind, View, dropdown, log
from ._browser import apply_sets, attach_weight_norms, sync_weight_norms, tick_sets
from ._ticks import (
    integer_ticks,
    left_margin,
    right_margin,
    title_style,
    value_ticks,
    y_label_offset,
)
from .lines import palette

STATS = {"max": np.max, "mean": np.mean}   # see-rnn weights_norm's stat_fns
LINE_STYLES = {"max": "solid", "mean": "dashed"}


def weight_label(path, layer):
    """A weight's legend name: its path below the layer, without the cell
    (the title names the layer): 'kernel', 'forward_lstm/kernel'."""
    below = path.split(f"{layer}/", 1)[-1].split("/")
    return "/".join([part for part in below[:-1] if not part.endswith("_cell")] + below[-1:])


def _swatch(colour, style):
    border = "solid" if style == "solid" else "dashed"
    return (f'<span style="display:inline-block;width:18px;vertical-align:middle;'
            f'border-top:2px {border} {colour}"></span>')


def legend_html(labels, colours):
    """The legend, under the figure (bqplot's sits on the plot and covers the
    y axis of a narrow figure): one entry per weight in its colour, then the
    line style of each stat; entries wrap at any width."""
    entries = [f'<span class="seernn-legend-entry">{_swatch(c, "solid")} {html.escape(label)}'
               f'</span>' for label, c in zip(labels, colours)]
    entries += [f'<span class="seernn-legend-stat">{_swatch("#555", LINE_STYLES[stat])} {stat}'
                f'</span>' for stat in STATS]
    return ('<div class="seernn-legend" style="display:flex;flex-wrap:wrap;gap:2px 14px;'
            'margin-left:60px;font-size:12px">' + "".join(entries) + "</div>")


class WeightNorms(View):
    """Max (solid) and mean (dashed) of each weight's per-column l2 norms
    against the optimizer step, recorded at construction and on every
    `insp.refresh()` for all tracked layers, so switching `layer` shows the
    whole history.

    Example:
        norms = WeightNorms(insp)            # every layer with weights
        model.fit(x, y); insp.refresh()      # adds a point
        norms.history()['steps']
    """

    modes = ("weights",)
    scrubbable = False  # it already plots every step
    controls = {"layer": Kind.DATA}

    def __init__(self, inspector, layer=None, **kwargs):
        """`layer`: the layer to show (all layers with weights are tracked),
        or a list of the layers to track (the first is shown)."""
        many = isinstance(layer, (list, tuple))
        self._tracked = list(layer) if many else None
        self._steps = []
        self._norms = {}   # layer name -> weight path -> stat -> [values]
        self.lines = {}    # (weight path, stat) -> the Lines mark drawn
        super().__init__(inspector, None if many else layer, **kwargs)

    def layer_choices(self):
        weighted = self._weighted()
        if self._tracked is None:
            return weighted
        names = [self.inspector.entry_name(layer) for layer in self._tracked]
        without = [name for name in names if name not in weighted]
        if without or not names:
            raise ValueError(f"WeightNorms tracks layers with weights; {without or names} "
                             f"given, layers with weights: {weighted}")
        return names

    def _weighted(self):
        """Each layer with weights once (its first entry: 'enc', not 'enc[1]')."""
        seen, names = set(), []
        for name in self.inspector.layer_names:
            paths = tuple(self.inspector.weight_names(name))
            if paths and paths not in seen:
                seen.add(paths)
                names.append(name)
        return names

    def mode_choices(self, layer):
        return ["weights"]

    def history(self, layer=None):
        """{'steps': [...], 'norms': {weight path: {'max': [...], 'mean': [...]}}}
        recorded so far for `layer` (default: the one shown)."""
        name = self.layer if layer is None else self.inspector.entry_name(layer)
        if name not in self._norms:
            raise ValueError(f"layer {name!r} is not tracked; tracked layers: "
                             f"{list(self._norms)}")
        return {"steps": list(self._steps), "norms": deepcopy(self._norms[name])}

    def view_data(self):
        return self.history()

    def _record(self):
        """One point per tracked layer for each step not plotted yet: the
        inspector's current one, or every step of a recorded run (`runs.Run`:
        the whole run). x is the optimizer step, or the number of points so
        far for a model without an optimizer."""
        run_steps = getattr(self.inspector, "steps", None)
        if run_steps is None:
            step = self.inspector.step
            self._record_step(len(self._steps) if step is None else step, None)
        for step in run_steps or ():
            if not self._steps or step > self._steps[-1]:
                self._record_step(step, step)

    def _record_step(self, x, step):
        self._steps.append(x)
        for name in self.layer_choices():
            per_weight = self._norms.setdefault(name, {})
            for path, w in zip(self.inspector.weight_names(name),
                               self.inspector.weights(name, step)):
                norms = column_norms(np.atleast_1d(w))  # atleast_1d: scalar weights
                values = per_weight.setdefault(path, {s: [] for s in STATS})
                for stat, fn in STATS.items():
                    values[stat].append(float(fn(norms)))

    def _on_refresh(self, inspector):
        try:
            self._record()
        except Exception as e:   # never into fit: see View._on_refresh
            log.warning("%r could not record norms: %s", self, e)
            self.show_message(f"could not record norms: {e}")
            return
        super()._on_refresh(inspector)

    def _prepare(self):
        self._record()   # the first point, before the first state is checked

    def _build(self):
        self.x_scale, self.y_scale = bqplot.LinearScale(), bqplot.LinearScale()
        self.figure = bqplot.Figure(
            axes=[bqplot.Axis(scale=self.x_scale, label="training step"),
                  bqplot.Axis(scale=self.y_scale, side="left", label="column l2 norm")],
            fig_margin={"top": 40, "bottom": 40, "left": 70, "right": 20},
            layout=widgets.Layout(height="320px", width="100%"))
        self.figure.add_class("seernn-weightnorms")
        self.legend = widgets.HTML()
        self.body.children = [dropdown(self, "layer", "layer"), self.figure, self.legend]
        self.slicer = attach_weight_norms(self)   # the layer menu acts in the page too
        self.body.children += (self.slicer,)

    def _redraw(self, kinds):
        sync_weight_norms(self, kinds)   # every tracked layer's lines, for the page
        apply_sets(self.drawn_sets(self.layer))
        keys = [(path, stat) for path in self._norms[self.layer] for stat in STATS]
        self.lines = dict(zip(keys, self.slicer.pool))

    def drawn_sets(self, layer):
        """[(widget, trait, value)]: everything drawn for `layer`'s history,
        on the pool of marks made for the layer with most weights (the page
        twin sends the sets of every tracked layer; see Features1D)."""
        data = self.history(layer)
        norms, pool = data["norms"], iter(self.slicer.pool)
        colours, labels = palette(len(norms)), [weight_label(path, layer) for path in norms]
        x = np.asarray(data["steps"], dtype=np.float32)
        sets, shown = [], []
        for colour, path, label in zip(colours, norms, labels):
            for stat in STATS:
                mark = next(pool)
                shown.append(mark)
                sets += [(mark, "colors", [colour]), (mark, "line_style", LINE_STYLES[stat]),
                         (mark, "labels", [f"{label} {stat}"]), (mark, "x", x),
                         (mark, "y", np.asarray(norms[path][stat], dtype=np.float32))]
        title = f"{self.heading(layer)}: column l2 norms"
        return [*sets, (self.figure, "marks", tuple(shown)),
                (self.legend, "value", legend_html(labels, colours)),
                (self.figure, "title", title), (self.figure, "title_style", title_style(title)),
                *self._axes_sets(data)]

    def _axes_sets(self, data):
        """Each recorded step once (integers, thinned 1-2-5); round norms."""
        steps = data["steps"]
        lo, hi = min(steps), max(steps)
        x_ticks = integer_ticks(lo, hi, 10)
        values = [v for stats in data["norms"].values() for line in stats.values() for v in line]
        y_lo, y_hi = slicing.finite_range([np.asarray(values, np.float64)], (0.0, 1.0))
        y_ticks = value_ticks(y_lo, y_hi, 5)
        x_axis, y_axis = self.figure.axes
        # one step: a range around it, not a point
        x_range = (float(lo), float(hi)) if hi > lo else (lo - 1.0, hi + 1.0)
        return [(self.x_scale, "min", x_range[0]), (self.x_scale, "max", x_range[1]),
                *tick_sets(x_axis, x_ticks), *tick_sets(y_axis, y_ticks),
                (y_axis, "label_offset", y_label_offset(y_ticks)),
                (self.figure, "fig_margin", {**self.figure.fig_margin,
                                             "left": left_margin(y_ticks, y_axis.label),
                                             "right": right_margin(x_ticks, 20)})]
