"""Backend parity: the same models on the same saved weights, inspected
under TensorFlow and under JAX, each in a subprocess of its own (Keras picks
its backend at import, see tests/backend_probe.py), give the same entries,
the same reachability and the same numbers - outputs, output-gradients and
weight-gradients within 1e-5 of each array's largest value, and so what
every widget draws and see-rnn's functions return - and leave predict and
train_on_batch bit-identical on both backends."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROBE = Path(__file__).parent / "backend_probe.py"
BACKENDS = ("tensorflow", "jax")


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backends")
    weights = str(tmp / "weights")

    def probe(backend, *out):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
        return subprocess.Popen([sys.executable, str(PROBE), weights, *map(str, out)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finished(run):
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]

    finished(probe("tensorflow"))   # the weights both load: then side by side
    runs = {backend: probe(backend, tmp / f"{backend}.npz") for backend in BACKENDS}
    results = {}
    for backend, run in runs.items():
        finished(run)
        with np.load(tmp / f"{backend}.npz") as data:
            results[backend] = {k: data[k] for k in data.files}
    return {b: (json.loads(str(r.pop("meta"))), r) for b, r in results.items()}


def test_each_backend_ran_as_itself(probed):
    assert [probed[b][0]["backend"] for b in BACKENDS] == list(BACKENDS)


def test_same_entries_and_reachability(probed):
    tf_models, jax_models = (probed[b][0]["models"] for b in BACKENDS)
    assert tf_models.keys() == jax_models.keys()
    for name in tf_models:
        assert tf_models[name]["names"] == jax_models[name]["names"], name
        assert tf_models[name]["reaches"] == jax_models[name]["reaches"], name
    assert jax_models["unused"]["reaches"] == [False, False, True, True, True, True]
    assert jax_models["siamese"]["names"] == ["enc", "enc#2", "head"]
    assert jax_models["functional"]["names"][:4] == ["mask", "lstm", "gru", "gru[1]"]


def test_same_numbers(probed):
    (tf_meta, tf_arrays), (jax_meta, jax_arrays) = (probed[b] for b in BACKENDS)
    assert tf_arrays.keys() == jax_arrays.keys()
    kinds = {key.split("/")[1] for key in tf_arrays
             if not key.startswith(("views", "compat", "live", "batches"))}
    assert kinds == {"out", "grad", "wgrad", "gates"}
    assert {k for k in tf_arrays if "/gates/" in k} >= {   # masked, return_state, last state
        "functional/gates/lstm/f", "functional/gates/gru/h", "functional/gates/bi/h"}
    drawn = {key.split("/")[1] for key in tf_arrays if key.startswith("views/")}
    assert drawn == {"features2d", "rnnheatmap", "rnnhistogram", "features1d", "features0d",
                     "weightnorms", "explorer"}
    for key, expected in tf_arrays.items():
        got = jax_arrays[key]
        assert got.shape == expected.shape, key
        scale = max(float(np.abs(expected).max()), 1e-30)
        assert float(np.abs(got - expected).max()) <= 1e-5 * scale, key
    for name in tf_meta["models"]:
        assert jax_meta["models"][name]["loss"] == pytest.approx(
            tf_meta["models"][name]["loss"], rel=1e-5), name


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_and_training_unchanged_by_inspection(probed, backend):
    for name, meta in probed[backend][0]["models"].items():
        assert meta["predict_same"] and meta["train_same"], (backend, name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_live_refresh_sees_each_batch_of_fit(probed, backend):
    arrays = probed[backend][1]
    assert arrays["live/steps"].tolist() == [1, 2, 3]
    seen, trained = arrays["live/kernel_seen"], arrays["live/kernel_trained"]
    np.testing.assert_allclose(seen, trained, rtol=1e-5, atol=1e-7)
    assert not np.allclose(seen[0], seen[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_inspectors_of_one_model_on_other_batch_sizes(probed, backend):
    arrays = probed[backend][1]
    assert arrays["batches/6"].shape[0] == 6 and arrays["batches/1"].shape[0] == 1
    # one sample's gradient of a mean loss is 6x its share in the batch of 6
    assert not np.allclose(arrays["batches/1"][0], arrays["batches/6"][0])
