"""`View`: a figure plus live controls over one layer of a shared Inspector.

Each control is a traitlet of the same name on the view (`w.sample = 3` does
what the slider does, and the slider follows); invalid values raise a
TraitError naming what is allowed and leave the view as it was. Control
changes re-slice the inspector's cached arrays and never recompute the model.
"""
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import TraitError

from ..inspector import Inspector
from ..slicing import DIRECTIONS


class View(widgets.VBox):
    """Base class: subclasses set `modes` and `controls` and implement
    `layer_choices`, `_build`, `_redraw` and `view_data`."""

    modes = ("outputs", "gradients")
    controls = ("layer", "mode")  # the traits that redraw the view

    scrubbable = True  # shows a step control once the inspector has history

    layer = traitlets.Unicode()
    mode = traitlets.Unicode()
    step = traitlets.Any(None)  # a recorded training step, or None: the latest

    def __init__(self, inspector, layer=None, mode=None, *, input_data=None,
                 labels=None, **controls):
        if not isinstance(inspector, Inspector):
            inspector = Inspector(inspector, input_data, labels)
        self.inspector = inspector
        self._ready = False
        self.control_widgets = {}  # trait name -> the widget that sets it
        super().__init__()
        self.body = widgets.VBox()   # what subclasses build; the step control follows
        self.add_class("seernn-view")
        choices = self.layer_choices()
        if not choices:
            raise ValueError(f"{type(self).__name__} can show none of the layers of "
                             f"model {inspector.model.name!r}: {inspector.layer_names}")
        self.layer = choices[0] if layer is None else self._layer_name(layer)
        self.mode = self.modes[0] if mode is None else mode
        for name, value in controls.items():
            if name not in (*self.controls, "step"):
                raise TypeError(f"{type(self).__name__} has no control {name!r}; "
                                f"its controls are {[*self.controls, 'step']}")
            setattr(self, name, value)
        self._build()
        self.step_control = step_slider(self)
        self.children = [self.body, self.step_control]
        self._ready = True
        self._redraw()
        inspector.observe(self._on_refresh)

    # -- to override -----------------------------------------------------------
    def layer_choices(self):
        """Names of the layers this view can show."""
        return self.inspector.layer_names

    def _build(self):
        """Create figure and control widgets (into self.body.children)."""
        raise NotImplementedError

    def view_data(self):
        """The NumPy array(s) drawn now, after all slicing."""
        raise NotImplementedError

    # -- shared behaviour --------------------------------------------------------
    def _layer_name(self, layer):
        return self.inspector.layer(layer).name

    @traitlets.validate("layer")
    def _check_layer(self, proposal):
        choices = self.layer_choices()
        try:
            name = self._layer_name(proposal["value"])
        except KeyError as e:
            raise TraitError(f"{e}; {type(self).__name__} can show {choices}") from e
        if name not in choices:
            layer = self.inspector.layer(name)
            raise TraitError(
                f"{type(self).__name__} cannot show layer {name!r} "
                f"({type(layer).__name__}); layers it can show: {choices}")
        return name

    @traitlets.validate("mode")
    def _check_mode(self, proposal):
        mode = proposal["value"]
        if mode not in self.modes:
            raise TraitError(f"mode must be one of {list(self.modes)}, got {mode!r}")
        if mode == "gradients" and self.inspector.y is None:
            raise TraitError("mode 'gradients' needs labels (pass labels= to the "
                             "Inspector); without them mode must be 'outputs'")
        return mode

    @traitlets.validate("step")
    def _check_step(self, proposal):
        steps = self.inspector.history.steps
        if proposal["value"] is not None and proposal["value"] not in steps:
            raise TraitError(f"step must be None (the latest) or a recorded step "
                             f"{steps}, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.observe(traitlets.All)
    def _on_control(self, change):
        if self._ready and (change["name"] in self.controls or change["name"] == "step"):
            self._redraw(change["name"])

    def _on_refresh(self, _inspector):
        if self.step is not None and self.step not in self.inspector.history.steps:
            self._ready = False      # scrubbed-to step evicted: back to latest
            self.step = None
            self._ready = True
        update_step_slider(self)
        self._redraw("refresh")

    def _redraw(self, reason="init"):
        """Redraw after control `reason` changed (or 'init' / 'refresh')."""
        raise NotImplementedError

    def close(self):
        """Stop following the inspector, then close as any widget."""
        self.inspector.unobserve(self._on_refresh)
        super().close()

    def layer_object(self):
        return self.inspector.layer(self.layer)

    def __repr__(self):  # never print the arrays
        return f"{type(self).__name__}(layer={self.layer!r}, mode={self.mode!r})"


class DirectionView(View):
    """A view of a layer's channels, which a concat-Bidirectional layer
    splits by `direction` (forward units first). Other layers show 'both'
    only, and the title says when a Bidirectional merged its directions
    (merge_mode sum, mul, ave) so they cannot be split."""

    direction = traitlets.Unicode("both")

    def is_bidirectional(self):
        layer = self.layer_object()
        return getattr(layer, "merge_mode", None) == "concat" and hasattr(layer, "backward_layer")

    @traitlets.validate("direction")
    def _check_direction(self, proposal):
        allowed = DIRECTIONS if self.is_bidirectional() else ("both",)
        if proposal["value"] not in allowed:
            raise TraitError(f"direction must be one of {list(allowed)} for layer "
                             f"{self.layer!r}{self.merged_note()}, got {proposal['value']!r}")
        return proposal["value"]

    def direction_dropdown(self):
        self.direction_control = dropdown(self, "direction", DIRECTIONS, "direction")
        return self.direction_control

    def fit_direction(self):
        """Back to 'both' on a layer without directions (call it unready)."""
        if not self.is_bidirectional():
            self.direction = "both"

    def show_direction_control(self):
        self.direction_control.layout.display = None if self.is_bidirectional() else "none"

    def merged_note(self):
        """' - directions merged (sum)' for a Bidirectional that is not concat."""
        layer = self.layer_object()
        merge = getattr(layer, "merge_mode", "concat")
        return f" - directions merged ({merge})" if hasattr(layer, "backward_layer") \
            and merge != "concat" else ""

    def direction_title(self):
        """The title's direction part: the one shown, or why there is none."""
        return f" - {self.direction}" if self.direction != "both" else self.merged_note()


def validate_sample(view, value, allow_all=False, n=None):
    """An int in [0, n) (n: the batch size by default), or 'all' where
    overlaying makes sense."""
    n = view.inspector.batch_size if n is None else n
    if allow_all and value == "all":
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < n:
        allowed = f"an int in [0, {n - 1}]" + (" or 'all'" if allow_all else "")
        raise TraitError(f"sample must be {allowed}, got {value!r}")
    return int(value)


def validate_norm(value):
    """None (auto: symmetric ±max|value|) or (min, max) with min <= max."""
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TraitError(f"norm must be None (auto) or (min, max), got {value!r}") from None
    if not lo <= hi:
        raise TraitError(f"norm must have min <= max, got ({lo}, {hi})")
    return (lo, hi)


def dropdown(view, name, options, description):
    """A Dropdown kept two-way in step with trait `name` of `view`."""
    control = widgets.Dropdown(options=options, value=getattr(view, name),
                               description=description)
    widgets.link((view, name), (control, "value"))
    control.add_class(f"seernn-{name}")
    view.control_widgets[name] = control
    return control


def sample_slider(view):
    control = widgets.IntSlider(min=0, max=view.inspector.batch_size - 1,
                                value=view.sample if view.sample != "all" else 0,
                                description="sample", continuous_update=True)
    control.add_class("seernn-sample")

    def to_view(change):
        if view.sample != "all":
            view.sample = change["new"]

    def to_slider(change):
        if change["new"] != "all":
            control.value = change["new"]

    control.observe(to_view, "value")
    view.observe(to_slider, "sample")
    return control


LATEST = "latest"  # the step control's value for step=None


def step_slider(view):
    """Scrub back through the inspector's recorded snapshots."""
    control = widgets.SelectionSlider(options=[(LATEST, LATEST)], description="step",
                                      continuous_update=False)
    control.add_class("seernn-step")
    control.updating = False  # True while the options are being replaced

    def to_view(change):
        if not control.updating:
            view.step = None if change["new"] == LATEST else change["new"]

    control.observe(to_view, "value")
    view.observe(lambda change: update_step_slider(view, control), "step")
    view.control_widgets["step"] = control
    update_step_slider(view, control)
    return control


def update_step_slider(view, control=None):
    """Offer the recorded steps; show the control once there are two."""
    control = control or view.step_control
    steps = view.inspector.history.steps
    control.updating = True
    try:
        control.options = [(f"{s}", s) for s in steps] + [(LATEST, LATEST)]
        control.value = LATEST if view.step is None else view.step
    finally:
        control.updating = False
    shown = view.scrubbable and len(steps) > 1
    control.layout.display = None if shown else "none"


def norm_controls(view):
    """A range slider plus an 'auto' checkbox, both following `view.norm`.
    In auto mode the slider shows the range in effect (see `show_norm`)."""
    auto = widgets.Checkbox(value=view.norm is None, description="auto norm",
                            indent=False)
    auto.add_class("seernn-norm-auto")
    rng = widgets.FloatRangeSlider(min=-1, max=1, value=(-1, 1), step=1e-3,
                                   description="norm", continuous_update=False,
                                   readout_format=".2e", layout={"width": "460px"})
    rng.add_class("seernn-norm")
    rng.showing = False  # True while show_norm moves it: not a user's choice

    def from_auto(change):
        if not rng.showing:
            view.norm = None if change["new"] else tuple(rng.value)

    def from_range(change):
        if not rng.showing:
            view.norm = tuple(change["new"])

    def from_view(change):
        rng.showing = True
        auto.value = change["new"] is None
        rng.showing = False
        if change["new"] is not None:
            show_norm(rng, change["new"])

    auto.observe(from_auto, "value")
    rng.observe(from_range, "value")
    view.observe(from_view, "norm")
    # ipywidgets gives a slider's readout ~8 characters: '-2.71e-2 – 2.71e-2' needs more
    wide_readout = widgets.HTML(
        "<style>.seernn-norm .widget-readout {max-width: none; min-width: 12em}</style>",
        layout={"display": "none"})
    return widgets.HBox([rng, auto, wide_readout]), rng


def show_norm(slider, norm):
    """Show the colour range in effect on the slider without choosing it
    (the limits widen to twice the range's size)."""
    lo, hi = norm
    span = max(abs(lo), abs(hi), 1e-12) * 2
    slider.showing = True
    try:
        if lo < slider.min or hi > slider.max or span < (slider.max - slider.min) / 20:
            slider.min, slider.max = -span, span   # min first: span > 0 > -span
            slider.step = span / 1000
        slider.value = (lo, hi)
    finally:
        slider.showing = False

