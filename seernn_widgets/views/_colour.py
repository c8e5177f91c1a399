"""Colour ranges, the white-at-zero palette and the symlog transform shared by
the heatmap views (Features2D, RNNHeatmap). Pure NumPy: no widgets.

`norm` of a heatmap view is an automatic choice or a hand-set (lo, hi):

* 'auto'   ±max|v| over everything the view can show of the layer (every
           sample, direction, gate), so moving those keeps the colours;
* 'sample' (Features2D) ±max|v| over the sample shown (all its channels);
* 'kernel' (RNNHeatmap) each kernel its own ±max|v| (all its directions, gates);
* 'robust' ±99th percentile of |v| over everything: the few larger values
           saturate (e.g. an LSTM's forget-gate bias no longer washes out its kernels);
* (lo, hi) hand-set, in the data's own units (also under symlog); it holds
           for one layer and mode: changing either goes back to the automatic choice.

Zero is white for every range: ImageGL spreads its scale's colours evenly
over [min, max] and ignores bqplot's `mid`, so the view sends `palette(lo, hi)`
- 256 colours, one per entry of ImageGL's colour texture - blue from lo up to
white at 0, then up to red at hi (matplotlib's TwoSlopeNorm). A range that
is not symmetric keeps zero white; the colour bar (bqplot ColorAxis, drawn from
the same colours) shows exactly what the image uses. js/colour.js is the
page's twin of `palette`, js/ticks.js of `bar_ticks`, checked by
tests/test_colour.py.

The colour bar's ticks (`bar_ticks`): round 1-2-5 values of the range
(`_ticks.value_ticks`, as every value axis), one label per ~45 px of the bar;
symlog: decades (`symlog_ticks`), else round values, labelled in the data's
units. Python computes them for every range it draws and sends the page
those of every range the page can reach (`_browser.colour_state`); only a
range dragged in the page while a cell runs gets js/ticks.js's (the twin of
value_ticks, checked string for string).

Symlog (`colour_scale='symlog'`): the image drawn is
sign(v)*log10(1 + |v|/linthresh), linthresh the 1st percentile of the
layer's nonzero finite |v|, so 1e-14..1e-5 all get colours; the colour
bar's ticks are labelled in the original values. `view_data()` stays raw.
"""
import functools
import math

import numpy as np
from traitlets import TraitError

from ._ticks import value_ticks

AUTO = "auto"
ROBUST = "robust"
MANUAL = "manual"          # the norm dropdown's entry for a hand-set range
ROBUST_PERCENTILE = 99.0
LINTHRESH_PERCENTILE = 1.0
COLOUR_SCALES = ("linear", "symlog")
N_COLOURS = 256             # ImageGL's colour texture has 256 entries

BLUE, WHITE, RED, BLACK = (33, 102, 172), (255, 255, 255), (178, 24, 43), (0, 0, 0)
DIVERGING_ENDS = (BLUE, RED)    # the colours at lo (< 0) and hi (> 0); white at 0
GREYS_ENDS = (WHITE, BLACK)     # |values|: white at 0, black at hi


