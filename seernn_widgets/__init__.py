"""Live, interactive RNN introspection for Jupyter on Keras 3.

Everything loads on first use: the inspection functions with TensorFlow/Keras
(whose C++ INFO/WARNING lines are kept out of the cell first), the widget
classes with ipywidgets and bqplot, and the reading side of recorded runs
(`Run`) with neither TensorFlow nor Keras.
"""
import importlib
from importlib.metadata import version

# first: TensorFlow, when it loads, loads with its C++ INFO/WARNING lines out
# of the cell (errors show); nothing is imported here
from . import _quiet_tensorflow  # noqa: F401

__version__ = version(__name__)   # pyproject.toml's

# name -> module, for the names whose modules load TensorFlow/Keras
_KERAS = {
    "NotCompiledError": "_engine", "Inspector": "inspector", "NoGradientError": "inspector",
    "FrozenLayerError": "inspector", "LiveRefresh": "live", "Recorder": "recorder",
    "load_data": "loading", "load_model": "loading",
    **{name: "compat" for name in (
        "detect_nans", "get_full_name", "get_gradients", "get_layer", "get_outputs",
        "get_rnn_weights", "get_weight_penalties", "get_weights", "rnn_summary",
        "weight_loss", "weights_norm")},
    **{name: "visuals" for name in (
        "IgnoredArgumentsWarning", "features_0D", "features_1D", "features_2D",
        "features_hist", "features_hist_v2", "hist_clipped", "rnn_heatmap",
        "rnn_histogram")},
}
_PLAIN = {"export_html": "export", "Run": "runs"}   # `python -m seernn_widgets.export` runs fresh

_WIDGETS = {
    "Features0D": "lines", "Features1D": "lines", "Features2D": "features",
    "RNNHistogram": "rnn_plots", "RNNHeatmap": "rnn_plots",
    "WeightNorms": "norms", "Explorer": "explorer",
    "HistogramGrid": "histograms", "ClippedHistogram": "histograms",
    "GradientFlow": "flow", "LayerHealth": "health",
}

__all__ = [
    "Inspector", "NoGradientError", "FrozenLayerError", "NotCompiledError", "LiveRefresh",
    "Recorder", "Run", "export_html", "load_model", "load_data",
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
    if name in _KERAS or name in _WIDGETS:
        module = _KERAS.get(name) or f"views.{_WIDGETS[name]}"
    elif name in _PLAIN:
        module = _PLAIN[name]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value   # once
    return value


def __dir__():
    return sorted([*globals(), *__all__])
