"""Run by tests/test_backends.py in a subprocess per Keras backend (Keras
picks its backend at import): builds the same models, saves their weights
(first backend) or loads them (later ones), and writes every array the
Inspector computes, plus whether predict/train_on_batch stayed bit-identical
with inspection in between.

    KERAS_BACKEND=jax python tests/backend_probe.py WEIGHTS_DIR OUT.npz
    python tests/backend_probe.py WEIGHTS_DIR        # only save the weights
"""
import json
import os
import sys
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import seernn_widgets as sw  # noqa: E402
from seernn_widgets import Inspector  # noqa: E402
from test_subclassed import Looped, Nested, Siamese, Stacked  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.standard_normal((6, 9, 3)).astype("float32")
X2 = RNG.standard_normal((6, 9, 3)).astype("float32")
Y = RNG.standard_normal((6, 2)).astype("float32")
Y_CLASS = np.eye(3, dtype="float32")[RNG.integers(0, 3, 6)]


class Unused(Stacked):
    """A call off the loss's path: no gradient on either backend."""

    def call(self, x):
        self.pool(self.lstm(x))
        return self.head(self.pool(self.bigru(self.lstm(x))))


def functional():
    x = keras.Input((9, 3))
    h = keras.layers.Masking(name="mask")(x)
    h = keras.layers.LSTM(5, return_sequences=True, name="lstm")(h)
    h, _ = keras.layers.GRU(4, return_sequences=True, return_state=True, name="gru")(h)
    h = keras.layers.Bidirectional(keras.layers.SimpleRNN(3), name="bi")(h)
    out = keras.layers.Dense(3, activation="softmax", name="probs")(h)
    model = keras.Model(x, out, name="functional")
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def subclassed(cls):
    def make():
        model = cls(name=cls.__name__.lower())
        model.compile(optimizer="adam", loss="mse")
        return model
    return make


MODELS = {   # name: (make, x, y)
    "functional": (functional, X, Y_CLASS),
    "stacked": (subclassed(Stacked), X, Y),
    "looped": (subclassed(Looped), X, Y),
    "nested": (subclassed(Nested), X, Y),
    "siamese": (subclassed(Siamese), [X, X2], Y),
    "unused": (subclassed(Unused), X, Y),
}


def probe(name, make, x, y, weights_dir, out):
    keras.utils.set_random_seed(5)
    model = make()
    model.predict(x, verbose=0)    # built
    path = weights_dir / f"{name}.weights.h5"
    if path.exists():
        model.load_weights(path)
    else:
        model.save_weights(path)
    before = model.predict(x, verbose=0)
    insp = Inspector(model, x, y)
    meta = {"names": insp.layer_names, "reaches": [insp.reaches_loss(n) for n in insp.layer_names],
            "loss": insp.loss}
    for entry in insp.layer_names:
        out[f"{name}/out/{entry}"] = insp.outputs(entry)
        if meta["reaches"][insp.layer_names.index(entry)]:
            out[f"{name}/grad/{entry}"] = insp.gradients(entry)
    for entry in insp.layer_names:   # a functional model's recurrent layers
        if insp.has_gates(entry):
            for gate, values in insp.gates(entry).items():
                out[f"{name}/gates/{entry}/{gate}"] = values
    paths = [v.path for v in model.trainable_variables]
    for i, grad in enumerate(insp.weight_gradients()[p] for p in paths):
        out[f"{name}/wgrad/{i}"] = grad
    # predict and one training step: as without inspection
    meta["predict_same"] = bool(np.array_equal(model.predict(x, verbose=0), before))
    twin = make()
    twin.predict(x, verbose=0)
    twin.set_weights(model.get_weights())
    model.train_on_batch(x, y)
    twin.train_on_batch(x, y)
    meta["train_same"] = all(np.array_equal(a, b)
                             for a, b in zip(model.get_weights(), twin.get_weights()))
    return meta


