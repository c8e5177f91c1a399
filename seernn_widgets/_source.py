"""What every source of arrays (`Inspector`, a recorded `runs.Run`) shares:
the choices its methods take and the errors they raise. Keras-free."""

GRADIENT_MODES = ("outputs", "weights")
RNN_KINDS = ("weights", "gradients")


def check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


class NoGradientError(ValueError):
    """The output asked for does not reach the loss: it has no gradient (it
    is not zero; nothing the loss computes depends on it)."""


class FrozenLayerError(ValueError):
    """Weight-gradients were asked of a layer whose weights are all frozen
    (`trainable=False`): the loss is not differentiated w.r.t. them."""
