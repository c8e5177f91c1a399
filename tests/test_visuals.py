"""see-rnn's visual functions (seernn_widgets.visuals): each takes what
see-rnn took and returns a widget whose `view_data()` is what see-rnn would
have plotted, computed here independently with NumPy from arrays of a small
real Keras model."""
import warnings

import ipywidgets
import keras
import numpy as np
import pytest

from seernn_widgets import get_gradients, get_outputs, get_rnn_weights
from seernn_widgets.sources import ArraySource
from seernn_widgets.visuals import (
    IgnoredArgumentsWarning,
    features_0D,
    features_1D,
    features_2D,
    features_hist,
    features_hist_v2,
    grid_shape,
    hist_clipped,
    rnn_heatmap,
    rnn_histogram,
)


@pytest.fixture(scope="module")
def net():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    ipt = keras.Input((12, 3))
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(ipt)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), name="bigru")(h)
    h = keras.layers.SimpleRNN(5, name="srnn")(h)
    out = keras.layers.Dense(2, name="dense")(h)
    model = keras.Model(ipt, out, name="net")
    model.compile("adam", "mse")
    x = rng.standard_normal((6, 12, 3)).astype("float32")
    y = rng.standard_normal((6, 2)).astype("float32")
    return model, x, y


@pytest.fixture(scope="module")
def grads(net):
    model, x, y = net
    return get_gradients(model, 1, x, y)      # (6, 12, 4): the lstm's output-gradients


@pytest.fixture(scope="module")
def outs(net):
    model, x, _ = net
    return get_outputs(model, "bigru", x)     # (6, 12, 6)


def no_warning(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredArgumentsWarning)
        return call(*args, **kwargs)


