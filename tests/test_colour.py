"""Colour ranges of the heatmap views (Features2D, RNNHeatmap): each automatic
choice against NumPy, zero white for any range, a hand-set range reset on a
layer or mode change, symlog drawn but never in view_data(), the colour bar,
and js/colour.js string for string against seernn_widgets/views/_colour.py."""
import json
import math
import shutil
import subprocess
from pathlib import Path

import bqplot
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views import _colour as colour
from seernn_widgets.views._browser import features2d_state, rnn_state
from seernn_widgets.views._ticks import js_number, value_ticks
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.rnn_plots import RNNHeatmap

RUNNER = Path(__file__).resolve().parent.parent / "js" / "tests" / "run_colour.mjs"


@pytest.fixture(scope="module")
def insp():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    ipt = keras.Input((10, 3))
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="bilstm")(ipt)
    h = keras.layers.GRU(4, return_sequences=True, name="gru")(h)
    out = keras.layers.LSTM(2, name="lstm")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    return Inspector(model, rng.standard_normal((6, 10, 3)), rng.standard_normal((6, 2)))


def scale_range(heatmap):
    return (heatmap.colour_scale.min, heatmap.colour_scale.max)


def rnn_arrays(insp, layer, mode="weights"):
    """{kernel: [array of each direction]} straight from the Keras variables."""
    kl = insp.model.get_layer(layer)
    cells = [kl.forward_layer.cell, kl.backward_layer.cell] \
        if isinstance(kl, keras.layers.Bidirectional) else [kl.cell]
    if mode == "weights":
        get = lambda v: v.numpy()   # noqa: E731
    else:
        paths = [v.path for v in kl.trainable_variables]
        grads = dict(zip(paths, insp.gradients(layer, "weights")))
        get = lambda v: np.asarray(grads[v.path])   # noqa: E731
    return {k: [get(getattr(c, attr)) for c in cells]
            for k, attr in (("input", "kernel"), ("recurrent", "recurrent_kernel"),
                            ("bias", "bias"))}


# -- the automatic ranges, against NumPy -------------------------------------------
def test_features2d_auto_sample_robust_against_numpy(insp):
    data = insp.gradients("gru").astype(np.float64)
    w = Features2D(insp, "gru", mode="gradients", sample=4)
    peak = np.abs(data).max()
    assert scale_range(w.heatmap) == (-peak, peak)                  # 'auto': every sample
    w.norm = "sample"
    own = np.abs(data[4]).max()
    assert scale_range(w.heatmap) == (-own, own)
    w.sample = 2                                                    # follows the sample
    assert scale_range(w.heatmap) == (-np.abs(data[2]).max(), np.abs(data[2]).max())
    w.norm = "robust"
    p99 = np.percentile(np.abs(data), 99)
    assert scale_range(w.heatmap) == pytest.approx((-p99, p99), rel=1e-12)
    assert p99 < peak   # the largest values saturate


def test_rnn_heatmap_auto_kernel_robust_against_numpy(insp):
    arrays = rnn_arrays(insp, "bilstm")
    everything = np.concatenate([np.ravel(a) for parts in arrays.values() for a in parts])
    w = RNNHeatmap(insp, "bilstm")
    peak = np.abs(everything).max()
    for heatmap in w.heatmaps.values():
        assert scale_range(heatmap) == pytest.approx((-peak, peak), rel=1e-7)
    w.norm = "kernel"   # each kernel its own, over both directions and every gate
    for kernel, heatmap in w.heatmaps.items():
        own = max(np.abs(a).max() for a in arrays[kernel])
        assert scale_range(heatmap) == pytest.approx((-own, own), rel=1e-7)
    assert w.heatmaps["input"].colour_scale.max < peak or w.heatmaps["bias"].colour_scale.max < peak
    w.norm = "robust"
    p99 = np.percentile(np.abs(everything.astype(np.float64)), 99)
    assert scale_range(w.heatmaps["recurrent"]) == pytest.approx((-p99, p99), rel=1e-7)
    w.absolute_value = True   # magnitudes: from 0
    assert scale_range(w.heatmaps["recurrent"]) == pytest.approx((0, p99), rel=1e-7)


