"""RNNHistogram and RNNHeatmap: what is drawn equals the right NumPy slice of
the layer's weights (or weight-gradients), computed here independently."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views._heatmap import GREYS
from seernn_widgets.views._ticks import grid_columns
from seernn_widgets.views.rnn_plots import RNNHeatmap, RNNHistogram

RNN_LAYERS = ["lstm", "gru", "bilstm", "srnn"]
GATES = {"lstm": "ifco", "gru": "zrh", "bilstm": "ifco", "srnn": [None]}


@pytest.fixture(scope="module")
def insp():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    ipt = keras.Input((6, 3))
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(ipt)
    h = keras.layers.GRU(3, return_sequences=True, name="gru")(h)   # reset_after: bias (2, 9)
    h = keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), name="bilstm")(h)
    h = keras.layers.SimpleRNN(3, name="srnn")(h)
    out = keras.layers.Dense(2, name="dense")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    return Inspector(model, rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 2)))


def cell(insp, layer, direction="forward"):
    layer = insp.model.get_layer(layer)
    return (layer.forward_layer if direction == "forward" else layer.backward_layer).cell \
        if isinstance(layer, keras.layers.Bidirectional) else layer.cell


def kernels(insp, layer, direction="forward", mode="weights"):
    """{kernel: 2-D matrix} straight from the cell's variables (or their gradients)."""
    c = cell(insp, layer, direction)
    variables = {"input": c.kernel, "recurrent": c.recurrent_kernel, "bias": c.bias}
    if mode == "weights":
        values = {k: v.numpy() for k, v in variables.items()}
    else:
        layer = insp.model.get_layer(layer)
        grads = dict(zip([v.path for v in layer.trainable_variables],
                         insp.gradients(layer, "weights")))
        values = {k: np.asarray(grads[v.path]) for k, v in variables.items()}
    return {k: np.atleast_2d(v) for k, v in values.items()}


def layer_peak(insp, layer, mode="weights"):
    """max|value| over every direction and kernel: the auto colour range."""
    directions = ["forward", "backward"] if layer == "bilstm" else ["forward"]
    return max(np.abs(m).max() for d in directions for m in kernels(insp, layer, d, mode).values())


def gate_slice(matrix, layer, gate, units):
    if gate is None:
        return matrix
    g = GATES[layer].index(gate)
    return matrix[:, g * units:(g + 1) * units]


def test_offers_recurrent_layers_only_and_names_them_for_a_dense_layer(insp):
    assert RNNHistogram(insp).layer_choices() == RNN_LAYERS
    for view in (RNNHistogram, RNNHeatmap):
        with pytest.raises(TraitError, match=r"'dense' \(output shape \(4, 2\)\)"
                                             r".*\['lstm', 'gru', 'bilstm', 'srnn'\]"):
            view(insp, "dense")


@pytest.mark.parametrize("layer, direction, mode", [
    ("lstm", "forward", "weights"), ("gru", "forward", "weights"),
    ("srnn", "forward", "gradients"), ("bilstm", "backward", "weights"),
    ("bilstm", "backward", "gradients"), ("gru", "forward", "gradients")])
def test_heatmap_draws_each_kernel_of_the_direction(insp, layer, direction, mode):
    w = RNNHeatmap(insp, layer, mode=mode, direction=direction)
    expected = kernels(insp, layer, direction, mode)
    data = w.view_data()
    assert list(data) == ["input", "recurrent", "bias"]
    for kernel, matrix in expected.items():
        np.testing.assert_array_equal(data[kernel], matrix)
        heatmap = w.heatmaps[kernel]
        np.testing.assert_array_equal(heatmap.mark.image, matrix)
        assert heatmap.mark.image.dtype == np.float32
        assert f"seernn-rnnheatmap-{kernel}" in heatmap.figure._dom_classes
    if layer == "gru":
        assert data["bias"].shape == (2, 9)                # reset_after: two bias rows
    units = cell(insp, layer).units
    lines, axis = w.heatmaps["recurrent"].gate_lines, w.heatmaps["recurrent"].x_axis
    n_gates = len(GATES[layer]) if layer != "srnn" else 0
    assert lines.visible == (n_gates > 0)
    if n_gates:
        np.testing.assert_array_equal(lines.x[:, 0], [units * g - 0.5 for g in range(1, n_gates)])
        assert len(axis.tick_labels) == n_gates
    peak = layer_peak(insp, layer, mode)
    scale = w.heatmaps["input"].colour_scale
    assert (scale.min, scale.max) == pytest.approx((-peak, peak))


