"""The inspector's arrays against independent computations."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from reference import bidirectional, gru, lstm, simple_rnn
from seernn_widgets import Inspector

CELLS = {"LSTM": (keras.layers.LSTM, lstm), "GRU": (keras.layers.GRU, gru),
         "SimpleRNN": (keras.layers.SimpleRNN, simple_rnn)}


def one_layer_model(layer, steps=7, channels=3, dtype="float32"):
    ipt = keras.Input((steps, channels), dtype=dtype)
    model = keras.Model(ipt, layer(ipt))
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("cell", CELLS)
def test_outputs_match_numpy_forward_pass(cell, rng):
    layer_cls, reference = CELLS[cell]
    model = one_layer_model(layer_cls(5, return_sequences=True, bias_initializer="random_normal"))
    x = rng.standard_normal((4, 7, 3)).astype("float32")
    expected = reference(x.astype(float), *[w.astype(float) for w in model.layers[1].get_weights()])
    np.testing.assert_allclose(Inspector(model, x).outputs(1), expected, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_bidirectional_is_forward_then_backward_in_input_time_order(cell, rng):
    layer_cls, reference = CELLS[cell]
    layer = keras.layers.Bidirectional(layer_cls(4, return_sequences=True))
    model = one_layer_model(layer)
    x = rng.standard_normal((3, 7, 3)).astype("float32")
    weights = [w.astype(float) for w in layer.get_weights()]
    expected = bidirectional(reference, x.astype(float), weights[:3], weights[3:])
    np.testing.assert_allclose(Inspector(model, x).outputs(layer.name), expected, atol=1e-5)


def test_output_gradient_of_mse_is_2_residual_over_size(rng):
    model = one_layer_model(keras.layers.LSTM(6))
    x = rng.standard_normal((5, 7, 3)).astype("float32")
    y = rng.standard_normal((5, 6)).astype("float32")
    insp = Inspector(model, x, y)
    y_hat = insp.outputs(1)
    np.testing.assert_allclose(insp.gradients(1), 2 * (y_hat - y) / y.size, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation, loss", [("softmax", "categorical_crossentropy"),
                                              ("sigmoid", "binary_crossentropy")])
def test_output_gradient_of_a_cross_entropy_computed_from_logits(rng, activation, loss):
    """Keras computes these losses from the logits behind the activation, so
    the output itself has no gradient in fit's graph; the inspector shows the
    gradient of the same loss written on the output (Keras' formula for
    probabilities: normalised, then -sum y log p, averaged), not zeros."""
    ipt = keras.Input((7, 3))
    hidden = keras.layers.GRU(4, name="gru")(ipt)
    model = keras.Model(ipt, keras.layers.Dense(3, activation=activation, name="out")(hidden))
    model.compile("sgd", loss)
    x = rng.standard_normal((5, 7, 3)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 5)]
    insp = Inspector(model, x, y)
    p = insp.outputs("out").astype(float)
    if activation == "softmax":   # -sum_k y log(p_k / sum p) / n_samples
        expected = (-y / p + y.sum(-1, keepdims=True) / p.sum(-1, keepdims=True)) / len(y)
    else:                         # -mean(y log p + (1-y) log(1-p)) over every element
        expected = (-y / p + (1 - y) / (1 - p)) / y.size
    np.testing.assert_allclose(insp.gradients("out"), expected, rtol=1e-4, atol=1e-7)
    # every other gradient is still fit's own, through the logits
    head = keras.Model(hidden, model.output)
    with tf.GradientTape() as tape:
        h = tf.constant(insp.outputs("gru"))
        tape.watch(h)
        fit_loss = model.compute_loss(y=y, y_pred=head(h))
    np.testing.assert_allclose(insp.gradients("gru"), tape.gradient(fit_loss, h),
                               rtol=1e-5, atol=1e-8)


def test_sample_weight_scales_each_sample_as_fit_does(rng):
    model = one_layer_model(keras.layers.GRU(4))
    x = rng.standard_normal((5, 7, 3)).astype("float32")
    y = rng.standard_normal((5, 4)).astype("float32")
    sw = rng.uniform(0, 2, 5).astype("float32")
    insp = Inspector(model, x, y, sample_weight=sw)
    expected = 2 * (insp.outputs(1) - y) * sw[:, None] / y.size
    np.testing.assert_allclose(insp.gradients(1), expected, rtol=1e-5, atol=1e-8)


def _float64_stack():
    ipt = keras.Input((6, 3), dtype="float64")
    h = keras.layers.LSTM(4, return_sequences=True, dtype="float64")(ipt)
    out = keras.layers.GRU(3, dtype="float64")(h)
    model = keras.Model(ipt, out)
    model.compile("sgd", "mse")
    return model


def _mse(model_tail, inputs, y):
    return float(np.mean((np.asarray(model_tail(inputs)) - y) ** 2))


def test_weight_gradients_match_finite_differences(rng):
    model = _float64_stack()
    x = rng.standard_normal((4, 6, 3))
    y = rng.standard_normal((4, 3))
    grads = Inspector(model, x, y).gradients(1, mode="weights")
    eps = 1e-6
    for variable, grad in zip(model.layers[1].trainable_variables, grads):
        original = variable.numpy().copy()
        for index in [tuple(rng.integers(0, s) for s in original.shape) for _ in range(4)]:
            shifted = []
            for sign in (1, -1):
                w = original.copy()
                w[index] += sign * eps
                variable.assign(w)
                shifted.append(_mse(model, x, y))
            variable.assign(original)
            numeric = (shifted[0] - shifted[1]) / (2 * eps)
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_output_gradient_of_inner_layer_matches_finite_differences(rng):
    model = _float64_stack()
    x = rng.standard_normal((4, 6, 3))
    y = rng.standard_normal((4, 3))
    insp = Inspector(model, x, y)
    h, grad = insp.outputs(1), insp.gradients(1)
    tail = model.layers[2]
    eps = 1e-6
    for _ in range(6):
        index = tuple(rng.integers(0, s) for s in h.shape)
        shifted = []
        for sign in (1, -1):
            hp = h.copy()
            hp[index] += sign * eps
            shifted.append(_mse(tail, hp, y))
        assert grad[index] == pytest.approx((shifted[0] - shifted[1]) / (2 * eps),
                                            rel=1e-5, abs=1e-10)


def test_regularization_is_part_of_the_differentiated_loss(rng):
    l2 = 0.5
    ipt = keras.Input((5, 2))
    layer = keras.layers.SimpleRNN(3, kernel_regularizer=keras.regularizers.L2(l2))
    model = keras.Model(ipt, layer(ipt))
    model.compile("sgd", "mse")
    x = rng.standard_normal((4, 5, 2)).astype("float32")
    y = np.asarray(model(x))  # zero residual: only the penalty has a gradient
    grad_kernel = Inspector(model, x, y).gradients(1, mode="weights")[0]
    np.testing.assert_allclose(grad_kernel, 2 * l2 * layer.cell.kernel.numpy(), rtol=1e-5)
