"""Linked views (views/selection.py): a click on a Features2D row or an
RNNHeatmap column selects that unit in the other views of the same inspector."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.lines import Features1D
from seernn_widgets.views.rnn_plots import RNNHeatmap

UNITS = 4   # per direction of the Bidirectional


def _model(seed):
    keras.utils.set_random_seed(seed)
    ipt = keras.Input((12, 3))
    h = keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True),
                                   name="bilstm")(ipt)
    h = keras.layers.GRU(5, return_sequences=True, name="gru")(h)
    model = keras.Model(ipt, keras.layers.Dense(2, name="dense")(h))
    model.compile("adam", "mse")
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    return rng.standard_normal((3, 12, 3)), rng.standard_normal((3, 12, 2))


@pytest.fixture
def insp(data):
    return Inspector(_model(4), *data)


def click(view, x, y, heatmap=None):
    """What the page sends on a click (bqplot-image-gl MouseInteraction), through
    the widget's own message dispatch, as a message from the page arrives."""
    heatmap = heatmap or view.heatmap
    heatmap.clicks._handle_msg({"content": {"data": {"method": "custom", "content": {
        "event": "click", "pixel": {"x": 0, "y": 0}, "domain": {"x": x, "y": y}}}},
        "buffers": []})


def outline(heatmap):
    """(visible, x, y) of the selection lines."""
    lines = heatmap.selection_lines
    assert lines in heatmap.figure.marks
    return lines.visible, np.asarray(lines.x), np.asarray(lines.y)


def test_click_on_a_features2d_row_selects_it_everywhere(insp):
    f2 = Features2D(insp, "bilstm")
    f1 = Features1D(insp, "bilstm", direction="forward", channels=[0, 1])
    hm = RNNHeatmap(insp, "bilstm")
    assert hm.direction == "forward"
    picture = f1.view_data()
    click(f2, 7.2, 5.9)   # timestep 7, row 6: the backward direction's unit 2
    want = {"layer": "bilstm", "unit": 6}
    assert f2.selection == f1.selection == hm.selection == want
    # Features1D: that unit's trace, in the direction it belongs to
    assert (f1.direction, f1.channels) == ("backward", [2])
    assert list(f1.view_data()) != list(picture)
    np.testing.assert_array_equal(f1.view_data()[2], insp.outputs("bilstm")[:, :, 6])
    assert f1._figures[0].title == "channel 2"
    # Features2D: lines around row 6, across the timesteps
    visible, x, y = outline(f2.heatmap)
    assert visible
    np.testing.assert_array_equal(y, [[5.5, 5.5], [6.5, 6.5]])
    np.testing.assert_array_equal(x, [[-0.5, 11.5]] * 2)
    # RNNHeatmap: backward kernels, unit 2's column in each of the 4 gates
    assert hm.direction == "backward"
    for heatmap in hm.heatmaps.values():
        visible, x, y = outline(heatmap)
        assert visible
        edges = [g * UNITS + 2 + d for g in range(4) for d in (-0.5, 0.5)]
        np.testing.assert_array_equal(x[:, 0], edges)
        np.testing.assert_array_equal(x[:, 1], edges)
        assert tuple(y[0]) == tuple(heatmap.mark.y)


def test_click_on_an_rnn_heatmap_column_selects_the_unit(insp):
    hm = RNNHeatmap(insp, "bilstm", direction="backward")
    f1 = Features1D(insp, "bilstm")
    f2 = Features2D(insp, "bilstm", direction="forward")
    click(hm, 2 * UNITS + 1.3, 0.0, hm.heatmaps["recurrent"])   # gate 3 (c), unit 1
    assert f1.selection == f2.selection == {"layer": "bilstm", "unit": UNITS + 1}
    assert (f1.direction, f1.channels) == ("both", [UNITS + 1])
    assert f2.direction == "backward"   # the unit is a backward one
    visible, _, y = outline(f2.heatmap)
    assert visible
    np.testing.assert_array_equal(y, [[0.5, 0.5], [1.5, 1.5]])
    hm.gate = "f"   # one gate: the unit's column alone
    _, x, _ = outline(hm.heatmaps["input"])
    np.testing.assert_array_equal(x[:, 0], [0.5, 1.5])


