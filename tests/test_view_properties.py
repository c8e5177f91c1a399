"""The README's promises for every view, under random control sequences:
a refused value raises TraitError and leaves the view's controls and
`view_data()` exactly as they were; `insp.refresh()` (and so `model.fit`
with LiveRefresh) keeps working whatever was refused; controls offer only
what the layer supports; closing releases every widget."""
import keras
import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances
from traitlets import TraitError

from seernn_widgets import (
    Explorer,
    Features0D,
    Features1D,
    Features2D,
    GradientFlow,
    Inspector,
    LayerHealth,
    LiveRefresh,
    RNNHeatmap,
    RNNHistogram,
    WeightNorms,
)
from seernn_widgets.views._base import Kind

BATCH, STEPS = 6, 7
VIEWS = (Features2D, Features1D, Features0D, RNNHistogram, RNNHeatmap, WeightNorms, Explorer,
         GradientFlow, LayerHealth)


def zoo_model(compiled=True):
    """Conv1D (3-D kernel) -> Masking -> LSTM -> Bidirectional(GRU) -> frozen
    LSTM -> weightless Activation -> LSTM(return_state=True) -> Dense on its
    state: 'enc' (sequence) and 'enc[2]' (cell state) do not reach the loss."""
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.Conv1D(3, 2, padding="same", name="conv")(ipt)
    h = keras.layers.Masking(name="mask")(h)
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(h)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), name="bigru")(h)
    frozen = keras.layers.LSTM(3, return_sequences=True, name="frozen")
    frozen.trainable = False
    h = keras.layers.Activation("tanh", name="act")(frozen(h))
    _, state_h, _ = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="enc")(h)
    model = keras.Model(ipt, keras.layers.Dense(2, name="dense")(state_h), name="zoo")
    if compiled:
        model.compile(keras.optimizers.Adam(1e-2), "mse")
    return model


def zoo_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, 3)).astype("float32")
    x[1, -2:] = 0.0                                  # masked timesteps
    return x, rng.standard_normal((BATCH, 2)).astype("float32")


@pytest.fixture(scope="module")
def trained():
    """One model for the module: its passes and train step are traced once."""
    keras.utils.set_random_seed(1)
    return zoo_model(), *zoo_data()


@pytest.fixture
def zoo(trained):
    model, x, y = trained
    return model, x, y, Inspector(model, x, y, history=3)


def control_names(view):
    return ["layer", "what"] if isinstance(view, Explorer) else [*view.controls, "step"]


def snapshot(view):
    """What must not change when a value is refused."""
    state = {name: getattr(view, name) for name in control_names(view)}
    return {k: list(v) if isinstance(v, list) else v for k, v in state.items()}, view.view_data()


def assert_same(a, b, where="view_data"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)) and not np.isscalar(a):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{k}]")
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


def assert_refused(view, **values):
    """Each value raises TraitError and changes nothing."""
    for name, value in values.items():
        state, data = snapshot(view)
        with pytest.raises(TraitError):
            setattr(view, name, value)
        assert snapshot(view)[0] == state, name
        assert_same(view.view_data(), data)


def assert_controls_show_state(view):
    """Every dropdown shows the view's value among the choices it offers."""
    inner = view.view if isinstance(view, Explorer) else view
    for name, control in inner.control_widgets.items():
        if hasattr(control, "options") and name in control_names(inner):
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            shown = getattr(inner, name)
            shown = "latest" if name == "step" and shown is None else shown
            if name != "sample":
                assert control.value == shown and shown in values, (view, name)
    if "norm_auto" in inner.control_widgets:   # the norm's dropdown: its choice, or 'manual'
        shown = inner.norm if isinstance(inner.norm, str) else "manual"
        assert inner.control_widgets["norm_auto"].value == shown, view


# -- the cases of issue 10, one by one ----------------------------------------------
def test_refused_values_leave_each_view_as_it_was_and_fit_keeps_training(zoo):
    model, x, y, insp = zoo
    f2 = Features2D(insp, "conv", mode="weights")
    heat = RNNHeatmap(insp, "lstm", mode="gradients")
    hist = RNNHistogram(insp, "bigru", mode="gradients", direction="backward", gate="r")
    assert_refused(f2, layer="lstm")                     # no 3-D kernel: stays on conv/weights
    f2.mode = "outputs"
    f2.layer = "mask"
    assert_refused(f2, mode="weights")                   # a weightless layer
    assert_refused(f2, layer="enc[2]", sample=BATCH, norm=(1, -1))
    f2.layer = "enc"
    assert_refused(f2, mode="gradients")                 # 'enc' does not reach the loss
    assert_refused(heat, layer="frozen")                 # frozen, in gradients mode
    assert_refused(hist, layer="frozen", gate="i", direction="sideways")
    plain = Inspector(model, x, y)
    old = Features2D(plain, "lstm")                      # asks for no gradients
    for _ in range(2):
        model.train_on_batch(x, y)
        insp.refresh()
        plain.refresh()
    old.step = plain.history.steps[0]                    # recorded without gradients
    assert_refused(old, mode="gradients")
    model.fit(x, y, epochs=2, batch_size=2, verbose=0,
              callbacks=[LiveRefresh(insp, every_n_batches=1, min_interval_s=0)])
    for view in (f2, heat, hist, old):
        assert view.message.layout.display == "none", view.message.value
    np.testing.assert_array_equal(heat.view_data()["recurrent"],
                                  insp.rnn("lstm", "gradients").arrays[("forward", "recurrent")])
    assert (hist.direction, hist.gate) == ("backward", "r")


