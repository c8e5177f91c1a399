"""`View`: a figure plus live controls over one layer of a shared Inspector.

Each control is a traitlet of the same name on the view (`w.sample = 3` does
what the slider does, and the slider follows). Every change is one
transaction (`View.set_controls`): the candidate state - the new values plus
the ones they re-fit (direction back to 'both', sample clamped, ...) - is
checked as a whole by computing what the redraw needs, and only then applied,
in one go. A refused value raises TraitError naming what is allowed and
leaves the view exactly as it was. Control changes re-slice the inspector's
cached arrays and never recompute the model.

Views know their layer only through the inspector's metadata (`output_shape`,
`weight_shapes`, `rnn_info`, `has_labels`, ...), never through Keras objects.
"""
import contextlib
import enum
import html
import logging
import weakref

import ipywidgets as widgets
import numpy as np
import traitlets
from ipywidgets.widgets.widget import _instances
from traitlets import TraitError

from ..compare import Difference
from ..inspector import Inspector
from ..slicing import DIRECTIONS

log = logging.getLogger("seernn_widgets")

KEEP = object()   # a Binding's `to_control` result: leave the control as it is


class Kind(enum.Enum):
    """What a control's change needs redrawn: views dispatch on it."""
    DATA = "data"      # new arrays from the inspector (layer, mode, step; a refresh)
    SLICE = "slice"    # another cut of the cached arrays (sample, direction, gate, ...)
    SCALE = "scale"    # colour or axis ranges only (norm, share_xy, equate_axes)
    LAYOUT = "layout"  # how much is drawn, and where (resolution, bins, grid rows)


EVERYTHING = frozenset(Kind)   # the first draw, and a redraw after a rollback
NEW_DATA = frozenset({Kind.DATA})   # a refresh: new numbers, same controls


def as_source(source, input_data=None, labels=None):
    """What a view reads: an Inspector, or any source of the same protocol
    (layer_names, observe, output_shape, ...: e.g. sources.ArraySource); a
    Keras model gets an Inspector of its own."""
    if isinstance(source, Inspector) or (hasattr(source, "layer_names")
                                         and hasattr(source, "observe")):
        return source
    return Inspector(source, input_data, labels)


class Control(traitlets.Any):
    """Any value, None included, always through the view's validator
    (traitlets lets None past the validators of traits that allow None)."""
    allow_none = False


class Whole(traitlets.Int):
    """An int trait that refuses bools (to Python True is 1, to a user it is
    not a count) and takes NumPy ints as ints."""

    def validate(self, obj, value):
        lo, hi = self.min, self.max
        if isinstance(value, np.integer):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) \
                or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise TraitError(f"{self.name} must be {self.allowed()}, got {value!r}")
        return value

    def allowed(self):
        """'an int >= 1', 'one of [0, 1, 2]', ...: for error messages."""
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            return f"one of {list(range(lo, hi + 1))}" if hi - lo < 5 else f"an int in [{lo}, {hi}]"
        return "an int" + (f" >= {lo}" if lo is not None else f" <= {hi}" if hi is not None else "")


def same(a, b):
    """Whether two control values are equal (arrays and lists included)."""
    try:
        return bool(np.all(a == b)) if type(a) is type(b) else False
    except (TypeError, ValueError):
        return False


class Transactional:
    """Controls that change only as a whole (`set_controls`): a trait set
    from outside goes through it; inside, `_applying` lets each value past
    the validator, since they are checked together."""

    _in_transaction = False

    @contextlib.contextmanager
    def _applying(self):
        outer, self._in_transaction = self._in_transaction, True
        try:
            yield
        finally:
            self._in_transaction = outer

    def _validate_control(self, proposal):
        if self._in_transaction:
            return proposal["value"]
        name = proposal["trait"].name
        self.set_controls(**{name: proposal["value"]})
        return getattr(self, name)


