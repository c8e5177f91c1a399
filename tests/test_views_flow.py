"""GradientFlow: per-timestep mean |dLoss/d(output)| of every sequence layer,
checked against NumPy on the inspector's arrays and against a GradientTape of
our own; masks, skipped layers, history and the verdict."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from traitlets import TraitError

from seernn_widgets import Inspector, NoGradientError
from seernn_widgets.views.flow import GradientFlow, format_ratio

STEPS = 10


def numpy_flow(grad, kept=None):
    """Independent of flow.py: a loop over timesteps."""
    grad = np.abs(np.asarray(grad, np.float64))
    out = np.full(grad.shape[1], np.nan)
    for t in range(grad.shape[1]):
        rows = range(grad.shape[0]) if kept is None else np.flatnonzero(kept[:, t])
        if len(rows):
            out[t] = np.mean([grad[s, t].mean() for s in rows])
    return out


def numpy_ratio(flow, edge=0.1):
    k = max(1, int(edge * len(flow) + 1e-9))
    return np.nanmean(flow[:k]) / np.nanmean(flow[-k:])


@pytest.fixture(scope="module")
def stack():
    """LSTM -> LSTM -> Dense per timestep, mse on a (samples, timesteps, 2) target."""
    keras.utils.set_random_seed(3)
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.LSTM(6, return_sequences=True, name="lstm1")(ipt)
    h = keras.layers.LSTM(5, return_sequences=True, name="lstm2")(h)
    model = keras.Model(ipt, keras.layers.Dense(2, name="dense")(h))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, STEPS, 3)).astype("float32")
    y = rng.standard_normal((5, STEPS, 2)).astype("float32")
    return model, x, y


def tape_gradients(model, x, y):
    """dLoss/d(lstm1 output), dLoss/d(lstm2 output), dLoss/d(dense output),
    each by a tape watching that tensor, the layers called by hand."""
    lstm1, lstm2, dense = (model.get_layer(n) for n in ("lstm1", "lstm2", "dense"))
    h1 = lstm1(tf.constant(x))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(h1)
        h2 = lstm2(h1)
        tape.watch(h2)
        out = dense(h2)
        tape.watch(out)
        loss = tf.reduce_mean(tf.square(tf.constant(y) - out))   # 'mse', sum_over_batch_size
    return {"lstm1": tape.gradient(loss, h1).numpy(), "lstm2": tape.gradient(loss, h2).numpy(),
            "dense": tape.gradient(loss, out).numpy()}


def test_lines_equal_numpy_and_an_independent_tape_in_model_order(stack):
    model, x, y = stack
    insp = Inspector(model, x, y)
    view = GradientFlow(insp)
    data = view.view_data()
    assert list(data) == ["lstm1", "lstm2", "dense"]
    tape = tape_gradients(model, x, y)
    for name, flow in data.items():
        assert flow.shape == (STEPS,)
        np.testing.assert_allclose(flow, numpy_flow(insp.gradients(name)), rtol=1e-12)
        np.testing.assert_allclose(flow, numpy_flow(tape[name]), rtol=1e-4)
    # what is drawn: one line per layer, model order, on a log scale
    marks = view.figure.marks
    assert [m.labels[0] for m in marks] == list(data)
    for mark, flow in zip(marks, data.values()):
        np.testing.assert_array_equal(mark.y, flow)
        np.testing.assert_array_equal(mark.x, np.arange(STEPS))
        assert isinstance(mark.scales["y"], type(view.y_scales["log"]))
    assert view.y_axis.scale is view.y_scales["log"]
    legend = view.legend.value
    assert legend.index("lstm1") < legend.index("lstm2") < legend.index("dense")
    assert "seernn-skipped" not in legend


def test_verdict_is_the_smallest_early_late_ratio(stack):
    model, x, y = stack
    insp = Inspector(model, x, y)
    view = GradientFlow(insp)
    for edge in (0.1, 0.2, 0.5):
        view.edge = edge
        ratios = {n: numpy_ratio(numpy_flow(insp.gradients(n)), edge)
                  for n in ("lstm1", "lstm2", "dense")}
        worst = min(ratios, key=ratios.get)
        name, ratio, text = view.verdict()
        assert (name, ratio) == (worst, pytest.approx(ratios[worst], rel=1e-12)), edge
        assert view.heading().endswith("gradient flow")
        assert view.figure.title == f"{view.heading()}: {worst}: early timesteps get " \
                                    f"{format_ratio(ratios[worst])} of the late gradient"
        assert f"last {edge * 100:g}% of timesteps" in view.legend.value
    assert [format_ratio(r) for r in (1.04e-4, 0.5312, 3.0, 2.5e5)] == \
        ["1e-4", "0.53", "3", "2e+5"]


@pytest.fixture(scope="module")
def trained(stack):
    """A copy of the stack that trains, with an inspector keeping 4 steps."""
    model, x, y = stack
    model = keras.models.clone_model(model)
    model.compile(keras.optimizers.SGD(0.5), "mse")
    return model, x, y, Inspector(model, x, y, history=4)


def test_history_heatmap_rows_are_the_per_step_arrays_and_refresh_redraws(trained):
    model, x, y, insp = trained
    view = GradientFlow(insp, layer="lstm2")
    assert view.history()["steps"] == [0] and view.image.image.shape == (1, STEPS)
    before = view.figure.marks[0].y.copy()
    for _ in range(4):
        model.train_on_batch(x, y)
        insp.refresh()
    steps = insp.history.steps
    assert steps == [1, 2, 3, 4]                      # step 0 evicted (history=4)
    np.testing.assert_array_equal(view.figure.marks[0].y, view.view_data()["lstm1"])
    assert not np.allclose(view.figure.marks[0].y, before)   # redrawn with new numbers
    for layer in ("lstm2", "lstm1"):
        view.layer = layer
        history = view.history()
        assert history["steps"] == steps
        expected = np.stack([numpy_flow(insp.gradients(layer, step=s)) for s in steps])
        np.testing.assert_allclose(history["flow"], expected, rtol=1e-12)
        np.testing.assert_allclose(view.image.image, np.log10(expected), rtol=1e-6)
        assert view.heatmap.title.startswith(f"{layer}: log10 mean")
        labels = view.heat_y_axis.tick_labels
        assert sorted(labels.values(), key=int) == [str(s) for s in steps]
    view.scale = "linear"
    np.testing.assert_allclose(view.image.image, expected.astype(np.float32))
    assert view.y_axis.scale is view.y_scales["linear"]
    # scrubbing: the lines of a past step
    view.step = steps[0]
    for name, flow in view.view_data().items():
        np.testing.assert_allclose(flow, numpy_flow(insp.gradients(name, step=steps[0])),
                                   rtol=1e-12)
    assert " - step 1" in view.figure.title


@pytest.mark.parametrize("masking", ["Masking", "Embedding"])
def test_masked_timesteps_are_left_out_and_a_timestep_nobody_keeps_is_nan(masking):
    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    if masking == "Masking":
        ipt = keras.Input((STEPS, 3))
        h = keras.layers.Masking(0.0, name="pad")(ipt)
        x = rng.standard_normal((4, STEPS, 3)).astype("float32")
        x[0, 6:] = 0.0
        x[:, 3] = 0.0                     # every sample masked at timestep 3
        kept = np.any(x != 0, axis=-1)
    else:
        ipt = keras.Input((STEPS,), dtype="int32")
        h = keras.layers.Embedding(7, 3, mask_zero=True, name="pad")(ipt)
        x = rng.integers(1, 7, (4, STEPS)).astype("int32")
        x[0, 6:] = 0
        x[:, 3] = 0
        kept = x != 0
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(h)
    model = keras.Model(ipt, keras.layers.LSTM(3, name="last")(h))
    model.compile("sgd", "mse")
    insp = Inspector(model, x, rng.standard_normal((4, 3)).astype("float32"))
    view = GradientFlow(insp)
    assert list(view.view_data()) == ["pad", "lstm"]
    for name, flow in view.view_data().items():
        np.testing.assert_array_equal(insp.mask(name), kept)
        np.testing.assert_allclose(flow, numpy_flow(insp.gradients(name), kept), rtol=1e-12)
        assert np.isnan(flow[3]) and np.isfinite(np.delete(flow, 3)).all()
        # the masked sample is left out: with it the mean would differ
        assert not np.allclose(flow[6:], numpy_flow(insp.gradients(name))[6:])
        mark = next(m for m in view.figure.marks if m.labels == [name])
        assert np.isnan(mark.y[3])      # a gap, never 0
    assert math.isfinite(view.verdict()[1])


def test_layers_not_reaching_the_loss_are_skipped_and_named():
    """'enc' (its sequence output unused) has no gradient; 'gb' runs backwards."""
    keras.utils.set_random_seed(5)
    ipt = keras.Input((STEPS, 3))
    h = keras.layers.LSTM(4, return_sequences=True, go_backwards=True, name="gb")(ipt)
    _, state, _ = keras.layers.LSTM(4, return_sequences=True, return_state=True,
                                    name="enc")(h)
    model = keras.Model(ipt, keras.layers.Dense(2, name="dense")(state))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(5)
    insp = Inspector(model, rng.standard_normal((4, STEPS, 3)).astype("float32"),
                     rng.standard_normal((4, 2)).astype("float32"))
    with pytest.raises(NoGradientError):
        insp.gradients("enc")
    view = GradientFlow(insp)
    assert list(view.view_data()) == ["gb"]
    assert [m.labels for m in view.figure.marks] == [["gb"]]
    assert "1 layer without gradient" in view.figure.title
    assert "does not reach the loss): enc</div>" in view.legend.value
    assert "gb (go_backwards: reversed time)" in view.legend.value
    assert "gb: early output (late input) timesteps get" in view.figure.title
    with pytest.raises(TraitError, match="'enc'.*does not reach the loss.*\\['gb'\\]"):
        view.layer = "enc"
    assert view.layer == "gb"


def test_a_model_without_labels_is_refused_by_name(stack):
    model, x, _ = stack
    with pytest.raises(ValueError, match="labels"):
        GradientFlow(Inspector(model, x))


CANDIDATES = {"layer": ["lstm1", "lstm2", "dense", "nope", 3, None],
              "scale": ["log", "linear", "symlog", None, 1],
              "edge": [0.1, 0.25, 0.5, 0, 0.6, -1, True, "x", None, np.float32(0.3)],
              "step": [None, 0, 2, 4, 5, 6, 99, "latest"]}


def snapshot(view):
    state = {name: getattr(view, name) for name in [*view.controls, "step"]}
    data = {k: v.copy() for k, v in view.view_data().items()}
    return state, data, view.figure.title, view.heatmap.title


def test_random_control_changes_keep_the_promised_state(trained):
    model, x, y, insp = trained
    view = GradientFlow(insp)
    rng = np.random.default_rng(6)
    counts = {"accepted": 0, "refused": 0}
    for k in range(120):
        if k % 50 == 49:
            model.train_on_batch(x, y)
            insp.refresh()
            assert view.message.layout.display == "none", view.message.value
        name = list(CANDIDATES)[rng.integers(len(CANDIDATES))]
        value = CANDIDATES[name][rng.integers(len(CANDIDATES[name]))]
        state, data, title, heat_title = before = snapshot(view)
        try:
            setattr(view, name, value)
        except TraitError as e:
            counts["refused"] += 1
            assert name in str(e) or "layer" in str(e), e
            after = snapshot(view)
            assert after[0] == state and after[2:] == (title, heat_title), (name, value)
            assert list(after[1]) == list(data)
            for key in data:
                np.testing.assert_array_equal(after[1][key], data[key])
        else:
            counts["accepted"] += 1
            assert before is not None
        # the controls show the state
        assert view.control_widgets["layer"].value == view.layer
        assert view.control_widgets["scale"].value == view.scale
        assert view.control_widgets["edge"].value == pytest.approx(view.edge)
        assert view.control_widgets["step"].value == ("latest" if view.step is None
                                                      else view.step)
        expected = view.drawn_lines()
        assert [m.labels[0] for m in view.figure.marks] == list(expected)
        for mark in view.figure.marks:
            np.testing.assert_array_equal(mark.y, expected[mark.labels[0]])
    assert min(counts.values()) >= 30, counts
