"""The embedded default: a small LSTM trained on synthetic sequences.

`python -m seernn_widgets.demo` trains it briefly and prints what the
inspector sees: the layer table and the shape of every array it computes.
`python -m seernn_widgets.demo --model FILE [--data FILE.npz]` prints the same
for a saved model, loaded safely (see `loading`).
"""
import argparse
import sys

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


def random_batch(model, batch_size=16, seed=0, unknown_size=10):
    """A seeded stand-in batch when no data is given: x of the model's input
    shape and, if it is compiled, labels of its output shape so gradients
    show (class ids for a sparse loss). None-sized axes get `unknown_size`."""
    rng = np.random.default_rng(seed)

    def like(tensor, high=None):
        shape = (batch_size, *(unknown_size if n is None else n for n in tensor.shape[1:]))
        if high is not None:
            return rng.integers(0, high, shape[:-1])
        if "int" in str(tensor.dtype):
            return rng.integers(0, 2, shape)
        return rng.standard_normal(shape).astype(np.float32)

    x = [like(t) for t in model.inputs]
    y = None
    if model.compiled:
        sparse = "sparse" in str(getattr(model, "loss", "")).lower()
        y = [like(t, high=t.shape[-1] if sparse else None) for t in model.outputs]
        y = y[0] if len(y) == 1 else y
    return (x[0] if len(x) == 1 else x), y


def layer_table(insp):
    """One line per layer: class, output shape, weights."""
    layers = [insp.layer(name) for name in insp.layer_names]
    width = max([8, *(len(layer.name) for layer in layers)])
    cls_width = max([14, *(len(type(layer).__name__) + 1 for layer in layers)])
    lines = [f"{'#':>2}  {'layer':<{width}} {'class':<{cls_width}} {'output':<14} weights"]
    for index, layer in enumerate(layers):
        weights = ", ".join(f"{v.path.split('/')[-1]}{tuple(v.shape)}"
                            for v in layer.weights)
        lines.append(f"{index:>2}  {layer.name:<{width}} "
                     f"{type(layer).__name__:<{cls_width}} "
                     f"{str(_shapes(insp.outputs(layer))):<14} {weights}")
    return "\n".join(lines)


def _shapes(arrays):
    """The shape of an array, or the shapes of several (None stays None)."""
    from keras import tree
    return None if arrays is None else tree.map_structure(lambda a: tuple(a.shape), arrays)


def report(insp, rnn_layer):
    """Print what the inspector sees: layers, gradients (when there are labels
    and a loss) and `rnn_layer`'s weights or weight-gradients by gate."""
    from seernn_widgets import detect_nans
    model = insp.model
    with_loss = insp.y is not None and model.compiled
    if with_loss:   # ask for the most first: then one pass serves the whole report
        insp.weight_gradients()
    loss = f"loss {insp.loss:.4f}" if with_loss else "no loss (no labels, or not compiled)"
    print(f"model {model.name!r}, batch x{_shapes(insp.x)} y{_shapes(insp.y)}, "
          f"step {insp.step}, {loss}\n")
    print(layer_table(insp))
    if with_loss:
        print("\ngradients of the loss w.r.t. each layer's output:")
        width = max([8, *map(len, insp.layer_names)])
        for name in insp.layer_names:
            grad = insp.gradients(name)
            print(f"  {name:<{width}} {grad.shape}  max|g| {np.abs(grad).max():.2e}  "
                  f"NaN/Inf: {detect_nans(grad) or 'none'}")
    if rnn_layer is not None:
        kind, what = ("gradients", "weight-gradients") if with_loss else ("weights", "weights")
        rnn = insp.rnn(rnn_layer, kind=kind)
        print(f"\n{rnn_layer!r} {what} by direction, kernel and gate "
              f"({rnn.info.cell}, gates {rnn.info.gates}):")
        for (direction, kernel), array in rnn.arrays.items():
            pieces = rnn.gates_of(direction, kernel)
            print(f"  {direction:<8} {kernel:<9} {array.shape} -> "
                  f"{len(pieces)} gates of {pieces[0].shape}")
    print(f"\ninspector passes for all of the above: {insp.compute_count}")


def first_recurrent(model):
    """The name of the model's first RNN layer (None if it has none)."""
    from seernn_widgets import rnn
    return next((layer.name for layer in model.layers if rnn.is_recurrent(layer)), None)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m seernn_widgets.demo",
        description="Print what the inspector sees of the embedded demo model, "
                    "or of a saved model (loaded with Keras' safe_mode=True).")
    parser.add_argument("--model", metavar="FILE", help="a .keras or .h5 model file")
    parser.add_argument("--data", metavar="FILE.npz",
                        help="arrays x and optionally y, sample_weight "
                             "(default: a random batch of 16)")
    args = parser.parse_args(argv)
    if args.data and not args.model:
        parser.error("--data needs --model")

    from seernn_widgets import Inspector, loading
    if args.model is None:
        model, x, y = trained_default()
        report(Inspector(model, x, y), "bilstm")
        return
    try:
        model = loading.load_model(args.model)
        x, y, sample_weight = (loading.load_data(args.data) if args.data
                               else (*random_batch(model), None))
        report(Inspector(model, x, y, sample_weight), first_recurrent(model))
    except ValueError as e:  # LoadError, or data that does not fit the model
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