class View(Transactional, widgets.VBox):
    """Base class: subclasses set `modes` and `controls` and implement
    `layer_choices`, `_build`, `_redraw` and `view_data`; `choices`,
    `_refit` and `_check_values` say what their controls allow."""

    modes = ("outputs", "gradients")   # every mode the view knows; `choices('mode')`: the layer's
    # the traits that redraw the view, each with the Kind of redraw it needs
    # ('step', a DATA control, is every view's)
    controls = {"layer": Kind.DATA, "mode": Kind.DATA}

    scrubbable = True  # shows a step control once the inspector has history

    layer = traitlets.Unicode()
    mode = traitlets.Unicode()
    step = Control(None)  # a recorded training step, or None: the latest
    # the title's first part; '' = automatic (`subject()`, with the model's
    # name while views of more than one model are open)
    title = traitlets.Unicode("")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # one validator for every control: each change goes through set_controls
        cls._validate_controls = traitlets.validate(*cls.controls, "step")(
            Transactional._validate_control)

    def __init__(self, inspector, layer=None, mode=None, *, input_data=None,
                 labels=None, title="", compare=None, **controls):
        inspector = as_source(inspector, input_data, labels)
        if compare is not None:   # the view shows inspector - compare (compare.Difference)
            inspector = Difference(inspector, as_source(compare, input_data, labels))
        self.inspector = inspector
        self.set_trait("title", title)
        self._owned = []      # every widget this view made: close() closes them
        self._bindings = []   # control widget <-> trait (see Binding)
        self.control_widgets = {}  # trait name -> the widget that sets it
        self._check_names(controls)
        try:
            with self._owning():
                super().__init__()
                self._construct(layer, mode, controls)
        except BaseException:
            self.close()   # what was made so far: a refused view leaves no widgets
            raise
        inspector.observe(self._on_refresh)
        self.observe(self._retitle, "title")
        _open_views_changed(self, opened=True)

    def _construct(self, layer, mode, controls):
        choices = self.layer_choices()
        if not choices:
            raise ValueError(f"{type(self).__name__} can show none of the layers of "
                             f"model {self.inspector.name!r}: {self.inspector.layer_names}")
        self.add_class("seernn-view")
        self.body = widgets.VBox()   # what subclasses build; the step control follows
        self.message = message_line()
        given = {"layer": choices[0] if layer is None else layer, **controls}
        if mode is not None:
            given["mode"] = mode
        self._prepare()
        self._transact(given)   # the first state is checked like any other
        self._build()
        self.step_control = step_slider(self)
        self.children = [self.message, self.body, self.step_control]
        self._redraw(EVERYTHING)
        self._sync_controls()

    # -- to override -----------------------------------------------------------
    def layer_choices(self):
        """Names of the layers this view can show."""
        return self.inspector.layer_names

    def mode_choices(self, layer):
        """The modes this view offers for `layer`."""
        return [m for m in self.modes if m != "gradients" or self.has_output_gradient(layer)]

    def has_output_gradient(self, layer):
        """Labels and a loss, and the output reaches the loss when the
        inspector can tell without a pass (else a choice that does not is
        refused when checked)."""
        reaches = getattr(self.inspector, "reaches_loss", None)
        return self.inspector.has_labels and (reaches is None or reaches(layer))

    def choices(self, name):
        """The values control `name` allows in the current state (None: the
        control checks its own values in `_check_values`)."""
        if name == "layer":
            return self.layer_choices()
        if name == "mode":
            return self.mode_choices(self.layer)
        if name == "step":
            return [None, *self.inspector.history.steps]
        return None

    def _coerce(self, name, value):
        """A value in canonical form (a layer id as its entry name), before
        the state is checked."""
        if name == "layer":
            try:
                return self.inspector.entry_name(value)
            except (KeyError, ValueError, TypeError) as e:
                raise TraitError(f"{e}; {type(self).__name__} can show "
                                 f"{self.layer_choices()}") from None
        return value

    def _refit(self, given):
        """Re-fit the controls not in `given` to the new state (e.g. direction
        back to 'both'); called inside the transaction."""
        if self.mode not in self.modes and "mode" not in given:   # at construction
            self.mode = (self.mode_choices(self.layer) or self.modes)[0]

    def _check_values(self):
        """Refuse (TraitError) what `choices` cannot express, e.g. a sample
        beyond the batch."""

    def _not_allowed(self, name, allowed):
        """The message for a value outside `choices(name)`."""
        value = getattr(self, name)
        if name == "layer":
            return (f"{type(self).__name__} cannot show layer {value!r} (output shape "
                    f"{self.inspector.output_shape(value)}); layers it can show: {allowed}")
        if name == "step":
            return (f"step must be None (the latest) or a recorded step "
                    f"{allowed[1:]}, got {value!r}")
        if name == "mode" and value in self.modes:
            return f"{self._why_not(value)}; layer {self.layer!r} offers modes {allowed}"
        return f"{name} must be one of {allowed} for layer {self.layer!r}, got {value!r}"

    def _why_not(self, mode):
        """Why `mode` is not offered for the current layer."""
        if mode == "gradients" and not self.inspector.has_labels:
            return ("mode 'gradients' needs labels and a model compiled with a loss (pass "
                    "labels= to the Inspector, compile the model)")
        return f"{type(self).__name__} cannot show {mode} of this layer"

    def _prepare(self):
        """What must exist before the first state is checked (caches)."""

    def _build(self):
        """Create figure and control widgets (into self.body.children)."""
        raise NotImplementedError

    def _redraw(self, kinds):
        """Redraw for changes of `kinds` (a frozenset of `Kind`: those of the
        controls changed; NEW_DATA after a refresh, EVERYTHING at first).
        The state is already checked."""
        raise NotImplementedError

    def view_data(self):
        """The NumPy array(s) drawn now, after all slicing."""
        raise NotImplementedError

    # -- the transaction ------------------------------------------------------------
    def set_controls(self, **values):
        """Change several controls as one transaction: all of them are applied,
        or none (TraitError) and the view stays exactly as it was.

        Example:
            w.set_controls(layer='bigru', direction='backward')
        """
        self._check_names(values)
        # nothing trains during a transaction: the step (a TensorFlow variable
        # read per array otherwise, ~30 per change) is read once
        with getattr(self.inspector, "steady", contextlib.nullcontext)():
            old = self.control_state()
            self._transact(values)
            changed = frozenset(n for n in old if not same(old[n], getattr(self, n)))
            if changed:
                with self._owning():
                    self._commit(changed, old)

    def control_kinds(self):
        """{control: Kind}, step included."""
        return {**self.controls, "step": Kind.DATA}

    def _check_names(self, values):
        unknown = set(values) - set(self.control_kinds())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no control {sorted(unknown)[0]!r}; "
                            f"its controls are {list(self.control_kinds())}")

    def control_state(self):
        """{control: value} now (copies: lists are compared later)."""
        return {name: list(v) if isinstance(v, list) else v
                for name in self.control_kinds() for v in [getattr(self, name)]}

    def _transact(self, values):
        """Set `values`, re-fit the others, check the whole state; any
        failure rolls every trait back (hold_trait_notifications) as TraitError."""
        with self._applying(), self.hold_trait_notifications():
            try:
                for name, value in values.items():
                    setattr(self, name, self._coerce(name, value))
                self._check_choices(sorted(values, key=lambda n: n != "layer"))
                self._refit(set(values))
                self._check()
            except TraitError:
                raise
            except Exception as e:   # anything else would not roll back
                raise TraitError(f"{type(self).__name__} refused {values}: {e}") from e

    def _check(self):
        """Refuse a state the redraw could not draw: each control against its
        choices, then what the redraw needs is computed."""
        self._check_choices(self.control_kinds())
        self._check_values()
        try:
            self.view_data()
        except TraitError:
            raise
        except Exception as e:
            at = "" if self.step is None else f" at step {self.step}"
            raise TraitError(f"{type(self).__name__} cannot show {self.mode} of layer "
                             f"{self.layer!r}{at}: {e} (modes it offers: "
                             f"{self.mode_choices(self.layer)})") from e

    def _check_choices(self, names):
        for name in names:
            allowed = self.choices(name)
            if allowed is not None and getattr(self, name) not in allowed:
                raise TraitError(self._not_allowed(name, list(allowed)))

    def _commit(self, changed, old):
        """Draw the applied state; should that fail after all, put the old
        state back and refuse."""
        kinds = self.control_kinds()
        try:
            # the controls first: the page re-slices for the values its
            # controls show, so a control's new value must reach it before
            # the new state and image (a value from the kernel redraws nothing)
            self._sync_controls()
            self._redraw(frozenset(kinds[name] for name in changed))
        except Exception as e:
            log.exception("%r could not redraw; back to the previous state", self)
            with self._applying(), self.hold_trait_notifications():
                for name, value in old.items():
                    setattr(self, name, value)
            self._redraw_quietly(EVERYTHING)
            raise TraitError(f"{type(self).__name__} could not draw the change of "
                             f"{sorted(changed)}: {e}; it shows the previous state") from e
        self.show_message("")

    # -- refresh, messages, controls ---------------------------------------------
    def _on_refresh(self, _inspector):
        """Redraw with the new numbers. Never raises into the caller
        (`model.fit` through LiveRefresh): a failure is logged and shown in
        the view, and the next successful redraw clears it."""
        with self._owning():
            self._redraw_quietly(NEW_DATA)

    def _redraw_quietly(self, kinds):
        try:
            if self.step is not None and self.step not in self.inspector.history.steps:
                self.set_controls(step=None)   # scrubbed-to step evicted: back to latest
                return
            self._check()
            self._redraw(kinds)
            self._sync_controls()
            self.show_message("")
        except Exception as e:
            log.warning("%r could not redraw: %s", self, e)
            self.show_message(f"could not redraw: {e}")
            self._sync_controls_quietly()

    def show_message(self, text):
        show_message(self, text)

    def bind(self, name, control, **kwargs):
        """Keep `control` in step with trait `name` (see Binding)."""
        binding = Binding(self, name, control, **kwargs)
        self._bindings.append(binding)
        return binding

    def _sync_controls(self):
        """Every control shows the view's state and offers its choices now."""
        for binding in self._bindings:
            binding.show()

    def _sync_controls_quietly(self):
        try:
            self._sync_controls()
        except Exception as e:   # a control out of step is no reason to stop fit
            log.warning("%r could not update its controls: %s", self, e)

    # -- closing ---------------------------------------------------------------------
    def _owning(self):
        return owning(self)

    def close(self):
        """Stop following the inspector and close every widget the view made."""
        if "inspector" in self.__dict__:   # else refused before it had one (compare=)
            self.inspector.unobserve(self._on_refresh)
        _open_views_changed(self, opened=False)
        close_owned(self)
        super().close()

    def subject(self, what=None, layer=None):
        """What the title calls the data shown (of `layer`, default the
        view's): 'lstm gradients'; a source of plain arrays names its data
        itself ('gradients', the user's title)."""
        layer = self.layer if layer is None else layer
        describe = getattr(self.inspector, "describe", None)
        return describe(layer, self.mode) if describe else f"{layer} {what or self.mode}"

    def heading(self, layer=None):
        """The title's first part: the `title` given, else `subject()`, led by
        the model's name ('demo: lstm gradients') while views of more than
        one model are open, so titles of different models differ."""
        if self.title:
            return self.title
        # a source of plain arrays names its data itself (no model to name)
        name = None if hasattr(self.inspector, "describe") \
            else getattr(self.inspector, "name", None)
        many = len({id(view.inspector) for view in list(_OPEN_VIEWS)}) > 1 \
            or getattr(self.inspector, "is_difference", False)   # 'a - b: lstm outputs'
        subject = self.subject(layer=layer)
        return f"{name}: {subject}" if name and many else subject

    def step_note(self):
        """' - step 20' when a past step is shown (the `step` control)."""
        return "" if self.step is None else f" - step {self.step}"

    def _retitle(self, _change=None):
        """Redraw for a new heading (the `title` trait, or another model's view
        opened or closed); never raises."""
        if getattr(self, "body", None) is not None:
            with self._owning():
                self._redraw_quietly(frozenset({Kind.SLICE}))

    def layer_shape(self, layer=None):
        """The layer's output shape (samples first), from metadata."""
        return tuple(self.inspector.output_shape(self.layer if layer is None else layer))

    def __repr__(self):  # never print the arrays
        return f"{type(self).__name__}(layer={self.layer!r}, mode={self.mode!r})"


