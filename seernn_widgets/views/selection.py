"""Linked views: a unit picked in one view is shown by the other views of
the same source.

Clicking a unit - a row of a Features2D (a column when `timesteps_xaxis`
is False), a column of an RNNHeatmap - sets the view's `selection` trait to
`{'layer': entry name, 'unit': k}`, k the layer's channel (a concat
Bidirectional's backward unit j is channel units + j, as in its output).
Every linked view of the same source (one `Selection` per Inspector or Run,
held weakly) gets the same value and shows it:

- Features1D of that layer draws that unit's trace (channels = [it]);
- Features2D of that layer outlines the unit's row;
- RNNHeatmap of that layer outlines the unit's kernel column (in each gate).

A view whose shown direction lacks the unit turns to the direction that has
it. A selection of a layer a view does not show leaves it alone. Setting
`view.selection` by hand is checked here (TraitError naming what is
allowed, nothing changes); a click outside the units is ignored.

Example:
    f2, f1 = Features2D(insp, 'lstm'), Features1D(insp, 'lstm')
    f2.selection = {'layer': 'lstm', 'unit': 3}   # f1 now shows channel 3
"""
import contextlib
import logging
import weakref

import bqplot
import numpy as np
import traitlets
from bqplot_image_gl.interacts import MouseInteraction
from traitlets import TraitError

from .. import slicing

log = logging.getLogger("seernn_widgets")

COLOUR = "#00a651"   # green: apart from the diverging blue-white-red, NaN yellow, mask grey
WIDTH = 2


class Selection(traitlets.HasTraits):
    """The unit selected in the views of one source (see `shared`)."""

    value = traitlets.Any(None)

    def __init__(self):
        super().__init__()
        self.views = weakref.WeakSet()

    def select(self, value):
        """`value` (already checked) in every linked view, each showing it."""
        self.value = value
        for view in list(self.views):
            view._take_selection(value)


_SHARED = weakref.WeakKeyDictionary()   # source -> its Selection


def shared(source):
    """The one `Selection` of `source` (made on first use)."""
    try:
        if source not in _SHARED:
            _SHARED[source] = Selection()
        return _SHARED[source]
    except TypeError:   # a source that cannot be weakly referenced: not linked
        return Selection()


def check(source, value):
    """`value` as a selection of `source`: None, or {'layer': entry name,
    'unit': int in [0, channels)}; else TraitError naming what is allowed."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"layer", "unit"}:
        raise TraitError(f"selection must be None or {{'layer': name, 'unit': int}}, "
                         f"got {value!r}")
    try:
        layer = source.entry_name(value["layer"])
    except (KeyError, ValueError, TypeError) as e:
        raise TraitError(f"selection: {e}; layers: {list(source.layer_names)}") from None
    n = channels_of(source, layer)
    unit = value["unit"]
    if isinstance(unit, np.integer):
        unit = int(unit)
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit < n:
        raise TraitError(f"selection unit must be an int in [0, {n - 1}] (layer {layer!r} "
                         f"has {n} channels), got {unit!r}")
    return {"layer": layer, "unit": unit}


def channels_of(source, layer):
    shape = source.output_shape(layer)
    return int(shape[-1]) if shape else 0


class Linked(traitlets.HasTraits):
    """A view taking part in its source's selection (a mixin, before the
    View class: `class Features2D(Linked, ..., DirectionView)`)."""

    selection = traitlets.Any(None)   # {'layer': entry name, 'unit': int} or None

    _sharing = False   # while the shared value is being handed out: checked already

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared = shared(self.inspector)
        self._shared.views.add(self)
        if self._shared.value is not None:   # a view opened later shows it too
            self._take_selection(self._shared.value)

    @traitlets.validate("selection")
    def _check_selection(self, proposal):
        return proposal["value"] if self._sharing else check(self.inspector, proposal["value"])

    @traitlets.observe("selection")
    def _selection_changed(self, change):
        if not self._sharing and getattr(self, "_shared", None) is not None:
            self._shared.select(change["new"])

    @contextlib.contextmanager
    def _handing_out(self):
        outer, self._sharing = self._sharing, True
        try:
            yield
        finally:
            self._sharing = outer

    def _take_selection(self, value):
        """Hold `value` and show it; never raises (a view stays usable)."""
        with self._handing_out():
            self.selection = value
        try:
            with self._owning():
                follow(self)
                draw_selection(self)
        except Exception as e:
            log.warning("%r could not show the selection %r: %s", self, value, e)
            self.show_message(f"could not show the selected unit: {e}")

    def close(self):
        shared_ = getattr(self, "_shared", None)
        if shared_ is not None:
            shared_.views.discard(self)
        super().close()


# -- where a unit is in a view --------------------------------------------------------
def _is_rnn_view(view):
    return hasattr(view, "gate_axis")   # RNNHeatmap (its columns are gates x units)


def place(view, value=None):
    """(direction, index) of the selected unit in `view`: the direction to
    show and the unit's index among that direction's channels (units for
    an RNNHeatmap); None when the view does not show the selected layer."""
    value = view.selection if value is None else value
    if value is None:
        return None
    unit = value["unit"]
    if _is_rnn_view(view):
        info = view.inspector.rnn_info(value["layer"])
        if info is None or info.layer_name != view.layer:
            return None
        if info.merge_mode == "concat" and len(info.directions) == 2:
            return info.directions[unit // info.units], unit % info.units
        return (view.direction, unit) if unit < info.units else None
    if value["layer"] != view.layer:
        return None
    n = _view_channels(view)
    if unit >= n:
        return None
    # the shown direction if it has the unit, else the unit's own (before 'both')
    others = sorted(view.choices("direction"), key=lambda d: d == "both")
    for direction in [view.direction, *others]:
        part = range(n)[slicing.direction_channels(n, direction)]
        if unit in part:
            return direction, unit - part.start
    return None


def _view_channels(view):
    """Channels of the whole array the view slices (every direction)."""
    return int(view._data().shape[-1])


def follow(view):
    """Turn the view's controls to show the selected unit: its direction,
    and for a Features1D its channel."""
    at = place(view)
    if at is None:
        return
    direction, index = at
    changes = {} if direction == view.direction else {"direction": direction}
    if "channels" in view.controls and view.channels != [index]:
        changes["channels"] = [index]
    if changes:
        try:
            view.set_controls(**changes)
        except Exception:
            view._sync_controls_quietly()   # the controls show the view's state again
            raise


# -- drawing the selection -------------------------------------------------------------
def _outline(heatmap):
    """The heatmap's selection lines (made on first use; they never widen
    the axes: preserve_domain), and the clicks its figure reports."""
    lines = getattr(heatmap, "selection_lines", None)
    if lines is None:
        lines = heatmap.selection_lines = bqplot.Lines(
            x=[[0, 0]], y=[[0, 0]], colors=[COLOUR], stroke_width=WIDTH, visible=False,
            preserve_domain={"x": True, "y": True},
            scales={"x": heatmap.x_scale, "y": heatmap.y_scale})
    if lines not in heatmap.figure.marks:   # a mask overlay may have replaced the marks
        heatmap.figure.marks = [*heatmap.figure.marks, lines]
    return lines


def _clicks(view, heatmap):
    """Clicks on `heatmap`'s figure, in axis units, go to `on_click`."""
    if getattr(heatmap, "clicks", None) is None:
        heatmap.clicks = MouseInteraction(x_scale=heatmap.x_scale, y_scale=heatmap.y_scale,
                                          events=["click"])
        heatmap.clicks.on_msg(lambda _widget, content, _buffers: on_click(view, content))
        heatmap.figure.interaction = heatmap.clicks


