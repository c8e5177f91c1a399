"""Tick values and labels of every view's axes, computed once, here.

Two kinds of axis:
- an index axis (timesteps, channels, units, samples, training steps) names
  real cells: integer ticks only, each at its cell's centre (heatmaps span
  -0.5 .. n-0.5), thinned evenly when dense - every 1, 2, 5, 10, 20, ... cells;
- a value axis (activations, counts, norms) gets round values, multiples of
  a 1-2-5 step, labelled with just the decimals that step needs.

bqplot looks a tick's label up by the tick value as JavaScript prints it
(`String(4)` is "4", `String(5e-7)` is "5e-7"): `js_number` prints it so.
The page's twin (js/widget.js) receives these labels and never computes any.

Example:
    index_ticks(16).labels      # ['0', '2', '4', ..., '14']
    value_ticks(-0.0173, 0.0152).labels   # ['-0.01', '0', '0.01']
"""
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

CHAR_PX = 7        # a tick label's character, at most (bqplot's ~11px sans-serif digits)
TICK_PAD_PX = 6    # tick line plus the gap before its label
LABEL_PX = 16      # an axis label's line


@dataclass(frozen=True)
class Ticks:
    values: tuple    # positions on the axis
    labels: tuple    # the text shown at each

    def axis_traits(self):
        """{'tick_values', 'tick_labels'} for a bqplot Axis."""
        return {"tick_values": np.asarray(self.values, dtype=np.float64),
                "tick_labels": {js_number(v): label for v, label in zip(self.values, self.labels)}
                or None}

    def to_json(self):
        """What the page is sent: bqplot Axis traits, JSON-able."""
        traits = self.axis_traits()
        return {"tick_values": [float(v) for v in self.values],
                "tick_labels": traits["tick_labels"]}

    def width_px(self):
        """The widest label, in pixels (an estimate from above)."""
        return CHAR_PX * max((len(label) for label in self.labels), default=0)


def set_ticks(axis, ticks, label=None):
    """Put `ticks` (and `label`) on a bqplot Axis: the labels first, each in
    a message of its own. bqplot redraws a tick_values change through a d3
    transition that keeps the formatter of that moment and writes the texts a
    frame later; were the values to arrive first (or in one message, whose
    key order ipywidgets does not keep), the old labels would win over the
    new ones - stale gate names, or raw numbers such as '4 12 20'."""
    traits = ticks.axis_traits()
    for name in ("tick_labels", "tick_values"):
        if not same_value(getattr(axis, name), traits[name]):
            setattr(axis, name, traits[name])
    if label is not None and axis.label != label:
        axis.label = label


def steps_125(start=1):
    """1, 2, 5, 10, 20, 50, ... times `start`, for ever."""
    scale = start
    while True:
        for m in (1, 2, 5):
            yield m * scale
        scale *= 10


def index_step(n, max_ticks):
    """The smallest of 1, 2, 5, 10, 20, ... that puts at most `max_ticks`
    ticks on 0 .. n-1."""
    max_ticks = max(int(max_ticks), 1)
    for step in steps_125():
        if (n - 1) // step + 1 <= max_ticks:
            return step