def test_gradients_of_an_uncompiled_model_are_refused(rng):
    model = zoo_model(compiled=False)
    x, y = zoo_data()
    insp = Inspector(model, x, y)
    view = Features2D(insp, "lstm")
    assert view.control_widgets["mode"].options == ("outputs", "gates")
    assert_refused(view, mode="gradients")
    heat = RNNHeatmap(insp, "lstm")
    assert heat.control_widgets["mode"].options == ("weights",)
    assert_refused(heat, mode="gradients")
    insp.refresh()


def test_a_value_refused_from_the_page_puts_the_control_back_and_says_why(zoo):
    model, x, y, insp = zoo
    view = Features2D(insp, "lstm")
    for _ in range(2):
        model.train_on_batch(x, y)
        insp.refresh()
    view.step = insp.history.steps[0]                    # recorded without gradients
    before = view.view_data()
    mode = view.control_widgets["mode"]
    assert "gradients" in mode.options
    mode.value = "gradients"                             # what the dropdown does
    assert view.mode == mode.value == "outputs"
    assert view.message.layout.display is None and f"step {view.step}" in view.message.value
    np.testing.assert_array_equal(view.view_data(), before)
    view.control_widgets["step"].value = "latest"        # the next good change clears it
    assert view.message.layout.display == "none"
    mode.value = "gradients"
    assert view.mode == "gradients"


def test_a_redraw_that_fails_on_refresh_is_shown_not_raised(zoo, monkeypatch):
    model, x, y, insp = zoo
    view = Features2D(insp, "lstm")
    monkeypatch.setattr(view, "_redraw", lambda changed: 1 / 0)
    model.fit(x, y, epochs=1, batch_size=2, verbose=0,
              callbacks=[LiveRefresh(insp, every_n_batches=1, min_interval_s=0)])
    assert "division by zero" in view.message.value
    monkeypatch.undo()
    insp.refresh()
    assert view.message.layout.display == "none"


def test_a_change_that_fails_to_draw_after_its_check_is_undone(zoo, monkeypatch):
    _, _, _, insp = zoo
    view = RNNHeatmap(insp, "bigru", direction="backward")
    state, data = snapshot(view)
    redraw = view._redraw

    def fails_on_slice(kinds):
        if kinds == {Kind.SLICE}:   # gate and direction
            raise RuntimeError("the figure broke")
        redraw(kinds)

    monkeypatch.setattr(view, "_redraw", fails_on_slice)
    with pytest.raises(TraitError, match="the figure broke"):
        view.set_controls(gate="r", direction="forward")
    assert snapshot(view)[0] == state
    assert_same(view.view_data(), data)
    np.testing.assert_array_equal(view.heatmaps["recurrent"].mark.image, data["recurrent"])


# -- controls offer what the layer supports -------------------------------------------
def test_controls_offer_only_what_the_layer_supports(zoo):
    _, _, _, insp = zoo
    f2 = Features2D(insp, "conv")
    assert f2.control_widgets["mode"].options == ("outputs", "gradients", "weights")
    f2.layer = "enc"            # return_state: its sequence, which does not reach the loss
    assert f2.control_widgets["mode"].options == ("outputs", "gates")
    assert "enc" in f2.control_widgets["layer"].options
    assert f2.control_widgets["direction"].layout.display == "none"
    f2.layer = "bigru"
    assert f2.control_widgets["direction"].options == ("both", "forward", "backward")
    f0 = Features0D(insp, "enc[1]")                      # a state entry, 2-D
    assert {"enc[1]", "enc[2]", "dense"} <= set(f0.control_widgets["layer"].options)
    np.testing.assert_array_equal(f0.view_data(), insp.outputs("enc[1]"))
    heat = RNNHeatmap(insp, "frozen")
    assert heat.control_widgets["mode"].options == ("weights",)
    heat.layer = "bigru"
    assert heat.control_widgets["mode"].options == ("weights", "gradients")
    assert heat.control_widgets["gate"].options == ("all", "z", "r", "h")
    assert heat.control_widgets["layer"].options == ("lstm", "bigru", "frozen", "enc")
    ex = Explorer(insp, "frozen")
    assert ex._what_menu.options == ("outputs", "output-gradients", "weights", "gates",
                                     "gradient-flow", "layer-health")
    with pytest.raises(TraitError, match="frozen|can show"):
        ex.what = "weight-gradients"
    ex.layer = "act"
    assert ex._what_menu.options == ("outputs", "output-gradients", "gradient-flow",
                                     "layer-health")
    ex.layer = "enc[1]"
    assert isinstance(ex.view, Features0D)
    ex.what = "weights"
    assert isinstance(ex.view, RNNHeatmap) and ex.view.layer == "enc"


