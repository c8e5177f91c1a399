"""LayerHealth: see-rnn's "what percentage of neurons are dead or exploding",
and how saturated each gate is, for every layer at once.

Per layer (every entry with a float output, in model order):

- **dead**: the fraction of units (last-axis channels) whose max |output|
  over samples and timesteps is <= `dead_below`. A unit with a NaN output is
  not dead (it is broken; other views count NaNs).
- **exploding**: the fraction of output-gradient values |dLoss/d(output)|
  above `exploding_above`, NaN and Inf always counting. None ('n/a') when
  there is no gradient: no labels or loss, an output that does not reach the
  loss, a past step recorded without gradients - never 0.
- **saturated** (recurrent layers, per gate): the fraction of gate
  activations stuck near their bounds: sigmoid-type gates (sigmoid,
  hard_sigmoid) below `saturated_beyond` or above 1 - `saturated_beyond`;
  tanh-type ones (tanh, hard_tanh) with |value| > 1 - `saturated_beyond`.
  A gate with another activation (relu, linear, ...: no bounds to saturate
  at) is None. A Bidirectional with the same cell and activations in both
  directions pools each gate over both (its output pools units the same
  way); otherwise its keys are 'forward i', 'backward z', ... A layer
  call's gates are counted at its first output ('enc'); its other outputs
  (the states 'enc[1]', 'enc[2]' of return_state=True) have {}.

Masked timesteps (the layer's output mask, or `insp.gates_mask` for gates)
are left out of every fraction: Keras discards what is computed there.

Why `exploding_above=1.0` (an absolute threshold, not one relative to the
layer's median: a layer whose gradients all explode together would then look
healthy): Keras losses average over the batch by default, so |dLoss/d(a)| > 1
means nudging one activation moves the whole batch's loss by more. Measured
on small LSTM/GRU models (batch 16, mse): healthy output-gradients are
1e-3..0.3 at the largest; a linear SimpleRNN whose recurrent kernel has gain
1.6 reaches 600 (loss 1e10). Raise it for a loss summed over the batch, or a
probe batch of a sample or two (dLoss/d(prediction) is then the raw error).
"""
import html
import math
import re
from dataclasses import dataclass, field

import bqplot
import ipywidgets as widgets
import numpy as np
from traitlets import TraitError

from .. import _gates
from ..inspector import NoGradientError
from ._base import Control, Kind, View, dropdown, log
from ._browser import attach_kernel_only
from ._ticks import integer_ticks, set_ticks, title_style

DEAD_BELOW = 1e-6
SATURATED_BEYOND = 0.05
EXPLODING_ABOVE = 1.0
SIGMOID_LIKE = ("sigmoid", "hard_sigmoid")   # range [0, 1]
TANH_LIKE = ("tanh", "hard_tanh")            # range [-1, 1]
# cell colours: how much of a layer is affected (not a verdict: a forget gate
# saturated open can be what the model wants)
WARN_AT, ALARM_AT = 0.1, 0.5
COLOURS = {"none": "", "some": "#fff7bc", "warn": "#fec44f", "alarm": "#f4a582"}
NA_COLOUR = "#777777"
EXTRA_OUTPUT = re.compile(r"\[\d+\]$")   # 'enc[1]': a layer call's second output
SHOWN = object()   # health()'s default step: the view's
SERIES_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                  "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


# -- the numbers (NumPy only) ---------------------------------------------------------
def _kept(values, kept):
    """`kept` (samples, timesteps) broadcast over `values`' other axes, or
    None when there is no mask for this array."""
    if kept is None or values.ndim < 3 or kept.shape != values.shape[:2]:
        return None
    return np.broadcast_to(kept.reshape(kept.shape + (1,) * (values.ndim - 2)), values.shape)


def dead_units(outputs, kept=None, dead_below=DEAD_BELOW):
    """(dead units, units): units whose max |output| over every kept value
    is <= dead_below; None when every timestep is masked."""
    values = np.asarray(outputs)
    values = values[:, None] if values.ndim == 1 else values
    where = _kept(values, kept)
    if where is not None and not where.any():
        return None
    peak = np.abs(values) if where is None else np.where(where, np.abs(values), 0)
    peak = peak.reshape(-1, values.shape[-1]).max(axis=0)   # NaN stays NaN: not dead
    return int((peak <= dead_below).sum()), int(values.shape[-1])