def one_warning(call, *args, **kwargs):
    """The widget, and the text of the one IgnoredArgumentsWarning it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        widget = call(*args, **kwargs)
    ignored = [w for w in caught if issubclass(w.category, IgnoredArgumentsWarning)]
    assert len(ignored) == 1, [str(w.message) for w in caught]
    return widget, str(ignored[0].message)


# -- features_2D -----------------------------------------------------------------------
def test_readme_example_runs_unchanged(grads):
    from seernn_widgets.views.features import Features2D
    w, message = one_warning(features_2D, grads, n_rows=8, norm=(-.01, .01))
    assert isinstance(w, Features2D) and isinstance(w, ipywidgets.Widget)
    assert "ignored: n_rows" in message and "one sample at a time" in message
    assert w.norm == (-.01, .01) and w.heatmap.colour_scale.min == -.01
    for s in range(len(grads)):   # see-rnn: imshow(grads[s]), timesteps down the y axis
        w.sample = s
        np.testing.assert_array_equal(w.view_data(), grads[s].astype(np.float32))
    w.close()


def test_features_2D_kwargs(grads):
    w = no_warning(features_2D, grads, timesteps_xaxis=True, max_timesteps=5, norm="auto")
    assert w.norm == "auto"   # ±max|value|
    w.sample = 2
    np.testing.assert_array_equal(w.view_data(), grads[2, :5].T)

    one = grads[1]   # 2-D (timesteps, channels): one image; reflect_half flips the 2nd half in time
    half = one.shape[1] // 2
    reflected = np.concatenate([one[:, :half], one[::-1, half:]], axis=1)
    w2 = no_warning(features_2D, one, reflect_half=True)
    np.testing.assert_array_equal(w2.view_data(), reflected)
    assert w2.n_samples() == 1

    w3 = no_warning(features_2D, grads.T, channel_axis=0)   # (channels, timesteps, samples)
    w3.sample = 4
    np.testing.assert_array_equal(w3.view_data(), grads[4])
    for widget in (w, w2, w3):
        widget.close()


def test_features_2D_title_names_what_was_passed(grads):
    w = no_warning(features_2D, grads, title="grads")
    assert w.layer == "gradients" and "gradients" in w.heatmap.figure.title
    w.close()


@pytest.mark.parametrize("bad, match", [
    (dict(data=np.zeros(5)), r"3-D \(samples, timesteps, channels\) or 2-D"),
    (dict(data=np.zeros((2, 3, 4, 5))), r"ndim=4"),
    (dict(norm=(1, -1)), r"vmin <= vmax"),
    (dict(norm="big"), r"None, 'auto' or \(vmin, vmax\)"),
    (dict(norm=(0, 1, 2)), r"None, 'auto' or \(vmin, vmax\)"),
    (dict(max_timesteps=0), r"max_timesteps must be None or an int >= 1"),
    (dict(channel_axis=1), r"channel_axis must be 0 .* or -1"),
])
def test_features_2D_refuses(grads, bad, match):
    kwargs = {"data": grads, **bad}
    with pytest.raises(ValueError, match=match):
        features_2D(**kwargs)


# -- features_1D / features_0D ---------------------------------------------------------
def test_features_1D_a_plot_per_channel_samples_overlaid(outs):
    from seernn_widgets.views.lines import Features1D
    w = no_warning(features_1D, outs, n_rows=2, share_xy=False, max_timesteps=7)
    assert isinstance(w, Features1D)
    data = w.view_data()
    assert list(data) == list(range(outs.shape[-1]))   # every channel, as see-rnn
    for c, lines in data.items():
        np.testing.assert_array_equal(lines, outs[:, :7, c])
    assert (w.n_rows, w.share_xy, w.sample) == (grid_shape(2, 6)[0], False, "all")
    w.close()


def test_features_1D_2D_and_subplot_samples(outs):
    w = no_warning(features_1D, outs[0])   # (timesteps, channels): the channels in one plot
    assert list(w.view_data()) == [0]
    np.testing.assert_array_equal(w.view_data()[0], outs[0].T)
    w2 = no_warning(features_1D, outs, subplot_samples=True, share_xy=(1, "col"))
    data = w2.view_data()
    assert list(data) == list(range(len(outs)))   # a plot per sample, channels overlaid
    for s, lines in data.items():
        np.testing.assert_array_equal(lines, outs[s].T)
    assert w2.share_xy is True
    w.close()
    w2.close()


def test_grid_shape_as_see_rnn():
    # see-rnn: about square for None, always a divisor pair
    assert grid_shape(None, 16) == (4, 4)
    assert grid_shape(None, 6) == (2, 3)
    assert grid_shape(2, 6) == (2, 3)
    assert grid_shape(4, 6) == (6, 1)
    assert grid_shape(None, 7) == (7, 1)


def test_features_0D(net):
    from seernn_widgets.views.lines import Features0D
    model, x, _ = net
    last = get_outputs(model, "srnn", x)   # (6, 5): return_sequences=False
    w = no_warning(features_0D, last, title="outputs")
    assert isinstance(w, Features0D) and w.layer == "outputs"
    np.testing.assert_array_equal(w.view_data(), last)
    np.testing.assert_array_equal(w.points.y, last.ravel())
    with pytest.raises(ValueError, match=r"2-D \(samples, channels\).*\(6, 12, 6\)"):
        features_0D(get_outputs(model, "bigru", x))
    w.close()


# -- histograms -------------------------------------------------------------------------
def test_features_hist_one_histogram_per_entry(grads):
    from seernn_widgets.views.histograms import HistogramGrid
    w = no_warning(features_hist, grads, bins=30, annotations=list("abcdef"))
    assert isinstance(w, HistogramGrid) and w.n_columns == 1   # n_rows='vertical'
    cells = w.view_data()
    assert len(cells) == len(grads)
    expected = [np.histogram(g.ravel(), bins=30) for g in grads]
    for cell, (counts, edges) in zip(cells, expected):
        (got_counts, got_edges), = cell["histograms"]
        np.testing.assert_array_equal(got_counts, counts)
        np.testing.assert_allclose(got_edges, edges, rtol=0, atol=0)
    # share_xy=('col', 1), one column: one x range (the union) and one y range for all
    lo = min(e[0] for _, e in expected)
    hi = max(e[-1] for _, e in expected)
    top = max(c.max() for c, _ in expected)
    assert all(c["x_range"] == (lo, hi) and c["y_max"] == top for c in cells)
    assert [c.figure.title for c in w._cells] == list("abcdef")
    w.bins = 7   # the control redraws
    assert len(w.view_data()[0]["histograms"][0][0]) == 7
    w.close()


def test_features_hist_grid_sharing_limits_and_nans(grads):
    data = grads[:4].copy()
    data[1, 0, 0], data[1, 1, 1], data[2, 0, 0] = np.nan, np.nan, np.inf
    w = no_warning(features_hist, data, n_rows=2, share_xy=False, bins=10)
    assert w.n_columns == 2
    for cell, d in zip(w.view_data(), data):
        finite = d[np.isfinite(d)]
        counts, edges = np.histogram(finite, bins=10)   # NaN/Inf left out of the bins
        np.testing.assert_array_equal(cell["histograms"][0][0], counts)
        assert cell["x_range"] == (edges[0], edges[-1]) and cell["y_max"] == counts.max()
    assert (w.view_data()[1]["nan"], w.view_data()[2]["inf"]) == (2, 1)
    assert "NaN 2" in w._cells[1].figure.title and "Inf 1" in w._cells[2].figure.title
    w.close()
    w = no_warning(features_hist, data, xlims=(-1, 2), annotations=None)
    assert all(c["x_range"] == (-1.0, 2.0) for c in w.view_data())
    w.close()
    w = no_warning(features_hist, data, xlims=(-1, 2), center_zero=True, share_xy=False)
    for cell, d in zip(w.view_data(), data):
        counts, edges = np.histogram(d[np.isfinite(d)], bins=100)
        peak = max(abs(edges[0]), abs(edges[-1]))
        assert cell["x_range"] == (-peak, peak)   # center_zero wins over xlims, as in see-rnn
    w.close()


def test_features_hist_v2_cells_overlay_their_arrays(grads, outs):
    grid = [[grads[:2], outs[:3]], [grads[2:5], outs[3:4]]]
    w = no_warning(features_hist_v2, grid, colnames=["grads", "outs"], bins=20, ylim=9,
                   side_annot="row ", share_xy=(0, 0))
    cells = w.view_data()
    assert w.n_columns == 2 and len(cells) == 4
    for cell, arrays in zip(cells, [a for row in grid for a in row]):
        assert len(cell["histograms"]) == len(arrays)   # one per subdata entry
        for (counts, _), sub in zip(cell["histograms"], arrays):
            np.testing.assert_array_equal(counts, np.histogram(sub.ravel(), bins=20)[0])
        assert cell["y_max"] == 9.0
    titles = [c.figure.title for c in w._cells]
    assert titles == ["grads", "outs | row 0", "", "row 1"]
    w.close()
    with pytest.raises(ValueError, match=r"same number of cells.*\[2, 1\]"):
        features_hist_v2([[grads[:1], grads[1:2]], [grads[:1]]])
    with pytest.raises(ValueError, match=r"\(rows, cols, subdata\.\.\.\)"):
        features_hist_v2(np.zeros((2, 3)))


def see_rnn_clipped(values, bins, peaks):
    """hist_clipped's numbers: the `peaks` highest bins (left edge, count),
    highest first, and the y limit 1.05 x the next highest count."""
    counts, edges = np.histogram(values, bins=bins)
    ranked = sorted(range(bins), key=lambda i: (-counts[i], i))
    return counts, edges, [(edges[i], counts[i]) for i in ranked[:peaks]], \
        1.05 * sorted(counts)[-(peaks + 1)]


def test_hist_clipped(grads):
    from seernn_widgets.views.histograms import ClippedHistogram
    w = no_warning(hist_clipped, grads, peaks_to_clip=2, bins=25)
    assert isinstance(w, ClippedHistogram)
    counts, edges, peaks, y_max = see_rnn_clipped(grads.ravel(), 25, 2)
    shown = w.view_data()
    np.testing.assert_array_equal(shown["counts"], counts)
    np.testing.assert_array_equal(shown["edges"], edges)
    assert shown["peaks"] == [(float(e), int(n)) for e, n in peaks]
    assert shown["y_max"] == pytest.approx(y_max)
    drawn = np.asarray(w._cell.figure.marks[0].y)[:-1]
    np.testing.assert_allclose(drawn, np.minimum(counts, y_max))   # the peaks cut at y_max
    assert all(f"({e:.2f}, {n})" in w.annotation.value for e, n in peaks)
    w.peaks_to_clip = 0   # a plain histogram
    assert w.view_data()["peaks"] == [] and w.view_data()["y_max"] is None
    assert w.annotation.value == ""
    w.close()


def test_hist_clipped_defaults_and_refusals(grads):
    w = no_warning(hist_clipped, grads)   # plt.hist's 10 bins, one peak clipped
    assert len(w.view_data()["counts"]) == 10 and len(w.view_data()["peaks"]) == 1
    w.close()
    with pytest.raises(ValueError, match=r"peaks_to_clip must be an int in \[0, 4\]"):
        hist_clipped(grads, peaks_to_clip=5, bins=5)
    with pytest.raises(ValueError, match=r"bins must be an int >= 1"):
        hist_clipped(grads, bins=0)


# -- rnn_histogram / rnn_heatmap -----------------------------------------------------------
def cell_arrays(model, name, direction="forward"):
    layer = model.get_layer(name)
    part = getattr(layer, f"{direction}_layer", layer)
    cell = part.cell
    return {"input": cell.kernel.numpy(), "recurrent": cell.recurrent_kernel.numpy(),
            "bias": cell.bias.numpy()}


def test_rnn_histogram_weights_by_kernel_and_gate(net):
    from seernn_widgets.views.rnn_plots import RNNHistogram
    model, _, _ = net
    w = no_warning(rnn_histogram, model, "lstm", equate_axes=0)
    assert isinstance(w, RNNHistogram) and w.bins == 150 and w.mode == "weights"
    arrays = cell_arrays(model, "lstm")
    shown = w.view_data()
    assert len(shown) == 12   # 3 kernels x 4 gates
    for (kernel, gate), (counts, edges) in shown.items():
        piece = np.split(arrays[kernel], 4, axis=-1)["ifco".index(gate)]
        expected, expected_edges = np.histogram(piece.ravel(), bins=150)
        np.testing.assert_array_equal(counts, expected)
        np.testing.assert_allclose(edges, expected_edges, atol=1e-7)   # float64 vs float32 edges
    w.close()


def test_rnn_histogram_data_grads_equate_and_bias(net):
    model, x, y = net
    data = get_gradients(model, "bigru", x, y, mode="weights")
    w = no_warning(rnn_histogram, model, "bigru", data=data, mode="grads", bins=20,
                   show_bias=False)
    assert w.mode == "gradients" and w.bias is False
    w.direction = "backward"
    shown = w.view_data()
    assert {k for k, _ in shown} == {"input", "recurrent"}
    backward = dict(zip(["input", "recurrent"], data[3:5]))
    common = (min(a.min() for a in backward.values()), max(a.max() for a in backward.values()))
    for (kernel, gate), (counts, _) in shown.items():   # equate_axes=1: one range for both kernels
        piece = np.split(backward[kernel], 3, axis=-1)["zrh".index(gate)]
        np.testing.assert_array_equal(counts, np.histogram(piece, bins=20, range=common)[0])
    with pytest.raises(ValueError, match="holds the gradients"):
        w.inspector.rnn("bigru", "weights")   # the source holds what was passed, only
    w.close()


def test_rnn_heatmap_data_directions_and_kwargs(net):
    from seernn_widgets.views.rnn_plots import RNNHeatmap
    model, _, _ = net
    data = get_rnn_weights(model, "bigru")
    w = no_warning(rnn_heatmap, model, "bigru", data=data, norm=(-.5, .5))
    assert isinstance(w, RNNHeatmap) and w.norm == (-.5, .5)
    for direction in ("forward", "backward"):
        w.direction = direction
        expected = cell_arrays(model, "bigru", direction)
        for kernel, matrix in w.view_data().items():
            np.testing.assert_array_equal(matrix, np.atleast_2d(expected[kernel]))
    w.close()

    w = no_warning(rnn_heatmap, model, "lstm", absolute_value=True, normalize=True,
                   show_bias=False)
    assert w.absolute_value and set(w.view_data()) == {"input", "recurrent"}
    for kernel, matrix in w.view_data().items():
        a = np.abs(cell_arrays(model, "lstm")[kernel])
        a = a - a.min()
        np.testing.assert_allclose(matrix, a / a.max(), rtol=1e-6)
    w.close()


def test_rnn_heatmap_grads_fetched_as_see_rnn(net):
    model, x, y = net
    w = no_warning(rnn_heatmap, model, 0 + 1, mode="grads", input_data=x, labels=y)
    assert w.layer == "lstm" and w.mode == "gradients"
    expected = get_gradients(model, "lstm", x, y, mode="weights")
    for matrix, grad in zip(w.view_data().values(), expected):
        np.testing.assert_array_equal(matrix, np.atleast_2d(grad))
    w.close()


@pytest.mark.parametrize("call, match", [
    (lambda m, x, y: rnn_heatmap(m, "dense"), r"Dense.*LSTM, GRU or SimpleRNN"),
    (lambda m, x, y: rnn_heatmap(m, "lstm", mode="grads"), r"needs input_data and labels"),
    (lambda m, x, y: rnn_heatmap(m, "lstm", mode="outputs"), r"mode must be 'weights' or 'grads'"),
    (lambda m, x, y: rnn_heatmap(m, "lstm", norm=[1]), r"None, 'auto' or \(vmin, vmax\)"),
    (lambda m, x, y: rnn_heatmap(m, "lstm", data=get_rnn_weights(m, "lstm")[:2]),
     r"list of 3 arrays .*forward input, forward recurrent, forward bias; got 2 arrays"),
    (lambda m, x, y: rnn_heatmap(m, "lstm", data=get_rnn_weights(m, "bigru")[:3]),
     r"forward input has shape \(4, 9\); layer 'lstm' .* has \(3, 16\)"),
    (lambda m, x, y: rnn_histogram(m, "lstm", equate_axes=3), r"equate_axes must be 0, 1 or 2"),
    (lambda m, x, y: rnn_histogram(m, "nope"), r"no layer named or containing 'nope'"),
])
def test_rnn_functions_refuse(net, call, match):
    model, x, y = net
    with pytest.raises(ValueError, match=match):
        call(model, x, y)


# -- ignored arguments: one warning per call, naming them ------------------------------------
@pytest.mark.parametrize("call, names", [
    (lambda g, m: features_2D(g, w=2, savepath="x.png", cmap="gray", foo=1),
     ["cmap", "w", "savepath", "foo"]),
    (lambda g, m: features_1D(g, configs={}, show_borders=False, color="r"),
     ["configs", "show_borders", "color"]),
    (lambda g, m: features_0D(g[:, 0], marker="x", ylims=(0, 1)), ["marker", "ylims"]),
    (lambda g, m: features_hist(g, tight=False, h=2), ["tight", "h"]),
    (lambda g, m: features_hist_v2([[g[:1]]], pad_xticks=True, borderwidth=2),
     ["pad_xticks", "borderwidth"]),
    (lambda g, m: hist_clipped(g, ax=object(), color="r", density=True),
     ["ax", "color", "density"]),
    (lambda g, m: rnn_histogram(m, "lstm", configs={}, show_xy_ticks=[0, 0]),
     ["configs", "show_xy_ticks"]),
    (lambda g, m: rnn_heatmap(m, "lstm", cmap=None, gate_sep_width=2, title_mode="x"),
     ["cmap", "gate_sep_width", "title_mode"]),
])
def test_ignored_arguments_named_in_one_warning(grads, net, call, names):
    widget, message = one_warning(call, grads, net[0])
    ignored = message.split("ignored: ")[1].split(".")[0].split(", ")
    assert ignored == names
    widget.close()


def test_unknown_argument_said_unknown(grads):
    w, message = one_warning(features_2D, grads, title_mode="grads")
    assert "title_mode: not an argument of see-rnn's features_2D" in message
    w.close()


# -- the sources ------------------------------------------------------------------------------
def test_array_source_update_redraws(grads):
    w = no_warning(features_2D, grads, max_timesteps=3)
    source = w.inspector
    source.update(grads[:, :3] * 2)
    np.testing.assert_array_equal(w.view_data(), grads[0, :3] * 2)
    assert source.layer_names == ["array"] and source.has_labels is False
    assert source.history.steps == [] and source.step is None
    with pytest.raises(ValueError, match=r"2-D \(samples, units\) or 3-D"):
        source.update(grads[0, 0])
    with pytest.raises(KeyError, match="holds one entry, 'array'"):
        source.outputs("lstm")
    w.close()
    assert not source._listeners   # closing the view let go of the source


@pytest.mark.parametrize("call", [
    lambda g: features_hist(g),
    lambda g: features_hist_v2([[g[:2], g[2:3]]]),
    lambda g: hist_clipped(g, bins=30),
    lambda g: features_2D(g),
])
def test_displayable_and_closing_releases_every_widget(grads, call):
    from ipywidgets.embed import dependency_state, embed_data
    from ipywidgets.widgets.widget import _instances
    before = set(_instances)
    widget = call(grads)
    state = dependency_state(widget)   # what a notebook (or an HTML export) gets
    assert embed_data(views=[widget], state=state)["view_specs"][0]["model_id"] == widget.model_id
    assert set(state) <= set(_instances) - before
    widget.close()
    assert set(_instances) - before == set()


def test_refused_widget_leaves_nothing_behind(grads):
    from ipywidgets.widgets.widget import _instances

    from seernn_widgets.views.histograms import ClippedHistogram
    before = set(_instances)
    with pytest.raises(Exception, match="peaks_to_clip"):
        ClippedHistogram(grads, bins=3, peaks_to_clip=3)
    assert set(_instances) - before == set()


def test_array_source_conventions(grads):
    source = ArraySource(grads.T, name="g", channel_axis=0)   # (channels, timesteps, samples)
    np.testing.assert_array_equal(source.outputs("g"), grads)
    assert source.output_shape(0) == grads.shape and source.batch_size == 6
    assert source.weight_shapes("g") == [] and source.rnn_info("g") is None
    assert source.mask("g") is None and source.layer("g") is None
    with pytest.raises(ValueError, match="no gradients"):
        source.gradients("g")
    with pytest.raises(ValueError, match="no recorded steps"):
        source.outputs("g", step=3)
    with pytest.raises(ValueError, match="channel_axis must be 0 .* or -1"):
        ArraySource(grads, channel_axis=1)
    with pytest.raises(ValueError, match="real numbers"):
        ArraySource(np.array([["a", "b"]]))


# -- see-rnn 1.15.1's own test calls (tests/test_all.py), unchanged but for the model ---------
@pytest.fixture(scope="module")
def gru_net():
    """see-rnn's test model, smaller: Input -> GRU(return_sequences) -> GRU -> Dense."""
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    units, batch_shape = 3, (8, 20, 6)
    ipt = keras.Input(batch_shape[1:])
    h = keras.layers.GRU(units, return_sequences=True, activation="relu", name="gru")(ipt)
    h = keras.layers.GRU(units, name="gru_1")(h)
    model = keras.Model(ipt, keras.layers.Dense(units, name="dense")(h))
    model.compile("adam", "mse")
    x = rng.standard_normal(batch_shape).astype("float32")
    y = rng.standard_normal((batch_shape[0], units)).astype("float32")
    model.train_on_batch(x, y)
    return model, x, y, get_gradients(model, 1, x, y)


