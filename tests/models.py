"""Small real models the tests share."""
import keras
import numpy as np


def stacked_lstm(units=6, steps=10, channels=4, dropout=0.0):
    """LSTM -> Bidirectional(GRU) -> BatchNormalization -> Dense, compiled."""
    ipt = keras.Input((steps, channels))
    h = keras.layers.LSTM(units, return_sequences=True, dropout=dropout, name="lstm")(ipt)
    h = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name="bigru")(h)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Dropout(dropout, name="drop")(h)
    h = keras.layers.SimpleRNN(units, name="srnn")(h)
    out = keras.layers.Dense(2, name="dense")(h)
    model = keras.Model(ipt, out, name="stack")
    model.compile(keras.optimizers.Adam(1e-3), "mse", metrics=["mae"])
    return model


def batch(rng, n=8, steps=10, channels=4, outputs=2):
    x = rng.standard_normal((n, steps, channels)).astype("float32")
    y = rng.standard_normal((n, outputs)).astype("float32")
    return x, y


def model_state(model):
    """Everything a pass could change, as exact copies."""
    return {
        "variables": [v.numpy().copy() for v in model.variables],
        "optimizer": [v.numpy().copy() for v in model.optimizer.variables],
        "metrics": [v.numpy().copy() for v in model.metrics_variables],
        "calls": [layer.call for layer in model.layers],
    }


def assert_same_state(before, after):
    for key in ("variables", "optimizer", "metrics"):
        assert len(before[key]) == len(after[key])
        for a, b in zip(before[key], after[key]):
            np.testing.assert_array_equal(a, b, err_msg=key)
    assert all(a == b for a, b in zip(before["calls"], after["calls"]))
