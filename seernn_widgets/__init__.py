"""Live, interactive RNN introspection for Jupyter on Keras 3."""
from .compat import (detect_nans, get_gradients, get_outputs, get_rnn_weights,
                     get_weights, weights_norm)
from .inspector import Inspector

__version__ = "0.1.0"

__all__ = ["Inspector", "detect_nans", "get_gradients", "get_outputs",
           "get_rnn_weights", "get_weights", "weights_norm"]
