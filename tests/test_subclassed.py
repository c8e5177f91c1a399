"""Subclassed models and layers called more than once: every call the
model's `call` makes is an entry, with numbers equal to independent
references - each layer called by hand (its outputs), a tape that watches a
zero tensor added to that call's output (output-gradients) and a plain tape
over `compute_loss` (weight-gradients) - and the model is left exactly as it
was."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import reference
from seernn_widgets import Inspector, _capture
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.rnn_plots import RNNHeatmap

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 9, 3)).astype("float32")
Y = RNG.standard_normal((5, 2)).astype("float32")


class Stacked(keras.Model):
    """LSTM -> Bidirectional(GRU) -> pooling -> Dense."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lstm = keras.layers.LSTM(6, return_sequences=True, name="lstm")
        self.bigru = keras.layers.Bidirectional(
            keras.layers.GRU(4, return_sequences=True), name="bigru")
        self.pool = keras.layers.GlobalAveragePooling1D(name="pool")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, x):
        return self.head(self.pool(self.bigru(self.lstm(x))))

    def by_hand(self, x, tap):
        return tap("head", self.head(tap("pool", self.pool(
            tap("bigru", self.bigru(tap("lstm", self.lstm(x))))))))


class OwnTrainStep(Stacked):
    """The same network trained by a hand-written train_step."""

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


class Looped(keras.Model):
    """An encoder, then one Dense step applied three times in a Python loop."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.enc = keras.layers.LSTM(4, name="enc")
        self.step = keras.layers.Dense(4, activation="tanh", name="step")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, x):
        h = self.enc(x)
        for _ in range(3):
            h = self.step(h)
        return self.head(h)

    def by_hand(self, x, tap):
        h = tap("enc", self.enc(x))
        for name in ("step", "step#2", "step#3"):
            h = tap(name, self.step(h))
        return tap("head", self.head(h))


class Block(keras.layers.Layer):
    """A layer the user wrote, holding Keras layers: both are named."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rnn = keras.layers.SimpleRNN(5, return_sequences=True, name="inner_rnn")
        self.proj = keras.layers.Dense(3, name="inner_proj")

    def call(self, x):
        return self.proj(self.rnn(x)) + x


class Nested(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = Block(name="block")
        self.pool = keras.layers.GlobalMaxPooling1D(name="pool")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, x):
        return self.head(self.pool(self.block(x)))

    def by_hand(self, x, tap):
        inner = tap("inner_proj", self.block.proj(tap("inner_rnn", self.block.rnn(x))))
        block = tap("block", inner + x)
        return tap("head", self.head(tap("pool", self.pool(block))))


