"""see-rnn 1.15.1's visual functions, over the arrays see-rnn took, each
returning the live widget that shows them:

    grads = get_gradients(model, 1, x, y)
    features_2D(grads, n_rows=8, norm=(-.01, .01))     # a Features2D widget

| see-rnn | returns |
|---|---|
| `features_0D(data)` (samples, channels) | `Features0D` |
| `features_1D(data)` (samples, timesteps, channels) or (timesteps, channels) | `Features1D` |
| `features_2D(data)` (samples, timesteps, channels) or (timesteps, channels) | `Features2D` |
| `features_hist(data)`, `features_hist_v2(data)` | `HistogramGrid` |
| `hist_clipped(data)` | `ClippedHistogram` |
| `rnn_histogram(model, _id, data=...)`, `rnn_heatmap(...)` | `RNNHistogram`, `RNNHeatmap` |

see-rnn's keyword arguments that decide what is shown are honoured (which
slice, norm, reflect_half, timesteps_xaxis, max_timesteps, channel_axis,
bins, sharing, xlims, equate_axes, show_bias, absolute_value, normalize,
title...). Sizes, colours, borders, saving and `configs` are matplotlib's:
they are named in one `IgnoredArgumentsWarning` per call, as are unknown
ones (see-rnn raised on those). Where a widget shows one sample at a time
(features_2D), grid arguments are named there too.

The widgets are live over the arrays given: their controls re-slice them,
and for features_0D/1D/2D and rnn_* `widget.inspector.update(new)`
redraws with new numbers. rnn_histogram / rnn_heatmap
fetch the layer's arrays once, as see-rnn did. To follow a model through
training, give the widget classes an `Inspector` instead.

Deliberate differences from see-rnn: `norm=None` centres the colours on 0
like 'auto' (matplotlib stretched them to min..max); features_2D's
`reflect_half` flips the second half of the channels along time for 3-D
data too (see-rnn flipped the samples there); histograms show counts
(rnn_histogram's were densities); NaN/Inf are left out of every histogram
and counted in its title (see-rnn zeroed them in rnn_histogram).
"""
import warnings

import numpy as np
from traitlets import TraitError

from . import _layers, compat, rnn
from .sources import ArraySource, RNNWeightsSource

_UNSET = object()   # a see-rnn default that, if given, is ignored


class IgnoredArgumentsWarning(UserWarning):
    """Arguments of a see-rnn visual function that the widget cannot honour."""


def _warn_ignored(function, ignored, kwargs=(), cosmetic=(), note=""):
    """One warning naming every ignored argument of this call: `ignored`,
    and those of `kwargs` (see-rnn's styling ones, `cosmetic`, and unknown ones)."""
    unknown = [name for name in kwargs if name not in cosmetic]
    names = [*ignored, *(name for name in kwargs if name in cosmetic), *unknown]
    if not names:
        return
    if unknown:
        note += f" ({', '.join(unknown)}: not an argument of see-rnn's {function})"
    warnings.warn(f"{function}: ignored: {', '.join(names)}.{note} Sizes, colours, borders, "
                  f"saving and configs are matplotlib's; the widget has its own controls.",
                  IgnoredArgumentsWarning, stacklevel=3)


def _given(pairs):
    """Names of the arguments given a value other than see-rnn's default."""
    return [name for name, (value, default) in pairs.items()
            if value is not _UNSET and not _equal(value, default)]


def _equal(a, b):
    try:
        return bool(a == b) if type(a) is type(b) else False
    except (TypeError, ValueError):
        return False


def _array(data, function, ndims, shapes):
    """`data` as an ndarray of one of `ndims`, or an error naming `shapes`."""
    try:
        data = np.asarray(data)
    except ValueError as e:
        raise ValueError(f"{function} takes {shapes} as a NumPy array; got a ragged "
                         f"sequence ({e})") from None
    if data.ndim not in ndims:
        raise ValueError(f"{function} takes {shapes}; got an array of shape {data.shape} "
                         f"(ndim={data.ndim})")
    if not (np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)
            or data.dtype == bool):
        raise ValueError(f"{function} takes real numbers; got dtype {data.dtype}")
    if data.size == 0:
        raise ValueError(f"{function} needs at least one value; got shape {data.shape}")
    return data.astype(np.float32) if data.dtype == bool else data