def test_every_entry_of_a_multi_output_model_is_shown_where_its_rank_fits(zoo):
    _, _, _, insp = zoo
    assert Features2D(insp).layer_choices() == ["conv", "mask", "lstm", "bigru", "frozen",
                                                "act", "enc"]
    assert Features0D(insp).layer_choices() == ["enc[1]", "enc[2]", "dense"]
    for cls in (Features2D, Features1D, Features0D):
        for layer in cls(insp).layer_choices():
            view = cls(insp, layer)
            assert_same(view.view_data(), cls(insp, **view.control_state()).view_data())
            view.close()


def test_rnn_views_refuse_a_bidirectional_of_two_layouts(rng):
    ipt = keras.Input((5, 2))
    layer = keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=True),
        backward_layer=keras.layers.GRU(3, return_sequences=True, go_backwards=True), name="mix")
    model = keras.Model(ipt, keras.layers.LSTM(2, name="tail")(layer(ipt)))
    insp = Inspector(model, rng.standard_normal((3, 5, 2)).astype("float32"))
    for cls in (RNNHeatmap, RNNHistogram):
        with pytest.raises(TraitError, match=r"LSTM\(3\).*GRU\(3\)"):
            cls(insp, "mix")
        view = cls(insp)
        assert view.layer == "tail" and view.control_widgets["layer"].options == ("tail",)
        assert_refused(view, layer="mix")
    Features2D(insp, "mix", direction="backward")        # outputs split by units: fine


# -- closing ------------------------------------------------------------------------------
def test_closing_views_releases_every_widget_and_stops_redraws(zoo):
    model, x, y, insp = zoo
    listeners = list(insp._listeners)
    baseline = len(_instances)
    made = [cls(insp) for _ in range(2) for cls in VIEWS] + [Explorer(insp, "lstm")]
    assert len(made) == 2 * len(VIEWS) + 1
    made[0].sample = 2
    made[-1].what = "output-gradients"                  # an Explorer replaced its view
    for cls, layer in [(Features2D, "dense"), (RNNHeatmap, "mix"), (Explorer, "nope"),
                       (Features1D, "enc[1]"), (WeightNorms, "act")]:
        with pytest.raises((TraitError, ValueError)):   # refused: leaves no widget behind
            cls(insp, layer)
    made[-1].layer = "enc"      # no output-gradient there: the Explorer shows its outputs
    assert made[-1].what == "outputs"
    inner = [v.view for v in made if isinstance(v, Explorer)]
    model.train_on_batch(x, y)
    insp.refresh()
    assert len(_instances) > baseline
    for view in made:
        view.close()
    assert len(_instances) == baseline
    assert insp._listeners == listeners
    redrawn = []
    for view in made + inner:
        if hasattr(view, "_redraw"):
            view._redraw = lambda changed, view=view: redrawn.append(view)
    insp.refresh()
    assert redrawn == []


# -- random sequences ---------------------------------------------------------------------
CANDIDATES = {
    "layer": ["conv", "mask", "lstm", "bigru", "frozen", "act", "enc", "enc[1]", "enc[2]",
              "dense", "nope", 99, None],
    "mode": ["outputs", "gradients", "weights", "gates", "bogus", None],
    "what": ["outputs", "output-gradients", "weights", "weight-gradients", "gates",
             "gradient-flow", "layer-health", "nope"],
    "sample": [0, 1, BATCH - 1, BATCH, -1, "all", 2.5, None, True],
    "direction": ["both", "forward", "backward", "sideways", None],
    "gate": ["all", "i", "f", "c", "o", "z", "r", "h", "q", None],
    "norm": [None, (-1, 1), (0, 0.5), (1, -1), "x", (1, 2, 3), "auto", "sample", "kernel",
             "robust", "manual", (1, 1), (0, float("nan"))],
    "colour_scale": ["linear", "symlog", "log", None],
    "reflect_half": [True, False, "yes"],
    "timesteps_xaxis": [True, False],
    "share_xy": [True, False],
    "bias": [True, False],
    "absolute_value": [True, False, None],
    "time_resolution": [1, 3, 1024, 0, -5, "x"],
    "channels": [[0], [0, 1], [1, 0, 2], [], [99], [0, 0], "x", None],
    "n_rows": [1, 2, 3, 0],
    "equate_axes": [0, 1, 2, 3, True],
    "bins": [1, 7, 50, 0, 2.5, None],
    "resolution": [(2, 3), (256, 1024), (0, 1), (4,)],
    "step": [None, *range(40), 999],
    "scale": ["log", "linear", "symlog", None],
    "edge": [0.1, 0.5, 0, 0.6, True, "x"],
    "dead_below": [0, 1e-6, 0.5, -1, "x"],
    "saturated_beyond": [0.05, 0.2, 0, 0.5, -0.1],
    "exploding_above": [1.0, 1e-3, float("inf"), 0, -1],
}


