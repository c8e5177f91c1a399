"""Labels that tell the truth (issue 11 items 3, 4, 6, 7): integer axes name
real cells at their centres, thinned 1-2-5; value axes use round 1-2-5
values; titles say what is shown (model, step, direction, reflect_half,
kernel position) and the page is sent the very titles and ticks the kernel
draws, for every state it can reach without the kernel."""
import json
import shutil
import subprocess

import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import (
    Explorer,
    Features0D,
    Features1D,
    Features2D,
    Inspector,
    RNNHeatmap,
    RNNHistogram,
    WeightNorms,
)
from seernn_widgets.views import _ticks
from seernn_widgets.views._ticks import (
    index_ticks,
    integer_ticks,
    js_number,
    nice_step,
    value_ticks,
)


# -- tick helpers -------------------------------------------------------------------------
@pytest.mark.parametrize("n, labels", [
    (1, ["0"]), (8, [str(i) for i in range(8)]),             # every row of 8
    (16, [str(i) for i in range(0, 16, 2)]),                  # every 2nd of 16
    (50, ["0", "10", "20", "30", "40"]),                      # timesteps 0-49, never 50
    (1024, ["0", "200", "400", "600", "800", "1000"])])
def test_index_ticks_name_real_cells_thinned_1_2_5(n, labels):
    ticks = index_ticks(n, max_ticks=8)
    assert list(ticks.labels) == labels
    assert all(float(v).is_integer() and 0 <= v < n for v in ticks.values)
    assert [str(int(v)) for v in ticks.values] == labels
    steps = set(np.diff(ticks.values)) or {1}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5, 10, 20, 50, 100, 200, 500)


def test_integer_ticks_name_each_step_once():
    for lo, hi in [(10, 14), (0, 3), (7, 7), (100, 1234)]:
        ticks = integer_ticks(lo, hi, 10)
        assert len(set(ticks.labels)) == len(ticks.labels)          # no '11 11 12 12'
        assert all(lo <= v <= hi and float(v).is_integer() for v in ticks.values)
    assert integer_ticks(10, 14, 10).labels == ("10", "11", "12", "13", "14")


@pytest.mark.parametrize("lo, hi, labels", [
    (-0.0173, 0.0152, ["-0.01", "0", "0.01"]),
    (0.0, 0.63, ["0", "0.2", "0.4", "0.6"]),
    (-2.5, 7.1, ["-2", "0", "2", "4", "6"]),
    (4.9e-5, 5.3e-5, ["4.9e-5", "5e-5", "5.1e-5", "5.2e-5", "5.3e-5"]),
    (0.0, 1234567.0, ["0", "5e5", "1e6"])])
def test_value_ticks_are_round_1_2_5_values(lo, hi, labels):
    ticks = value_ticks(lo, hi, max_ticks=5)
    assert list(ticks.labels) == labels
    step = nice_step(hi - lo, 5)
    mantissa = float(f"{step:e}".split("e")[0])
    assert mantissa in (1.0, 2.0, 5.0)
    for v in ticks.values:
        assert lo <= v <= hi
        assert abs(v / step - round(v / step)) < 1e-9                # multiples of the step
        assert float(ticks.labels[ticks.values.index(v)]) == pytest.approx(v, abs=step * 1e-6)


def test_bqplot_finds_each_label_by_javascripts_number_text():
    values = [0, 4, 3.5, -0.01, 0.005, 5e-5, 5e-7, 1.5e-7, 123.25, 1e21, 2e6, 0.1 + 0.2]
    assert shutil.which("node"), "node is missing"
    js = subprocess.run(["node", "-e", f"console.log(JSON.stringify({json.dumps(values)}"
                         ".map(String)))"], capture_output=True, text=True, check=True)
    assert [js_number(v) for v in values] == json.loads(js.stdout)
    ticks = value_ticks(-0.0173, 0.0152)
    assert set(ticks.axis_traits()["tick_labels"]) == {js_number(v) for v in ticks.values}


