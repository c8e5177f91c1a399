"""Imported first by the package: TensorFlow's first import, by the package
or by the user, loads with TF_CPP_MIN_LOG_LEVEL=2 unless the user set it, and
its import-time INFO lines kept out of the cell (see `_tf_logs`). Nothing is
imported now: a recorded run (`runs.Run`) is read without TensorFlow."""
from ._tf_logs import quiet_tensorflow_when_imported

quiet_tensorflow_when_imported()