def test_lstm_forget_bias_no_longer_washes_out_kernels():
    """The defect: an LSTM's forget-gate bias (1.0) set the shared range, so
    kernels of ~0.1-0.3 came out pastel; 'kernel' gives them their own."""
    keras.utils.set_random_seed(1)
    ipt = keras.Input((4, 2))
    model = keras.Model(ipt, keras.layers.LSTM(8, name="lstm",
                        kernel_initializer=keras.initializers.RandomUniform(-0.2, 0.2),
                        recurrent_initializer=keras.initializers.RandomUniform(-0.2, 0.2))(ipt))
    w = RNNHeatmap(Inspector(model, np.zeros((2, 4, 2), np.float32)), "lstm", norm="kernel")
    assert w.heatmaps["bias"].colour_scale.max == 1.0
    assert w.heatmaps["input"].colour_scale.max <= 0.2


# -- zero stays white --------------------------------------------------------------
@pytest.mark.parametrize("lo, hi", [(-1.0, 1.0), (-0.5, 0.25), (-3e-6, 1e-5), (0.1, 0.5),
                                    (-2.0, -1.0)])
def test_palette_pins_white_at_zero(lo, hi):
    colours = colour.palette(lo, hi)
    assert len(colours) == colour.N_COLOURS
    at = [lo + (hi - lo) * i / 255 for i in range(256)]
    rgb = [tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in colours]
    # each stop: white + (end - white) * v / (lo or hi), i.e. TwoSlopeNorm
    for v, got in zip(at, rgb):
        end, f = (colour.BLUE, v / lo) if v < 0 else (colour.RED, v / hi) if v > 0 \
            else (colour.WHITE, 0)
        assert got == tuple(math.floor(255 + (e - 255) * f + 0.5) for e in end)
    if lo < 0 < hi:   # the stop nearest 0 is (nearly) white, whatever the asymmetry
        nearest = min(range(256), key=lambda i: abs(at[i]))
        assert all(x >= 253 for x in rgb[nearest])
        assert rgb[0] == colour.BLUE and rgb[-1] == colour.RED


def test_a_one_sided_range_keeps_zero_white_in_the_view(insp):
    w = Features2D(insp, "gru", mode="gradients")
    w.norm = (-0.001, 0.004)   # one handle dragged
    assert w.heatmap.colour_scale.colors == colour.palette(-0.001, 0.004)
    assert w.heatmap.colour_scale.colors[0] == "#2166ac"
    assert w.heatmap.colour_scale.colors[-1] == "#b2182b"
    white = round(0.001 / 0.005 * 255)   # where 0 falls among the 256 stops
    assert w.heatmap.colour_scale.colors[white] in ("#ffffff", "#fefefe", "#fdfdfd")


# -- the reset -------------------------------------------------------------------------
def test_a_hand_set_range_is_reset_by_a_layer_or_mode_change(insp):
    w = Features2D(insp, "bilstm", mode="gradients")
    w.norm = "sample"
    w.norm = (-1e-3, 1e-3)
    w.sample = 3                                     # other controls keep it
    assert w.norm == (-1e-3, 1e-3)
    w.mode = "outputs"                               # another mode: back to 'sample'
    assert w.norm == "sample"
    assert scale_range(w.heatmap) == (-np.abs(insp.outputs("bilstm")[3]).max(),
                                      np.abs(insp.outputs("bilstm")[3]).max())
    w.norm = (-1, 1)
    w.layer = "gru"
    assert w.norm == "sample"
    w.set_controls(layer="bilstm", norm=(-2, 2))     # given together: kept
    assert w.norm == (-2, 2) and scale_range(w.heatmap) == (-2, 2)
    w.layer = "bilstm"                               # not a change
    assert w.norm == (-2, 2)


def test_rnn_heatmap_reset_and_weights_range_never_reaches_gradients(insp):
    w = RNNHeatmap(insp, "lstm", norm=(-0.5, 0.5))
    assert w.norm == (-0.5, 0.5)                      # given at construction
    w.mode = "gradients"
    assert w.norm == "auto"
    grads = rnn_arrays(insp, "lstm", "gradients")
    peak = max(np.abs(a).max() for parts in grads.values() for a in parts)
    assert scale_range(w.heatmaps["input"]) == pytest.approx((-peak, peak), rel=1e-7)
    assert w.norm_slider.value == pytest.approx((-peak, peak), rel=1e-3)
    assert w.control_widgets["norm_auto"].value == "auto"