# -- views --------------------------------------------------------------------------------
def two_rnn_model():
    keras.utils.set_random_seed(3)
    ipt = keras.Input((50, 3))
    h = keras.layers.LSTM(8, return_sequences=True, name="lstm")(ipt)
    h = keras.layers.Bidirectional(keras.layers.GRU(8, return_sequences=True), name="bigru")(h)
    h = keras.layers.Conv1D(4, 3, name="conv")(h)
    out = keras.layers.Dense(2, name="dense")(keras.layers.GRU(4, name="gru")(h))
    model = keras.Model(ipt, out, name="labels")
    model.compile("adam", "mse")
    return model


@pytest.fixture(scope="module")
def insp():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 50, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    return Inspector(two_rnn_model(), x, y, history=4)


def axis_labels(axis):
    return [axis.tick_labels[js_number(v)] for v in axis.tick_values]


def test_heatmap_ticks_sit_on_cell_centres(insp):
    w = Features2D(insp, "lstm")                       # 8 units x 50 timesteps
    hm = w.heatmap
    assert tuple(hm.mark.x) == (-0.5, 49.5) and tuple(hm.mark.y) == (-0.5, 7.5)
    assert axis_labels(hm.x_axis) == ["0", "5", "10", "15", "20", "25", "30", "35", "40", "45"]
    assert axis_labels(hm.y_axis) == [str(i) for i in range(8)]
    assert (hm.x_axis.label, hm.y_axis.label) == ("timestep", "unit")
    w.layer = "bigru"                                  # 16 units
    assert axis_labels(hm.y_axis) == [str(i) for i in range(0, 16, 2)]
    w.direction = "backward"                           # 8 of them
    assert axis_labels(hm.y_axis) == [str(i) for i in range(8)]
    w.close()


def test_features2d_over_a_kernel_says_kernel_position(insp):
    w = Features2D(insp, "conv", mode="weights", sample=2)
    title = w.heatmap.figure.title
    assert "kernel position 2" in title and "sample" not in title
    assert (w.heatmap.x_axis.label, w.heatmap.y_axis.label) == ("input channel", "output channel")
    w.close()


def test_reflect_half_only_with_both_halves_of_a_bidirectional_layer(insp):
    w = Features2D(insp, "bigru", reflect_half=True)
    assert "backward half reversed in time" in w.heatmap.figure.title
    assert not w.reflect_control.disabled
    w.direction = "backward"                           # refit: off
    assert w.reflect_half is False and w.reflect_control.disabled
    assert "reversed" not in w.heatmap.figure.title
    with pytest.raises(TraitError, match="reflect_half applies only"):
        w.reflect_half = True
    assert w.reflect_half is False
    w.set_controls(direction="both", reflect_half=True)
    w.layer = "lstm"                                   # one direction only: off, hidden
    assert w.reflect_half is False and w.reflect_control.layout.display == "none"
    with pytest.raises(TraitError, match="not a concat-Bidirectional"):
        Features2D(insp, "lstm", reflect_half=True)
    w.close()


def test_the_page_is_sent_the_kernels_titles_and_ticks_for_every_state(insp):
    w = Features2D(insp, "bigru", mode="gradients")
    titles, axes = w.slicer.state["titles"], w.slicer.state["axes"]
    assert set(titles) == {"both/0", "both/1", "forward/0", "backward/0"}
    for sample in range(4):
        for direction, reflect in w.page_states():
            w.set_controls(sample=sample, direction=direction, reflect_half=reflect)
            assert titles[f"{direction}/{int(reflect)}"][sample] == w.heatmap.figure.title
            sent = axes[direction]["y"]
            assert sent["tick_values"] == list(w.heatmap.y_axis.tick_values)
            assert sent["tick_labels"] == w.heatmap.y_axis.tick_labels
    w.close()
    h = RNNHeatmap(insp, "bigru")
    titles, x_axes = h.slicer.state["titles"], h.slicer.state["x_axes"]
    for direction in ("forward", "backward"):
        for gate in ("all", "z", "r", "h"):
            h.set_controls(direction=direction, gate=gate)
            for i, kernel in enumerate(h.info().kernels):
                assert titles[f"{direction}/{gate}"][i] == h.heatmaps[kernel].figure.title
            axis = h.heatmaps["input"].x_axis
            assert x_axes[gate]["tick_labels"] == axis.tick_labels
            assert x_axes[gate]["tick_values"] == list(axis.tick_values)
    h.close()