SEE_RNN_CALLS = {
    "features_1D(outs[:1], show_y_zero)":
        lambda m, x, y, g: features_1D(get_outputs(m, 1, x)[:1], show_y_zero=True),
    "features_1D(outs[0])": lambda m, x, y, g: features_1D(get_outputs(m, 1, x)[0]),
    "features_2D(outs)": lambda m, x, y, g: features_2D(get_outputs(m, 1, x)),
    "features_1D(grads[0], **kwargs1)": lambda m, x, y, g: features_1D(
        g[0], n_rows=None, show_xy_ticks=[0, 0], show_borders=True, max_timesteps=50,
        title="grads"),
    "features_1D(grads, **kwargs2)": lambda m, x, y, g: features_1D(
        g, n_rows=2, show_xy_ticks=[1, 1], show_borders=False, max_timesteps=None),
    "features_2D(grads[0], norm, show_colorbar)": lambda m, x, y, g: features_2D(
        g[0], norm=(-.01, .01), show_colorbar=True, n_rows=None, max_timesteps=50),
    "features_2D(grads, reflect_half)": lambda m, x, y, g: features_2D(
        g, norm=None, reflect_half=True, n_rows=2),
    "features_0D(grads_last, title)": lambda m, x, y, g: features_0D(
        get_gradients(m, 2, x, y), marker="o", color=None, title="grads"),
    "features_0D(grads_last, ylims)": lambda m, x, y, g: features_0D(
        get_gradients(m, 2, x, y), marker="x", color="blue", ylims=(-.1, .1)),
    "features_hist(grads, xlims, title)": lambda m, x, y, g: features_hist(
        g, bins=100, xlims=(-.01, .01), title="Outs hists"),
    "features_hist(grads, n_rows=4)": lambda m, x, y, g: features_hist(g, bins=100, n_rows=4),
    "rnn_histogram(grads)": lambda m, x, y, g: rnn_histogram(
        m, "gru", bins=100, input_data=x, labels=y, mode="grads"),
    "rnn_heatmap(grads)": lambda m, x, y, g: rnn_heatmap(
        m, "gru", input_data=x, labels=y, mode="grads"),
    "rnn_histogram(weights)": lambda m, x, y, g: rnn_histogram(m, "gru", mode="weights", bins=100),
    "rnn_heatmap(data=weights)": lambda m, x, y, g: rnn_heatmap(
        m, 1, data=get_rnn_weights(m, 1)),
    "features_1D(subplot_samples, tight)": lambda m, x, y, g: features_1D(
        g, subplot_samples=True, tight=True, borderwidth=2, share_xy=False),
    "features_1D(grads[0], annotations)": lambda m, x, y, g: features_1D(
        g[0], subplot_samples=True, annotations=[1, "pi"], savepath="img.png"),
    "features_2D(grads.T, n_rows=1.5)": lambda m, x, y, g: features_2D(
        g.T, n_rows=1.5, tight=True, borderwidth=2),
    "features_2D(grads.T[:, :, 0], auto)": lambda m, x, y, g: features_2D(
        g.T[:, :, 0], norm="auto", savepath="img.png"),
    "features_hist(annotations=[0])": lambda m, x, y, g: features_hist(
        g, show_borders=False, borderwidth=1, annotations=[0], show_xy_ticks=[0, 0],
        share_xy=(1, 1), title="grads", savepath="img.png"),
    "features_hist_v2(colnames, side_annot)": lambda m, x, y, g: features_hist_v2(
        list(g[:, :4, :3]), colnames=list("abcd"), show_borders=False, xlims=(-.01, .01),
        ylim=100, borderwidth=1, show_xy_ticks=[0, 0], side_annot="row", share_xy=True,
        title="Grads", savepath="img.png"),
    "features_hist(center_zero)": lambda m, x, y, g: features_hist(
        g, center_zero=True, xlims=(-1, 1), share_xy=0),
    "features_hist_v2(center_zero)": lambda m, x, y, g: features_hist_v2(
        list(g[:, :4, :3]), center_zero=True, xlims=(-1, 1), share_xy=(False, False)),
    "rnn_histogram(equate_axes=2)": lambda m, x, y, g: rnn_histogram(
        m, 1, show_xy_ticks=[0, 0], equate_axes=2, savepath="img.png"),
    "rnn_histogram(equate_axes=False, configs)": lambda m, x, y, g: rnn_histogram(
        m, 1, equate_axes=False, configs={"tight": dict(left=0, right=1)}),
    "rnn_heatmap(normalize)": lambda m, x, y, g: rnn_heatmap(
        m, 1, cmap=None, normalize=True, show_borders=False),
    "rnn_heatmap(absolute_value)": lambda m, x, y, g: rnn_heatmap(
        m, 1, cmap=None, norm="auto", absolute_value=True),
    "rnn_heatmap(norm=None)": lambda m, x, y, g: rnn_heatmap(m, 1, norm=None),
    "hist_clipped(grads, 2)": lambda m, x, y, g: hist_clipped(g, peaks_to_clip=2),
    "hist_clipped(ax, annot_kw)": lambda m, x, y, g: hist_clipped(
        g, peaks_to_clip=2, ax=None, annot_kw=dict(fontsize=15)),
    "rnn_heatmap(input_data, mode=weights)": lambda m, x, y, g: rnn_heatmap(
        m, 1, input_data=x, labels=y, mode="weights"),
}