def index_ticks(n, max_ticks=8, first=0):
    """Integer ticks naming cells first .. first+n-1: every `index_step`-th
    index (multiples of the step), labelled by the index."""
    if n < 1:
        return Ticks((), ())
    step = index_step(n, max_ticks)
    start = -(-first // step) * step
    values = tuple(range(start, first + n, step))
    return Ticks(values, tuple(str(v) for v in values))


def integer_ticks(lo, hi, max_ticks=8):
    """index_ticks over the integers lo .. hi (e.g. training steps)."""
    lo, hi = int(math.floor(lo)), int(math.ceil(hi))
    return index_ticks(hi - lo + 1, max_ticks, first=lo)


def nice_step(span, max_ticks):
    """The smallest 1-2-5 step (x 10^k) putting at most `max_ticks` ticks on
    a range of `span`."""
    max_ticks = max(int(max_ticks), 2)
    if not span > 0 or not math.isfinite(span):
        return 1.0
    step = _pow10(math.floor(math.log10(span / max_ticks)))
    for m in (1, 2, 5, 10, 20):
        if math.floor(span / (m * step)) + 1 <= max_ticks:
            return _round_sig(m * step)
    return _round_sig(50 * step)


def value_ticks(lo, hi, max_ticks=5):
    """Round ticks within [lo, hi]: the multiples of `nice_step` there (at
    least one, even for a range of one value: a tick on it, labelled to 6
    significant digits). js/ticks.js `valueTicks` is its twin for ranges
    made in the page, checked string for string by tests/test_colour.py."""
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Ticks((), ())
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:   # one value: a tick on it
        return Ticks((lo,), (_format_at(lo, _place(_round_sig(lo))),))
    step = nice_step(hi - lo, max_ticks)
    values = _multiples(lo, hi, step)
    while len(values) > max_ticks:           # the span's estimate can fall short
        step = _next_step(step)
        values = _multiples(lo, hi, step)
    if len(values) < 2:                      # e.g. only 0 on -0.036 .. 0.042: one finer step
        finer = _multiples(lo, hi, _previous_step(step))
        if len(finer) <= max_ticks + 1:
            step, values = _previous_step(step), finer
    return Ticks(values, tuple(format_value(v, step) for v in values))


def _multiples(lo, hi, step):
    k0, k1 = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return tuple(_clean(k * step, step) for k in range(k0, k1 + 1))


def _next_step(step):
    """The 1-2-5 step after `step` (2 after 1, 5 after 2, 10 after 5)."""
    exponent = math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / _pow10(exponent))
    return _round_sig({1: 2, 2: 5}.get(mantissa, 10) * _pow10(exponent))


def _previous_step(step):
    """The 1-2-5 step before `step` (5 before 10, 2 before 5, 1 before 2)."""
    exponent = math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / _pow10(exponent))
    return _round_sig({5: 2, 2: 1}.get(mantissa, 0.5) * _pow10(exponent))


def nice_range(lo, hi, max_ticks=5):
    """[lo, hi] widened to the nearest multiples of the tick step, so the
    axis ends on labelled round values (for ranges with no fixed ends, e.g.
    norms over training steps)."""
    lo, hi = float(lo), float(hi)
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, max_ticks)
    return _clean(math.floor(lo / step + 1e-9) * step, step), \
        _clean(math.ceil(hi / step - 1e-9) * step, step)


def _place(x):
    """The decimal exponent of the last digit of `x`'s shortest form: 3 for
    1000, -3 for 0.002, -5 for 2e-5 (JavaScript prints the same digits)."""
    return int(Decimal(repr(abs(float(x)))).normalize().as_tuple().exponent)


def _decimals(step):
    """Decimals that print every multiple of `step` exactly (0 for 1, 5, 10)."""
    return max(0, -_place(step))


def _pow10(k):
    """10^k, read from its decimal form (js/ticks.js reads the same)."""
    return float(f"1e{k}")


def _clean(value, step):
    """k * step without float noise (0.30000000000000004 -> 0.3)."""
    value = round(value, _decimals(step))
    return 0.0 if value == 0 else value


def _round_sig(x, digits=6):
    return float(f"{x:.{digits}g}")


def format_value(value, step):
    """A tick label: the decimals `step` (1, 2 or 5 x 10^k) needs ('0.005',
    '-0.01', '0'); 1e-4 > step or values >= 1e5 in short scientific form
    ('5e-5', '2e6'), with the digits the step needs (ticks 0.2 apart near
    1e6 read '1.0000002e6', never all '1e6')."""
    return _format_at(float(value), _place(step))