_OPEN_VIEWS = weakref.WeakSet()   # views not closed: whose headings name their model


def _open_views_changed(view, opened):
    """Track open views; when the number of models they show crosses one,
    the others' headings change (they gain or lose the model's name)."""
    before = len({id(v.inspector) for v in list(_OPEN_VIEWS)})
    (_OPEN_VIEWS.add if opened else _OPEN_VIEWS.discard)(view)
    after = len({id(v.inspector) for v in list(_OPEN_VIEWS)})
    if (before > 1) != (after > 1):
        for other in list(_OPEN_VIEWS):   # the new one too: it drew before it counted
            other._retitle()


def message_line():
    """The HTML line a widget shows its errors in (hidden while empty)."""
    line = widgets.HTML(layout={"display": "none"})
    line.add_class("seernn-message")
    return line


def show_message(owner, text):
    """Show `text` in `owner.message` ('' hides it)."""
    if getattr(owner, "message", None) is None:
        return
    owner.message.value = (f'<span style="color:#b2182b">&#9888; {html.escape(text)}</span>'
                           if text else "")
    owner.message.layout.display = None if text else "none"


@contextlib.contextmanager
def owning(owner):
    """Widgets created meanwhile (controls, figures, marks, scales, axes,
    layouts, the page-side slicer) are `owner`'s: `close_owned` closes them."""
    before = set(_instances)
    try:
        yield
    finally:
        kept = [w for w in getattr(owner, "_owned", []) if w.comm is not None]
        owner._owned = kept + [_instances[k] for k in _instances.keys() - before]


