"""Imported first by the package, so that TensorFlow loads here: with
TF_CPP_MIN_LOG_LEVEL=2 unless the user set it, and its import-time INFO
lines kept out of the cell (see `_tf_logs.quiet_tensorflow_import`)."""
from ._tf_logs import quiet_tensorflow_import

quiet_tensorflow_import()