def validate_norm(value, autos):
    """One of `autos` ('auto', ...), None (= 'auto', as before), or (lo, hi)
    finite with lo < hi; anything else is refused naming what is allowed."""
    if value is None:
        return AUTO
    if isinstance(value, str):
        if value in autos:
            return value
        raise TraitError(f"norm must be one of {list(autos)} or (min, max), got {value!r}")
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TraitError(f"norm must be one of {list(autos)} or (min, max), "
                         f"got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise TraitError(f"norm must be finite (min, max), got ({lo}, {hi})")
    if not lo < hi:
        raise TraitError(f"norm must have min < max (min <= max and not equal), "
                         f"got ({lo}, {hi})")
    return (lo, hi)


def finite_abs(values):
    """|v| of the finite values, flat float64."""
    flat = np.abs(np.ravel(np.asarray(values, dtype=np.float64)))
    return flat[np.isfinite(flat)]


def peak(values):
    """max|v| over the finite values; 1.0 when there are none or all are 0
    (slicing.auto_norm's rule: a blank range would hide everything)."""
    a = finite_abs(values)
    top = float(a.max()) if a.size else 0.0
    return top if top > 0 else 1.0


def robust_peak(values, percentile=ROBUST_PERCENTILE):
    """The `percentile` of |v| over the finite values (NumPy's linear
    interpolation); `peak`'s fallback when that is 0."""
    a = finite_abs(values)
    top = float(np.percentile(a, percentile)) if a.size else 0.0
    return top if top > 0 else peak(values)


def symmetric(top, absolute=False):
    return (0.0, top) if absolute else (-top, top)


# -- symlog --------------------------------------------------------------------------
def linthresh(values, percentile=LINTHRESH_PERCENTILE):
    """Where symlog turns from linear to log: a low percentile of the nonzero
    finite |v| (1.0 when there are none)."""
    a = finite_abs(values)
    a = a[a > 0]
    return float(np.percentile(a, percentile)) if a.size else 1.0


def symlog(values, c):
    """sign(v) * log10(1 + |v|/c), float32 like the images (NaN, ±Inf kept)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (np.sign(v) * np.log10(1.0 + np.abs(v) / c)).astype(np.float32)


def symlog_inverse(values, c):
    v = np.asarray(values, dtype=np.float64)
    return np.sign(v) * c * (10.0 ** np.abs(v) - 1.0)


def to_drawn(norm, scale, c):
    """A (lo, hi) of the data's units in the units drawn (symlog or not)."""
    if scale == "linear":
        return (float(norm[0]), float(norm[1]))
    return tuple(symlog_one(x, c) for x in norm)


def symlog_one(x, c):
    """One float through `symlog`, in float64 (ranges are not rounded to float32)."""
    return math.copysign(math.log10(1.0 + abs(x) / c), x) if x else 0.0


def from_drawn(norm, scale, c):
    """A (lo, hi) in drawn units back in the data's units."""
    if scale == "linear":
        return (float(norm[0]), float(norm[1]))
    return tuple(float(symlog_inverse(x, c)) for x in norm)


def ticks_per_side(height):
    """How many decades a symlog colour bar of a `height` px figure labels
    on each side of 0 (its plot is 80 px shorter; ~45 px per label)."""
    return max(1, (height - 80) // 45)


def symlog_ticks(top, c, per_side=4):
    """[(drawn value, label)] for the symlog colour bar: 0 and ±10^k for at
    most `per_side` decades from `top` down towards `c`, spread out (near 0
    the decades crowd together), labelled in the original values."""
    if not top > 0:
        return [(0.0, "0")]
    first, last = math.floor(math.log10(c)), math.floor(math.log10(top))
    # from the top decade down, each at least a share of the bar's half from
    # the last one kept and from 0
    gap, kept = symlog_one(top, c) / (per_side + 0.5), []
    for k in range(last, first - 1, -1):
        at = symlog_one(10.0 ** k, c)
        if len(kept) < per_side and at >= gap and (not kept or kept[-1][1] - at >= gap):
            kept.append((k, at))
    ticks = [(0.0, "0")]
    for k, _ in kept:
        label = f"{10.0 ** k:g}" if -3 <= k <= 3 else f"1e{k}"
        ticks += [(symlog_one(10.0 ** k, c), label),
                  (symlog_one(-10.0 ** k, c), "-" + label)]
    return sorted(ticks)


BAR_LABEL_PX = 45   # a colour-bar label's share of the bar, at least


def bar_max_ticks(height):
    """How many labels a linear colour bar of a `height` px figure shows at
    most: one per `BAR_LABEL_PX` of its plot (80 px shorter than the figure)."""
    return max(2, (height - 80) // BAR_LABEL_PX + 1)


def bar_ticks(norm, scale, c, height):
    """Cached: a view sends the ticks of every range its page can reach on
    every colour change (`_browser.colour_state`)."""
    return list(_bar_ticks(float(norm[0]), float(norm[1]), scale, float(c), int(height)))


@functools.lru_cache(maxsize=4096)
def _bar_ticks(lo, hi, scale, c, height):
    """[(drawn value, label)] for the colour bar of range `norm` (units drawn)
    in a `height` px figure, labelled in the data's units:

    * linear: `value_ticks` of the range (round 1-2-5 multiples), at most
      `bar_max_ticks(height)`;
    * symlog: the decades `symlog_ticks` keeps for the range's own largest
      |value| (`ticks_per_side(height)` per side), inside the range; when
      that leaves fewer than 2 labels (a short bar, a small or one-sided
      range) the linear rule's round values of the range in the data's
      units instead, each at its symlog position."""
    if scale == "linear":
        ticks = value_ticks(lo, hi, bar_max_ticks(height))
        return tuple(zip(ticks.values, ticks.labels))
    data_lo, data_hi = from_drawn((lo, hi), scale, c)
    top = max(abs(data_lo), abs(data_hi))
    shown = ticks_within(symlog_ticks(top, c, ticks_per_side(height)), lo, hi)
    if len(shown) >= 2:
        return tuple(shown)
    ticks = value_ticks(data_lo, data_hi, bar_max_ticks(height))
    return tuple((symlog_one(v, c), label) for v, label in zip(ticks.values, ticks.labels))


def ticks_within(ticks, lo, hi):
    """The ticks inside [lo, hi]."""
    return [(v, label) for v, label in ticks if lo <= v <= hi]


# -- the palette ----------------------------------------------------------------------
def palette(lo, hi, ends=DIVERGING_ENDS):
    """Cached: every colour change of a view asks for it."""
    return list(_palette(float(lo), float(hi), tuple(tuple(end) for end in ends)))


@functools.lru_cache(maxsize=1024)
def _palette(lo, hi, ends):
    """`N_COLOURS` '#rrggbb' spread evenly over [lo, hi]: white at 0, towards
    ends[0] at lo (< 0) and ends[1] at hi (> 0), each side linearly
    (js/colour.js `palette` computes the same strings)."""
    (neg, pos), out = ends, []
    for i in range(N_COLOURS):
        v = lo + (hi - lo) * i / (N_COLOURS - 1)
        if v < 0:
            end, f = neg, (v / lo if lo < 0 else 0.0)
        elif v > 0:
            end, f = pos, (v / hi if hi > 0 else 0.0)
        else:
            end, f = WHITE, 0.0
        rgb = [math.floor(w + (e - w) * f + 0.5) for w, e in zip(WHITE, end)]
        out.append("#" + "".join(f"{x:02x}" for x in rgb))
    return tuple(out)


# -- what both heatmap views share -------------------------------------------------------
class ColourControls:
    """The colour controls Features2D and RNNHeatmap share (mixed in before
    their View base): `norm` (one of the view's NORMS or (lo, hi)) and
    `colour_scale` ('linear' or 'symlog'); the views define both traits and
    `colour_ranges()`."""

    def _coerce(self, name, value):
        if name == "norm":
            return validate_norm(value, self.NORMS)
        if name == "colour_scale":
            return check_colour_scale(value)
        return super()._coerce(name, value)

    def _refit(self, given):
        super()._refit(given)
        reset_norm(self, given)

    def norm_from_drawn(self, value):
        """A range in the units drawn (the slider's) in the data's units."""
        return from_drawn(value, self.colour_scale, self.colour_ranges()["c"])

    def bar_ticks(self, norm, height):
        """The colour bar's [(value, label)] for range `norm` (units drawn)
        in a `height` px figure (see `bar_ticks`)."""
        return bar_ticks(norm, self.colour_scale, self.colour_ranges()["c"], height)

    def drawn_image(self, image):
        """What a heatmap is sent: `image` itself, or its symlog."""
        if self.colour_scale == "linear":
            return image
        return symlog(image, self.colour_ranges()["c"])


def reset_norm(view, given):
    """A hand-set range belongs to the layer and mode it was drawn for: when
    either changes (and `norm` is not given with it) the view goes back to the
    automatic choice it last used. Call it from `_refit`."""
    drawn_for = getattr(view, "_norm_drawn_for", None)
    if "norm" not in given and isinstance(view.norm, tuple) and drawn_for is not None \
            and drawn_for != (view.layer, view.mode):
        view.norm = getattr(view, "_norm_auto_choice", AUTO)


def note_drawn(view):
    """After a redraw: what `reset_norm` compares with and goes back to."""
    view._norm_drawn_for = (view.layer, view.mode)
    if isinstance(view.norm, str):
        view._norm_auto_choice = view.norm


def per_row_peaks(data):
    """`peak` of each data[i] (float64 list), in one pass."""
    a = np.abs(np.asarray(data, dtype=np.float64).reshape(len(data), -1))
    a[~np.isfinite(a)] = 0.0
    top = a.max(axis=1) if a.size else np.zeros(len(data))
    return [float(t) if t > 0 else 1.0 for t in top]


def check_colour_scale(value):
    if value not in COLOUR_SCALES:
        raise TraitError(f"colour_scale must be one of {list(COLOUR_SCALES)}, got {value!r}")
    return value