def _norm(norm, function):
    """None (auto: ±max|value|) or (vmin, vmax), from see-rnn's None /
    'auto' / (vmin, vmax)."""
    if norm is None or (isinstance(norm, str) and norm == "auto"):
        return None
    try:
        vmin, vmax = (float(v) for v in norm)
    except (TypeError, ValueError):
        raise ValueError(f"{function}: norm must be None, 'auto' or (vmin, vmax), "
                         f"got {norm!r}") from None
    if not (np.isfinite(vmin) and np.isfinite(vmax) and vmin <= vmax):
        raise ValueError(f"{function}: norm must be (vmin, vmax) with finite "
                         f"vmin <= vmax, got {norm!r}")
    return (vmin, vmax)


def _positive_int(value, name, function, allow_none=True):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 1:
        allowed = "None or an int >= 1" if allow_none else "an int >= 1"
        raise ValueError(f"{function}: {name} must be {allowed}, got {value!r}")
    return int(value)


def _name(title, default):
    """The pseudo-layer's name: see-rnn's title ('grads', 'outputs',
    'generic' or any text) says what the array is."""
    if title is _UNSET or title is None or title is False or title is True:
        return default
    return {"grads": "gradients", "outputs": "outputs", "generic": "data"}.get(title, str(title))


def grid_shape(n_rows, n_subplots):
    """(rows, columns) of a subplot grid as see-rnn lays it out: about
    square when `n_rows` is None, and always a divisor pair of `n_subplots`."""
    rows = int(np.sqrt(n_subplots)) if n_rows is None else n_rows
    columns = max(n_subplots // max(rows, 1), 1)
    while n_subplots % columns:
        columns -= 1
    return n_subplots // columns, columns


def _sharing(share_xy, function):
    """(share_x, share_y), each False, True, 'row' or 'col', from see-rnn's
    bool / str / (x, y)."""
    pair = tuple(share_xy) if isinstance(share_xy, (list, tuple)) else (share_xy, share_xy)
    if len(pair) != 2:
        raise ValueError(f"{function}: share_xy must be a bool, 'row', 'col' or a pair "
                         f"(sharex, sharey) of them, got {share_xy!r}")
    out = []
    for value in pair:
        if isinstance(value, str) and value in ("row", "col"):
            out.append(value)
        elif isinstance(value, (bool, int, np.bool_, np.integer)) and not isinstance(value, str):
            out.append(bool(value))
        elif isinstance(value, str) and value in ("all", "none"):
            out.append(value == "all")
        else:
            raise ValueError(f"{function}: share_xy must be a bool, 'row', 'col' or a pair "
                             f"(sharex, sharey) of them, got {share_xy!r}")
    return tuple(out)


def _channels_last(data, channel_axis, function):
    if isinstance(channel_axis, bool) or channel_axis not in (0, -1, data.ndim - 1):
        raise ValueError(f"{function}: channel_axis must be 0 (channels first: (channels, "
                         f"timesteps, samples)) or -1 (channels last), got {channel_axis!r}")
    return data.T if channel_axis == 0 else data


def _build(function, widget, *args, **kwargs):
    """The widget, its refusals as ValueError (the arguments were the user's)."""
    try:
        return widget(*args, **kwargs)
    except TraitError as e:
        raise ValueError(f"{function}: {e}") from None


# -- features ---------------------------------------------------------------------------
def features_0D(data, marker=_UNSET, cmap=_UNSET, color=_UNSET, configs=_UNSET, **kwargs):
    """Each unit's value at each sample of a 2-D (samples, channels) array,
    as a `Features0D` widget (see-rnn features_0D).

    Example:
        features_0D(get_gradients(model, 'lstm', x, y))   # return_sequences=False
    """
    title = kwargs.pop("title", _UNSET)
    _warn_ignored("features_0D", _given({"marker": (marker, "o"), "cmap": (cmap, "bwr"),
                                         "color": (color, None), "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_y_zero", "ylims",
                            "savepath"))
    data = _array(data, "features_0D", (2,), "a 2-D (samples, channels) array")
    from .views.lines import Features0D
    source = ArraySource(data, _name(title, "array"))
    return _build("features_0D", Features0D, source, source.name, "outputs")


def features_1D(data, n_rows=None, annotations="auto", share_xy=(1, 1), max_timesteps=None,
                subplot_samples=False, configs=_UNSET, **kwargs):
    """One plot per channel, value vs timestep, samples overlaid, as a
    `Features1D` widget (see-rnn features_1D). 3-D data is (samples,
    timesteps, channels); 2-D is (timesteps, channels), all channels drawn
    in one plot. `subplot_samples=True` makes a plot per sample instead.

    Example:
        features_1D(grads[:1], n_rows=2)
    """
    function = "features_1D"
    title = kwargs.pop("title", _UNSET)
    _warn_ignored(function, _given({"annotations": (annotations, "auto"),
                                    "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_xy_ticks", "show_y_zero",
                            "tight", "borderwidth", "color", "savepath"))
    data = _array(data, function, (2, 3),
                  "a 3-D (samples, timesteps, channels) or 2-D (timesteps, channels) array")
    n_rows = _positive_int(n_rows, "n_rows", function)
    max_timesteps = _positive_int(max_timesteps, "max_timesteps", function)
    _, share_y = _sharing(share_xy, function)
    if data.ndim == 2:          # (timesteps, channels): the channels overlaid in one plot
        data = data.T[..., None]
    elif subplot_samples:       # a plot per sample, the channels overlaid
        data = data.T
    data = data[:, :max_timesteps]
    rows, _ = grid_shape(n_rows, data.shape[-1])
    from .views.lines import Features1D
    source = ArraySource(data, _name(title, "array"))
    return _build(function, Features1D, source, source.name, "outputs",
                  sample="all", channels=list(range(data.shape[-1])), n_rows=rows,
                  share_xy=bool(share_y))


def features_2D(data, n_rows=_UNSET, norm=None, cmap=_UNSET, reflect_half=False,
                timesteps_xaxis=False, max_timesteps=None, share_xy=_UNSET, configs=_UNSET,
                **kwargs):
    """A heatmap of one sample's timesteps x channels, as a `Features2D`
    widget with a sample slider (see-rnn drew every sample in a grid). 3-D
    data is (samples, timesteps, channels), 2-D (timesteps, channels);
    `channel_axis=0` takes them channels first.

    Example:
        features_2D(grads, norm=(-.01, .01), timesteps_xaxis=True)
    """
    function = "features_2D"
    title = kwargs.pop("title", _UNSET)
    channel_axis = kwargs.pop("channel_axis", -1)
    grid = _given({"n_rows": (n_rows, None), "share_xy": (share_xy, (1, 1))})
    _warn_ignored(function, grid + _given({"cmap": (cmap, "bwr"), "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_xy_ticks",
                            "show_colorbar", "tight", "borderwidth", "bordercolor",
                            "savepath"),
                  note=" The widget shows one sample at a time (its sample slider), not a "
                       "grid of them." if grid else "")
    data = _array(data, function, (2, 3),
                  "a 3-D (samples, timesteps, channels) or 2-D (timesteps, channels) array")
    norm = _norm(norm, function)
    max_timesteps = _positive_int(max_timesteps, "max_timesteps", function)
    data = _channels_last(data, channel_axis, function)
    if data.ndim == 2:
        data = data[None]
    data = data[:, :max_timesteps]
    from .views.features import Features2D
    source = ArraySource(data, _name(title, "array"))
    return _build(function, Features2D, source, source.name, "outputs", norm=norm,
                  reflect_half=bool(reflect_half), timesteps_xaxis=bool(timesteps_xaxis))


# -- histograms -------------------------------------------------------------------------
def features_hist(data, n_rows="vertical", bins=100, xlims=None, tight=_UNSET, center_zero=False,
                  share_xy=("col", 1), pad_xticks=_UNSET, annotations="auto", configs=_UNSET,
                  **kwargs):
    """A histogram of each `data[i]` (all its values), in a grid, as a
    `HistogramGrid` (see-rnn features_hist). `n_rows='vertical'`: one
    column.

    Example:
        features_hist(grads[:, :, :4].transpose(2, 0, 1), n_rows=2, annotations=list('abcd'))
    """
    function = "features_hist"
    title = kwargs.pop("title", None)
    _warn_ignored(function, _given({"tight": (tight, True), "pad_xticks": (pad_xticks, None),
                                    "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_xy_ticks", "borderwidth",
                            "savepath"))
    cells = _parts(data, function)
    n = len(cells)
    if isinstance(n_rows, str) and n_rows == "vertical":
        columns = 1
    else:
        columns = grid_shape(_positive_int(n_rows, "n_rows (or 'vertical')", function), n)[1]
    if isinstance(annotations, str) and annotations == "auto":
        titles = [str(i) for i in range(n)]
    elif annotations is None:
        titles = []
    else:
        titles = [str(a) for a in annotations]
    return _histogram_grid(function, [[c] for c in cells], bins, columns, titles, share_xy,
                           xlims, center_zero, None, title)


def features_hist_v2(data, colnames=None, bins=100, xlims=None, ylim=None, center_zero=False,
                     tight=_UNSET, share_xy=("col", 1), pad_xticks=_UNSET, side_annot=None,
                     configs=_UNSET, **kwargs):
    """A grid of rows x columns cells, `data[row][col]` holding the arrays
    whose histograms cell (row, col) overlays, as a `HistogramGrid`
    (see-rnn features_hist_v2).

    Example:
        # one row, two cells; a (3, ...) array in a cell gives 3 histograms
        features_hist_v2([[w1, w2]], colnames=['kernel', 'recurrent'])
    """
    function = "features_hist_v2"
    title = kwargs.pop("title", None)
    _warn_ignored(function, _given({"tight": (tight, True), "pad_xticks": (pad_xticks, None),
                                    "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_xy_ticks", "borderwidth",
                            "savepath"))
    shape = "(rows, cols, subdata...): a list of rows, each a list of cells, each arrays"
    rows = _parts(data, function)
    try:
        grid = [[list(cell) for cell in row] for row in rows]
    except TypeError:
        raise ValueError(f"{function} takes {shape}; a cell was not a sequence of arrays "
                         f"(an ndarray needs ndim >= 3)") from None
    n_columns = len(grid[0])
    if not n_columns or any(len(row) != n_columns for row in grid):
        raise ValueError(f"{function} takes {shape}, every row with the same number of "
                         f"cells; got rows of {[len(row) for row in grid]} cells")
    if any(not cell for row in grid for cell in row):
        raise ValueError(f"{function} takes {shape}; a cell held no arrays")
    ylim = None if ylim is None else float(ylim)
    titles = []
    for r in range(len(grid)):
        for c in range(n_columns):
            parts = []
            if r == 0 and colnames is not None and c < len(colnames):
                parts.append(str(colnames[c]))
            if side_annot is not None and c == n_columns - 1:
                parts.append(f"{side_annot}{r}")
            titles.append(" | ".join(parts))
    cells = [cell for row in grid for cell in row]
    return _histogram_grid(function, cells, bins, n_columns, titles, share_xy, xlims,
                           center_zero, ylim, title)


def hist_clipped(data, peaks_to_clip=1, ax=_UNSET, annot_kw=_UNSET, **kw):
    """One histogram with its `peaks_to_clip` highest bins cut at 1.05 x
    the next highest and annotated '(left edge, count)', as a
    `ClippedHistogram` (see-rnn hist_clipped). `bins` (plt.hist's, default
    10) is honoured; other plt.hist arguments are not.

    Example:
        hist_clipped(grads, peaks_to_clip=2, bins=200)
    """
    function = "hist_clipped"
    bins = kw.pop("bins", 10)
    title = kw.pop("title", "")
    _warn_ignored(function, _given({"ax": (ax, None), "annot_kw": (annot_kw, {})}) + sorted(kw))
    data = _array(data, function, range(0, 64), "an array (any shape; all its values)")
    bins = _positive_int(bins, "bins", function, allow_none=False)
    if isinstance(peaks_to_clip, (bool, np.bool_)) or not isinstance(
            peaks_to_clip, (int, np.integer)) or not 0 <= peaks_to_clip < bins:
        raise ValueError(f"{function}: peaks_to_clip must be an int in [0, {bins - 1}] "
                         f"(fewer than bins={bins}), got {peaks_to_clip!r}")
    from .views.histograms import ClippedHistogram
    return _build(function, ClippedHistogram, data, bins=bins, peaks_to_clip=int(peaks_to_clip),
                  title=str(title or ""))


def _parts(data, function):
    """The top-level entries of `data` (an array's first axis, or a list)."""
    if isinstance(data, np.ndarray) and data.ndim == 0 or np.isscalar(data):
        raise ValueError(f"{function} takes an array (or list) with one entry per subplot; "
                         f"got a scalar")
    try:
        parts = list(data)
    except TypeError:
        raise ValueError(f"{function} takes an array (or list) with one entry per subplot; "
                         f"got {type(data).__name__}") from None
    if not parts:
        raise ValueError(f"{function} needs at least one entry to plot; got an empty "
                         f"{type(data).__name__}")
    return parts


def _histogram_grid(function, cells, bins, columns, titles, share_xy, xlims, center_zero,
                    y_max, title):
    bins = _positive_int(bins, "bins", function, allow_none=False)
    share_x, share_y = _sharing(share_xy, function)
    if xlims is not None:
        try:
            lo, hi = (float(v) for v in xlims)
        except (TypeError, ValueError):
            raise ValueError(f"{function}: xlims must be None or (min, max), "
                             f"got {xlims!r}") from None
        if not lo < hi:
            raise ValueError(f"{function}: xlims must have min < max, got {xlims!r}")
        xlims = (lo, hi)
    try:
        cells = [[_array(a, function, range(0, 64), "arrays of real numbers") for a in cell]
                 for cell in cells]
    except ValueError as e:
        raise ValueError(f"{e} (in one of its subplots)") from None
    from .views.histograms import HistogramGrid
    return _build(function, HistogramGrid, cells, bins=bins, n_columns=columns, titles=titles,
                  share_x=share_x, share_y=share_y, x_range=xlims, center_zero=center_zero,
                  y_max=y_max, title=str(title or ""))


# -- RNN weights -------------------------------------------------------------------------
MODES = {"weights": "weights", "grads": "gradients", "gradients": "gradients"}


def rnn_histogram(model, _id, layer=None, input_data=None, labels=None, mode="weights",
                  equate_axes=1, data=None, configs=_UNSET, **kwargs):
    """Histograms of an RNN layer's weights (or weight-gradients) by kernel
    and gate, one direction at a time, as an `RNNHistogram` widget (see-rnn
    rnn_histogram). `data=` takes them pre-fetched (`get_rnn_weights`,
    `get_gradients(..., mode='weights')`); `mode` then says which they are.

    Example:
        rnn_histogram(model, 'lstm', equate_axes=2, show_bias=False)
    """
    function = "rnn_histogram"
    bins = kwargs.pop("bins", 150)
    show_bias = kwargs.pop("show_bias", kwargs.pop("bias", True))
    _warn_ignored(function, _given({"configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_xy_ticks", "savepath"))
    if isinstance(equate_axes, (bool, np.bool_)):
        equate_axes = int(equate_axes)
    if equate_axes not in (0, 1, 2):
        raise ValueError(f"{function}: equate_axes must be 0, 1 or 2 (or a bool), "
                         f"got {equate_axes!r}")
    bins = _positive_int(bins, "bins", function, allow_none=False)
    source = _rnn_source(function, model, _id, layer, input_data, labels, mode, data)
    from .views.rnn_plots import RNNHistogram
    return _build(function, RNNHistogram, source, source.name, source.kind,
                  equate_axes=int(equate_axes), bins=bins, bias=bool(show_bias))


def rnn_heatmap(model, _id, layer=None, input_data=None, labels=None, mode="weights",
                cmap=_UNSET, norm="auto", data=None, configs=_UNSET, **kwargs):
    """Heatmaps of an RNN layer's kernels, gates side by side, one direction
    at a time, as an `RNNHeatmap` widget (see-rnn rnn_heatmap).
    `absolute_value` and `normalize` (each array scaled to [0, 1], after
    absolute_value) change the numbers shown; `show_bias=False` leaves the
    biases out.

    Example:
        rnn_heatmap(model, 'bidir', norm=(-.8, .8))
    """
    function = "rnn_heatmap"
    show_bias = kwargs.pop("show_bias", True)
    absolute_value = bool(kwargs.pop("absolute_value", False))
    normalize = bool(kwargs.pop("normalize", False))
    _warn_ignored(function, _given({"cmap": (cmap, "bwr"), "configs": (configs, None)}),
                  kwargs, ("w", "h", "show_borders", "show_colorbar",
                            "gate_sep_width", "savepath"))
    norm = _norm(norm, function)
    source = _rnn_source(function, model, _id, layer, input_data, labels, mode, data,
                         show_bias=bool(show_bias), absolute_value=absolute_value,
                         normalize=normalize)
    from .views.rnn_plots import RNNHeatmap
    return _build(function, RNNHeatmap, source, source.name, source.kind, norm=norm,
                  absolute_value=absolute_value)


def _rnn_source(function, model, _id, layer, input_data, labels, mode, data,
                show_bias=True, absolute_value=False, normalize=False):
    """An `RNNWeightsSource` over `data`, or over the arrays see-rnn would
    have fetched: the layer's weights, or its weight-gradients on
    (input_data, labels)."""
    if mode not in MODES:
        raise ValueError(f"{function}: mode must be 'weights' or 'grads', got {mode!r}")
    kind = MODES[mode]
    if layer is None:
        layer = _layers.find_layer(model, _id)
    if not rnn.is_recurrent(layer):
        raise ValueError(f"{function}: layer {layer.name!r} is a {type(layer).__name__}; "
                         f"it takes an LSTM, GRU or SimpleRNN layer (or a Bidirectional of one)")
    info = rnn.info(layer)
    if not info.same_layout:
        raise ValueError(f"{function}: layer {layer.name!r}'s directions differ "
                         f"({info.describe()}), so they cannot share one plot; pass one "
                         f"direction, e.g. layer=model.get_layer({layer.name!r}).forward_layer")
    if data is None and kind == "gradients":
        if input_data is None or labels is None:
            raise ValueError(f"{function}: mode='grads' needs input_data and labels "
                             f"(or the gradients as data=)")
        if not layer.trainable_variables:
            raise ValueError(f"{function}: layer {layer.name!r} is frozen (trainable=False): "
                             f"it has no weight-gradients")
        data = compat.get_gradients(model, None, input_data, labels, layer=layer, mode="weights")
    elif data is None:
        data = compat.get_rnn_weights(model, _id, layer=layer)
    if not isinstance(data, (list, tuple)):
        raise ValueError(f"{function}: data must be a list of kernel, recurrent kernel and "
                         f"bias arrays per direction (as get_rnn_weights returns), got "
                         f"{type(data).__name__}")
    data = [_processed(d, absolute_value, normalize) for d in data]
    return RNNWeightsSource.of_layer(layer, data, kind, show_bias)


def _processed(array, absolute_value, normalize):
    """see-rnn rnn_heatmap's absolute_value, then normalize (to [0, 1])."""
    if isinstance(array, (list, tuple)):   # per gate
        return [_processed(a, absolute_value, normalize) for a in array]
    array = np.array(array, dtype=np.float32 if normalize else None, copy=True)
    if absolute_value:
        array = np.abs(array)
    if normalize:
        array -= np.nanmin(array)
        peak = np.nanmax(array)
        if peak != 0:
            array /= peak
    return array