@pytest.mark.parametrize("name", list(SEE_RNN_CALLS))
def test_see_rnn_test_calls_run(gru_net, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredArgumentsWarning)
        widget = SEE_RNN_CALLS[name](*gru_net)
    assert isinstance(widget, ipywidgets.Widget) and widget.view_data() is not None
    widget.close()


SEE_RNN_ERRORS = {   # see-rnn's test_errors cases that are errors here too
    "features_0D(3-D)": lambda m, x, y, g: features_0D(g),
    "features_0D(4-D)": lambda m, x, y, g: features_0D(g[..., None]),
    "features_1D(4-D)": lambda m, x, y, g: features_1D(g[..., None]),
    "features_2D(4-D)": lambda m, x, y, g: features_2D(g[..., None]),
    "rnn_heatmap(mode='coffee')": lambda m, x, y, g: rnn_heatmap(
        m, 1, input_data=x, labels=y, mode="coffee"),
    "rnn_heatmap(norm=(0, 1, 2))": lambda m, x, y, g: rnn_heatmap(m, 1, norm=(0, 1, 2)),
    "rnn_heatmap(mode='grads')": lambda m, x, y, g: rnn_heatmap(m, 1, mode="grads"),
    "rnn_histogram(data=outs)": lambda m, x, y, g: rnn_histogram(
        m, 1, data=[get_outputs(m, 1, x)]),
    "rnn_histogram(data=[1])": lambda m, x, y, g: rnn_histogram(m, 1, data=[1]),
    "rnn_histogram(data=[[1]])": lambda m, x, y, g: rnn_histogram(m, 1, data=[[1]]),
}


