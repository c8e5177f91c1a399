"""Issue 10's engine defects, each against an independent computation: a
separate tape that watches a zero tensor added to the layer's output,
layers called directly, NumPy."""
import gc
import os
import signal
import threading
import time
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import assert_same_state, model_state
from seernn_widgets import FrozenLayerError, Inspector, NoGradientError, get_gradients, get_outputs


def _tap_gradient(model, x, y, layer_name):
    """dLoss/d(output of `layer_name`) of a Sequential-like chain, by a
    tape watching a zero tensor added to that output (no seernn code)."""
    with tf.GradientTape() as tape:
        h, zero = tf.convert_to_tensor(x), None
        for layer in model.layers:
            h = layer(h)
            if layer.name == layer_name:
                zero = tf.zeros_like(h)
                tape.watch(zero)
                mask = keras.src.backend.get_keras_mask(h)
                h = h + zero
                keras.src.backend.set_keras_mask(h, mask)
        loss = model.compute_loss(x=x, y=y, y_pred=h)
    return tape.gradient(loss, zero).numpy()


@pytest.mark.parametrize("first", [
    keras.layers.Masking(0.0, name="first"), keras.layers.Dropout(0.5, name="first"),
    keras.layers.GaussianNoise(0.1, name="first"), keras.layers.Rescaling(2.0, name="first"),
    keras.layers.Permute((1, 2), name="first"), keras.layers.Reshape((6, 3), name="first")])
def test_weightless_layer_right_after_the_input_has_its_true_gradient(rng, first):
    model = keras.Sequential([keras.Input((6, 3)), first, keras.layers.LSTM(4, name="lstm"),
                              keras.layers.Dense(2)])
    model.compile("adam", "mse")
    x = rng.standard_normal((5, 6, 3)).astype("float32")
    x[0, 4:] = 0   # padding for Masking
    y = rng.standard_normal((5, 2)).astype("float32")
    got = Inspector(model, x, y).gradients("first")
    want = _tap_gradient(model, x, y, "first")
    assert np.abs(want).max() > 1e-3                    # a real, non-zero gradient
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_concatenate_of_two_inputs_and_a_branch_share_nothing_they_should_not(rng):
    a, b = keras.Input((5, 2), name="a"), keras.Input((5, 2), name="b")
    both = keras.layers.Concatenate(name="cat")([a, b])
    drop = keras.layers.Dropout(0.2, name="drop")(both)   # returns its input unchanged
    out = keras.layers.Dense(1, name="out")(
        keras.layers.Flatten()(keras.layers.Add(name="add")([drop, both * 3.0])))
    model = keras.Model([a, b], out)
    model.compile("adam", "mse")
    x = [rng.standard_normal((4, 5, 2)).astype("float32") for _ in range(2)]
    y = rng.standard_normal((4, 1)).astype("float32")
    insp = Inspector(model, x, y)
    w = model.get_layer("out").kernel.numpy().reshape(5, 4)
    # loss = mean((sum(drop + 3 cat) . w - y)^2): d/d(drop) = r w, d/d(cat) = 4 r w
    residual = 2 * (model.predict(x, verbose=0) - y) / len(y)
    want_drop = residual[:, :, None] * w[None]
    np.testing.assert_allclose(insp.gradients("drop"), want_drop, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(insp.gradients("cat"), 4 * want_drop, rtol=1e-5, atol=1e-7)


def _encoder(rng):
    ipt = keras.Input((6, 3))
    seq, h, c = keras.layers.LSTM(4, return_sequences=True, return_state=True, name="enc")(ipt)
    bi = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True),
                                    merge_mode=None, name="bi")(seq)
    att, scores = keras.layers.MultiHeadAttention(2, 2, name="mha")(
        bi[0], bi[1], return_attention_scores=True)
    pooled = keras.layers.GlobalAveragePooling1D()(att)
    out = keras.layers.Dense(2, name="out")(keras.layers.Concatenate()([pooled, h]))
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    x = rng.standard_normal((5, 6, 3)).astype("float32")
    return model, x, rng.standard_normal((5, 2)).astype("float32")


def test_every_output_of_a_multi_output_layer_is_its_own_entry(rng):
    model, x, y = _encoder(rng)
    insp = Inspector(model, x, y)
    for name in ("enc", "enc[1]", "enc[2]", "bi", "bi[1]", "mha", "mha[1]"):
        assert name in insp.layer_names
    seq, h, c = model.get_layer("enc")(x)
    for name, want in (("enc", seq), ("enc[1]", h), ("enc[2]", c)):
        np.testing.assert_allclose(insp.outputs(name), want, rtol=1e-5, atol=1e-6)
        assert insp.output_shape(name) == tuple(want.shape)
    forward, backward = model.get_layer("bi")(seq)
    np.testing.assert_allclose(insp.outputs("bi[1]"), backward, rtol=1e-5, atol=1e-6)
    _, scores = model.get_layer("mha")(forward, backward, return_attention_scores=True)
    np.testing.assert_allclose(insp.outputs("mha[1]"), scores, rtol=1e-5, atol=1e-6)
    assert insp.gradients("enc[1]").shape == (5, 4)      # h reaches the loss
    assert np.abs(insp.gradients("enc")).max() > 0
    with pytest.raises(NoGradientError, match=r"'enc\[2\]' does not reach the loss"):
        insp.gradients("enc[2]")                          # c is unused: missing, not zeros
    with pytest.raises(NoGradientError):
        insp.gradients("mha[1]")