def test_norm_values_refused_name_what_is_allowed(insp):
    w = Features2D(insp, "gru")
    for bad, message in [((1, -1), "min < max"), ((1, 1), "min < max"), ("kernel", "'sample'"),
                         ((0, np.inf), "finite"), ("x", r"\['auto', 'sample', 'robust'\]"),
                         ((1, 2, 3), "or \\(min, max\\)")]:
        with pytest.raises(TraitError, match=message):
            w.norm = bad
    assert w.norm == "auto"
    w.norm = None                                    # as before: None is 'auto'
    assert w.norm == "auto"
    h = RNNHeatmap(insp, "gru")
    with pytest.raises(TraitError, match=r"\['auto', 'kernel', 'robust'\]"):
        h.norm = "sample"
    with pytest.raises(TraitError, match=r"\['linear', 'symlog'\]"):
        h.colour_scale = "log"


# -- symlog ------------------------------------------------------------------------------
def test_symlog_draws_the_transform_but_view_data_stays_raw(insp):
    w = Features2D(insp, "gru", mode="gradients", sample=1)
    raw = w.view_data()
    w.colour_scale = "symlog"
    np.testing.assert_array_equal(w.view_data(), raw)              # presentation only
    data = insp.gradients("gru").astype(np.float64)
    nonzero = np.abs(data[(data != 0) & np.isfinite(data)])
    c = np.percentile(nonzero, 1)
    expected = (np.sign(raw.astype(np.float64))
                * np.log10(1 + np.abs(raw.astype(np.float64)) / c)).astype(np.float32)
    np.testing.assert_array_equal(w.heatmap.mark.image, expected)
    peak = np.abs(data).max()
    top = math.log10(1 + peak / c)
    assert scale_range(w.heatmap) == pytest.approx((-top, top), rel=1e-12)
    # the colour bar is labelled in the original values, at their drawn positions
    axis = w.heatmap.colour_axis
    assert len(axis.tick_values) >= 3 and "0" in axis.tick_labels.values()
    for v in axis.tick_values:
        label = axis.tick_labels[js_number(v)]
        assert -top <= v <= top
        assert v == pytest.approx(math.copysign(math.log10(1 + abs(float(label)) / c), v)
                                  if label != "0" else 0.0)
    # a hand-set range is in the data's units: drawn as its transform
    w.norm = (-1e-4, 2e-4)
    assert scale_range(w.heatmap) == pytest.approx(
        (-math.log10(1 + 1e-4 / c), math.log10(1 + 2e-4 / c)), rel=1e-12)
    lo, hi = w.norm_slider.value   # the slider works in drawn units; back to the data's
    assert w.norm_from_drawn((lo, hi)) == pytest.approx((-1e-4, 2e-4), rel=1e-3)
    w.colour_scale = "linear"
    assert w.norm == (-1e-4, 2e-4) and scale_range(w.heatmap) == (-1e-4, 2e-4)
    np.testing.assert_array_equal(w.heatmap.mark.image, raw)
    # linear again: the bar's ticks are the range's round values
    assert list(w.heatmap.colour_axis.tick_values) == list(
        value_ticks(-1e-4, 2e-4, colour.bar_max_ticks(300)).values)


def test_symlog_reaches_tiny_gradients():
    """1e-14..1e-5 in one array: each decade gets its own colours under symlog."""
    values = np.array([0, 1e-14, -1e-12, 1e-10, -1e-8, 1e-6, 1e-5], np.float64)
    c = colour.linthresh(values)
    drawn = colour.symlog(values, c).astype(np.float64)
    steps = np.diff(np.abs(drawn[1:]))
    assert c == pytest.approx(np.percentile(np.abs(values[1:]), 1))
    assert np.all(steps > 0.5)   # about a decade apart, where linear would put all but one at 0
    back = colour.symlog_inverse(drawn, c)
    np.testing.assert_allclose(back, values, rtol=1e-6, atol=0)
    ticks = colour.symlog_ticks(1e-5, c)
    labels = [t for _, t in ticks]
    assert "1e-5" in labels and "-1e-5" in labels and "0" in labels and len(ticks) <= 13


