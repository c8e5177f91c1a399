"""LayerHealth: dead units, exploding output-gradients and saturated gates
equal NumPy on the inspector's arrays; planted dead units and a planted
saturated gate are reported; masked timesteps are left out; a gradient that
does not exist is None ('n/a'), never 0; refused thresholds change nothing."""
import re

import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views.health import LayerHealth

BATCH, STEPS = 6, 7
SIGMOID, TANH = ("sigmoid", "hard_sigmoid"), ("tanh", "hard_tanh")


# -- models ---------------------------------------------------------------------------
def mixed_model():
    """Masking -> LSTM -> Bidirectional(GRU) -> LSTM(return_state) -> Dense(relu)
    on its state: 'enc' (the sequence) and 'enc[2]' (cell state) do not reach
    the loss."""
    keras.utils.set_random_seed(3)
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.Masking(name="mask")(ipt)
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(h)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), name="bigru")(h)
    _, state_h, _ = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="enc")(h)
    out = keras.layers.Dense(2, activation="relu", name="dense")(state_h)
    model = keras.Model(ipt, out, name="mixed")
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    return model


def mixed_data():
    rng = np.random.default_rng(3)
    x = (3 * rng.standard_normal((BATCH, STEPS, 3))).astype("float32")
    x[1, -3:] = 0.0                                  # masked timesteps
    x[4, -1:] = 0.0
    return x, rng.standard_normal((BATCH, 2)).astype("float32")


def planted_model():
    """Masking -> Dense 'pre' (unit 0 alive only where the input is masked)
    -> LSTM 'lstm' (forget bias +20) -> Bidirectional(LSTM) 'bilstm'
    (forward forget bias +20) -> Dense 'dense' (unit 2 dead: kernel column 0,
    bias -1; the others' bias 5 keeps them alive)."""
    keras.utils.set_random_seed(4)
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.Masking(name="mask")(ipt)
    pre = keras.layers.Dense(4, activation="relu", name="pre")
    lstm = keras.layers.LSTM(4, return_sequences=True, name="lstm")
    bi = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="bilstm")
    dense = keras.layers.Dense(5, activation="relu", name="dense")
    model = keras.Model(ipt, dense(bi(lstm(pre(h)))), name="planted")
    model.compile(keras.optimizers.SGD(1e-3), "mse")
    kernel, bias = pre.get_weights()
    kernel = np.abs(kernel)
    kernel[:, 0], bias[:] = -100.0, 0.0
    bias[0] = 1.0                                    # relu(1 - 100 * sum(x)) > 0 only at x = 0
    pre.set_weights([kernel, bias])
    kernel, recurrent, bias = lstm.get_weights()
    bias[4:8] = 20.0                                 # gates i, f, c, o: f saturated open
    lstm.set_weights([kernel, recurrent, bias])
    forward = bi.forward_layer.cell
    forward.bias.assign(np.concatenate([np.zeros(3), np.full(3, 20.0), np.zeros(6)]))
    return model


def planted_data():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 1.0, (BATCH, STEPS, 3)).astype("float32")
    x[1, -2:] = 0.0
    x[3, -4:] = 0.0
    return x, rng.standard_normal((BATCH, STEPS, 5)).astype("float32")


def plant_dead_unit(model, unit=2):
    dense = model.get_layer("dense")
    kernel, bias = dense.get_weights()
    kernel[:, unit], bias[:], bias[unit] = 0.0, 5.0, -1.0
    dense.set_weights([kernel, bias])


@pytest.fixture(scope="module")
def mixed():
    model = mixed_model()
    x, y = mixed_data()
    return model, x, y, Inspector(model, x, y, history=3)


@pytest.fixture(scope="module")
def planted():
    model = planted_model()
    plant_dead_unit(model)
    x, y = planted_data()
    return model, x, y, Inspector(model, x, y)


# -- NumPy, one unit / one value at a time -------------------------------------------------
def kept_of(array, mask):
    """(samples, timesteps) kept mask for a 3-D array, all True otherwise."""
    if mask is None or array.ndim != 3 or mask.shape != array.shape[:2]:
        return np.ones(array.shape[:2] if array.ndim == 3 else array.shape[:1], bool)
    return mask