def views_and_functions(weights_dir, out):
    """What every widget draws and see-rnn's functions return, on the
    stacked model's saved weights."""
    keras.utils.set_random_seed(5)
    model = subclassed(Stacked)()
    model.predict(X, verbose=0)
    model.load_weights(weights_dir / "stacked.weights.h5")
    insp = Inspector(model, X, Y)
    f2 = sw.Features2D(insp, layer="bigru", mode="gradients", sample=1)
    out["views/features2d"] = f2.view_data()
    heatmap = sw.RNNHeatmap(insp, layer="bigru", mode="gradients", direction="backward")
    for kernel, matrix in heatmap.view_data().items():
        out[f"views/rnnheatmap/{kernel}"] = matrix
    for key, (_, edges) in sw.RNNHistogram(insp, layer="lstm").view_data().items():
        # the edges: a count may move one bin where a value sits on an edge
        out[f"views/rnnhistogram/{key}"] = edges
    out["views/features1d"] = np.stack(list(sw.Features1D(insp, layer="lstm").view_data().values()))
    out["views/features0d"] = np.asarray(sw.Features0D(insp, layer="head").view_data())
    norms = sw.WeightNorms(insp, layer="lstm").history()["norms"]
    out["views/weightnorms"] = np.array([v[s][0] for v in norms.values() for s in ("max", "mean")])
    explorer = sw.Explorer(insp, layer="bigru", what="output-gradients")
    out["views/explorer"] = explorer.view.view_data()
    out["compat/get_gradients"] = sw.get_gradients(model, "bigru", X, Y)
    out["compat/get_outputs"] = sw.get_outputs(model, "lstm", X)
    for i, w in enumerate(sw.get_rnn_weights(model, "bigru")):
        out[f"compat/get_rnn_weights/{i}"] = np.asarray(w)


def two_batch_sizes(weights_dir, out):
    """Two inspectors of one model (one engine) on batches of 6 and 1 samples:
    each gets its own batch's gradients."""
    keras.utils.set_random_seed(5)
    model = subclassed(Stacked)()
    model.predict(X, verbose=0)
    model.load_weights(weights_dir / "stacked.weights.h5")
    out["batches/6"] = Inspector(model, X, Y).gradients("lstm")
    out["batches/1"] = Inspector(model, X[:1], Y[:1]).gradients("lstm")


def live_training(weights_dir, out):
    """LiveRefresh inside fit, every batch: what the inspector reads then is
    the model as train_on_batch leaves it after as many batches (on JAX, fit
    keeps its state apart from the variables mid-epoch)."""
    def make():
        keras.utils.set_random_seed(5)
        model = subclassed(Stacked)()
        model.predict(X, verbose=0)
        model.load_weights(weights_dir / "stacked.weights.h5")
        return model
    model, twin = make(), make()
    insp = Inspector(model, X, Y)
    seen = []
    insp.observe(lambda i: seen.append((i.step, i.weights("lstm")[0], i.gradients("lstm"))))
    model.fit(X, Y, batch_size=2, epochs=1, shuffle=False, verbose=0,
              callbacks=[sw.LiveRefresh(insp, every_n_batches=1, min_interval_s=0)])
    expected = []
    for start in range(0, len(X), 2):
        twin.train_on_batch(X[start:start + 2], Y[start:start + 2])
        expected.append(twin.get_weights()[0])
    out["live/steps"] = np.array([step for step, _, _ in seen])
    out["live/kernel_seen"] = np.stack([w for _, w, _ in seen])
    out["live/kernel_trained"] = np.stack(expected)
    out["live/gradients"] = np.stack([g for _, _, g in seen])


def save_weights(weights_dir):
    """Every model's initial weights, for the probes of both backends to load
    (so they can run side by side)."""
    for name, (make, x, _) in MODELS.items():
        keras.utils.set_random_seed(5)
        model = make()
        model.predict(x, verbose=0)    # built
        model.save_weights(weights_dir / f"{name}.weights.h5")


def main(weights_dir, out_path=None):
    weights_dir = Path(weights_dir)
    weights_dir.mkdir(exist_ok=True)
    if out_path is None:
        save_weights(weights_dir)
        return
    out, metas = {}, {}
    for name, (make, x, y) in MODELS.items():
        metas[name] = probe(name, make, x, y, weights_dir, out)
    views_and_functions(weights_dir, out)
    two_batch_sizes(weights_dir, out)
    live_training(weights_dir, out)
    out["meta"] = np.array(json.dumps({"backend": keras.backend.backend(), "models": metas}))
    np.savez(out_path, **out)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main(*sys.argv[1:])