def exploding_values(gradients, kept=None, exploding_above=EXPLODING_ABOVE):
    """(exploding values, values kept): |gradient| > exploding_above, or not
    finite."""
    values = np.asarray(gradients)
    where = _kept(values, kept)
    values = values.ravel() if where is None else values[where]
    bad = ~np.isfinite(values) | (np.abs(values) > exploding_above)
    return int(bad.sum()), int(values.size)


def saturated_values(activations, function, kept=None, saturated_beyond=SATURATED_BEYOND):
    """(saturated values, values kept) of one gate by its activation's
    name; None for an activation with no bounds known here."""
    values = np.asarray(activations)
    where = _kept(values, kept)
    values = values.ravel() if where is None else values[where]
    if function in SIGMOID_LIKE:
        stuck = (values < saturated_beyond) | (values > 1 - saturated_beyond)
    elif function in TANH_LIKE:
        stuck = np.abs(values) > 1 - saturated_beyond
    else:
        return None
    return int(stuck.sum()), int(values.size)


def _fraction(counted):
    return None if counted is None or counted[1] == 0 else counted[0] / counted[1]


@dataclass
class Health:
    """One layer's numbers at one step: the fractions and what they count.
    `counts[key]` is (affected, total) or None; `why[key]` says why a
    fraction is None."""
    dead: float | None
    exploding: float | None
    saturated: dict
    counts: dict = field(default_factory=dict)
    why: dict = field(default_factory=dict)

    def plain(self):
        return {"dead": self.dead, "exploding": self.exploding, "saturated": dict(self.saturated)}