def numpy_dead(outputs, mask, dead_below):
    kept = kept_of(outputs, mask)
    dead = 0
    for u in range(outputs.shape[-1]):
        values = outputs[..., u][kept]
        dead += bool(np.max(np.abs(values)) <= dead_below)
    return dead / outputs.shape[-1]


def numpy_exploding(gradients, mask, above):
    kept = kept_of(gradients, mask)
    values = gradients[kept].ravel()
    return sum(1 for v in values if not np.isfinite(v) or abs(v) > above) / values.size


def numpy_saturated(values, function, mask, s):
    kept = kept_of(values, mask) if mask is not None else np.ones(values.shape[:2], bool)
    flat = values[kept].ravel()
    if function in SIGMOID:
        return sum(1 for v in flat if v < s or v > 1 - s) / flat.size
    assert function in TANH
    return sum(1 for v in flat if abs(v) > 1 - s) / flat.size


def expected(insp, dead_below, saturated_beyond, exploding_above, step=None):
    out = {}
    for name in insp.layer_names:
        outputs = insp.outputs(name, step=step)
        mask = insp.mask(name, step)
        exploding = None
        if insp.has_labels and insp.reaches_loss(name):
            exploding = numpy_exploding(insp.gradients(name, step=step), mask, exploding_above)
        saturated = {}
        info = insp.rnn_info(name)
        if info is not None and not name.endswith("]"):
            functions = insp.gate_functions(name)
            gate_mask = insp.gates_mask(name, step)
            for gate, values in insp.gates(name, step=step).items():
                saturated[gate] = numpy_saturated(values, functions[gate], gate_mask,
                                                  saturated_beyond)
        out[name] = {"dead": numpy_dead(outputs, mask, dead_below), "exploding": exploding,
                     "saturated": saturated}
    return out


def assert_health_equal(got, want):
    assert list(got) == list(want)
    for name in want:
        assert got[name]["dead"] == pytest.approx(want[name]["dead"], abs=0), name
        if want[name]["exploding"] is None:
            assert got[name]["exploding"] is None, name
        else:
            assert got[name]["exploding"] == pytest.approx(want[name]["exploding"], abs=0), name
        assert got[name]["saturated"] == pytest.approx(want[name]["saturated"], abs=0), name


def table_row(view, layer):
    """The table row of `layer`, as text (tags dropped)."""
    row = re.search(rf'<tr[^>]*data-layer="{re.escape(layer)}">(.*?)</tr>', view.table.value)
    assert row, layer
    return re.sub(r"<[^>]+>", " ", row.group(1))


# -- tests ------------------------------------------------------------------------------
def test_numbers_equal_numpy_on_the_inspectors_arrays(mixed):
    _, _, _, insp = mixed
    # thresholds that split each layer: the fractions are neither all 0 nor all 1
    thresholds = {"dead_below": 0.05, "saturated_beyond": 0.3, "exploding_above": 1e-3}
    view = LayerHealth(insp, **thresholds)
    got = view.view_data()
    want = expected(insp, **thresholds)
    assert_health_equal(got, want)
    assert list(got) == ["mask", "lstm", "bigru", "enc", "enc[1]", "enc[2]", "dense"]
    assert set(got["lstm"]["saturated"]) == {"i", "f", "c", "o"}
    assert set(got["bigru"]["saturated"]) == {"z", "r", "h"}   # both directions pooled
    assert got["dense"]["saturated"] == {} and got["enc[1]"]["saturated"] == {}
    fractions = [v for h in got.values() for v in (h["dead"], h["exploding"],
                                                  *h["saturated"].values()) if v is not None]
    assert any(0 < v < 1 for v in fractions)
    assert any(0 < h["exploding"] < 1 for h in got.values() if h["exploding"] is not None)
    # masked timesteps left out: counting them gives other numbers for this batch
    unmasked = {name: numpy_exploding(insp.gradients(name), None, 1e-3)
                for name in ("lstm", "bigru")}
    assert any(unmasked[n] != got[n]["exploding"] for n in unmasked)
    lstm_gates = insp.gates("lstm")
    unmasked_gates = {g: numpy_saturated(v, insp.gate_functions("lstm")[g], None, 0.3)
                      for g, v in lstm_gates.items()}
    assert insp.gates_mask("lstm") is not None
    assert unmasked_gates != got["lstm"]["saturated"]


