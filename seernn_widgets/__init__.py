"""Live, interactive RNN introspection for Jupyter on Keras 3.

The inspection functions import only TensorFlow/Keras; the widget classes
(and with them ipywidgets and bqplot) load on first use.
"""
import importlib
from importlib.metadata import version

# first: TensorFlow loads with its C++ INFO/WARNING lines out of the cell (errors show)
from . import _quiet_tensorflow  # noqa: F401
from ._engine import NotCompiledError
from .compat import (
    detect_nans,
    get_full_name,
    get_gradients,
    get_layer,
    get_outputs,
    get_rnn_weights,
    get_weight_penalties,
    get_weights,
    rnn_summary,
    weight_loss,
    weights_norm,
)
from .inspector import FrozenLayerError, Inspector, NoGradientError
from .live import LiveRefresh
from .loading import load_data, load_model
from .visuals import (
    IgnoredArgumentsWarning,
    features_0D,
    features_1D,
    features_2D,
    features_hist,
    features_hist_v2,
    hist_clipped,
    rnn_heatmap,
    rnn_histogram,
)

__version__ = version(__name__)   # pyproject.toml's

_LAZY = {"export_html": "export"}   # `python -m seernn_widgets.export` runs it fresh

_WIDGETS = {
    "Features0D": "lines", "Features1D": "lines", "Features2D": "features",
    "RNNHistogram": "rnn_plots", "RNNHeatmap": "rnn_plots",
    "WeightNorms": "norms", "Explorer": "explorer",
    "HistogramGrid": "histograms", "ClippedHistogram": "histograms",
}

__all__ = [
    "Inspector", "NoGradientError", "FrozenLayerError", "NotCompiledError", "LiveRefresh",
    "export_html", "load_model", "load_data",
    # see-rnn's inspection functions
    "get_outputs", "get_gradients", "get_weights", "get_rnn_weights", "weights_norm",
    "detect_nans", "get_layer", "get_full_name", "get_weight_penalties", "weight_loss",
    "rnn_summary",
    # see-rnn's visual functions, each returning a live widget
    "features_0D", "features_1D", "features_2D", "features_hist", "features_hist_v2",
    "hist_clipped", "rnn_histogram", "rnn_heatmap", "IgnoredArgumentsWarning",
    *_WIDGETS,
]


def __getattr__(name):
    if name in _WIDGETS:
        module = importlib.import_module(f".views.{_WIDGETS[name]}", __name__)
        return getattr(module, name)
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