def test_heatmap_gate_labels_sit_at_gate_centres(insp):
    axis = RNNHeatmap(insp, "gru").heatmaps["input"].x_axis
    # cells centred on integers: the gates' 3 units are columns 0-2, 3-5, 6-8
    assert axis.tick_labels == {"1": "update", "4": "reset", "7": "new"}
    np.testing.assert_array_equal(axis.tick_values, [1, 4, 7])


def test_absolute_value_shows_magnitudes_in_greys(insp):
    w = RNNHeatmap(insp, "lstm", mode="gradients", absolute_value=True)
    expected = {k: np.abs(m) for k, m in kernels(insp, "lstm", mode="gradients").items()}
    peak = max(m.max() for m in expected.values())
    for kernel, matrix in expected.items():
        np.testing.assert_array_equal(w.view_data()[kernel], matrix)
        np.testing.assert_array_equal(w.heatmaps[kernel].mark.image, matrix)
        scale = w.heatmaps[kernel].colour_scale
        assert w.heatmaps[kernel].colours == GREYS and scale.colors[0] == "#ffffff"   # white at 0
        assert scale.colors[-1] == "#000000" and (scale.min, scale.max) == pytest.approx((0, peak))
    w.absolute_value = False
    assert w.heatmaps["input"].colour_scale.min < 0
    signed = kernels(insp, "lstm", mode="gradients")["input"]
    np.testing.assert_array_equal(w.view_data()["input"], signed)


def test_a_norm_change_only_recolours(insp):
    w = RNNHeatmap(insp, "bilstm")
    images = {k: h.mark.image for k, h in w.heatmaps.items()}
    w.norm = (-0.5, 0.25)
    for kernel, heatmap in w.heatmaps.items():
        assert (heatmap.colour_scale.min, heatmap.colour_scale.max) == (-0.5, 0.25)
        assert heatmap.mark.image is images[kernel]        # no new image sent
    w.norm = None
    assert w.heatmaps["bias"].colour_scale.max == pytest.approx(layer_peak(insp, "bilstm"))
    assert all(h.mark.image is images[k] for k, h in w.heatmaps.items())


@pytest.mark.parametrize("layer, direction, mode", [
    ("lstm", "forward", "weights"), ("gru", "forward", "gradients"),
    ("srnn", "forward", "weights"), ("bilstm", "backward", "gradients")])
def test_histograms_bin_each_gate_of_each_kernel(insp, layer, direction, mode):
    w = RNNHistogram(insp, layer, mode=mode, direction=direction, bins=7)
    expected = kernels(insp, layer, direction, mode)
    units = cell(insp, layer).units
    data = w.view_data()
    assert list(data) == [(k, g) for k in expected for g in GATES[layer]]
    for (kernel, gate), (counts, edges) in data.items():
        piece = gate_slice(expected[kernel], layer, gate, units)
        np.testing.assert_array_equal(counts, np.histogram(piece, bins=edges)[0])
        assert len(edges) == 8
        mark = w.cells[(kernel, gate)].mark
        np.testing.assert_array_equal(mark.y, counts)
        np.testing.assert_allclose(mark.x, (edges[1:] + edges[:-1]) / 2, rtol=1e-6)
    assert w.grid.layout.grid_template_columns == grid_columns(len(GATES[layer]))
    assert all("seernn-rnnhistogram" in f._dom_classes for f in w.grid.children)


def _ranges(w):
    return {key: ((c.x_scale.min, c.x_scale.max), c.y_scale.max)
            for key, c in w.cells.items() if c.figure in w.grid.children}


def test_equate_axes_shares_ranges_as_see_rnn(insp):
    w = RNNHistogram(insp, "lstm", equate_axes=0)
    weights = kernels(insp, "lstm")
    for (kernel, gate), ((lo, hi), y_max) in _ranges(w).items():
        piece = gate_slice(weights[kernel], "lstm", gate, 4)
        counts, edges = w.view_data()[(kernel, gate)]
        if piece.min() < piece.max():
            assert (lo, hi) == pytest.approx((piece.min(), piece.max()))
        assert (lo, hi) == (edges[0], edges[-1]) and y_max == max(counts.max(), 1)
    w.equate_axes = 1
    ranges = _ranges(w)
    kernel_ranges = {r for (k, _), r in ranges.items() if k != "bias"}
    both = np.concatenate([weights["input"].ravel(), weights["recurrent"].ravel()])
    assert len(kernel_ranges) == 1
    (lo, hi), y_max = kernel_ranges.pop()
    assert (lo, hi) == pytest.approx((both.min(), both.max()))
    assert y_max == max(w.view_data()[key][0].max() for key in ranges if key[0] != "bias")
    assert {r for (k, _), r in ranges.items() if k == "bias"} != {((lo, hi), y_max)}
    w.equate_axes = 2
    assert len(set(_ranges(w).values())) == 1
    everything = np.concatenate([m.ravel() for m in weights.values()])
    (lo, hi), _ = next(iter(_ranges(w).values()))
    assert (lo, hi) == pytest.approx((everything.min(), everything.max()))


