"""Sequential, multi-input and tf.data inputs."""
import keras
import numpy as np
import tensorflow as tf

from reference import lstm
from seernn_widgets import Inspector


def test_sequential_model(rng):
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(4, name="lstm"),
                              keras.layers.Dense(2, name="dense")])
    model.compile("sgd", "mse")
    x = rng.standard_normal((5, 6, 3)).astype("float32")
    y = rng.standard_normal((5, 2)).astype("float32")
    insp = Inspector(model, x, y)
    assert insp.layer_names == ["lstm", "dense"]
    expected = lstm(x.astype(float), *[w.astype(float) for w in model.layers[0].get_weights()],
                    return_sequences=False)
    np.testing.assert_allclose(insp.outputs(0), expected, atol=1e-5)
    np.testing.assert_allclose(insp.gradients("dense"), 2 * (insp.outputs("dense") - y) / y.size,
                               rtol=1e-5, atol=1e-8)


def test_multi_input_model_and_conv1d(rng):
    a, b = keras.Input((6, 3), name="a"), keras.Input((6, 2), name="b")
    conv = keras.layers.Conv1D(4, 3, padding="same", name="conv")(a)
    h = keras.layers.Concatenate(name="cat")([conv, b])
    out = keras.layers.Dense(1, name="dense")(keras.layers.GlobalAveragePooling1D(name="pool")(h))
    model = keras.Model([a, b], out)
    model.compile("sgd", "mse")
    xa = rng.standard_normal((4, 6, 3)).astype("float32")
    xb = rng.standard_normal((4, 6, 2)).astype("float32")
    y = rng.standard_normal((4, 1)).astype("float32")
    insp = Inspector(model, [xa, xb], y)
    np.testing.assert_allclose(insp.outputs("cat")[..., 4:], xb)
    kernel, bias = model.get_layer("conv").get_weights()
    padded = np.pad(xa, ((0, 0), (1, 1), (0, 0)))
    expected = np.stack([np.einsum("bkc,kcf->bf", padded[:, t:t + 3], kernel)
                         for t in range(6)], 1) + bias
    np.testing.assert_allclose(insp.outputs("conv"), expected, atol=1e-5)
    # pooling averages over time, so each timestep of `cat` gets 1/6 of the pool gradient
    np.testing.assert_allclose(insp.gradients("cat"),
                               np.repeat(insp.gradients("pool")[:, None] / 6, 6, 1), rtol=1e-5)


def test_dataset_uses_its_first_batch(rng):
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(3)])
    model.compile("sgd", "mse")
    x = rng.standard_normal((10, 6, 3)).astype("float32")
    y = rng.standard_normal((10, 3)).astype("float32")
    sw = rng.uniform(0, 1, 10).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y, sw)).batch(4)
    from_dataset = Inspector(model, data)
    from_arrays = Inspector(model, x[:4], y[:4], sample_weight=sw[:4])
    assert from_dataset.batch_size == 4
    np.testing.assert_array_equal(from_dataset.gradients(0), from_arrays.gradients(0))
