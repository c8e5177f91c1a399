"""The embedded default: a small LSTM trained on synthetic sequences.

`python -m seernn_widgets.demo` trains it briefly and prints what the
inspector sees: the layer table and the shape of every array it computes.
"""
import numpy as np


def make_data(n_samples=32, timesteps=50, channels=4, seed=0):
    """Noisy sines of random frequency; the label is the frequency and the
    final value, so the net must remember the whole sequence."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, timesteps, dtype=np.float32)
    freq = rng.uniform(1, 4, (n_samples, 1, 1)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1, channels)).astype(np.float32)
    x = np.sin(2 * np.pi * freq * t[None, :, None] + phase)
    x += 0.1 * rng.standard_normal(x.shape).astype(np.float32)
    y = np.concatenate([freq[:, 0] / 4, x[:, -1, :1]], axis=1)
    return x.astype(np.float32), y.astype(np.float32)


def make_model(timesteps=50, channels=4, units=16, seed=0):
    """LSTM -> Bidirectional(LSTM) -> Dense, compiled with mse."""
    import keras
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((timesteps, channels)),
        keras.layers.LSTM(units, return_sequences=True, name="lstm"),
        keras.layers.Bidirectional(
            keras.layers.LSTM(units // 2, return_sequences=True), name="bilstm"),
        keras.layers.GRU(units // 2, name="gru"),
        keras.layers.Dense(2, name="dense"),
    ], name="demo")
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    return model


def trained_default(epochs=5):
    """The default model after a short fit, and the batch to inspect."""
    x, y = make_data()
    model = make_model()
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
    return model, x, y


def layer_table(insp):
    """One line per layer: class, output and gradient shapes, weights."""
    lines = [f"{'#':>2}  {'layer':<8} {'class':<14} {'output':<14} weights"]
    for index, layer in enumerate(insp.model.layers):
        weights = ", ".join(f"{v.path.split('/')[-1]}{tuple(v.shape)}"
                            for v in layer.weights)
        lines.append(f"{index:>2}  {layer.name:<8} {type(layer).__name__:<14} "
                     f"{str(insp.outputs(layer).shape):<14} {weights}")
    return "\n".join(lines)


def main():
    from seernn_widgets import Inspector, detect_nans
    model, x, y = trained_default()
    insp = Inspector(model, x, y)
    print(f"model {model.name!r}, batch x{x.shape} y{y.shape}, "
          f"step {insp.step}, loss {insp.loss:.4f}\n")
    print(layer_table(insp))
    print("\ngradients of the loss w.r.t. each layer's output:")
    for name in insp.layer_names:
        grad = insp.gradients(name)
        print(f"  {name:<8} {grad.shape}  max|g| {np.abs(grad).max():.2e}  "
              f"NaN/Inf: {detect_nans(grad) or 'none'}")
    rnn = insp.rnn("bilstm", kind="gradients")
    print(f"\n'bilstm' weight-gradients by direction, kernel and gate "
          f"({rnn.info.cell}, gates {rnn.info.gates}):")
    for (direction, kernel), array in rnn.arrays.items():
        pieces = rnn.gates_of(direction, kernel)
        print(f"  {direction:<8} {kernel:<9} {array.shape} -> "
              f"{len(pieces)} gates of {pieces[0].shape}")
    print(f"\none pass computed all of the above: {insp.compute_count} pass(es)")


if __name__ == "__main__":
    main()