def test_rnn_symlog_and_its_page_state(insp):
    w = RNNHeatmap(insp, "bilstm", mode="gradients", colour_scale="symlog")
    raw = w.view_data()
    c = w.colour_ranges()["c"]
    for kernel, heatmap in w.heatmaps.items():
        np.testing.assert_array_equal(heatmap.mark.image, colour.symlog(raw[kernel], c))
    state = rnn_state(w)["colour"]
    for i, kernel in enumerate(w.info().kernels):   # the page's ticks: Python's, per heatmap
        lo, hi = scale_range(w.heatmaps[kernel])
        page = state["bar"][i][f"{js_number(lo)} {js_number(hi)}"]
        assert [v for v, _ in page] == list(w.heatmaps[kernel].colour_axis.tick_values)
        assert state["bar_rule"][i] == {"symlog": True, "c": c,
                                        "per_side": colour.ticks_per_side(w.HEIGHTS[kernel]),
                                        "max_ticks": colour.bar_max_ticks(w.HEIGHTS[kernel])}
    assert state["bar_rule"][2]["per_side"] < state["bar_rule"][0]["per_side"]   # short bias bar
    for choice in w.NORMS:
        w.norm = choice
        for i, kernel in enumerate(w.info().kernels):
            assert tuple(state["ranges"][choice][i]) == scale_range(w.heatmaps[kernel])


def test_page_state_has_every_range_the_page_can_reach(insp):
    """The page looks ranges up (js/widget.js autoNorm): for each sample and
    choice, the state holds exactly what Python draws."""
    w = Features2D(insp, "bilstm", mode="gradients")
    state = features2d_state(w)["colour"]
    assert state["ends"] == [list(colour.BLUE), list(colour.RED)]
    for choice in w.NORMS:
        for sample in range(6):
            w.set_controls(norm=choice, sample=sample)
            table = state["ranges"][choice]
            expected = table[sample] if choice == "sample" else table
            assert tuple(expected) == scale_range(w.heatmap)


def test_colour_bar_is_in_every_heatmap(insp):
    f = Features2D(insp, "gru")
    h = RNNHeatmap(insp, "bilstm")
    for heatmap in [f.heatmap, *h.heatmaps.values()]:
        bars = [a for a in heatmap.figure.axes if isinstance(a, bqplot.ColorAxis)]
        assert len(bars) == 1 and bars[0].scale is heatmap.colour_scale
        assert bars[0].side == "right" and heatmap.figure.fig_margin["right"] >= 80


