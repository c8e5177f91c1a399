"""Load a saved model and a data file without running code from them.

Models load with Keras' `safe_mode=True`, data with `allow_pickle=False`.
Before Keras sees a model file, its config is searched for Lambda layers that
carry marshalled Python bytecode: Keras releases before 3.11.3 ignored
`safe_mode` for `.h5` files, and our requirements still allow them.
"""
import json
import os
import zipfile

import numpy as np

MODEL_FORMATS = (
    "seernn_widgets loads Keras models saved as a .keras file (model.save("
    "'model.keras')) or as a legacy .h5/.hdf5 file. A TensorFlow SavedModel "
    "directory is not a Keras model: wrap it in one of your own with "
    "keras.layers.TFSMLayer(path, call_endpoint='serving_default') and pass "
    "that model to Inspector")
DATA_KEYS = ("x", "y", "sample_weight")


class LoadError(ValueError):
    """A model or data file that cannot be loaded; the message says why and
    what is accepted."""


class UnsafeModelError(LoadError):
    """A model file that only loads with `safe_mode=False`, i.e. by running
    code or reading files it names."""


def load_model(path, custom_objects=None):
    """The Keras model saved in `path` (.keras or .h5), loaded safely.

    Example:
        model = load_model("model.keras")
        insp = Inspector(model, *load_data("batch.npz"))
    """
    import keras
    path = os.fspath(path)
    _check_model_path(path)
    if _has_python_code(_model_config(path)):
        raise _unsafe(path, "contains Python code (the marshalled bytecode of "
                            "a Lambda layer's function) that would run on loading")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       safe_mode=True)
    except Exception as e:
        refusal = _safe_mode_refusal(e)
        if refusal:
            raise _unsafe(path, f"needs unsafe loading, which could run code "
                                f"from it; Keras says: {refusal}") from e
        first_line = str(e).partition("\n")[0] or type(e).__name__
        raise LoadError(f"could not load a Keras model from {path!r}: "
                        f"{first_line}") from e


def load_data(path):
    """(x, y, sample_weight) from an .npz file holding an array `x` and
    optionally `y` and `sample_weight` (None where absent). Pickled (object)
    arrays are refused.

    Example:
        np.savez("batch.npz", x=x, y=y)
        x, y, sample_weight = load_data("batch.npz")
    """
    path = os.fspath(path)
    how = "data files are made with np.savez(path, x=x, y=y), y and sample_weight optional"
    if not os.path.isfile(path):
        raise LoadError(f"no data file at {path!r}; {how}")
    if not path.endswith(".npz"):
        raise LoadError(f"{path!r} is not an .npz file; {how}")
    try:
        with np.load(path, allow_pickle=False) as data:
            found = list(data.keys())
            unknown = sorted(set(found) - set(DATA_KEYS))
            if "x" not in found or unknown:
                raise LoadError(
                    f"{path!r} holds arrays {found}; it must hold 'x' and may "
                    f"hold 'y' and 'sample_weight', nothing else")
            return tuple(_array(data, key, path) for key in DATA_KEYS)
    except LoadError:
        raise
    except Exception as e:  # a pickle file, a broken zip
        raise LoadError(f"could not read {path!r} as an .npz of plain arrays "
                        f"(pickled data is refused): {e}") from e


def _array(data, key, path):
    if key not in data:
        return None
    try:
        return data[key]
    except ValueError as e:  # numpy refuses object arrays without pickle
        raise LoadError(
            f"array {key!r} in {path!r} is an object array, which only loads "
            f"by unpickling, and seernn_widgets refuses pickled arrays: save "
            f"numeric arrays (e.g. x.astype('float32'))") from e


def _check_model_path(path):
    if os.path.isdir(path):
        what = ("a TensorFlow SavedModel directory"
                if os.path.exists(os.path.join(path, "saved_model.pb")) else "a directory")
        raise LoadError(f"{path!r} is {what}. {MODEL_FORMATS}")
    if not os.path.isfile(path):
        raise LoadError(f"no model file at {path!r}. {MODEL_FORMATS}")
    if not path.endswith((".keras", ".h5", ".hdf5")):
        raise LoadError(f"{path!r} is neither .keras nor .h5. {MODEL_FORMATS}")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        raise LoadError(f"{path!r} is not a .keras zip archive. {MODEL_FORMATS}")


def _model_config(path):
    """The model's config as saved in the file (None if there is none)."""
    try:
        if path.endswith(".keras"):
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        import h5py
        with h5py.File(path, "r") as f:
            text = f.attrs.get("model_config")
        return None if text is None else json.loads(text)
    except (KeyError, OSError, ValueError, zipfile.BadZipFile) as e:
        raise LoadError(f"{path!r} is not a saved Keras model ({e}). "
                        f"{MODEL_FORMATS}") from e


def _has_python_code(config):
    """Whether a config holds a serialized Python function: Keras 3 writes
    {'class_name': '__lambda__', ...}, tf.keras 2 a Lambda layer with
    function_type 'lambda' and its function as [code, defaults, closure]."""
    if isinstance(config, list):
        return any(map(_has_python_code, config))
    if not isinstance(config, dict):
        return False
    layer = config.get("config")
    return (config.get("class_name") == "__lambda__"
            or "lambda" in (config.get("function_type"), config.get("output_shape_type"))
            or (config.get("class_name") == "Lambda" and isinstance(layer, dict)
                and isinstance(layer.get("function"), list))
            or any(map(_has_python_code, config.values())))


def _safe_mode_refusal(error):
    """Keras' message if `error` (or one it was raised from) is a refusal
    under safe_mode, else None."""
    while error is not None:
        if isinstance(error, ValueError) and "safe_mode=False" in str(error):
            return str(error)
        error = error.__cause__ or error.__context__
    return None


def _unsafe(path, reason):
    return UnsafeModelError(
        f"{path!r} {reason}. seernn_widgets only loads models with "
        f"safe_mode=True. If you trust this file, load it yourself with "
        f"keras.saving.load_model({path!r}, safe_mode=False) and pass the "
        f"model to Inspector")
