"""Explorer: pick a layer and what to look at; it shows the fitting view."""
import ipywidgets as widgets
import traitlets
from traitlets import TraitError

from .. import rnn
from ..inspector import Inspector
from .features import Features2D

WHATS = ("outputs", "output-gradients", "weights", "weight-gradients")


def view_class(layer, what):
    """(View class, mode) that shows `what` of `layer`, or None."""
    from .lines import Features0D
    from .rnn_plots import RNNHeatmap
    if what in ("outputs", "output-gradients"):
        mode = "outputs" if what == "outputs" else "gradients"
        ndim = len(layer.output.shape)
        return {3: (Features2D, mode), 2: (Features0D, mode)}.get(ndim)
    if rnn.is_recurrent(layer):
        return RNNHeatmap, "weights" if what == "weights" else "gradients"
    if what == "weights" and layer.weights and len(layer.weights[0].shape) == 3:
        return Features2D, "weights"
    return None


class Explorer(widgets.VBox):
    """One widget over a whole model.

    Example:
        Explorer(insp, layer='lstm', what='output-gradients')
    """

    layer = traitlets.Unicode()
    what = traitlets.Unicode("outputs")

    def __init__(self, inspector, layer=None, what="outputs", *, input_data=None,
                 labels=None):
        if not isinstance(inspector, Inspector):
            inspector = Inspector(inspector, input_data, labels)
        self.inspector = inspector
        self.view = None
        super().__init__()
        self.add_class("seernn-explorer")
        self.what = what
        self.layer = inspector.layer_names[0] if layer is None else inspector.layer(layer).name
        layer_menu = widgets.Dropdown(options=inspector.layer_names, description="layer")
        what_menu = widgets.Dropdown(options=WHATS, description="show")
        widgets.link((self, "layer"), (layer_menu, "value"))
        widgets.link((self, "what"), (what_menu, "value"))
        layer_menu.add_class("seernn-explorer-layer")
        what_menu.add_class("seernn-explorer-what")
        self._menus = widgets.HBox([layer_menu, what_menu])
        self._show()

    def available(self, layer):
        """What this layer can be shown as."""
        layer = self.inspector.layer(layer)
        return [what for what in WHATS if view_class(layer, what)]

    @traitlets.validate("layer")
    def _check_layer(self, proposal):
        try:
            layer = self.inspector.layer(proposal["value"])
        except KeyError as e:
            raise TraitError(str(e)) from e
        if not self.available(layer):
            shown = [name for name in self.inspector.layer_names if self.available(name)]
            raise TraitError(f"no view shows layer {layer.name!r} "
                             f"({type(layer).__name__}); layers with a view: {shown}")
        return layer.name

    @traitlets.validate("what")
    def _check_what(self, proposal):
        what = proposal["value"]
        if what not in WHATS:
            raise TraitError(f"what must be one of {list(WHATS)}, got {what!r}")
        if self.layer and what not in self.available(self.layer):
            raise TraitError(f"layer {self.layer!r} can show {self.available(self.layer)}, "
                             f"not {what!r}")
        return what

    @traitlets.observe("layer", "what")
    def _changed(self, change):
        if change["name"] == "layer" and self.what not in self.available(self.layer):
            self.what = self.available(self.layer)[0]  # observed again: shows it
        elif self.view is not None:
            self._show()

    def _show(self):
        cls, mode = view_class(self.inspector.layer(self.layer), self.what)
        if self.view is not None:
            self.view.close()
        self.view = cls(self.inspector, self.layer, mode=mode)
        for name in ("layer", "mode"):  # the Explorer's own menus choose these
            self.view.control_widgets[name].layout.display = "none"
        self.children = [self._menus, self.view]

    def view_data(self):
        return self.view.view_data()

    def __repr__(self):
        return f"Explorer(layer={self.layer!r}, what={self.what!r})"