# -- the page's twin ------------------------------------------------------------------------
def run_js(tmp_path, cases):
    assert shutil.which("node"), "node is missing: `make test` installs it"
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    out = subprocess.run(["node", str(RUNNER), str(tmp_path / "cases.json")],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_js_palette_and_numbers_equal_python(tmp_path):
    rng = np.random.default_rng(0)
    ranges = [(-1.0, 1.0), (-0.5, 0.25), (0.0, 3.0), (-2.0, -1.0), (-3e-6, 1e-5),
              *[tuple(sorted(rng.standard_normal(2) * 10.0 ** rng.integers(-8, 3)))
                for _ in range(20)]]
    ends = [colour.DIVERGING_ENDS, colour.GREYS_ENDS]
    ticks = colour.symlog_ticks(3e-5, 1e-13)
    numbers = [0.5, 1e-5, 1e-7, 1.5e-7, 123456789012345680000.0, 1e21, 1e22, -2.5e-6, 0.1 + 0.2,
               *rng.standard_normal(20) * 10.0 ** rng.integers(-12, 12, 20),
               *[v for v, _ in ticks]]
    cases = ([{"fn": "palette", "lo": lo, "hi": hi, "ends": e} for lo, hi in ranges for e in ends]
             + [{"fn": "string", "value": float(v)} for v in numbers])
    results = run_js(tmp_path, cases)
    expected = ([colour.palette(lo, hi, e) for lo, hi in ranges for e in ends]
                + [js_number(v) for v in numbers])
    assert results == expected


def random_ranges(rng, n):
    """(lo, hi) of every kind a norm can take: random magnitudes 1e-9..1e6,
    both signs, one-sided, spans tiny next to the values, one value."""
    out = []
    for _ in range(n):
        scale = 10.0 ** rng.uniform(-9, 6)
        kind = rng.integers(5)
        if kind == 0:     # around 0
            lo, hi = sorted(rng.standard_normal(2) * scale)
        elif kind == 1:   # one-sided
            lo, hi = sorted(np.abs(rng.standard_normal(2)) * scale * rng.choice([-1, 1]))
        elif kind == 2:   # symmetric, as the automatic choices
            lo, hi = -scale, scale
        elif kind == 3:   # a tiny span far from 0
            lo = rng.uniform(-1, 1) * scale
            lo, hi = lo, lo + abs(lo) * 10.0 ** rng.uniform(-8, -2)
        else:             # one value
            lo = hi = rng.standard_normal() * scale
        out.append((float(lo), float(hi), int(rng.integers(2, 9))))
    return out


def test_js_value_ticks_equal_python(tmp_path):
    """js/ticks.js valueTicks (the page's colour bar for a range dragged in
    the page) prints what _ticks.value_ticks does, string for string."""
    rng = np.random.default_rng(11)
    ranges = [(-0.0173, 0.0152, 5), (0.0, 0.63, 5), (4.9e-5, 5.3e-5, 5), (0.0, 1234567.0, 5),
              (1e6, 1e6 + 1.0, 5), (-0.027, 0.027, 5), (0.5, 0.5, 5), (0.0, 0.0, 3),
              (-3e-9, 2e-9, 4), (-1e6, 1e6, 2), *random_ranges(rng, 400)]
    results = run_js(tmp_path, [{"fn": "valueTicks", "lo": lo, "hi": hi, "maxTicks": n}
                                for lo, hi, n in ranges])
    for (lo, hi, n), got in zip(ranges, results):
        ticks = value_ticks(lo, hi, n)
        assert got == [list(ticks.values), list(ticks.labels),
                       ticks.axis_traits()["tick_labels"] or {}], (lo, hi, n)


# -- the colour bar's ticks -------------------------------------------------------------
def bar_labels(heatmap):
    axis = heatmap.colour_axis
    return [axis.tick_labels[js_number(v)] for v in axis.tick_values]


def assert_round_bar(heatmap, height):
    """The linear bar's ticks: value_ticks of the range drawn - round 1-2-5
    multiples inside it, as many as its height has room for."""
    lo, hi = scale_range(heatmap)
    expected = value_ticks(lo, hi, colour.bar_max_ticks(height))
    values = list(heatmap.colour_axis.tick_values)
    assert values == list(expected.values) and bar_labels(heatmap) == list(expected.labels)
    assert 2 <= len(values) <= colour.bar_max_ticks(height) + 1
    step = min(np.diff(values)) if len(values) > 1 else 1.0
    assert float(f"{step:e}".split("e")[0]) in (1.0, 2.0, 5.0)
    for v, label in zip(values, bar_labels(heatmap)):
        assert lo <= v <= hi and abs(v / step - round(v / step)) < 1e-9
        assert float(label) == pytest.approx(v, abs=step * 1e-6)


def test_linear_colour_bars_show_round_ticks_of_their_range(insp):
    """The defect: bqplot's own ticks landed on ±0.027, ±0.016, ±0.0054."""
    w = Features2D(insp, "gru", mode="gradients")
    for controls in [{}, {"norm": "sample", "sample": 3}, {"norm": "robust"},
                     {"norm": (-0.0173, 0.0152)}, {"norm": (2e-7, 9e-7)}]:
        w.set_controls(**controls)
        assert_round_bar(w.heatmap, 300)
    h = RNNHeatmap(insp, "bilstm")
    for controls in [{}, {"norm": "kernel"}, {"absolute_value": True}, {"norm": (-0.3, 0.7)}]:
        h.set_controls(**controls)
        for kernel, heatmap in h.heatmaps.items():
            assert_round_bar(heatmap, h.HEIGHTS[kernel])
    assert len(h.heatmaps["bias"].colour_axis.tick_values) <= 3   # the short bar: fewer


def test_page_state_has_the_bar_ticks_python_draws(insp):
    """The page looks the bar's ticks up by range: for every state it can
    reach, what the kernel's colour bar shows."""
    w = Features2D(insp, "bilstm", mode="gradients", norm=(-0.01, 0.02))
    state = features2d_state(w)["colour"]
    assert [rule["max_ticks"] for rule in state["bar_rule"]] == [colour.bar_max_ticks(300)]
    for choice in [*w.NORMS, (-0.01, 0.02)]:
        for sample in range(6):
            w.set_controls(norm=choice, sample=sample)
            lo, hi = scale_range(w.heatmap)
            assert state["bar"][0][f"{js_number(lo)} {js_number(hi)}"] == [
                [v, t] for v, t in zip(w.heatmap.colour_axis.tick_values, bar_labels(w.heatmap))]
    h = RNNHeatmap(insp, "gru", colour_scale="symlog")
    state = rnn_state(h)["colour"]
    for choice in h.NORMS:
        h.norm = choice
        for i, kernel in enumerate(h.info().kernels):
            lo, hi = scale_range(h.heatmaps[kernel])
            assert state["bar"][i][f"{js_number(lo)} {js_number(hi)}"] == [
                [v, t] for v, t in zip(h.heatmaps[kernel].colour_axis.tick_values,
                                       bar_labels(h.heatmaps[kernel]))]


def test_a_short_symlog_bar_of_a_small_range_has_two_labels_or_more():
    """The defect: a symlog bias figure with a small range showed only '0'
    (the layer's decades lay outside its range, or too close to 0 for the
    130 px bar). Each bar now shows the decades of its own range, else round
    values of it, labelled in the data's units at their symlog positions."""
    keras.utils.set_random_seed(2)
    ipt = keras.Input((4, 2))
    model = keras.Model(ipt, keras.layers.LSTM(
        8, name="lstm", unit_forget_bias=False,   # else the forget gate's 1.0 sets the range
        bias_initializer=keras.initializers.RandomUniform(-9e-3, 9e-3))(ipt))
    h = RNNHeatmap(Inspector(model, np.zeros((2, 4, 2), np.float32)), "lstm",
                   colour_scale="symlog", norm="kernel")
    c = h.colour_ranges()["c"]
    for kernel, heatmap in h.heatmaps.items():
        lo, hi = scale_range(heatmap)
        labels = bar_labels(heatmap)
        assert len(labels) >= 2, (kernel, labels)
        for v, label in zip(heatmap.colour_axis.tick_values, labels):
            assert lo <= v <= hi
            assert v == pytest.approx(colour.symlog_one(float(label), c), abs=1e-12)
    bias_top = np.abs(h.inspector.model.get_layer("lstm").cell.bias.numpy()).max()
    assert h.heatmaps["bias"].colour_scale.max == pytest.approx(colour.symlog_one(bias_top, c))
    assert bar_labels(h.heatmaps["bias"]) == ["-0.005", "0", "0.005"]   # was only '0'


def test_js_bar_ticks_equal_python(tmp_path):
    """js/ticks.js barTicks (a colour bar's ticks for a range dragged in the
    page, linear or symlog) gives what _colour.bar_ticks does: the same
    labels, at the same positions (symlog positions to 1e-12: the page's
    log10 and pow may round the last bit otherwise)."""
    rng = np.random.default_rng(5)
    cases = []
    for lo, hi, _ in random_ranges(rng, 150):
        if lo == hi:
            continue
        for scale in ("linear", "symlog"):
            c = float(10.0 ** rng.uniform(-14, 0))
            drawn = colour.to_drawn((lo, hi), scale, c)
            cases.append((drawn, scale, c, int(rng.choice([130, 300, 420, 700]))))
    cases += [(colour.to_drawn((-1.0, 1.0), "symlog", 1e-3), "symlog", 1e-3, 130),
              (colour.to_drawn((-0.005, 0.004), "symlog", 1e-6), "symlog", 1e-6, 130),
              (colour.to_drawn((0.0, 3e-5), "symlog", 1e-13), "symlog", 1e-13, 300)]
    results = run_js(tmp_path, [{"fn": "barTicks", "lo": lo, "hi": hi, "bar": {
        "symlog": scale == "symlog", "c": c, "per_side": colour.ticks_per_side(h),
        "max_ticks": colour.bar_max_ticks(h)}} for (lo, hi), scale, c, h in cases])
    assert sum(scale == "symlog" for _, scale, _, _ in cases) > 100
    for (norm, scale, c, h), got in zip(cases, results):
        expected = colour.bar_ticks(norm, scale, c, h)
        assert [label for _, label in got] == [label for _, label in expected], (norm, scale, c)
        np.testing.assert_allclose([v for v, _ in got], [v for v, _ in expected],
                                   rtol=1e-12, atol=1e-300)