def test_a_pooled_bidirectional_gate_counts_both_directions(planted):
    _, _, _, insp = planted
    view = LayerHealth(insp)
    f = view.view_data()["bilstm"]["saturated"]["f"]
    mask = insp.gates_mask("bilstm")
    forward = numpy_saturated(insp.gates("bilstm", "forward")["f"], "sigmoid", mask, 0.05)
    backward = numpy_saturated(insp.gates("bilstm", "backward")["f"], "sigmoid", mask, 0.05)
    assert forward == 1.0 and backward < 1.0
    assert f == pytest.approx((forward + backward) / 2, abs=1e-15)   # same units each way


def test_a_planted_dead_unit_is_reported_and_the_rest_is_not(planted):
    _, _, _, insp = planted
    view = LayerHealth(insp)
    data = view.view_data()
    assert data["dense"]["dead"] == 1 / 5
    assert "20.0%" in table_row(view, "dense") and "(1 of 5)" in table_row(view, "dense")
    assert "dead units in" in view.title_line.value and "dense" in view.title_line.value


def test_masked_timesteps_are_left_out_of_dead_units(planted):
    _, _, _, insp = planted
    assert insp.mask("pre") is not None
    outputs = insp.outputs("pre")
    assert outputs[..., 0].max() == 1.0                     # alive at the masked timesteps
    assert outputs[..., 0][insp.mask("pre")].max() == 0.0   # and only there
    assert LayerHealth(insp).view_data()["pre"]["dead"] == 1 / 4


def test_a_planted_saturated_forget_gate_is_reported_alone(planted):
    _, _, _, insp = planted
    view = LayerHealth(insp)
    saturated = view.view_data()["lstm"]["saturated"]
    assert saturated["f"] == 1.0
    assert all(saturated[g] < 0.5 for g in ("i", "c", "o")), saturated
    assert "f 100.0%" in table_row(view, "lstm")
    assert "seernn-health-alarm" in view.table.value


def test_refresh_redraws_with_the_new_weights(planted):
    model, _, _, insp = planted
    view = LayerHealth(insp, layer="dense")
    assert view.view_data()["dense"]["dead"] == 1 / 5
    dense = model.get_layer("dense")
    before = dense.get_weights()
    try:
        kernel, bias = dense.get_weights()
        kernel[:, 4], bias[4] = 0.0, -1.0
        dense.set_weights([kernel, bias])
        insp.refresh()
        assert view.view_data()["dense"]["dead"] == 2 / 5
        assert "40.0%" in table_row(view, "dense") and "(2 of 5)" in table_row(view, "dense")
    finally:
        dense.set_weights(before)
        insp.refresh()
    assert view.view_data()["dense"]["dead"] == 1 / 5


def test_no_gradient_is_none_and_shown_as_na_never_zero(mixed):
    model, x, _, insp = mixed
    view = LayerHealth(insp)
    data = view.view_data()
    for name in ("enc", "enc[2]"):
        assert not insp.reaches_loss(name)
        assert data[name]["exploding"] is None
        assert "n/a" in table_row(view, name)
    assert data["lstm"]["exploding"] == 0.0 and "n/a" not in table_row(view, "lstm")
    unlabelled = LayerHealth(Inspector(model, x))
    assert all(h["exploding"] is None for h in unlabelled.view_data().values())
    assert "does not reach the loss" in view.table.value
    assert "no labels" in unlabelled.table.value


def test_nan_and_inf_gradients_count_as_exploding():
    from seernn_widgets.views.health import exploding_values
    grads = np.array([[0.1, np.nan], [np.inf, -2.0]], np.float32)
    assert exploding_values(grads, None, 1.0) == (3, 4)
    assert exploding_values(grads, None, np.inf) == (2, 4)