def test_gate_labels_follow_the_layer(insp):
    h = RNNHeatmap(insp, "lstm")
    for layer, names in [("lstm", ["input", "forget", "cell", "output"]),
                         ("gru", ["update", "reset", "new"]),
                         ("lstm", ["input", "forget", "cell", "output"])]:
        h.layer = layer
        for heatmap in h.heatmaps.values():
            assert axis_labels(heatmap.x_axis) == names
        assert [h.slicer.state["x_axes"]["all"]["tick_labels"][js_number(v)]
                for v in h.slicer.state["x_axes"]["all"]["tick_values"]] == names
    h.gate = "f"
    assert axis_labels(h.heatmaps["input"].x_axis) == [str(i) for i in range(8)]   # its 8 units
    assert "forget gate" in h.heatmaps["input"].figure.title
    h.close()


def test_titles_say_the_step_shown_and_take_an_override(insp):
    model = insp.model
    views = [Features2D(insp, "lstm"), Features1D(insp, "lstm", channels=[0]),
             Features0D(insp, "gru"), RNNHeatmap(insp, "lstm"), RNNHistogram(insp, "lstm")]
    for _ in range(2):
        model.train_on_batch(insp.x, insp.y)
        insp.refresh()
    past = insp.history.steps[0]

    def titles():
        return [v.heatmap.figure.title if isinstance(v, Features2D)
                else v.title_line.value if hasattr(v, "title_line") and isinstance(v, Features1D)
                else v.figure.title if isinstance(v, Features0D)
                else v.heatmaps["input"].figure.title if isinstance(v, RNNHeatmap)
                else v.title_line.value for v in views]

    assert not any("step" in t for t in titles())
    for view in views:
        view.step = past
    assert all(f"step {past}" in t for t in titles()), titles()
    for view in views:
        view.title = "my run"
    assert all("my run" in t for t in titles()), titles()
    ex = Explorer(insp, "lstm", title="mine")
    assert ex.view.heatmap.figure.title.startswith("mine - sample 0")
    ex.title = "yours"
    assert ex.view.heatmap.figure.title.startswith("yours - sample 0")
    for view in [*views, ex]:
        view.close()


def test_titles_name_the_model_while_views_of_several_models_are_open(insp):
    from seernn_widgets.views._base import _OPEN_VIEWS
    for view in list(_OPEN_VIEWS):   # earlier tests' views, of other models
        view.close()
    w = Features2D(insp, "lstm")
    assert w.heatmap.figure.title.startswith("lstm outputs - sample 0")
    other = Inspector(keras.Sequential([keras.Input((5, 2)), keras.layers.LSTM(3, name="lstm")],
                                       name="other"), np.zeros((2, 5, 2), np.float32))
    v = RNNHeatmap(other, "lstm")
    assert w.heatmap.figure.title.startswith("labels: lstm outputs")       # retitled
    assert v.heatmaps["input"].figure.title.startswith("other: lstm weights")
    v.close()
    assert w.heatmap.figure.title.startswith("lstm outputs - sample 0")    # one model again
    w.close()


def test_weight_norms_label_each_step_once(insp):
    w = WeightNorms(insp, "lstm")
    for _ in range(4):
        insp.model.train_on_batch(insp.x, insp.y)
        insp.refresh()
    labels = axis_labels(w.figure.axes[0])
    steps = [str(s) for s in w.history()["steps"]]
    assert labels == sorted(set(labels), key=int) and set(labels) <= set(map(str, range(
        int(steps[0]), int(steps[-1]) + 1)))
    assert w.figure.axes[0].label == "training step"
    y = w.figure.axes[1]
    assert all(float(label) == pytest.approx(v) for v, label in zip(
        y.tick_values, axis_labels(y)))
    w.close()


def test_margins_fit_the_tick_labels(insp):
    hist = RNNHistogram(insp, "lstm")
    for cell in hist.cells.values():
        x_axis, y_axis = cell.figure.axes
        widest = max(len(t) for t in x_axis.tick_labels.values())
        assert cell.figure.fig_margin["right"] >= widest * _ticks.CHAR_PX / 2
        assert cell.figure.fig_margin["left"] >= max(
            len(t) for t in y_axis.tick_labels.values()) * _ticks.CHAR_PX
    hist.close()
