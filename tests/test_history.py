"""Snapshots of past steps: bounded, oldest evicted first, scrubbable."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Features2D, Inspector, RNNHeatmap
from seernn_widgets._history import History


def small_model():
    keras.utils.set_random_seed(2)
    ipt = keras.Input((8, 3))
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(ipt)
    model = keras.Model(ipt, keras.layers.GRU(2, name="gru")(h))
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


@pytest.fixture
def trained(rng):
    model = small_model()
    x = rng.standard_normal((4, 8, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    return model, x, y


def test_ring_buffer_keeps_the_newest_steps_in_order(trained):
    model, x, y = trained
    insp = Inspector(model, x, y, history=3)
    insp.gradients("lstm")
    for _ in range(5):
        model.train_on_batch(x, y)
        insp.refresh(logs={"loss": 1.0})
    assert insp.history.steps == [3, 4, 5]
    with pytest.raises(KeyError, match=r"recorded steps: \[3, 4, 5\]"):
        insp.outputs("lstm", step=1)


def test_scrubbing_to_step_k_shows_what_was_recorded_at_k(trained):
    model, x, y = trained
    insp = Inspector(model, x, y, history=10)
    grads_view = Features2D(insp, "lstm", mode="gradients")
    weights_view = RNNHeatmap(insp, "gru")
    recorded = {}
    for _ in range(4):
        recorded[insp.step] = (insp.gradients("lstm")[0].T.copy(),
                               model.get_layer("gru").cell.recurrent_kernel.numpy().copy())
        model.train_on_batch(x, y)
        insp.refresh(logs={"loss": float(insp.step)})
    assert insp.history.steps == [0, 1, 2, 3, 4]
    for step in (0, 2, 3):
        grads_view.step = weights_view.step = step
        np.testing.assert_array_equal(grads_view.view_data(), recorded[step][0])
        np.testing.assert_array_equal(weights_view.view_data()["recurrent"], recorded[step][1])
        np.testing.assert_array_equal(grads_view.heatmap.mark.image, recorded[step][0])
    assert insp.logs(3) == {"loss": 3.0}
    grads_view.step = None
    np.testing.assert_array_equal(grads_view.view_data(), insp.gradients("lstm")[0].T)
    assert not np.array_equal(grads_view.view_data(), recorded[0][0])


def test_step_control_lists_recorded_steps_and_rejects_others(trained):
    model, x, y = trained
    insp = Inspector(model, x, y, history=2)
    view = Features2D(insp, "lstm")
    assert view.step_control.layout.display == "none"      # nothing to scrub yet
    for _ in range(3):
        model.train_on_batch(x, y)
        insp.refresh()
    assert view.step_control.options == (("2", 2), ("3", 3), ("latest", "latest"))
    assert view.step_control.layout.display is None
    view.step_control.value = 2                              # what dragging does
    assert view.step == 2
    with pytest.raises(TraitError, match=r"recorded step \[2, 3\]"):
        view.step = 1
    model.train_on_batch(x, y)
    insp.refresh()                                           # step 2 evicted: back to latest
    assert view.step is None and view.step_control.value == "latest"


def test_history_size_must_be_a_count():
    with pytest.raises(ValueError, match="history must be an int >= 0"):
        History(-1)


def test_snapshot_bytes_are_the_arrays_it_holds(trained):
    model, x, y = trained
    insp = Inspector(model, x, y)
    insp.gradients("lstm", "weights"), insp.weights("lstm")
    arrays = [*insp._snapshot["pass"]["outputs"].values(),
              *insp._snapshot["pass"]["output_gradients"].values(),
              *insp._snapshot["pass"]["weight_gradients"].values(),
              *insp._snapshot["weights"].values()]
    assert insp.history.nbytes(0) == sum(a.nbytes for a in arrays)


def test_byte_budget_evicts_oldest_but_keeps_the_newest():
    history = History(10, max_bytes=250)
    for step in range(4):
        history.record(step, {"pass": {"a": np.zeros(100, np.uint8)}})
    assert history.steps == [2, 3]                  # 200 bytes fit, 300 do not
    history.record(4, {"pass": {"a": np.zeros(1000, np.uint8)}})
    assert history.steps == [4]                     # over budget alone, but newest


def test_a_view_can_start_at_a_recorded_step(trained):
    model, x, y = trained
    insp = Inspector(model, x, y)
    first = Features2D(insp, "lstm")
    recorded = first.view_data().copy()
    model.train_on_batch(x, y)
    insp.refresh()
    pinned = Features2D(insp, "lstm", step=0)
    np.testing.assert_array_equal(pinned.view_data(), recorded)
    assert not np.array_equal(first.view_data(), recorded)
