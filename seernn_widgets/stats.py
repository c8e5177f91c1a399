"""NumPy statistics see-rnn users know: NaN/Inf reports and weight norms."""
import numpy as np


def nan_inf_counts(data):
    """(number of NaNs, number of Infs) in `data`."""
    data = np.asarray(data)
    return int(np.isnan(data).sum()), int(np.isinf(data).sum())


def _describe(count, size, name):
    if count == 0:
        return ""
    percent = 100 * count / size
    # below 0.1% a percentage would read as 0.0%, so give the count
    return f"{count} {name}" if percent < 0.1 else f"{percent:.1f}% {name}"


def detect_nans(data, include_inf=True):
    """'25.0% NaN, 25.0% Inf'-style summary of `data`, or None when clean."""
    data = np.asarray(data)
    nans, infs = nan_inf_counts(data)
    parts = [_describe(nans, data.size, "NaN")]
    if include_inf:
        parts.append(_describe(infs, data.size, "Inf"))
    text = ", ".join(part for part in parts if part)
    return text or None


def column_norms(w, norm_fn=(np.sqrt, np.square), axis=-1):
    """Norm of each slice of `w` along `axis`, the other axes collapsed:
    outer(sum(inner(w))) for norm_fn=(outer, inner) (the l2 norm by default)."""
    outer, inner = norm_fn if isinstance(norm_fn, (tuple, list)) else (np.sqrt, norm_fn)
    w = np.atleast_1d(w)
    axis = axis % w.ndim
    others = tuple(ax for ax in range(w.ndim) if ax != axis)
    return outer(np.sum(inner(w), axis=others))