# -- the view ---------------------------------------------------------------------------
class LayerHealth(View):
    """A table of every layer's dead units, exploding output-gradients and
    saturated gates (cells coloured by how much is affected), and, below it,
    the chosen `layer`'s fractions over the recorded training steps.

    Example:
        health = LayerHealth(insp, dead_below=1e-6, saturated_beyond=0.05)
        health.view_data()['lstm']   # {'dead': 0.0, 'exploding': 0.0,
                                     #  'saturated': {'i': 0.01, 'f': 0.0, ...}}
        health.history('lstm')       # the same at each step of insp.history
    """

    modes = ("health",)
    controls = {**View.controls, "dead_below": Kind.SLICE, "saturated_beyond": Kind.SLICE,
                "exploding_above": Kind.SLICE}

    dead_below = Control(DEAD_BELOW)
    saturated_beyond = Control(SATURATED_BEYOND)
    exploding_above = Control(EXPLODING_ABOVE)

    def __init__(self, inspector, dead_below=DEAD_BELOW, saturated_beyond=SATURATED_BEYOND,
                 exploding_above=EXPLODING_ABOVE, *, layer=None, compare=None, **kwargs):
        """`layer`: the layer whose history is plotted (the table shows all)."""
        if compare is not None:
            raise ValueError("LayerHealth measures one model; the health of a difference "
                             "(compare=) means nothing: open one LayerHealth per source")
        self._layers = None
        self._cache = {}   # (step key, thresholds) -> {layer: Health}
        super().__init__(inspector, layer, None, dead_below=dead_below,
                         saturated_beyond=saturated_beyond, exploding_above=exploding_above,
                         **kwargs)

    # -- choices and checks ---------------------------------------------------------
    def layer_choices(self):
        """Every entry with a float output, in model order."""
        if self._layers is None:
            self._layers = [name for name in self.inspector.layer_names
                            if np.issubdtype(np.asarray(self.inspector.outputs(name)).dtype,
                                             np.floating)]
        return self._layers

    def mode_choices(self, layer):
        return ["health"]

    def _coerce(self, name, value):
        if name in THRESHOLDS and isinstance(value, (int, float, np.integer, np.floating)) \
                and not isinstance(value, (bool, np.bool_)):
            return float(value)
        return super()._coerce(name, value)

    def _check_values(self):
        for name, (ok, allowed) in THRESHOLDS.items():
            value = getattr(self, name)
            if not isinstance(value, float) or not ok(value):
                raise TraitError(f"{name} must be {allowed}, got {value!r}")

    # -- the numbers ----------------------------------------------------------------------
    def view_data(self):
        """{layer: {'dead': float, 'exploding': float | None, 'saturated':
        {gate: float | None}}} at `step`, every layer the table shows."""
        return {name: health.plain() for name, health in self.health().items()}

    def health(self, step=SHOWN):
        """{layer: Health} at `step` (default the view's), counts included."""
        step = self.step if step is SHOWN else step
        thresholds = (self.dead_below, self.saturated_beyond, self.exploding_above)
        key = (("latest", self.inspector.step) if step is None else step, thresholds)
        if key not in self._cache:
            self._cache[key] = {name: self._measure(name, step) for name in self.layer_choices()}
        return self._cache[key]

    def history(self, layer=None):
        """{'steps': [...], 'dead': [...], 'exploding': [...], 'saturated':
        {gate: [...]}}: `layer`'s fractions (default the view's) at each step
        of the inspector's history, None where missing."""
        layer = self.layer if layer is None else self.inspector.entry_name(layer)
        steps = list(self.inspector.history.steps)
        per_step = [self._at(step).get(layer) for step in steps]
        gates = list(dict.fromkeys(g for h in per_step if h is not None for g in h.saturated))
        return {"steps": steps,
                "dead": [None if h is None else h.dead for h in per_step],
                "exploding": [None if h is None else h.exploding for h in per_step],
                "saturated": {g: [None if h is None else h.saturated.get(g) for h in per_step]
                              for g in gates}}

    def _at(self, step):
        """health(step), or {} for a recorded step whose outputs were not kept."""
        try:
            return self.health(step)
        except (KeyError, ValueError) as e:
            log.info("%r has no health at step %s: %s", self, step, e)
            return {}

    def _measure(self, layer, step):
        src = self.inspector
        outputs = src.outputs(layer, step=step)
        kept = src.mask(layer, step)
        counts, why = {}, {}
        counts["dead"] = dead_units(outputs, kept, self.dead_below)
        if counts["dead"] is None:
            why["dead"] = "every timestep is masked"
        counts["exploding"], why_not = self._exploding(layer, kept, step)
        if why_not:
            why["exploding"] = why_not
        saturated = {}
        for gate, (counted, why_not) in self._saturated(layer, step).items():
            counts[gate] = counted
            saturated[gate] = _fraction(counted)
            if why_not:
                why[gate] = why_not
        return Health(_fraction(counts["dead"]), _fraction(counts["exploding"]), saturated,
                      counts, why)

    def _exploding(self, layer, kept, step):
        """((exploding, total) or None, why None)."""
        src = self.inspector
        if not src.has_labels:
            return None, "no gradient: no labels or no compiled loss"
        reaches = getattr(src, "reaches_loss", None)
        if reaches is not None and not reaches(layer):
            return None, "no gradient: the output does not reach the loss"
        try:
            gradients = src.gradients(layer, "outputs", step=step)
        except NoGradientError:
            return None, "no gradient: the output does not reach the loss"
        except (KeyError, ValueError) as e:
            if step is None:
                raise
            return None, f"no gradient recorded at step {step}: {e}"
        return exploding_values(gradients, kept, self.exploding_above), ""

    def _saturated(self, layer, step):
        """{gate: ((saturated, total) or None, why None)} of a recurrent
        layer's call, at its first output only ('enc', not its states
        'enc[1]', 'enc[2]': one call, one set of gates); {} for any other."""
        src = self.inspector
        info = src.rnn_info(layer)
        if info is None or EXTRA_OUTPUT.search(layer):
            return {}
        directions = info.directions
        names = {d: _gates.NAMES[info.layout(d).cell] for d in directions}
        if not hasattr(src, "gates") or not src.has_gates(layer):
            why = (f"{type(src).__name__} records no gate activations" if not hasattr(
                src, "gates") else "gates are read off a functional graph; this model has none")
            return {gate: (None, why) for gate in self._gate_keys(names, None)}
        functions = {d: src.gate_functions(layer, d) for d in directions}
        try:
            kept = src.gates_mask(layer, step)
            gates = {d: src.gates(layer, direction=d if len(directions) > 1 else None,
                                  step=step) for d in directions}
        except Exception as e:   # one layer's gates failing leaves the rest of the table
            log.warning("%r: no gates of %r at step %s: %s", self, layer, step, e)
            why = f"gates unavailable: {e}"
            return {gate: (None, why) for gate in self._gate_keys(names, functions)}
        counted = {}
        pooled = self._pooled(names, functions)
        for d in directions:
            for gate, values in gates[d].items():
                function = functions[d].get(gate)
                one = saturated_values(values, function, kept, self.saturated_beyond)
                key = gate if pooled else f"{d} {gate}"
                if one is None:
                    counted[key] = (None, f"{function}: no bounds to saturate at")
                elif key in counted and counted[key][0] is not None:
                    both = counted[key][0]
                    counted[key] = ((both[0] + one[0], both[1] + one[1]), "")
                else:
                    counted[key] = (one, "")
        return counted

    @staticmethod
    def _pooled(names, functions):
        """Whether every direction has the same gates with the same
        activations (then each gate is counted over both)."""
        return len({names[d] for d in names}) == 1 and (
            functions is None
            or len({tuple(sorted(f.items())) for f in functions.values()}) == 1)

    def _gate_keys(self, names, functions):
        pooled = self._pooled(names, functions)
        first = next(iter(names))
        return list(names[first]) if pooled else [f"{d} {g}" for d in names for g in names[d]]

    # -- refresh --------------------------------------------------------------------------
    def _on_refresh(self, inspector):
        # a refresh replaces the newest snapshot (same step after set_weights) and
        # the latest state; older recorded steps cannot change
        steps = list(self.inspector.history.steps)
        newest = steps[-1] if steps else None
        self._cache = {key: value for key, value in self._cache.items()
                       if key[0] in steps and key[0] != newest}
        super()._on_refresh(inspector)

    # -- drawing --------------------------------------------------------------------------
    def subject(self, what=None, layer=None):
        return "layer health"

    def _build(self):
        self.title_line = widgets.HTML()
        self.title_line.add_class("seernn-title")
        self.table = widgets.HTML()
        self.table.add_class("seernn-health-table")
        threshold_controls = []
        for name in THRESHOLDS:
            control = widgets.FloatText(value=getattr(self, name), description=name,
                                        style={"description_width": "initial"},
                                        layout=widgets.Layout(width="210px"))
            control.add_class(f"seernn-{name}")
            self.bind(name, control)
            self.control_widgets[name] = control
            threshold_controls.append(control)
        self.x_scale = bqplot.LinearScale()
        self.y_scale = bqplot.LinearScale(min=0.0, max=1.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.lines = bqplot.Lines(scales=scales, marker="circle", marker_size=24,
                                  stroke_width=2)
        self.step_rule = bqplot.Lines(scales=scales, colors=["#999999"], line_style="dashed",
                                      stroke_width=1, visible=False)
        self.figure = bqplot.Figure(
            marks=[self.step_rule, self.lines],
            axes=[bqplot.Axis(scale=self.x_scale, label="training step"),
                  bqplot.Axis(scale=self.y_scale, side="left", label="fraction",
                              tick_format=".0%")],
            fig_margin={"top": 40, "bottom": 40, "left": 60, "right": 20},
            layout=widgets.Layout(height="260px", width="100%"))
        self.figure.add_class("seernn-health-history")
        self.legend = widgets.HTML()
        self.legend.add_class("seernn-health-legend")
        self.no_history = widgets.HTML()
        history_of = dropdown(self, "layer", "history of")
        self.slicer = attach_kernel_only(self)
        self.body.children = [self.title_line, self.table,
                              widgets.HBox(threshold_controls), history_of,
                              self.no_history, self.figure, self.legend, self.slicer]

    def _redraw(self, kinds):
        self.slicer.need_kernel(self)
        health = self.health()
        self.title_line.value = f"<b>{html.escape(self.title_text(health))}</b>"
        self.table.value = table_html(health, self.layer)
        self._draw_history()

    def title_text(self, health):
        """'layer health - step 20 - dead units in lstm; exploding gradients in dense'."""
        parts = [f"{self.heading()}{self.step_note()}"]
        for what, key in (("dead units", "dead"), ("exploding gradients", "exploding")):
            hit = [name for name, h in health.items() if (getattr(h, key) or 0) > 0]
            if hit:
                parts.append(f"{what} in {', '.join(hit)}")
        return " - ".join(parts[:1]) + ("" if len(parts) == 1 else " - " + "; ".join(parts[1:]))

    def history_series(self, layer=None):
        """[(label, [fraction or NaN per step])] drawn for `layer`'s history
        (a series missing at every step is left out: the legend says so)."""
        data = self.history(layer)
        series = [("dead", data["dead"]), ("exploding", data["exploding"]),
                  *((f"saturated {g}", v) for g, v in data["saturated"].items())]
        return data["steps"], [(label, [math.nan if v is None else v for v in values])
                               for label, values in series]

    def _draw_history(self):
        steps, series = self.history_series()
        drawn = [(label, values) for label, values in series
                 if not all(math.isnan(v) for v in values)]
        missing = [label for label, values in series if (label, values) not in drawn]
        # two steps at least (as the step control): bqplot squeezes a one-point line away
        shown = len(steps) > 1 and bool(drawn)
        self.figure.layout.display = None if shown else "none"
        self.no_history.value = "" if shown else (
            f"<i>{html.escape(self.layer)}: the history shows once two training steps are "
            f"recorded (insp.refresh() / LiveRefresh)</i>")
        if not shown:
            self.legend.value = ""
            return
        colours = [SERIES_COLOURS[k % len(SERIES_COLOURS)] for k in range(len(drawn))]
        x = np.asarray(steps, dtype=np.float64)
        with self.lines.hold_sync():
            self.lines.x = x
            self.lines.y = np.asarray([values for _, values in drawn], dtype=np.float64)
            self.lines.colors = colours
            self.lines.labels = [label for label, _ in drawn]
        lo, hi = float(x.min()), float(x.max())
        lo, hi = (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = lo, hi
        set_ticks(self.figure.axes[0], integer_ticks(lo, hi, 10))
        if self.step is None:
            self.step_rule.visible = False
        else:
            with self.step_rule.hold_sync():
                self.step_rule.x = np.array([self.step, self.step], dtype=np.float64)
                self.step_rule.y = np.array([0.0, 1.0])
                self.step_rule.visible = True
        title = f"{self.layer}: fractions over training steps"
        self.figure.title, self.figure.title_style = title, title_style(title)
        self.legend.value = legend_html([label for label, _ in drawn], colours, missing)


THRESHOLDS = {   # control -> (what is allowed, said in the refusal)
    "dead_below": (lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0"),
    "saturated_beyond": (lambda v: 0 < v < 0.5, "a number strictly between 0 and 0.5"),
    "exploding_above": (lambda v: v > 0, "a number > 0 (inf: only NaN/Inf count)"),
}


def level(fraction):
    """The colour class of a fraction: 'none', 'some', 'warn', 'alarm'."""
    if fraction is None or fraction == 0:
        return "none"
    return "alarm" if fraction >= ALARM_AT else "warn" if fraction >= WARN_AT else "some"


def percent(fraction):
    """'12.5%', '<0.1%' (some, but little), 'n/a'."""
    if fraction is None:
        return "n/a"
    if 0 < fraction < 0.001:
        return "<0.1%"
    return f"{100 * fraction:.1f}%"


def _cell(fraction, counted, why, what, label=""):
    colour = COLOURS[level(fraction)]
    style = f"color:{NA_COLOUR};" if fraction is None else \
        f"background:{colour};" if colour else ""
    text = f"{label} {percent(fraction)}".strip()
    tip = why if fraction is None else f"{counted[0]} of {counted[1]} {what}"
    return (f'<span class="seernn-health-{level(fraction) if fraction is not None else "na"}" '
            f'style="{style}padding:1px 5px;border-radius:3px;white-space:nowrap" '
            f'title="{html.escape(tip)}">{html.escape(text)}</span>')


def table_html(health, selected=None):
    """The table: one row per layer; each fraction coloured by `level`,
    its counts (or why it is missing) in the cell's tooltip; `selected`'s
    row in bold."""
    head = ("<tr><th>layer</th><th>dead units</th><th>exploding gradients</th>"
            "<th>saturated gates</th></tr>")
    rows = []
    for name, h in health.items():
        dead = _cell(h.dead, h.counts.get("dead"), h.why.get("dead", ""), "units")
        if h.counts.get("dead") is not None:
            n_dead, units = h.counts["dead"]
            dead += f' <span style="color:#555">({n_dead} of {units})</span>'
        exploding = _cell(h.exploding, h.counts.get("exploding"), h.why.get("exploding", ""),
                          "values")
        gates = " ".join(_cell(v, h.counts.get(g), h.why.get(g, ""), "values", g)
                         for g, v in h.saturated.items()) or '<span style="color:#999">-</span>'
        weight = "font-weight:bold;" if name == selected else ""
        rows.append(f'<tr style="{weight}" data-layer="{html.escape(name)}">'
                    f"<td>{html.escape(name)}</td><td>{dead}</td><td>{exploding}</td>"
                    f"<td>{gates}</td></tr>")
    return ('<table class="seernn-health" style="border-collapse:separate;border-spacing:8px 2px;'
            'font-size:13px">' + head + "".join(rows) + "</table>")


def legend_html(labels, colours, missing=()):
    entries = [f'<span><span style="display:inline-block;width:18px;vertical-align:middle;'
               f'border-top:2px solid {c}"></span> {html.escape(label)}</span>'
               for label, c in zip(labels, colours)]
    entries += [f'<span style="color:{NA_COLOUR}">{html.escape(label)}: n/a</span>'
                for label in missing]
    return ('<div style="display:flex;flex-wrap:wrap;gap:2px 14px;margin-left:60px;'
            'font-size:12px">' + "".join(entries) + "</div>")
