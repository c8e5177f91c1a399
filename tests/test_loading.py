"""Saved models and data files load safely: never by running code from them."""
import json
import os
import shutil
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest

from seernn_widgets import demo, loading
from seernn_widgets.loading import LoadError, UnsafeModelError, load_data, load_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lstm_model():
    model = keras.Sequential([keras.Input((6, 3)),
                              keras.layers.LSTM(4, return_sequences=True, name="enc_lstm"),
                              keras.layers.Dense(2, name="head")], name="saved")
    model.compile("adam", "mean_squared_error")  # h5 cannot restore the alias "mse"
    return model


def save_lambda_model(path, sentinel):
    """A model whose Lambda writes `sentinel` whenever its code runs (Keras runs
    it to rebuild the model on loading); the sentinel is gone after saving."""
    writes = eval(f"lambda x: (open({str(sentinel)!r}, 'w').write('ran'), x)[1]")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(writes, name="code"),
                              keras.layers.Dense(2)])
    model.save(path)
    os.remove(sentinel)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_model_loads_with_its_weights(tmp_path, rng, ext):
    model = lstm_model()
    model.save(tmp_path / f"m.{ext}")
    loaded = load_model(tmp_path / f"m.{ext}")
    assert [layer.name for layer in loaded.layers] == ["enc_lstm", "head"]
    assert loaded.compiled
    for saved, got in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, got)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_lambda_code_is_refused_and_never_runs(tmp_path, ext):
    path, sentinel = tmp_path / f"m.{ext}", tmp_path / "ran"
    save_lambda_model(path, sentinel)
    with pytest.raises(UnsafeModelError) as error:
        load_model(path)
    message = str(error.value)
    for words in ("Python code", "safe_mode=True", "safe_mode=False)", "Inspector"):
        assert words in message
    assert not sentinel.exists()
    # the control: loading unsafely does run the code, so the check above can fail
    keras.saving.load_model(path, safe_mode=False)
    assert sentinel.exists()


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_keras_safe_mode_refuses_what_our_scan_might_miss(tmp_path, monkeypatch, ext):
    path, sentinel = tmp_path / f"m.{ext}", tmp_path / "ran"
    save_lambda_model(path, sentinel)
    monkeypatch.setattr(loading, "_has_python_code", lambda config: False)
    with pytest.raises(UnsafeModelError, match="Keras says: .*Lambda"):
        load_model(path)
    assert not sentinel.exists()


def test_tf_keras_2_style_h5_lambda_is_refused(tmp_path):
    """tf.keras 2 wrote a Lambda's code as [code, defaults, closure], which
    Keras before 3.11.3 ran from .h5 files whatever safe_mode said."""
    path, sentinel = tmp_path / "m.h5", tmp_path / "ran"
    save_lambda_model(path, sentinel)
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["model_config"])
        layer = config["config"]["layers"][1]["config"]
        layer["function"] = [layer["function"]["config"]["code"], None, None]
        layer["function_type"] = "lambda"
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(UnsafeModelError, match="Python code"):
        load_model(path)
    assert not sentinel.exists()


def test_named_functions_are_not_mistaken_for_code():
    config = {"class_name": "Lambda", "config": {
        "function": {"class_name": "function", "config": "relu"},
        "output_shape": [None, 3]}}
    assert not loading._has_python_code(config)
    assert loading._has_python_code({"layers": [{"class_name": "__lambda__", "config": {}}]})


def make_saved_model_dir(path):
    path.mkdir()
    (path / "saved_model.pb").write_bytes(b"")


def make_file(path, content=b"not a model"):
    path.write_bytes(content)


@pytest.mark.parametrize("name, make, what", [
    ("missing.keras", None, "no model file"),
    ("exported", make_saved_model_dir, "TensorFlow SavedModel directory"),
    ("model.pkl", make_file, "neither .keras nor .h5"),
    ("model.keras", make_file, "not a .keras zip"),
    ("model.h5", make_file, "not a saved Keras model"),
])
def test_unloadable_paths_say_what_is_accepted(tmp_path, name, make, what):
    if make:
        make(tmp_path / name)
    with pytest.raises(LoadError, match=what) as error:
        load_model(tmp_path / name)
    for words in (".keras", ".h5", "TFSMLayer"):
        assert words in str(error.value)


def test_npz_data_loads(tmp_path, rng):
    x, y = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 6, 2))
    np.savez(tmp_path / "both.npz", x=x, y=y)
    np.savez(tmp_path / "x.npz", x=x)
    got_x, got_y, sample_weight = load_data(tmp_path / "both.npz")
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    assert sample_weight is None
    assert load_data(tmp_path / "x.npz")[1:] == (None, None)


class MakesDirWhenUnpickled:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_pickled_arrays_are_refused_unopened(tmp_path):
    sentinel = tmp_path / "unpickled"
    np.savez(tmp_path / "d.npz", x=np.ones(3), y=np.array([MakesDirWhenUnpickled(sentinel)]))
    with pytest.raises(LoadError, match="'y' .* object array.*refuses pickled arrays"):
        load_data(tmp_path / "d.npz")
    assert not sentinel.exists()
    np.load(tmp_path / "d.npz", allow_pickle=True)["y"]  # the control
    assert sentinel.exists()


def test_npz_without_x_names_the_arrays_found(tmp_path):
    np.savez(tmp_path / "d.npz", inputs=np.ones(3), y=np.ones(3))
    with pytest.raises(LoadError, match=r"\['inputs', 'y'\]; it must hold 'x'"):
        load_data(tmp_path / "d.npz")


def test_a_pickle_named_npz_is_refused(tmp_path):
    np.save(tmp_path / "d.npy", np.array([{}], dtype=object), allow_pickle=True)
    shutil.move(tmp_path / "d.npy", tmp_path / "d.npz")
    with pytest.raises(LoadError, match="pickled data is refused"):
        load_data(tmp_path / "d.npz")


def run_demo(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "seernn_widgets.demo", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


def test_cli_reports_a_saved_model(tmp_path):
    lstm_model().save(tmp_path / "m.keras")
    out = run_demo("--model", str(tmp_path / "m.keras"))
    assert out.returncode == 0, out.stderr
    assert "batch x(16, 6, 3) y(16, 6, 2)" in out.stdout     # the random batch
    rows = [line.split()[:3] for line in out.stdout.splitlines()]
    assert ["0", "enc_lstm", "LSTM"] in rows and ["1", "head", "Dense"] in rows
    assert "'enc_lstm' weight-gradients by direction" in out.stdout
    assert "inspector passes for all of the above: 1" in out.stdout


def test_cli_refuses_a_lambda_file_without_traceback(tmp_path):
    save_lambda_model(tmp_path / "m.keras", tmp_path / "ran")
    out = run_demo("--model", str(tmp_path / "m.keras"))
    assert out.returncode != 0
    assert "contains Python code" in out.stderr and "safe_mode=False" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "ran").exists()


def test_cli_data_file(tmp_path, rng, capsys):
    lstm_model().save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=rng.standard_normal((5, 6, 3)).astype("float32"),
             y=np.zeros((5, 6, 2), "float32"))
    demo.main(["--model", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz")])
    assert "batch x(5, 6, 3) y(5, 6, 2)" in capsys.readouterr().out
    np.savez(tmp_path / "bad.npz", x=np.ones((5, 6, 3)), y=np.ones((5, 9)))
    with pytest.raises(SystemExit, match="error: .*labels"):
        demo.main(["--model", str(tmp_path / "m.keras"), "--data", str(tmp_path / "bad.npz")])