def test_a_missing_weight_gradient_is_reported_not_zero(rng):
    ipt = keras.Input((4,))
    used = keras.layers.Dense(2, name="used")(ipt)
    keras.layers.Dense(3, name="unused_head")   # never called
    side = keras.layers.Dense(2, name="side")(ipt)
    model = keras.Model(ipt, [used, side])
    model.compile("adam", ["mse", None])
    x, y = rng.standard_normal((4, 4)), rng.standard_normal((4, 2))
    insp = Inspector(model, x, [y, y])
    assert len(insp.gradients("used", "weights")) == 2
    with pytest.raises(NoGradientError, match="side"):
        insp.gradients("side", "weights")


def test_bidirectional_with_another_backward_cell_is_split_by_its_own_cell(rng):
    ipt = keras.Input((6, 3))
    bi = keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.GRU(4, return_sequences=True, go_backwards=True), name="bi")
    model = keras.Model(ipt, keras.layers.Dense(1)(keras.layers.Flatten()(bi(ipt))))
    model.compile("adam", "mse")
    insp = Inspector(model, rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 1)))
    arrays = insp.rnn("bi")
    assert not arrays.info.same_layout and "GRU(4) backward" in arrays.info.describe()
    gru_kernel = bi.backward_layer.cell.kernel.numpy()
    np.testing.assert_array_equal(arrays.gate("backward", "input", "r"), gru_kernel[:, 4:8])
    np.testing.assert_array_equal(arrays.gate("forward", "input", "f"),
                                  bi.forward_layer.cell.kernel.numpy()[:, 4:8])
    with pytest.raises(ValueError, match="not one of the backward GRU's gates"):
        arrays.gate("backward", "input", "f")
    grads = insp.rnn("bi", "gradients")
    assert [g.shape for g in grads.gates_of("backward", "bias")] == [(2, 4)] * 3


def test_frozen_layers_say_so(rng):
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(4, name="lstm"),
                              keras.layers.Dense(2, name="dense")])
    model.get_layer("lstm").trainable = False
    model.compile("adam", "mse")
    insp = Inspector(model, rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 2)))
    assert insp.frozen("lstm") and not insp.has_weight_gradients("lstm")
    for ask in (lambda: insp.gradients("lstm", "weights"), lambda: insp.rnn("lstm", "gradients")):
        with pytest.raises(FrozenLayerError, match="'lstm' is frozen"):
            ask()
    assert insp.gradients("lstm").shape == (4, 4)        # its output still has one
    assert len(insp.gradients("dense", "weights")) == 2


