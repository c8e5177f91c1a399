"""Turn the inputs users pass (arrays, lists, dicts, a tf.data.Dataset, a
generator or keras PyDataset) into one batch of tensors the inspector can feed
to its traced function."""
import collections.abc
import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import tree


def first_batch(input_data, labels=None, sample_weight=None):
    """(x, y, sample_weight) of one batch; a Dataset gives its first element."""
    batches = _batches(input_data)
    if batches is not None:
        if labels is not None or sample_weight is not None:
            raise ValueError(
                f"with a {type(input_data).__name__}, labels and sample_weight come "
                f"from its elements (x, y[, sample_weight]); do not pass them "
                f"separately")
        try:
            element = next(batches)
        except StopIteration:
            raise ValueError(f"input_data ({type(input_data).__name__}) yielded no "
                             f"batch; it must yield x or (x, y[, sample_weight])") from None
        if isinstance(element, tuple):
            x, y, sample_weight = (tuple(element) + (None, None))[:3]
            return x, y, sample_weight
        return element, None, None
    return input_data, labels, sample_weight


def _batches(input_data):
    """An iterator over the batches of a Dataset, PyDataset or generator;
    None for plain arrays (lists and dicts of arrays included)."""
    if isinstance(input_data, tf.data.Dataset):
        return iter(input_data)
    if isinstance(input_data, keras.utils.PyDataset):
        return iter([input_data[0]])
    if isinstance(input_data, collections.abc.Iterator):
        return input_data
    return None


def limit_samples(batch, max_samples):
    """(x, y, sample_weight) cut to their first `max_samples` samples, with a
    warning when that happens (memory grows with every sample)."""
    n = int(tree.flatten(batch[0])[0].shape[0])
    if max_samples is None or n <= max_samples:
        return batch
    warnings.warn(f"input_data has {n} samples; the inspector keeps the first "
                  f"{max_samples} (max_samples={max_samples}) to bound memory",
                  stacklevel=3)
    return tuple(None if part is None else
                 tree.map_structure(lambda t: t[:max_samples], part) for part in batch)


def to_tensors(data):
    """Nested structure of arrays -> same structure of tensors (None kept)."""
    if data is None:
        return None
    return tree.map_structure(tf.convert_to_tensor, data)


def batch_size(x):
    sizes = {int(t.shape[0]) for t in tree.flatten(x)}
    if len(sizes) != 1:
        raise ValueError(
            f"all model inputs must have the same number of samples, got "
            f"sizes {sorted(sizes)}")
    size = sizes.pop()
    if size == 0:
        raise ValueError("input_data is an empty batch (0 samples); pass at "
                         "least one sample")
    return size


def _is_nested_list(value):
    """Python lists (or tuples) of numbers or of more such lists."""
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, (int, float)) or _is_nested_list(v) for v in value)


def from_lists(data, n_parts):
    """Nested Python lists of numbers become arrays, as `fit` takes them:
    the whole of `data` when the model has one such part (input, output),
    else each part."""
    if _is_nested_list(data) and n_parts <= 1:
        return np.asarray(data)
    if isinstance(data, (list, tuple)):
        return type(data)(np.asarray(v) if _is_nested_list(v) else v for v in data)
    if isinstance(data, dict):
        return {k: np.asarray(v) if _is_nested_list(v) else v for k, v in data.items()}
    return data


def _model_inputs(model):
    return _symbolic(model, "inputs")


def _symbolic(model, what):
    """The model's symbolic inputs or outputs ([] when it has none)."""
    try:
        return list(getattr(model, what))
    except (AttributeError, ValueError):
        return []


def as_arrays(x, y, sample_weight, model):
    """(x, y, sample_weight) with nested Python lists as arrays."""
    n_outputs = len(_symbolic(model, "outputs"))
    return (from_lists(x, len(_model_inputs(model))), from_lists(y, n_outputs),
            from_lists(sample_weight, n_outputs))


def check_inputs(x, model):
    """Each input's rank must be the model input's: an unbatched Dataset
    (elements one sample each) would otherwise read timesteps as samples."""
    expected = _model_inputs(model)
    given = tree.flatten(x)
    if not expected or len(expected) != len(given):
        return
    for tensor, ref in zip(given, expected):
        want, got = len(ref.shape), tensor.shape.rank
        if got == want - 1:
            raise ValueError(
                f"input_data has shape {tuple(tensor.shape)} but model input "
                f"{ref.name!r} takes batches of shape {tuple(ref.shape)}: it looks "
                f"like one sample without the batch axis (an unbatched "
                f"tf.data.Dataset? call .batch(n) on it; or add a first axis)")
        if got != want:
            raise ValueError(
                f"input_data has shape {tuple(tensor.shape)} but model input "
                f"{ref.name!r} takes batches of shape {tuple(ref.shape)} "
                f"({want} axes, the first one samples)")