def close_owned(owner):
    for widget in getattr(owner, "_owned", []):
        if widget is not owner:
            widget.close()
    owner._owned = []


class Binding:
    """A control widget kept in step with trait `name` of `view`, both ways.

    A value from the control (the page) goes through the view's transaction;
    if refused, the control is put back to the view's value and the view
    shows why (the page has no traceback to show). `show()` pushes the
    view's value (and `options`, when given) to the control, quietly.
    """

    def __init__(self, view, name, control, options=None, to_view=None, to_control=None,
                 after_show=None):
        self.view, self.name, self.control = view, name, control
        self.options = options          # callable -> the choices to offer, or None
        self.to_view = to_view or (lambda value: value)
        self.to_control = to_control or (lambda value: value)
        self.after_show = after_show    # callable(control): e.g. limits, visibility
        self._quiet = False
        control.observe(self._from_control, "value")

    @contextlib.contextmanager
    def quiet(self):
        """While the view moves the control: not a user's choice."""
        outer, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = outer

    def _from_control(self, change):
        if self._quiet:
            return
        try:
            value = self.to_view(change["new"])
            if value is not KEEP:
                self.view.set_controls(**{self.name: value})
        except TraitError as e:
            log.info("%r refused %s=%r from its control: %s", self.view, self.name,
                     change["new"], e)
            self.view.show_message(str(e))
            self.show()

    def show(self):
        with self.quiet(), self.control.hold_sync():
            if self.options is not None:
                options = list(self.options())
                if list(self.control.options) != options:
                    self.control.options = options
            value = self.to_control(getattr(self.view, self.name))
            if value is not KEEP and not same(self.control.value, value):
                self.control.value = value
            if self.after_show is not None:
                self.after_show(self.control)