def test_transposed_features2d_click_and_outline(insp):
    f2 = Features2D(insp, "gru", timesteps_xaxis=False)
    f1 = Features1D(insp, "gru")
    click(f2, 3.4, 10.0)   # units along x
    assert f1.channels == [3]
    visible, x, y = outline(f2.heatmap)
    assert visible
    np.testing.assert_array_equal(x, [[2.5, 2.5], [3.5, 3.5]])
    np.testing.assert_array_equal(y, [[-0.5, 11.5]] * 2)


def test_downsampled_time_keeps_unit_rows(insp):
    f2 = Features2D(insp, "gru", time_resolution=5)
    f1 = Features1D(insp, "gru")
    click(f2, 11.0, 4.0)
    assert f1.channels == [4]
    _, x, y = outline(f2.heatmap)
    np.testing.assert_array_equal(y, [[3.5, 3.5], [4.5, 4.5]])
    np.testing.assert_array_equal(x, [[-0.5, 11.5]] * 2)   # the whole sequence


def test_other_layers_are_left_alone(insp):
    f2 = Features2D(insp, "gru")
    f1 = Features1D(insp, "bilstm", channels=[0, 3])
    hm = RNNHeatmap(insp, "bilstm")
    click(f2, 0.0, 2.0)
    assert f1.selection == hm.selection == {"layer": "gru", "unit": 2}
    assert f1.channels == [0, 3]
    assert not any(h.selection_lines.visible for h in hm.heatmaps.values())
    assert f2.heatmap.selection_lines.visible


def test_a_view_opened_later_shows_the_selection(insp):
    f2 = Features2D(insp, "gru")
    f2.selection = {"layer": "gru", "unit": 1}
    assert Features1D(insp, "gru").channels == [1]


def test_not_linked_across_inspectors(data):
    a, b = Inspector(_model(4), *data), Inspector(_model(5), *data)
    fa, fb = Features2D(a, "gru"), Features2D(b, "gru")
    f1b = Features1D(b, "gru", channels=[0, 1])
    click(fa, 0.0, 3.0)
    assert fa.selection == {"layer": "gru", "unit": 3}
    assert fb.selection is None and f1b.selection is None and f1b.channels == [0, 1]
    assert not fb.heatmap.selection_lines.visible


@pytest.mark.parametrize("value, match", [
    ({"layer": "gru", "unit": 5}, r"\[0, 4\]"),
    ({"layer": "gru", "unit": -1}, r"\[0, 4\]"),
    ({"layer": "gru", "unit": True}, "int"),
    ({"layer": "gru", "unit": 1.0}, "int"),
    ({"layer": "nope", "unit": 0}, "layers"),
    ({"layer": "gru"}, "'unit'"),
    (3, "None or"),
])
def test_invalid_selection_is_refused_and_changes_nothing(insp, value, match):
    f2 = Features2D(insp, "gru")
    f1 = Features1D(insp, "gru", channels=[0, 1])
    f2.selection = {"layer": "gru", "unit": 2}
    with pytest.raises(TraitError, match=match):
        f1.selection = value
    assert f2.selection == f1.selection == {"layer": "gru", "unit": 2}
    assert f1.channels == [2]
    np.testing.assert_array_equal(f2.heatmap.selection_lines.y, [[1.5, 1.5], [2.5, 2.5]])


def test_clicks_outside_the_units_are_ignored(insp):
    f2 = Features2D(insp, "gru")
    f1 = Features1D(insp, "gru", channels=[0, 1])
    for y in (-0.6, 4.6, float("nan")):
        click(f2, 1.0, y)
    f2.heatmap.clicks._handle_msg({"content": {"data": {"method": "custom",
                                                          "content": {"event": "click"}}},
                                   "buffers": []})
    assert f2.selection is None and f1.channels == [0, 1]
    assert f2.message.value == ""


def test_numpy_unit_and_clearing(insp):
    f2 = Features2D(insp, "gru")
    f2.selection = {"layer": "gru", "unit": np.int64(3)}
    assert type(f2.selection["unit"]) is int
    f2.selection = None
    assert not f2.heatmap.selection_lines.visible


def test_closed_views_leave_the_selection(insp):
    f2, f1 = Features2D(insp, "gru"), Features1D(insp, "gru")
    f1.close()
    click(f2, 0.0, 4.0)
    assert f1.selection is None
