"""Independent NumPy re-implementations of Keras 3 RNN forward passes, used
to check the inspector's numbers (they never call Keras)."""
import numpy as np


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def lstm(x, kernel, recurrent, bias, return_sequences=True):
    """Keras LSTM, gates i, f, c, o side by side on the last axis."""
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    hs = []
    for t in range(steps):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1) if return_sequences else h


def gru(x, kernel, recurrent, bias, return_sequences=True):
    """Keras GRU with reset_after=True: gates z, r, h; bias (2, 3u)."""
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units))
    hs = []
    for t in range(steps):
        xz, xr, xh = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
        rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=-1)
        z = sigmoid(xz + rz)
        r = sigmoid(xr + rr)
        candidate = np.tanh(xh + r * rh)
        h = z * h + (1 - z) * candidate
        hs.append(h)
    return np.stack(hs, 1) if return_sequences else h


def simple_rnn(x, kernel, recurrent, bias, return_sequences=True):
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent.shape[0]))
    hs = []
    for t in range(steps):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        hs.append(h)
    return np.stack(hs, 1) if return_sequences else h


def bidirectional(cell_fn, x, forward_weights, backward_weights):
    """concat([forward, backward flipped back to input time order], -1)."""
    forward = cell_fn(x, *forward_weights)
    backward = cell_fn(x[:, ::-1], *backward_weights)[:, ::-1]
    return np.concatenate([forward, backward], axis=-1)