class DirectionView(View):
    """A view of a layer's channels, which a concat-Bidirectional layer
    splits by `direction` (forward units first). Other layers show 'both'
    only, and the title says when a Bidirectional merged its directions
    (merge_mode sum, mul, ave) so they cannot be split."""

    controls = {**View.controls, "direction": Kind.SLICE}
    direction = traitlets.Unicode("both")

    def is_bidirectional(self, layer=None):
        """Whether the layer's output is a concat of two same-size directions."""
        layer = self.layer if layer is None else layer
        info = self.inspector.rnn_info(layer)
        if info is None or info.merge_mode != "concat" or len(info.directions) != 2:
            return False
        units = {info.layout(d).units for d in info.directions}   # halves: equal sizes
        return len(units) == 1 and self.layer_shape(layer)[-1] == 2 * info.units

    def choices(self, name):
        if name == "direction":
            return list(DIRECTIONS) if self.is_bidirectional() else ["both"]
        return super().choices(name)

    def _not_allowed(self, name, allowed):
        if name == "direction":
            return (f"direction must be one of {allowed} for layer "
                    f"{self.layer!r}{self.merged_note()}, got {self.direction!r}")
        return super()._not_allowed(name, allowed)

    def _refit(self, given):
        super()._refit(given)
        if "direction" not in given and self.direction not in self.choices("direction"):
            self.direction = "both"

    def direction_dropdown(self):
        self.direction_control = dropdown(self, "direction", "direction")
        return self.direction_control

    def show_direction_control(self):
        self.direction_control.layout.display = None if self.is_bidirectional() else "none"

    def merged_note(self):
        """' - directions merged (sum)' for a Bidirectional that is not concat."""
        info = self.inspector.rnn_info(self.layer)
        merge = None if info is None else info.merge_mode
        return f" - directions merged ({merge})" if merge not in (None, "concat") else ""

    def direction_title(self):
        """The title's direction part: the one shown, or why there is none."""
        return f" - {self.direction}" if self.direction != "both" else self.merged_note()


def validate_sample(value, n, allow_all=False):
    """An int in [0, n), or 'all' where overlaying makes sense."""
    if allow_all and value == "all":
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < n:
        allowed = f"an int in [0, {n - 1}]" + (" or 'all'" if allow_all else "")
        raise TraitError(f"sample must be {allowed}, got {value!r}")
    return int(value)


