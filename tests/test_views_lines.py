"""Features1D / Features0D draw exactly the NumPy slices of the inspector's
arrays, re-slice without recomputing, and refuse bad control values."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views._ticks import grid_columns
from seernn_widgets.views.lines import Features0D, Features1D, palette

BATCH, STEPS = 4, 6


@pytest.fixture(scope="module")
def insp():
    """conv (20 ch) -> lstm (5) -> bilstm (3+3) -> gru (4) -> srnn (4), all 3-D;
    bigru (3+3) and dense (2) are 2-D."""
    keras.utils.set_random_seed(0)
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.Conv1D(20, 2, padding="same", name="conv")(ipt)
    h = keras.layers.LSTM(5, return_sequences=True, name="lstm")(h)
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True),
                                   name="bilstm")(h)
    h = keras.layers.GRU(4, return_sequences=True, name="gru")(h)
    h = keras.layers.SimpleRNN(4, return_sequences=True, name="srnn")(h)
    h = keras.layers.Bidirectional(keras.layers.GRU(3), name="bigru")(h)
    out = keras.layers.Dense(2, name="dense")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS, 3)).astype("float32")
    y = rng.standard_normal((BATCH, 2)).astype("float32")
    inspector = Inspector(model, x, y)
    inspector.gradients("dense")   # both levels computed: control changes then need none
    return inspector


def full(insp, layer, mode):
    return insp.outputs(layer) if mode == "outputs" else insp.gradients(layer, "outputs")


def expected_1d(insp, layer, mode, sample, direction, channels):
    data = full(insp, layer, mode)
    offset = data.shape[-1] // 2 if direction == "backward" else 0
    rows = data if sample == "all" else data[[sample]]
    return {c: rows[:, :, offset + c] for c in channels}


def expected_0d(insp, layer, mode, direction):
    data = full(insp, layer, mode)
    half = data.shape[-1] // 2
    return {"both": data, "forward": data[:, :half], "backward": data[:, half:]}[direction]


def check_1d(view, expected):
    got = view.view_data()
    assert list(got) == list(expected) == view.channels
    figures = view.grid.children
    assert len(figures) == len(expected)
    every = palette(view.inspector.batch_size)
    colours = every if view.sample == "all" else [every[view.sample]]
    for figure, (channel, lines) in zip(figures, got.items()):
        assert lines.dtype == np.float32
        np.testing.assert_array_equal(lines, expected[channel])
        mark = figure.marks[0]
        assert mark.y.dtype == np.float32 and mark.x.dtype == np.float32
        np.testing.assert_array_equal(mark.y, np.squeeze(lines))  # bqplot squeezes (1, T)
        np.testing.assert_array_equal(mark.x, np.arange(lines.shape[-1]))
        assert mark.colors == colours        # sample k: the same colour in every plot
        assert figure.title == f"channel {channel}"
        assert "seernn-features1d" in figure._dom_classes


def check_0d(view, expected):
    got = view.view_data()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    n_samples, n_units = got.shape
    assert view.points.y.dtype == np.float32
    np.testing.assert_array_equal(view.points.y.reshape(n_samples, n_units), got)
    np.testing.assert_array_equal(view.points.x.reshape(n_samples, n_units),
                                  np.arange(n_samples)[:, None].repeat(n_units, 1))


@pytest.mark.parametrize("layer", ["conv", "lstm", "gru", "srnn"])
def test_features1d_defaults_show_all_samples_and_the_first_16_channels(insp, layer):
    view = Features1D(insp, layer)
    n = insp.outputs(layer).shape[-1]
    assert view.sample == "all" and view.direction == "both"
    assert view.channels == list(range(min(16, n)))
    check_1d(view, expected_1d(insp, layer, "outputs", "all", "both", view.channels))
    assert view.direction_control.layout.display == "none"


def test_features1d_controls_reslice_without_recomputing(insp):
    view = Features1D(insp, "bilstm", mode="gradients")
    before = insp.compute_count
    settings = [  # applied in turn; each row: the traits to set
        {},
        {"sample": 1},
        {"direction": "backward"},          # default channels follow: [0, 1, 2]
        {"channels": [2, 0]},
        {"sample": "all"},
        {"direction": "forward"},           # [2, 0] still exist: kept
        {"mode": "outputs", "sample": 3},
        {"direction": "both", "channels": [5, 1]},
    ]
    for setting in settings:
        for name, value in setting.items():
            setattr(view, name, value)
        check_1d(view, expected_1d(insp, "bilstm", view.mode, view.sample,
                                   view.direction, view.channels))
    assert view.channels == [5, 1]
    assert insp.compute_count == before


def test_features1d_layer_change_refits_direction_and_channels(insp):
    view = Features1D(insp, "bilstm", direction="backward", channels=[2], sample=0)
    assert view.direction_control.layout.display is None
    before = insp.compute_count
    view.layer = "lstm"
    assert (view.direction, view.channels, view.sample) == ("both", [2], 0)
    assert view.direction_control.layout.display == "none"
    check_1d(view, expected_1d(insp, "lstm", "outputs", 0, "both", [2]))
    view.channels = list(range(5))      # the default of lstm follows to conv's
    view.layer = "conv"
    assert view.channels == list(range(16))
    check_1d(view, expected_1d(insp, "conv", "outputs", 0, "both", view.channels))
    assert insp.compute_count == before


def test_features1d_share_xy_and_grid_rows(insp):
    view = Features1D(insp, "conv", channels=[0, 1, 2, 3, 4], n_rows=2)
    assert view.grid.layout.grid_template_columns == grid_columns(3)
    shown = np.stack(list(view.view_data().values()))
    for figure in view.grid.children:
        scale = figure.marks[0].scales["y"]
        assert (scale.min, scale.max) == (float(shown.min()), float(shown.max()))
    view.share_xy = False
    assert all(f.marks[0].scales["y"].min is None and f.marks[0].scales["y"].max is None
               for f in view.grid.children)
    view.n_rows = 5
    assert view.grid.layout.grid_template_columns == grid_columns(1)


def test_features1d_widgets_follow_the_traits(insp):
    view = Features1D(insp, "bilstm")
    view.channels = [1, 3]
    assert view.channel_control.value == (1, 3)
    view.channel_control.value = (0,)
    assert view.channels == [0]
    view.channel_control.value = ()          # nothing selected: refused, put back
    assert view.channels == [0] and view.channel_control.value == (0,)
    view.direction = "backward"
    assert view.channel_control.options == (0, 1, 2)
    view.sample = 2
    assert not view.all_samples_control.value and view.sample_control.value == 2
    view.all_samples_control.value = True
    assert view.sample == "all"
    view.sample_control.value = 1            # moving the slider picks that sample
    assert view.sample == 1 and not view.all_samples_control.value


def _state(view):
    marks = ([(f.marks[0].y.copy(), list(f.marks[0].colors)) for f in view.grid.children]
             if isinstance(view, Features1D) else [(view.points.y.copy(), view.points.colors)])
    return {name: getattr(view, name) for name in view.controls}, marks


BAD_1D = [
    ("lstm", "sample", 4, r"sample must be an int in \[0, 3\] or 'all'"),
    ("lstm", "sample", -1, r"\[0, 3\] or 'all'"),
    ("lstm", "sample", "first", r"\[0, 3\] or 'all'"),
    ("lstm", "sample", True, r"\[0, 3\] or 'all'"),
    ("lstm", "direction", "forward", r"direction must be one of \['both'\]"),
    ("bilstm", "direction", "sideways", r"\['both', 'forward', 'backward'\]"),
    ("lstm", "channels", [5], r"distinct ints in \[0, 4\]"),
    ("lstm", "channels", [], r"non-empty list of distinct ints in \[0, 4\]"),
    ("lstm", "channels", [0, 0], r"\[0, 4\]"),
    ("lstm", "channels", 3, r"\[0, 4\]"),
    ("lstm", "channels", [1.0], r"\[0, 4\]"),
    ("bilstm_backward", "channels", [3], r"\[0, 2\] \(layer 'bilstm' direction 'backward'"),
    ("lstm", "layer", "dense", r"layers it can show: \['conv', 'lstm', 'bilstm', 'gru', 'srnn'\]"),
    ("lstm", "layer", "nope", r"can show \['conv', 'lstm', 'bilstm', 'gru', 'srnn'\]"),
    ("lstm", "mode", "weights", r"mode must be one of \['outputs', 'gradients'\]"),
    ("lstm", "n_rows", 0, r"an int >= 1"),
]


@pytest.mark.parametrize("layer, name, value, message", BAD_1D)
def test_features1d_refuses_bad_values_and_stays_as_it_was(insp, layer, name, value, message):
    extra = {"direction": "backward"} if layer.endswith("_backward") else {}
    view = Features1D(insp, layer.removesuffix("_backward"), sample=1, channels=[0, 2], **extra)
    traits, marks = _state(view)
    with pytest.raises(TraitError, match=message):
        setattr(view, name, value)
    traits_after, marks_after = _state(view)
    assert traits_after == traits
    for (y, colours), (y_after, colours_after) in zip(marks, marks_after):
        np.testing.assert_array_equal(y_after, y)
        assert colours_after == colours


@pytest.mark.parametrize("mode", ["outputs", "gradients"])
def test_features0d_draws_units_across_samples_per_direction(insp, mode):
    view = Features0D(insp, "bigru", mode=mode)
    assert view.layer_choices() == ["bigru", "dense"]
    assert "seernn-features0d" in view.figure._dom_classes
    before = insp.compute_count
    for direction, colours in [("both", palette(6)), ("backward", palette(6)[3:]),
                               ("forward", palette(6)[:3])]:
        view.direction = direction
        check_0d(view, expected_0d(insp, "bigru", mode, direction))
        assert view.points.colors == colours   # unit k: one colour in any direction
    view.layer = "dense"
    assert view.direction == "both" and view.direction_control.layout.display == "none"
    check_0d(view, expected_0d(insp, "dense", mode, "both"))
    assert insp.compute_count == before


@pytest.mark.parametrize("layer, name, value, message", [
    ("dense", "direction", "backward", r"direction must be one of \['both'\]"),
    ("bigru", "layer", "lstm", r"layers it can show: \['bigru', 'dense'\]"),
    ("bigru", "mode", "weights", r"\['outputs', 'gradients'\]"),
])
def test_features0d_refuses_bad_values_and_stays_as_it_was(insp, layer, name, value, message):
    view = Features0D(insp, layer, direction="both")
    traits, [(y, colours)] = _state(view)
    with pytest.raises(TraitError, match=message):
        setattr(view, name, value)
    traits_after, [(y_after, colours_after)] = _state(view)
    assert traits_after == traits and colours_after == colours
    np.testing.assert_array_equal(y_after, y)


@pytest.fixture
def small():
    """A fresh model (its weights get changed), with and without labels."""
    keras.utils.set_random_seed(1)
    ipt = keras.Input((5, 2))
    h = keras.layers.LSTM(3, return_sequences=True, name="lstm")(ipt)
    h = keras.layers.GRU(2, name="gru")(h)
    model = keras.Model(ipt, keras.layers.Dense(1, name="dense")(h))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(1)
    return (model, rng.standard_normal((3, 5, 2)).astype("float32"),
            rng.standard_normal((3, 1)).astype("float32"))


def test_refresh_redraws_both_views_from_one_pass(small):
    model, x, y = small
    insp = Inspector(model, x, y)
    lines = Features1D(insp, "lstm", mode="gradients")
    points = Features0D(insp, "gru")
    old = lines.view_data()[0].copy()
    for variable in model.get_layer("lstm").trainable_variables:
        variable.assign(variable.numpy() * 2)
    before = insp.compute_count
    insp.refresh()
    assert insp.compute_count == before + 1
    check_1d(lines, expected_1d(insp, "lstm", "gradients", "all", "both", [0, 1, 2]))
    check_0d(points, expected_0d(insp, "gru", "outputs", "both"))
    assert not np.array_equal(lines.view_data()[0], old)


def test_gradients_without_labels_are_refused_before_computing(small):
    model, x, _ = small
    insp = Inspector(model, x)
    with pytest.raises(TraitError, match="needs labels.*'outputs'"):
        Features1D(insp, "lstm", mode="gradients")
    view = Features0D(insp, "gru")
    with pytest.raises(TraitError, match="needs labels"):
        view.mode = "gradients"
    assert view.mode == "outputs" and insp.compute_count == 1
