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


def cell_steps(cell, x, kernel, recurrent, bias, kept=None, h0=None, c0=None,
               reset_after=True):
    """A step-by-step loop of a Keras 3 cell ('LSTM', 'GRU', 'SimpleRNN'),
    default activations, in the order `x` is given. Returns (hidden states,
    {gate: activations}) per step, both (batch, steps, units). At a step
    where `kept` is False the cell still computes its gates (what Keras
    computes and discards) but the states are carried over unchanged."""
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units)) if h0 is None else np.array(h0, float)
    c = np.zeros((batch, units)) if c0 is None else np.array(c0, float)
    hs, gates = [], []
    for t in range(steps):
        if cell == "LSTM":
            i, f, g, o = np.split(x[:, t] @ kernel + h @ recurrent + bias, 4, axis=-1)
            i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
            new_c = f * c + i * g
            new_h = o * np.tanh(new_c)
            step = {"i": i, "f": f, "c": g, "o": o}
        elif cell == "GRU" and reset_after:
            xz, xr, xh = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
            rz, rr, rh = np.split(h @ recurrent + bias[1], 3, axis=-1)
            z, r = sigmoid(xz + rz), sigmoid(xr + rr)
            g = np.tanh(xh + r * rh)
            new_h, new_c = z * h + (1 - z) * g, c
            step = {"z": z, "r": r, "h": g}
        elif cell == "GRU":
            xz, xr, xh = np.split(x[:, t] @ kernel + bias, 3, axis=-1)
            uz, ur, uh = np.split(recurrent, 3, axis=-1)
            z, r = sigmoid(xz + h @ uz), sigmoid(xr + h @ ur)
            g = np.tanh(xh + (r * h) @ uh)
            new_h, new_c = z * h + (1 - z) * g, c
            step = {"z": z, "r": r, "h": g}
        else:
            new_h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
            new_c = c
            step = {"h": new_h}
        keep = np.ones((batch, 1), bool) if kept is None else kept[:, t, None]
        h, c = np.where(keep, new_h, h), np.where(keep, new_c, c)
        hs.append(h)
        gates.append(step)
    return np.stack(hs, 1), {g: np.stack([s[g] for s in gates], 1) for g in gates[0]}