@pytest.mark.parametrize("name", list(SEE_RNN_ERRORS))
def test_see_rnn_error_calls_refused(gru_net, name):
    with pytest.raises(ValueError):
        SEE_RNN_ERRORS[name](*gru_net)


# -- NaN / Inf: shown and counted, never binned or zeroed ---------------------------------------
def test_nan_and_inf_counted(grads, net):
    bad = grads.copy()
    bad[0, 0, 0], bad[0, 1, 0], bad[3, 0, 1] = np.nan, np.inf, -np.inf
    w = no_warning(features_2D, bad)
    assert np.isnan(w.view_data()[0, 0]) and "NaN" in w.heatmap.figure.title
    w.close()

    w = no_warning(hist_clipped, bad, bins=12)
    finite = bad[np.isfinite(bad)]
    np.testing.assert_array_equal(w.view_data()["counts"], np.histogram(finite, bins=12)[0])
    assert (w.view_data()["nan"], w.view_data()["inf"]) == (1, 2)
    assert "NaN 1, Inf 2" in w._cell.figure.title
    w.close()

    model = net[0]
    data = get_rnn_weights(model, "lstm")
    data[1] = data[1].copy()
    data[1][0, :3] = np.nan   # 3 NaN in the recurrent kernel's input gate
    w = no_warning(rnn_histogram, model, "lstm", data=data, equate_axes=0, bins=10)
    counts, _ = w.view_data()[("recurrent", "i")]
    piece = np.split(data[1], 4, axis=-1)[0]
    np.testing.assert_array_equal(counts, np.histogram(piece[np.isfinite(piece)], bins=10)[0])
    assert "NaN 3" in w.cells[("recurrent", "i")].figure.title
    w.close()