def test_thresholds_refused_leave_the_view_as_it_was(mixed):
    _, _, _, insp = mixed
    view = LayerHealth(insp, layer="lstm")
    before = view.view_data()
    for name, value in [("dead_below", -1e-3), ("dead_below", float("nan")),
                        ("saturated_beyond", 0.5), ("saturated_beyond", 0.0),
                        ("saturated_beyond", -0.1), ("exploding_above", -1.0),
                        ("exploding_above", 0.0), ("dead_below", True), ("dead_below", "1e-3"),
                        ("layer", "nope"), ("mode", "outputs")]:
        state = view.control_state()
        with pytest.raises(TraitError) as refused:
            setattr(view, name, value)
        if name in ("dead_below", "saturated_beyond", "exploding_above"):
            assert name in str(refused.value)
        assert view.control_state() == state
        assert view.view_data() == before
        assert view.control_widgets["saturated_beyond"].value == 0.05
    with pytest.raises(TraitError, match="strictly between 0 and 0.5"):
        view.set_controls(dead_below=1.0, saturated_beyond=0.7)   # all or nothing
    assert view.dead_below == 1e-6
    with pytest.raises(TraitError, match="dead_below must be a finite number >= 0"):
        LayerHealth(insp, dead_below=-1)
    view.control_widgets["saturated_beyond"].value = 0.9          # from the page
    assert view.saturated_beyond == 0.05 and "0.5" in view.message.value
    assert view.control_widgets["saturated_beyond"].value == 0.05
    view.set_controls(dead_below=1e6, exploding_above=np.float32(1e-9))
    everything = view.view_data()
    assert all(h["dead"] == 1.0 for h in everything.values())
    assert_health_equal(everything, expected(insp, 1e6, 0.05, 1e-9))
    view.dead_below = 1e-6
    view.exploding_above = 1.0
    assert view.view_data() == before


def test_history_over_steps_equals_each_step(mixed):
    model, _, _, insp = mixed
    view = LayerHealth(insp, layer="lstm", saturated_beyond=0.3, exploding_above=1e-3)
    lstm = model.get_layer("lstm")
    before = lstm.get_weights()
    try:
        for _ in range(2):   # a training step, without tracing one: a new step, new weights
            model.optimizer.iterations.assign_add(1)
            kernel, *rest = lstm.get_weights()
            lstm.set_weights([1.5 * kernel, *rest])
            insp.refresh()
        steps = insp.history.steps
        assert len(steps) == 3
        history = view.history()
        assert history["steps"] == steps
        for k, step in enumerate(steps):
            view.step = step
            at = view.view_data()
            assert_health_equal(at, expected(insp, 1e-6, 0.3, 1e-3, step=step))
            assert history["dead"][k] == at["lstm"]["dead"]
            assert history["exploding"][k] == at["lstm"]["exploding"]
            assert {g: v[k] for g, v in history["saturated"].items()} == at["lstm"]["saturated"]
            assert f"step {step}" in view.title_line.value
        assert len(set(history["saturated"]["i"])) == 3   # each step its own numbers
        drawn = dict(zip(view.lines.labels, view.lines.y))
        np.testing.assert_array_equal(drawn["exploding"], history["exploding"])
        np.testing.assert_array_equal(drawn["saturated i"], history["saturated"]["i"])
        np.testing.assert_array_equal(view.lines.x, steps)
        assert view.figure.layout.display is None
        assert view.step_rule.visible and list(view.step_rule.x) == [steps[-1]] * 2
        assert view.history("enc")["exploding"] == [None] * 3
        view.layer = "enc"
        assert "exploding" not in view.lines.labels and "exploding: n/a" in view.legend.value
    finally:
        lstm.set_weights(before)


def test_a_subclassed_models_gates_are_na_with_the_reason(caplog):
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.LSTM(3, return_sequences=True, name="sub_lstm")

        def call(self, x):
            return self.rnn(x)

    model = Sub()
    x = np.random.default_rng(0).standard_normal((2, 4, 2)).astype("float32")
    model(x)
    view = LayerHealth(Inspector(model, x))
    health = view.health()["sub_lstm"]
    assert health.saturated == {"i": None, "f": None, "c": None, "o": None}
    assert all("functional graph" in health.why[gate] for gate in "ifco")
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
