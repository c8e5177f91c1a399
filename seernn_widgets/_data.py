"""Turn the inputs users pass (arrays, lists, dicts, a tf.data.Dataset) into
one batch of tensors the inspector can feed to its traced function."""
import tensorflow as tf
from keras import tree


def first_batch(input_data, labels=None, sample_weight=None):
    """(x, y, sample_weight) of one batch; a Dataset gives its first element."""
    if isinstance(input_data, tf.data.Dataset):
        if labels is not None or sample_weight is not None:
            raise ValueError(
                "with a tf.data.Dataset, labels and sample_weight come from "
                "the dataset's elements (x, y[, sample_weight]); do not pass "
                "them separately")
        element = next(iter(input_data))
        if isinstance(element, tuple):
            x, y, sample_weight = (tuple(element) + (None, None))[:3]
            return x, y, sample_weight
        return element, None, None
    return input_data, labels, sample_weight


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