def test_rnn_source_update_redraws(net):
    model = net[0]
    data = get_rnn_weights(model, "lstm")
    w = no_warning(rnn_heatmap, model, "lstm", data=data)
    w.inspector.update([a * 3 for a in data])
    np.testing.assert_array_equal(w.view_data()["recurrent"], data[1] * 3)
    with pytest.raises(ValueError, match=r"forward recurrent has shape \(16, 4\); layer 'lstm' "
                                         r".* has \(4, 16\)"):
        w.inspector.update([data[0], data[1].T, data[2]])
    w.close()


def test_rnn_bidirectional_of_two_layouts():
    ipt = keras.Input((5, 2))
    backward = keras.layers.GRU(2, return_sequences=True, go_backwards=True)
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True),
                                   backward_layer=backward, name="mixed")(ipt)
    model = keras.Model(ipt, keras.layers.Dense(1)(h))
    with pytest.raises(ValueError, match=r"directions differ \(LSTM\(3\) forward, GRU\(2\) "
                                         r"backward\).*forward_layer"):
        rnn_heatmap(model, "mixed")
    layer = model.get_layer("mixed").backward_layer   # one direction at a time works
    w = no_warning(rnn_histogram, model, None, layer=layer, equate_axes=0, bins=5)
    kernel = layer.cell.kernel.numpy()
    np.testing.assert_array_equal(w.view_data()[("input", "z")][0],
                                  np.histogram(np.split(kernel, 3, axis=-1)[0], bins=5)[0])
    w.close()


def test_rnn_frozen_layer_weights_yes_gradients_no(rng):
    ipt = keras.Input((5, 2))
    frozen = keras.layers.GRU(2, name="frozen")
    frozen.trainable = False
    model = keras.Model(ipt, keras.layers.Dense(1)(frozen(ipt)))
    model.compile("adam", "mse")
    x, y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 1))
    w = no_warning(rnn_heatmap, model, "frozen")
    np.testing.assert_array_equal(w.view_data()["input"], frozen.cell.kernel.numpy())
    w.close()
    with pytest.raises(ValueError, match=r"'frozen' is frozen \(trainable=False\)"):
        rnn_histogram(model, "frozen", input_data=x, labels=y, mode="grads")


def test_titles_name_the_array_not_a_mode_it_never_had(grads):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredArgumentsWarning)
        f2 = features_2D(grads, title="grads")
        f1 = features_1D(grads)
    assert f2.heatmap.figure.title.startswith("gradients - sample 0"), f2.heatmap.figure.title
    assert f2.slicer.state["titles"]["both/0"][0] == f2.heatmap.figure.title   # the page's twin
    assert f1.title_line.value.startswith("<b>array - "), f1.title_line.value