def shown(histogram):
    """RNNHistogram subplots shown (the grid keeps the others, hidden)."""
    return sum(f.layout.display != "none" for f in histogram.grid.children)


def test_bias_row_can_be_hidden(insp):
    w = RNNHistogram(insp, "gru")
    assert shown(w) == 9
    w.bias = False
    assert {k for k, _ in w.view_data()} == {"input", "recurrent"} and shown(w) == 6
    bias = kernels(insp, "gru")["bias"]                      # both GRU bias rows per gate
    w.bias = True
    np.testing.assert_array_equal(w.view_data()[("bias", "r")][0].sum(), bias[:, 3:6].size)


@pytest.fixture
def planted(rng):
    """A one-LSTM model with NaN/Inf planted at known entries."""
    ipt = keras.Input((5, 2))
    h = keras.layers.LSTM(3, name="lstm")(ipt)
    model = keras.Model(ipt, keras.layers.Dense(1, name="dense")(h))
    model.compile("sgd", "mse")
    insp = Inspector(model, rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 1)))
    return insp, model.get_layer("lstm").cell


def test_nan_inf_are_counted_where_they_occur(planted):
    insp, lstm = planted
    hist, heat = RNNHistogram(insp, "lstm"), RNNHeatmap(insp, "lstm")
    kernel, recurrent = lstm.kernel.numpy(), lstm.recurrent_kernel.numpy()
    kernel[0, 3], kernel[1, 4], kernel[1, 5] = np.nan, np.nan, np.inf  # forget gate (units 3-5)
    recurrent[2, 9] = -np.inf                                          # output gate
    lstm.kernel.assign(kernel)
    lstm.recurrent_kernel.assign(recurrent)
    passes = insp.compute_count
    insp.refresh()
    titles = {key: c.figure.title for key, c in hist.cells.items()}
    assert titles[("input", "f")] == "input: f  NaN 2, Inf 1"
    assert titles[("recurrent", "o")] == "recurrent: o  Inf 1"
    assert titles[("input", "i")] == "input: i"
    counts, edges = hist.view_data()[("input", "f")]
    assert counts.sum() == 2 * 3 - 3                                   # left out, not zeroed
    np.testing.assert_array_equal(counts, np.histogram(kernel[:, 3:6], bins=edges)[0])
    assert heat.heatmaps["input"].figure.title.endswith("NaN 2, Inf 1 (NaN yellow)")
    assert heat.heatmaps["recurrent"].figure.title.endswith("Inf 1 (NaN yellow)")
    assert "NaN" not in heat.heatmaps["bias"].figure.title
    image = heat.heatmaps["input"].mark.image
    assert np.isnan(image[0, 3]) and np.isnan(image[1, 4]) and np.isinf(image[1, 5])
    finite = np.concatenate([m[np.isfinite(m)] for m in (kernel, recurrent, lstm.bias.numpy())])
    assert heat.heatmaps["input"].colour_scale.max == np.abs(finite).max()    # over finite values
    assert insp.compute_count == passes                                # weights need no pass


@pytest.mark.parametrize("view, trait, value, allowed", [
    (RNNHistogram, "direction", "backward", r"\['forward'\]"),
    (RNNHistogram, "equate_axes", 3, r"\[0, 1, 2\]"),
    (RNNHistogram, "equate_axes", True, r"\[0, 1, 2\]"),
    (RNNHistogram, "bins", 0, ">= 1"),
    (RNNHistogram, "bins", 2.5, ">= 1"),
    (RNNHistogram, "mode", "outputs", r"\['weights', 'gradients'\]"),
    (RNNHistogram, "layer", "dense",
     r"'dense' \(output shape \(4, 2\)\).*\['lstm', 'gru', 'bilstm', 'srnn'\]"),
    (RNNHeatmap, "norm", (1, -1), "min <= max"),
    (RNNHeatmap, "norm", "sample", r"\['auto', 'kernel', 'robust'\] or \(min, max\)"),
    (RNNHeatmap, "direction", "sideways", r"\['forward'\]"),
    (RNNHeatmap, "layer", "nope", "layer names")])
