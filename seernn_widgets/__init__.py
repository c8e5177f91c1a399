"""Live, interactive RNN introspection for Jupyter on Keras 3.

The inspection functions import only TensorFlow/Keras; the widget classes
(and with them ipywidgets and bqplot) load on first use.
"""
import importlib

from .compat import (detect_nans, get_gradients, get_outputs, get_rnn_weights,
                     get_weights, weights_norm)
from .export import export_html
from ._engine import NotCompiledError
from .inspector import FrozenLayerError, Inspector, NoGradientError
from .live import LiveRefresh
from .loading import load_data, load_model

__version__ = "0.1.0"

_WIDGETS = {
    "Features0D": "lines", "Features1D": "lines", "Features2D": "features",
    "RNNHistogram": "rnn_plots", "RNNHeatmap": "rnn_plots",
    "WeightNorms": "norms", "Explorer": "explorer",
}

__all__ = ["Inspector", "NoGradientError", "FrozenLayerError", "NotCompiledError", "export_html", "LiveRefresh", "detect_nans", "get_gradients", "get_outputs",
           "get_rnn_weights", "get_weights", "weights_norm", "load_model", "load_data",
           *_WIDGETS]


def __getattr__(name):
    if name in _WIDGETS:
        module = importlib.import_module(f".views.{_WIDGETS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