def _format_at(value, at):
    """`value` printed down to the decimal place `at` (10^at)."""
    if value == 0:
        return "0"
    if at < -4 or abs(value) >= 1e5:
        digits = max(0, round(math.log10(abs(value))) - at)
        mantissa, exponent = f"{value:.{min(digits, 15)}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.{max(0, -at)}f}"


def js_number(value):
    """`value` as JavaScript's String(number) prints it (ECMAScript
    Number::toString: shortest round-trip digits; exponent form below 1e-6
    and from 1e21 on)."""
    value = float(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits))
    k, n = len(digits), len(digits) + exponent   # value = 0.digits x 10^n
    prefix = "-" if value < 0 else ""
    if k <= n <= 21:
        return prefix + digits + "0" * (n - k)
    if 0 < n <= 21:
        return prefix + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return prefix + "0." + "0" * (-n) + digits
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{prefix}{mantissa}e{'+' if n - 1 > 0 else '-'}{abs(n - 1)}"


# -- margins: labels inside the figure at any width -------------------------------------
def left_margin(y_ticks, label=""):
    """Pixels left of the plot for the y tick labels (and the axis label)."""
    return TICK_PAD_PX + y_ticks.width_px() + (LABEL_PX + 8 if label else 4)


def right_margin(x_ticks, minimum=10):
    """Pixels right of the plot: half the widest x label hangs past its tick
    (the last tick may sit on the right end)."""
    return max(minimum, x_ticks.width_px() // 2 + 4)


def y_label_offset(y_ticks):
    """bqplot's label_offset for a left axis (outwards): just past the tick labels."""
    return f"{TICK_PAD_PX + y_ticks.width_px() + 10}px"


def cell_extent(n):
    """An image of n cells spans -0.5 .. n-0.5: integer ticks on centres."""
    return (-0.5, n - 0.5)


def same_value(old, new):
    """Whether an axis trait already holds `new` (arrays by value): setting
    an equal value must send nothing."""
    if old is None or new is None:
        return old is None and new is None
    if isinstance(new, dict) or isinstance(old, dict):
        return old == new
    old, new = np.asarray(old), np.asarray(new)
    return old.shape == new.shape and bool(np.all(old == new))


def count_ticks(top, max_ticks=3):
    """Integer ticks 0 .. top for a histogram's counts."""
    return integer_ticks(0, max(int(math.floor(top)), 1), max_ticks)


def set_histogram_axes(figure, x_range, y_max, x_label="value", y_label="count",
                       max_x_ticks=3):
    """A histogram figure's axes (x: `figure.axes[0]`, y: `[1]`): round
    values on x, integer counts on y, margins that fit every label."""
    x_ticks, y_ticks = value_ticks(*x_range, max_x_ticks), count_ticks(y_max)
    x_axis, y_axis = figure.axes[:2]
    set_ticks(x_axis, x_ticks, x_label)
    set_ticks(y_axis, y_ticks, y_label)
    y_axis.label_offset = y_label_offset(y_ticks)
    margin = {**figure.fig_margin, "left": left_margin(y_ticks, y_label),
              "right": right_margin(x_ticks)}
    if margin != figure.fig_margin:
        figure.fig_margin = margin


MIN_FIGURE_PX = 150   # a small figure's width at least: its tick labels fit


def grid_columns(n, min_px=MIN_FIGURE_PX):
    """CSS grid_template_columns for `n` figures a row that wraps to fewer
    columns rather than squeeze a figure below `min_px` (its labels would
    be cut off): n columns wherever the grid is n x min_px wide."""
    return f"repeat(auto-fill, minmax(max({min_px}px, calc(100% / {n} - 1px)), 1fr))"


def title_style(title, width_px=400, largest=16, smallest=10):
    """bqplot's title_style with a font small enough that `title` fits in a
    figure `width_px` wide (bqplot titles are one line of SVG text, cut off
    at the figure's edges): ~0.55 em per character."""
    fits = int((width_px - 20) / (0.55 * max(len(title), 1)))
    return {"font-size": f"{max(smallest, min(largest, fits))}px"}
