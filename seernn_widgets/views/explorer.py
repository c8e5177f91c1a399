"""Explorer: pick a layer and what to look at; it shows the fitting view."""
import ipywidgets as widgets
import traitlets
from traitlets import TraitError

from ._base import (
    Binding,
    Transactional,
    as_source,
    close_owned,
    message_line,
    owning,
    show_message,
)
from ._browser import attach_explorer
from .features import Features2D, kernel_shape, rank

WHATS = ("outputs", "output-gradients", "weights", "weight-gradients", "gates",
         "gradient-flow", "layer-health")


def view_class(inspector, layer, what):
    """(View class, layer, mode) that shows `what` of entry `layer`, or None;
    from the inspector's metadata only."""
    from .flow import GradientFlow
    from .health import LayerHealth
    from .lines import Features0D
    from .rnn_plots import RNNHeatmap
    if what == "gates":
        has_gates = getattr(inspector, "has_gates", None)   # a Run records none
        return has_gates is not None and has_gates(layer) and (Features2D, layer, "gates")
    if what == "gradient-flow":   # every layer's; the chosen one's history
        flowing = inspector.has_labels and rank(inspector.output_shape(layer)) == 3 \
            and getattr(inspector, "reaches_loss", lambda _: True)(layer)
        return flowing and (GradientFlow, layer, None)
    if what == "layer-health":    # every layer's; the chosen one's history
        return (LayerHealth, layer, None)
    if what in ("outputs", "output-gradients"):
        reaches = getattr(inspector, "reaches_loss", None)   # see View.has_output_gradient
        if what == "output-gradients" and not (inspector.has_labels
                                               and (reaches is None or reaches(layer))):
            return None
        mode = "outputs" if what == "outputs" else "gradients"
        view = {3: Features2D, 2: Features0D}.get(rank(inspector.output_shape(layer)))
        return view and (view, layer, mode)
    info = inspector.rnn_info(layer)
    if info is not None and info.same_layout:
        if what == "weight-gradients" and not (inspector.has_labels
                                               and inspector.has_weight_gradients(layer)):
            return None
        return RNNHeatmap, info.layer_name, "weights" if what == "weights" else "gradients"
    if what == "weights" and rank(kernel_shape(inspector, layer)) == 3:
        return Features2D, layer, "weights"
    return None


class Explorer(Transactional, widgets.VBox):
    """One widget over a whole model. A layer or `what` change builds the
    new view first: if that fails, the Explorer stays as it was (TraitError).

    Example:
        Explorer(insp, layer='lstm', what='output-gradients')
    """

    layer = traitlets.Unicode()
    what = traitlets.Unicode("outputs")
    title = traitlets.Unicode("")   # the shown view's title (View.title); '' automatic
    _validate = traitlets.validate("layer", "what")(Transactional._validate_control)

    def __init__(self, inspector, layer=None, what="outputs", *, input_data=None,
                 labels=None, title=""):
        self.inspector = inspector = as_source(inspector, input_data, labels)
        self.view = None
        self.set_trait("title", title)
        try:
            with owning(self):
                super().__init__()
                self._construct(layer, what)
        except BaseException:
            self.close()   # what was made so far: a refused Explorer leaves no widgets
            raise

    def _construct(self, layer, what):
        self.add_class("seernn-explorer")
        self.message = message_line()
        self._layer_menu = widgets.Dropdown(options=self.layers(), description="layer")
        self._what_menu = widgets.Dropdown(options=WHATS, description="show")
        self._layer_menu.add_class("seernn-explorer-layer")
        self._what_menu.add_class("seernn-explorer-what")
        self._menus = widgets.HBox([self._layer_menu, self._what_menu])
        try:
            self.set_controls(layer=self.layers()[0] if layer is None else layer, what=what)
        except BaseException:
            self.close()
            raise
        self._bindings = [
            Binding(self, "layer", self._layer_menu, options=self.layers),
            Binding(self, "what", self._what_menu, options=lambda: self.available(self.layer))]
        self._sync_menus()

    def layers(self):
        """The entries some view can show."""
        return [name for name in self.inspector.layer_names if self.available(name)]

    def available(self, layer):
        """What this layer can be shown as."""
        name = self.inspector.entry_name(layer)
        return [what for what in WHATS if view_class(self.inspector, name, what)]

    def set_controls(self, layer=None, what=None):
        """Show `what` of `layer` (what falls back to the layer's first choice
        when not given); the new view is built before anything changes."""
        try:
            name = self.inspector.entry_name(self.layer if layer is None else layer)
        except (KeyError, ValueError, TypeError) as e:
            raise TraitError(f"{e}; layers with a view: {self.layers()}") from None
        available = self.available(name)
        if not available:
            raise TraitError(f"no view shows layer {name!r} (output shape "
                             f"{self.inspector.output_shape(name)}); layers with a view: "
                             f"{self.layers()}")
        if what is None:
            what = self.what if self.what in available else available[0]
        if what not in WHATS:
            raise TraitError(f"what must be one of {list(WHATS)}, got {what!r}")
        if what not in available:
            raise TraitError(f"layer {name!r} can show {available}, not {what!r}")
        if self.view is not None and (name, what) == (self.layer, self.what):
            return
        cls, view_layer, mode = view_class(self.inspector, name, what)
        try:
            view = cls(self.inspector, layer=view_layer,   # closes itself on failure
                       title=self.title, **({} if mode is None else {"mode": mode}))
        except Exception as e:
            raise TraitError(f"Explorer cannot show {what} of layer {name!r}: {e}") from e
        with self._applying(), self.hold_trait_notifications():
            self.layer, self.what = name, what
        old, self.view = self.view, view
        for control in ("layer", "mode"):  # the Explorer's own menus choose these
            if control in view.control_widgets:
                view.control_widgets[control].layout.display = "none"
        if getattr(self, "slicer", None) is None:   # the menus need the kernel: the page says so
            self.slicer = attach_explorer(self)
        self.children = [self.message, self._menus, view, self.slicer]
        if old is not None:
            old.close()
        self._sync_menus()
        self.show_message("")

    @traitlets.observe("title")
    def _title_changed(self, change):
        if self.view is not None:
            self.view.title = change["new"]

    def _sync_menus(self):
        for binding in getattr(self, "_bindings", ()):
            binding.show()

    def show_message(self, text):
        show_message(self, text)

    def view_data(self):
        return self.view.view_data()

    def close(self):
        """Close the view shown (it stops following the inspector) and the menus."""
        if self.view is not None:
            self.view.close()
        close_owned(self)
        super().close()

    def __repr__(self):
        return f"Explorer(layer={self.layer!r}, what={self.what!r})"