def test_embedding_weight_gradient_is_a_dense_array(rng):
    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              keras.layers.Embedding(7, 3, name="emb"),
                              keras.layers.GRU(2), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x, y = rng.integers(0, 7, (4, 5)), rng.standard_normal((4, 1)).astype("float32")
    (got,) = Inspector(model, x, y).gradients("emb", "weights")
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x))
    want = tf.convert_to_tensor(tape.gradient(loss, model.get_layer("emb").embeddings))
    assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.shape == (7, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def _small(rng, steps=6):
    model = keras.Sequential([keras.Input((steps, 3)), keras.layers.LSTM(4),
                              keras.layers.Dense(2)])
    model.compile("adam", "mse")
    return model


def test_errors_blame_what_was_wrong(rng):
    model = _small(rng)
    x, y = rng.standard_normal((8, 6, 3)), rng.standard_normal((8, 2))
    with pytest.raises(ValueError, match="sample_weight must have 8 samples"):
        Inspector(model, x, y, sample_weight=np.ones(5))
    unbatched = tf.data.Dataset.from_tensor_slices((x, y))
    with pytest.raises(ValueError, match=r"unbatched.*\.batch\(n\)"):
        Inspector(model, unbatched)
    for bad in (-1, 0, 2.5, True):
        with pytest.raises(ValueError, match="max_samples must be None"):
            Inspector(model, x, y, max_samples=bad)
    many = rng.standard_normal((100, 6, 3))
    assert Inspector(model, many, max_samples=None).outputs(-1).shape == (100, 2)
    nested = x.tolist()   # Python lists, as fit takes them
    np.testing.assert_allclose(Inspector(model, nested, y.tolist()).outputs(-1),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_data_fit_accepts_is_accepted(rng):
    model = _small(rng, steps=6)
    x, y = rng.standard_normal((4, 9, 3)).astype("float32"), rng.standard_normal((4, 2))
    model.fit(x, y, verbose=0)   # 9 timesteps into Input((6, 3)): Keras warns, fit runs
    np.testing.assert_allclose(Inspector(model, x, y).outputs(-1), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def _collected(make_and_inspect):
    ref = make_and_inspect()
    gc.collect()
    return ref() is None


@pytest.mark.parametrize("how", ["functional", "sequential", "see-rnn calls"])
def test_an_inspected_model_is_collected_once_dropped(rng, how):
    x, y = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 2))

    def make_and_inspect():
        model = _small(rng)
        if how == "functional":
            model = keras.Model(model.inputs, model.outputs)
            model.compile("adam", "mse")
        if how == "see-rnn calls":
            get_outputs(model, "*", x), get_gradients(model, "*", x, y, mode="weights")
        else:
            insp = Inspector(model, x, y)
            insp.gradients(-1, "weights"), insp.gradients(-1)
            for name in insp.layer_names:   # gates: compiled runs over the cells
                if insp.has_gates(name):
                    insp.gates(name)
        return weakref.ref(model)
    assert _collected(make_and_inspect)


def test_never_fit_multi_output_model_gains_no_loss_trackers(rng):
    ipt = keras.Input((6, 3))
    h = keras.layers.LSTM(4, name="lstm", kernel_regularizer="l2")(ipt)
    model = keras.Model(ipt, [keras.layers.Dense(2, name="a")(h),
                              keras.layers.Dense(1, name="b")(h)])
    model.compile("adam", ["mse", "mae"], loss_weights=[1.0, 0.5])
    x = rng.standard_normal((5, 6, 3)).astype("float32")
    y = [rng.standard_normal((5, 2)).astype("float32"),
         rng.standard_normal((5, 1)).astype("float32")]
    paths = [v.path for v in model.variables + model.metrics_variables]
    insp = Inspector(model, x, y)
    grads = insp.gradients("lstm", "weights")
    assert [v.path for v in model.variables + model.metrics_variables] == paths
    a, b = model(x)
    kernel = model.get_layer("lstm").cell.kernel
    with tf.GradientTape() as tape:
        a, b = model(x)
        want = (tf.reduce_mean((a - y[0]) ** 2) + 0.5 * tf.reduce_mean(tf.abs(b - y[1]))
                + sum(model.losses))
    np.testing.assert_allclose(insp.loss, want, rtol=1e-5)
    np.testing.assert_allclose(grads[0], tape.gradient(want, kernel), rtol=1e-4, atol=1e-7)


def test_ctrl_c_during_training_mode_passes_never_leaves_the_model_changed(rng):
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.3),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    x, y = rng.standard_normal((16, 6, 3)) * 5 + 3, rng.standard_normal((16, 2))
    model.fit(x, y, verbose=0)
    before = model_state(model)
    insp = Inspector(model, x, y, learning_phase=1)
    insp.gradients(0, "weights")
    start = time.perf_counter()
    insp.refresh()
    one_pass = time.perf_counter() - start
    interrupted = 0
    for k in range(25):
        timer = threading.Timer(one_pass * (k % 5) / 4, os.kill, (os.getpid(), signal.SIGINT))
        try:
            timer.start()
            for _ in range(3):
                insp.refresh()
            time.sleep(one_pass)   # an interrupt landing late lands here
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            timer.join()
        assert_same_state(before, model_state(model))
    assert interrupted == 25


class _NumpySquare(keras.layers.Layer):
    """An op XLA cannot compile (tf.numpy_function)."""

    def call(self, x):
        y = tf.numpy_function(lambda a: a * a, [x], tf.float32, stateful=False)
        return tf.ensure_shape(y, x.shape) + 0.0 * x


@pytest.mark.parametrize("xla_able", [True, False])
def test_live_refreshes_after_training_are_compiled_by_xla_where_possible(rng, xla_able):
    layers = [keras.Input((6, 3)), keras.layers.LSTM(4, return_sequences=True, name="lstm")]
    layers += [] if xla_able else [_NumpySquare(name="numpy")]
    model = keras.Sequential(layers + [keras.layers.GlobalAveragePooling1D(),
                                       keras.layers.Dense(2, name="dense")])
    model.compile("adam", "mse")
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    insp = Inspector(model, x, y)
    first = insp.gradients("lstm")
    assert np.array_equal(Inspector(model, x, y).gradients("lstm"), first)  # plain, same
    model.fit(x, y, verbose=0)
    insp.refresh()
    got = insp.gradients("lstm", "weights")
    from seernn_widgets import _engine
    assert _engine.engine_for(model).jit == xla_able
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x))
    want = tape.gradient(loss, model.get_layer("lstm").trainable_variables)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def test_inspecting_many_models_is_not_reported_as_retracing(rng):
    """Each model's engine traces once; TensorFlow must not call that
    excessive retracing (issue 11: log noise in users' cells)."""
    import logging
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        for k in range(8):
            model = _small(rng, steps=5 + k)
            insp = Inspector(model, rng.standard_normal((4, 5 + k, 3)), rng.standard_normal((4, 2)))
            insp.gradients(-1, "weights"), insp.outputs(-1)
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]
