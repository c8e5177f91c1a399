"""LiveRefresh in fit and in a hand-written loop."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from models import assert_same_state, model_state
from seernn_widgets import Features1D, Features2D, Inspector, LiveRefresh, RNNHeatmap


@pytest.fixture
def setup(rng):
    keras.utils.set_random_seed(4)
    ipt = keras.Input((8, 3))
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(ipt)
    model = keras.Model(ipt, keras.layers.GRU(2, name="gru")(h))
    model.compile(keras.optimizers.Adam(0.05), "mse")
    x = rng.standard_normal((24, 8, 3)).astype("float32")
    y = rng.standard_normal((24, 2)).astype("float32")
    insp = Inspector(model, x[:4], y[:4])
    return model, x, y, insp


def test_one_recompute_per_refresh_however_many_widgets(setup):
    model, x, y, insp = setup
    views = [Features2D(insp, "lstm", mode="gradients"), Features1D(insp, "lstm"),
             RNNHeatmap(insp, "gru", mode="gradients")]
    passes = insp.compute_count
    live = LiveRefresh(insp, every_n_batches=2, min_interval_s=0)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[live])   # 6 batches
    assert live.refreshes == 3 and insp.history.steps[-3:] == [2, 4, 6]
    assert insp.compute_count - passes == 3
    np.testing.assert_array_equal(views[0].view_data(), insp.gradients("lstm")[0].T)
    assert insp.step == 6


def test_min_interval_throttles_and_training_end_still_refreshes(setup):
    model, x, y, insp = setup
    live = LiveRefresh(insp, every_n_batches=1, min_interval_s=60)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[live])   # 12 batches
    assert live.refreshes == 2 and live.skipped == 11          # the first, and at the end
    assert insp.history.steps[-1] == 12


def test_epoch_refreshes_record_validation_logs(setup):
    model, x, y, insp = setup
    live = LiveRefresh(insp, every_n_epochs=1, min_interval_s=0)
    model.fit(x[:16], y[:16], batch_size=8, epochs=3, verbose=0, callbacks=[live],
              validation_data=(x[16:], y[16:]))
    assert live.refreshes == 3 and insp.history.steps[-3:] == [2, 4, 6]
    assert set(insp.logs(6)) >= {"loss", "val_loss"}


def test_hand_written_gradient_tape_loop(setup):
    model, x, y, insp = setup
    view = Features2D(insp, "lstm", mode="gradients")
    live = LiveRefresh(insp, every_n_batches=3, min_interval_s=0)
    optimizer = model.optimizer
    for i in range(6):
        xb, yb = x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]
        with tf.GradientTape() as tape:
            loss = keras.losses.mean_squared_error(yb, model(xb, training=True))
            loss = tf.reduce_mean(loss)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
        live.tick({"loss": float(loss)})
    assert live.refreshes == 2 and insp.history.steps[-2:] == [3, 6]
    np.testing.assert_array_equal(view.view_data(), insp.gradients("lstm")[0].T)


def test_interrupted_refresh_leaves_widgets_usable_and_model_untouched(setup):
    model, x, y, insp = setup
    view = Features2D(insp, "lstm", mode="gradients")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    before = model_state(model)

    def interrupt(_inspector):
        raise KeyboardInterrupt
    insp.observe(interrupt)
    with pytest.raises(KeyboardInterrupt):
        LiveRefresh(insp).refresh()
    insp.unobserve(interrupt)
    assert_same_state(before, model_state(model))
    insp.refresh()
    np.testing.assert_array_equal(view.heatmap.mark.image, insp.gradients("lstm")[0].T)


def test_bad_arguments_name_what_is_allowed(setup):
    *_, insp = setup
    with pytest.raises(ValueError, match="every_n_batches must be None or an int >= 1"):
        LiveRefresh(insp, every_n_batches=0)