def random_step(rng, views, model, x, y, insp, counts):
    """One random action; asserts the promises after it."""
    roll = rng.random()
    if roll < 0.06:
        model.train_on_batch(x, y)
        insp.refresh()          # must never raise, whatever was refused before
        counts["refreshes"] += 1
        return
    if roll < 0.1:
        insp.refresh()
        counts["refreshes"] += 1
        return
    view = views[rng.integers(len(views))]
    if roll < 0.13:   # a title of the user's, or automatic again
        view.title = ["", "my title"][rng.integers(2)]
        assert_labels_tell_the_state(view)
        return
    name = control_names(view)[rng.integers(len(control_names(view)))]
    value = CANDIDATES[name][rng.integers(len(CANDIDATES[name]))]
    state, data = snapshot(view)
    try:
        setattr(view, name, value)
    except TraitError:
        counts["refused"] += 1
        assert snapshot(view)[0] == state, (view, name, value)
        assert_same(view.view_data(), data, f"{view!r}.{name}={value!r}")
        # what refresh() asks of the view, without a new pass (real refreshes
        # come at random): it redraws without complaint
        inner = view.view if isinstance(view, Explorer) else view
        inner._on_refresh(insp)
        assert inner.message.layout.display == "none", inner.message.value
    else:
        counts["accepted"] += 1
        moved = name in ("layer", "mode") and getattr(view, name) != state[name]
        if moved and hasattr(view, "NORMS"):   # a hand-set colour range never carries over
            assert not isinstance(view.norm, tuple), (view, name, value, view.norm)
    assert_controls_show_state(view)
    assert_labels_tell_the_state(view)


def assert_labels_tell_the_state(view):
    """reflect_half only where it applies; the title is the one the page is
    sent for this state, and names a past step when one is shown."""
    inner = view.view if isinstance(view, Explorer) else view
    if isinstance(inner, Features2D):
        assert not inner.reflect_half or inner.reflect_allowed(), inner
        title = inner.heatmap.figure.title
        key = f"{inner.direction}/{int(inner.reflect_half)}"
        assert title == inner.slicer.state["titles"][key][inner.sample]
        assert (f" - step {inner.step}" in title) == (inner.step is not None), title
        assert title.startswith(inner.title or inner.heading())


def test_random_control_sequences_keep_every_promise(zoo):
    model, x, y, insp = zoo
    views = [cls(insp) for cls in VIEWS] + [Features2D(insp, "bigru", mode="gradients"),
                                            Features2D(insp, "lstm", mode="gates"),
                                            RNNHeatmap(insp, "bigru", mode="gradients"),
                                            Features1D(insp, "enc"), Explorer(insp, "frozen")]
    rng = np.random.default_rng(10)
    counts = {"accepted": 0, "refused": 0, "refreshes": 0}
    for _ in range(400):
        random_step(rng, views, model, x, y, insp, counts)
    insp.refresh()
    for view in views:
        assert view.view_data() is not None
        inner = view.view if isinstance(view, Explorer) else view
        assert inner.message.layout.display == "none", (view, inner.message.value)
    assert min(counts.values()) >= 30, counts
    model.fit(x, y, epochs=1, batch_size=2, verbose=0,
              callbacks=[LiveRefresh(insp, every_n_batches=1, min_interval_s=0)])


def test_random_values_from_the_page_never_escape_and_the_controls_follow(zoo):
    model, x, y, insp = zoo
    views = [Features2D(insp, "lstm"), RNNHeatmap(insp, "bigru"), Features1D(insp, "bigru")]
    rng = np.random.default_rng(11)
    for k in range(150):
        if k % 25 == 0:
            model.train_on_batch(x, y)
            insp.refresh()
        view = views[rng.integers(len(views))]
        names = [n for n, c in view.control_widgets.items() if hasattr(c, "options")]
        name = names[rng.integers(len(names))]
        control = view.control_widgets[name]
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        state, data = snapshot(view)
        control.value = options[rng.integers(len(options))]   # never raises into the page
        if snapshot(view)[0] == state:
            assert_same(view.view_data(), data)
        assert_controls_show_state(view)