def test_invalid_values_name_the_allowed_ones_and_change_nothing(insp, view, trait, value,
                                                                allowed):
    w = view(insp, "gru")
    before, state = w.view_data(), {t: getattr(w, t) for t in w.controls}
    with pytest.raises(TraitError, match=allowed):
        setattr(w, trait, value)
    assert {t: getattr(w, t) for t in w.controls} == state
    assert repr(w.view_data()) == repr(before)


def test_gradients_need_labels():
    ipt = keras.Input((4, 2))
    model = keras.Model(ipt, keras.layers.GRU(2, name="gru")(ipt))
    w = RNNHeatmap(Inspector(model, np.zeros((2, 4, 2), "float32")))
    with pytest.raises(TraitError, match="labels"):
        w.mode = "gradients"
    assert w.mode == "weights"


def test_control_changes_never_recompute_and_follow_the_layer(insp):
    hist = RNNHistogram(insp, "bilstm", mode="gradients")
    heat = RNNHeatmap(insp, "bilstm", mode="gradients")
    passes = insp.compute_count
    assert hist.direction_control.layout.display is None
    hist.direction, hist.equate_axes, hist.bins, hist.bias = "backward", 2, 9, False
    heat.direction, heat.norm, heat.absolute_value, heat.norm = "backward", (-1, 1), True, None
    hist.direction_control.value = "forward"                  # what the dropdown does
    assert hist.direction == "forward"
    for w in (hist, heat):
        w.layer = "srnn"                                       # no backward: falls back
        assert w.direction == "forward" and w.direction_control.layout.display == "none"
        w.mode = "weights"
    assert shown(hist) == 2                                    # bias still hidden
    assert list(heat.view_data()) == ["input", "recurrent", "bias"]
    assert insp.compute_count == passes


def test_refresh_redraws_new_numbers(planted):
    insp, lstm = planted
    w = RNNHeatmap(insp, "lstm", mode="gradients")
    hist = RNNHistogram(insp, "lstm", mode="gradients")
    before = w.view_data()["recurrent"].copy()
    insp.model.train_on_batch(insp.x, insp.y)
    insp.refresh()
    assert not np.array_equal(w.heatmaps["recurrent"].mark.image, before)
    expected = kernels(insp, "lstm", mode="gradients")
    np.testing.assert_array_equal(w.heatmaps["recurrent"].mark.image, expected["recurrent"])
    counts, edges = hist.view_data()[("recurrent", "c")]
    np.testing.assert_array_equal(hist.cells[("recurrent", "c")].mark.y, counts)
    cell_gate = expected["recurrent"][:, 6:9]
    np.testing.assert_array_equal(counts, np.histogram(cell_gate, bins=edges)[0])


@pytest.mark.parametrize("layer, gate, units",
                         [("lstm", "f", 4), ("gru", "h", 3), ("bilstm", "o", 2)])
def test_one_gate_shows_only_that_gates_columns(insp, layer, gate, units):
    direction = "backward" if layer == "bilstm" else "forward"
    heatmap = RNNHeatmap(insp, layer, direction=direction, gate=gate)
    expected = kernels(insp, layer, direction)
    for kernel, matrix in heatmap.view_data().items():
        np.testing.assert_array_equal(matrix, gate_slice(expected[kernel], layer, gate, units))
        assert not heatmap.heatmaps[kernel].gate_lines.visible
    histogram = RNNHistogram(insp, layer, direction=direction, gate=gate, equate_axes=0)
    assert {g for _, g in histogram.view_data()} == {gate}
    counts, edges = histogram.view_data()[("recurrent", gate)]
    np.testing.assert_array_equal(
        counts, np.histogram(gate_slice(expected["recurrent"], layer, gate, units), bins=edges)[0])


def test_gate_choices_follow_the_cell_and_are_absent_without_gates(insp):
    view = RNNHeatmap(insp, "lstm", gate="c")
    assert view.gate_control.options == ("all", "i", "f", "c", "o")
    with pytest.raises(TraitError, match=r"\['all', 'i', 'f', 'c', 'o'\].*'z'"):
        view.gate = "z"
    assert view.gate == "c"
    passes = insp.compute_count
    view.layer = "gru"                                  # 'c' is no GRU gate: back to all
    assert view.gate == "all" and view.gate_control.options == ("all", "z", "r", "h")
    view.layer = "srnn"
    assert view.gate_control.layout.display == "none"
    with pytest.raises(TraitError, match=r"\['all'\]"):
        view.gate = "i"
    assert insp.compute_count == passes