def _show_lines(lines, edges, span, vertical):
    """Lines at axis positions `edges` across `span` = (lo, hi); none when
    `edges` is empty."""
    at = edges or [0]
    ends = np.array([span] * len(at), np.float32)
    sides = np.array([[e, e] for e in at], np.float32)
    with lines.hold_sync():
        lines.visible = bool(edges)
        lines.x, lines.y = (sides, ends) if vertical else (ends, sides)


def draw_selection(view):
    """Outline the selected unit in a Features2D or an RNNHeatmap (called
    at the end of their `_redraw`; Features1D shows it by its channels)."""
    at = place(view)
    shown = at is not None and at[0] == view.direction
    if _is_rnn_view(view):
        units = view.info().units
        blocks = len(view.info().gates) if view.gate == "all" and view.info().gates else 1
        edges = [] if not shown else [
            e for b in range(blocks) for e in (b * units + at[1] - 0.5, b * units + at[1] + 0.5)]
        for heatmap in view.heatmaps.values():
            _clicks(view, heatmap)
            _show_lines(_outline(heatmap), edges, _span(heatmap.mark.y), vertical=True)
        return
    if not hasattr(view, "heatmap"):
        return
    heatmap = view.heatmap
    _clicks(view, heatmap)
    edges = [at[1] - 0.5, at[1] + 0.5] if shown else []
    if view.timesteps_xaxis:   # units are rows, across the timesteps
        _show_lines(_outline(heatmap), edges, _span(heatmap.mark.x), vertical=False)
    else:
        _show_lines(_outline(heatmap), edges, _span(heatmap.mark.y), vertical=True)


def _span(extent):
    """(lo, hi) of a mark's x or y extent (its cells' outer edges)."""
    return float(extent[0]), float(extent[1])


# -- clicks -----------------------------------------------------------------------------
def on_click(view, content):
    """A click the page reported ({'event': 'click', 'domain': {'x', 'y'}}
    in axis units): select the unit under it; a click outside the units
    is ignored, a refused selection shown in the view."""
    if not isinstance(content, dict) or content.get("event") != "click":
        return
    try:
        unit = unit_at(view, content["domain"])
    except (KeyError, TypeError, ValueError):
        return
    if unit is None:
        return
    try:
        view.selection = {"layer": view.layer, "unit": unit}
    except TraitError as e:
        log.info("%r refused the clicked unit %s: %s", view, unit, e)
        view.show_message(str(e))


def unit_at(view, domain):
    """The layer's channel under a click at `domain` (axis units), or None."""
    if _is_rnn_view(view):
        info = view.info()
        blocks = len(info.gates) if view.gate == "all" and info.gates else 1
        column = int(np.floor(float(domain["x"]) + 0.5))
        if not 0 <= column < info.units * blocks:
            return None
        index = column % info.units
        if info.merge_mode == "concat" and len(info.directions) == 2:
            return info.units * info.directions.index(view.direction) + index
        return index
    n = _view_channels(view)
    part = range(n)[slicing.direction_channels(n, view.direction)]
    at = float(domain["y"] if view.timesteps_xaxis else domain["x"])
    index = int(np.floor(at + 0.5))
    return part[index] if 0 <= index < len(part) else None