def dropdown(view, name, description, options=None):
    """A Dropdown offering `view.choices(name)` (or `options`), kept in step
    with trait `name` of `view`."""
    offer = (lambda: options) if options is not None else (lambda: view.choices(name))
    control = widgets.Dropdown(options=list(offer()), value=getattr(view, name),
                               description=description)
    view.bind(name, control, options=offer)
    control.add_class(f"seernn-{name}")
    view.control_widgets[name] = control
    return control


def checkbox(view, name, description=None):
    control = widgets.Checkbox(value=getattr(view, name), description=description or name,
                               indent=False)
    view.bind(name, control)
    control.add_class(f"seernn-{name}")
    view.control_widgets[name] = control
    return control


def sample_slider(view):
    """The sample slider; its maximum follows the samples of the layer shown."""
    control = widgets.IntSlider(min=0, max=view.n_samples() - 1,
                                value=view.sample if view.sample != "all" else 0,
                                description="sample", continuous_update=True)
    control.add_class("seernn-sample")

    def limits(slider):
        slider.max = view.n_samples() - 1

    view.bind("sample", control, to_control=lambda v: KEEP if v == "all" else v,
              after_show=limits)
    view.control_widgets["sample"] = control
    return control


LATEST = "latest"  # the step control's value for step=None


def step_slider(view):
    """Scrub back through the inspector's recorded snapshots; shown once
    there are two."""
    control = widgets.SelectionSlider(options=[(LATEST, LATEST)], description="step",
                                      continuous_update=False)
    control.add_class("seernn-step")

    def options():
        return [(f"{s}", s) for s in view.inspector.history.steps] + [(LATEST, LATEST)]

    def visibility(slider):
        shown = view.scrubbable and len(view.inspector.history.steps) > 1
        slider.layout.display = None if shown else "none"

    view.bind("step", control, options=options, after_show=visibility,
              to_view=lambda v: None if v == LATEST else v,
              to_control=lambda v: LATEST if v is None else v)
    view.control_widgets["step"] = control
    return control


def norm_controls(view, *extra):
    """The colour range: a dropdown of the view's automatic choices
    (`view.NORMS`: 'auto', ...) plus 'manual', and a range slider that shows
    the range in effect (`view.norm_shown()`, in the units drawn: symlog
    units under colour_scale='symlog', so 1e-14..1e-5 are all reachable).
    Dragging the slider sets a hand-set range, (lo, hi) in the data's units
    (`view.norm_from_drawn`); `extra` widgets follow in the same row."""
    manual = "manual"
    choice = widgets.Dropdown(options=[*view.NORMS, manual], description="norm",
                              value=view.norm if isinstance(view.norm, str) else manual,
                              layout={"width": "180px"})
    choice.add_class("seernn-norm-auto")
    rng = widgets.FloatRangeSlider(min=-1, max=1, value=(-1, 1), step=1e-3,
                                   description="", continuous_update=False,
                                   readout_format=".2e", layout={"width": "400px"})
    rng.add_class("seernn-norm")
    view.bind("norm", choice,
              to_view=lambda c: view.norm_from_drawn(rng.value) if c == manual else c,
              to_control=lambda norm: norm if isinstance(norm, str) else manual)
    view.norm_binding = view.bind(
        "norm", rng, to_view=lambda value: view.norm_from_drawn(tuple(value)),
        to_control=lambda norm: _shown_norm(rng, view.norm_shown()))
    view.norm_slider = rng
    view.control_widgets.update(norm=rng, norm_auto=choice)
    # ipywidgets gives a slider's readout ~8 characters: '-2.71e-2 – 2.71e-2' needs more
    wide_readout = widgets.HTML(
        "<style>.seernn-norm .widget-readout {max-width: none; min-width: 12em}</style>",
        layout={"display": "none"})
    return widgets.HBox([choice, rng, *extra, wide_readout])


def _shown_norm(slider, norm):
    show_norm(slider, norm)
    return KEEP


def show_norm(slider, norm):
    """Show the colour range in effect on the slider without choosing it
    (the limits widen to twice the range's size). Call it quietly (see
    `Binding.quiet`)."""
    lo, hi = norm
    span = max(abs(lo), abs(hi), 1e-12) * 2
    if lo < slider.min or hi > slider.max or span < (slider.max - slider.min) / 20:
        slider.min, slider.max = -span, span   # min first: span > 0 > -span
        slider.step = span / 1000
    slider.value = (lo, hi)