class Siamese(keras.Model):
    """One encoder on two inputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.enc = keras.layers.GRU(4, name="enc")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, inputs):
        a, b = inputs
        return self.head(keras.ops.concatenate([self.enc(a), self.enc(b)], -1))

    def by_hand(self, inputs, tap):
        a, b = inputs
        both = keras.ops.concatenate([tap("enc", self.enc(a)), tap("enc#2", self.enc(b))], -1)
        return tap("head", self.head(both))


def built(cls, x=X):
    keras.utils.set_random_seed(3)
    model = cls()
    model.compile(optimizer="adam", loss="mse")
    model.predict(x, verbose=0)   # built, as after any first call
    return model


def by_hand(model, x, y):
    """{name: (output, dLoss/d(output))} and the weight-gradients, from the
    layers called by hand with a watched zero tensor added to each output."""
    outputs, zeros = {}, {}
    with tf.GradientTape(persistent=True) as tape:
        def tap(name, t):
            zeros[name] = tf.zeros_like(t)
            tape.watch(zeros[name])
            outputs[name] = t + zeros[name]
            return outputs[name]
        loss = model.compute_loss(x=x, y=y, y_pred=model.by_hand(x, tap))
    grads = {name: tape.gradient(loss, z) for name, z in zeros.items()}
    with tf.GradientTape() as plain:
        plain_loss = model.compute_loss(x=x, y=y, y_pred=model(x))
    weights = dict(zip([v.path for v in model.trainable_variables],
                       plain.gradient(plain_loss, model.trainable_variables)))
    return {n: (outputs[n].numpy(), grads[n].numpy()) for n in outputs}, weights, float(plain_loss)


@pytest.mark.parametrize("cls, names", [
    (Stacked, ["lstm", "bigru", "pool", "head"]),
    (OwnTrainStep, ["lstm", "bigru", "pool", "head"]),
    (Looped, ["enc", "step", "step#2", "step#3", "head"]),
    (Nested, ["block", "inner_rnn", "inner_proj", "pool", "head"]),
])
def test_every_call_equals_the_layers_called_by_hand(cls, names):
    model = built(cls)
    insp = Inspector(model, X, Y)
    assert insp.layer_names == names
    expected, weight_grads, loss = by_hand(model, X, Y)
    assert set(expected) == set(names)
    for name in names:
        out, grad = expected[name]
        np.testing.assert_allclose(insp.outputs(name), out, rtol=1e-5, atol=1e-6)
        assert insp.reaches_loss(name)
        np.testing.assert_allclose(insp.gradients(name), grad, rtol=1e-4, atol=1e-7)
    for path, grad in weight_grads.items():
        np.testing.assert_allclose(insp.weight_gradients()[path], grad, rtol=1e-4, atol=1e-7)
    assert insp.loss == pytest.approx(loss, rel=1e-6)


def test_layer_ids_reach_layers_inside_a_users_layer():
    model = built(Nested)
    insp = Inspector(model, X, Y)
    assert insp.layer(model.block.rnn) is model.block.rnn      # the object
    assert insp.layer("inner_p") is model.block.proj           # part of its name
    assert insp.layer(0) is model.block                         # an index into model.layers
    np.testing.assert_array_equal(insp.outputs(model.block.proj), insp.outputs("inner_proj"))
    with pytest.raises(KeyError, match="no layer named or containing 'nope'"):
        insp.layer("nope")


def test_subclassed_lstm_outputs_equal_numpy():
    model = built(Stacked)
    insp = Inspector(model, X, Y)
    kernel, recurrent, bias = insp.weights("lstm")
    np.testing.assert_allclose(insp.outputs("lstm"), reference.lstm(X, kernel, recurrent, bias),
                               rtol=1e-4, atol=1e-5)
    forward = insp.rnn("bigru").arrays
    assert set(forward) >= {("forward", "input"), ("backward", "recurrent")}


def test_siamese_subclass_lists_each_call_of_the_encoder():
    a, b = X, RNG.standard_normal(X.shape).astype("float32")
    model = built(Siamese, [a, b])
    insp = Inspector(model, [a, b], Y)
    assert insp.layer_names == ["enc", "enc#2", "head"]
    np.testing.assert_allclose(insp.outputs("enc"), model.enc(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(insp.outputs("enc#2"), model.enc(b), rtol=1e-5, atol=1e-6)
    expected, _, _ = by_hand(model, [a, b], Y)
    for name in ("enc", "enc#2"):
        np.testing.assert_allclose(insp.gradients(name), expected[name][1], rtol=1e-4, atol=1e-7)
    # the calls share the layer's weights, and its weight-gradients
    assert insp.layer("enc#2") is insp.layer("enc") is model.enc
    assert [g.shape for g in insp.gradients("enc#2", "weights")] == \
        [tuple(v.shape) for v in model.enc.trainable_variables]


def test_siamese_functional_model_lists_each_call():
    a_in, b_in = keras.Input((9, 3)), keras.Input((9, 3))
    enc = keras.layers.GRU(4, name="enc")
    out = keras.layers.Dense(2, name="head")(keras.layers.Concatenate()([enc(a_in), enc(b_in)]))
    model = keras.Model([a_in, b_in], out)
    model.compile(optimizer="adam", loss="mse")
    a, b = X, RNG.standard_normal(X.shape).astype("float32")
    insp = Inspector(model, [a, b], Y)
    assert [n for n in insp.layer_names if n.startswith("enc")] == ["enc", "enc#2"]
    np.testing.assert_allclose(insp.outputs("enc"), enc(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(insp.outputs("enc#2"), enc(b), rtol=1e-5, atol=1e-6)


def test_a_call_off_the_loss_path_says_so():
    class Unused(Stacked):
        def call(self, x):
            self.pool(self.lstm(x))            # computed, never used
            return self.head(self.pool(self.bigru(self.lstm(x))))

    insp = Inspector(built(Unused), X, Y)
    assert insp.layer_names == ["lstm", "pool", "lstm#2", "bigru", "pool#2", "head"]
    assert [insp.reaches_loss(n) for n in insp.layer_names] == [False, False] + [True] * 4


def test_an_unbuilt_model_is_refused_by_name():
    model = Stacked()
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="has not been built.*call it once"):
        _ = Inspector(model, X, Y).layer_names
    assert not model.built


def state(model):
    return [v.numpy().copy() for v in model.variables + model.optimizer.variables]


@pytest.mark.parametrize("cls", [Stacked, OwnTrainStep, Looped])
def test_predict_and_training_are_bit_identical_with_inspection(cls):
    inspected, plain = built(cls), built(cls)
    before = inspected.predict(X, verbose=0)
    insp = Inspector(inspected, X, Y)
    insp.weight_gradients()
    insp.gradients(insp.layer_names[0])
    np.testing.assert_array_equal(inspected.predict(X, verbose=0), before)
    for model in (inspected, plain):
        model.train_on_batch(X, Y)
    insp.refresh()
    insp.weight_gradients()
    for model in (inspected, plain):
        model.train_on_batch(X, Y)
    for a, b in zip(state(inspected), state(plain)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(inspected.predict(X, verbose=0), plain.predict(X, verbose=0))


def test_layer_call_is_the_users_outside_the_pass_also_after_an_error():
    original = keras.layers.Layer.__call__

    class Failing(Stacked):
        fail = None

        def call(self, x):
            if self.fail is not None:
                raise self.fail
            return super().call(x)

    model = built(Failing)
    insp = Inspector(model, X, Y)
    insp.outputs("lstm")
    assert keras.layers.Layer.__call__ is original
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        model.fail = error
        with pytest.raises(type(error)):
            with _capture.capturing(model, lambda t: t):
                model(X)
        assert keras.layers.Layer.__call__ is original
    model.fail = None
    np.testing.assert_array_equal(model.predict(X, verbose=0), Stacked.call(model, X))


def test_views_show_a_subclassed_models_layers():
    insp = Inspector(built(Stacked), X, Y)
    f2 = Features2D(insp, layer="bigru", mode="gradients", sample=2)
    # units x timesteps of sample 2, as the engine computed it
    np.testing.assert_array_equal(f2.view_data(), insp.gradients("bigru")[2].T)
    assert "bigru gradients" in f2.heatmap.figure.title   # after the model name, if others are open
    heatmap = RNNHeatmap(insp, layer="bigru", direction="backward")
    kernel = heatmap.view_data()["recurrent"]
    np.testing.assert_array_equal(kernel, model_weight(insp, "backward", "recurrent_kernel"))


def model_weight(insp, direction, name):
    layer = insp.layer("bigru")
    cell = (layer.forward_layer if direction == "forward" else layer.backward_layer).cell
    return getattr(cell, name).numpy()


class Padded(keras.Model):
    """Embedding(mask_zero=True) -> LSTM: the mask reaches the LSTM's output."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.emb = keras.layers.Embedding(10, 3, mask_zero=True, name="emb")
        self.lstm = keras.layers.LSTM(4, return_sequences=True, name="lstm")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        return self.head(self.lstm(self.emb(x)))


def test_masks_of_a_subclassed_model():
    tokens = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    model = built(Padded, tokens)
    insp = Inspector(model, tokens, np.ones((2, 5, 1), "float32"))
    np.testing.assert_array_equal(insp.mask("lstm"), tokens > 0)
    assert insp.mask("emb") is not None and insp.mask("head") is not None
    # masked timesteps of the LSTM's output carry the previous state and no
    # gradient from the loss (Keras' masked loss ignores them)
    np.testing.assert_array_equal(insp.gradients("head")[tokens == 0], 0)


def test_a_backend_without_an_engine_is_named(monkeypatch):
    from seernn_widgets import _engine
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(NotImplementedError, match="'torch' is not supported: use 'tensorflow' "
                                                  "or 'jax'"):
        _engine._engine_class()
