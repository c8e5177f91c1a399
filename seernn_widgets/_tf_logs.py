"""TensorFlow's C++ log lines, kept out of users' cells and exported pages.

Importing TensorFlow 2.21 writes INFO lines to the process's stderr (file
descriptor 2, which Jupyter shows in the cell)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796195454.318189    9161 port.cc:153] oneDNN custom operations are on. ...
    I0000 00:00:1796195454.441302    9161 cpu_feature_guard.cc:227] This TensorFlow binary is ...
    To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow ...

``TF_CPP_MIN_LOG_LEVEL=2`` silences the later ones but not ``port.cc``'s,
which is logged while the library loads, before TensorFlow applies the
level.  So `quiet_tensorflow_when_imported` also filters descriptor 2 while
TensorFlow loads: log lines below the level are dropped, every other byte
(ERROR and FATAL lines at level 2, anything else) is passed on at once.
"""
import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading

__all__ = ["is_log_noise", "drop_log_noise", "quiet_tensorflow_when_imported"]

LEVEL_VAR = "TF_CPP_MIN_LOG_LEVEL"
_LOG_LINE = re.compile(
    # absl/glog: "I0000 00:00:1796195454.318189    9161 port.cc:153] ..."
    r"(?P<a>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\s:]+:\d+\] .*"
    # older: "2026-01-30 22:44:42.456316: I tensorflow/core/util/port.cc:153] ..."
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<b>[IWEF]) [^\s:]+:\d+\] .*"
    # absl's preamble, and the second line of cpu_feature_guard's INFO message
    r"|(?P<i>WARNING: All log messages before absl::InitializeLog\(\) is called are written "
    r"to STDERR|To enable the following instructions: .* rebuild TensorFlow with the "
    r"appropriate compiler flags\.)")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}


def is_log_noise(line, level=2):
    """True for one TensorFlow/absl log line below ``level`` (TF_CPP_MIN_LOG_LEVEL's
    scale: 1 drops INFO, 2 also WARNING, 3 also ERROR; FATAL lines are never noise)."""
    match = _LOG_LINE.fullmatch(line.rstrip("\r\n"))
    if match is None:
        return False
    severity = 0 if match["i"] else _SEVERITY[match["a"] or match["b"]]
    return severity < min(level, 3)


def drop_log_noise(text, level=2):
    """``text`` without its TensorFlow/absl INFO and WARNING log lines."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not is_log_noise(line, level))


def min_log_level():
    """TF_CPP_MIN_LOG_LEVEL as an int (0 if unset or not a number)."""
    try:
        return int(os.environ.get(LEVEL_VAR, "0"))
    except ValueError:
        return 0


@contextlib.contextmanager
def filtered_stderr_fd(level, fd=2):
    """While inside, what is written to descriptor ``fd`` (C++ code writes
    there directly, not through ``sys.stderr``) passes through
    `is_log_noise` line by line; the rest reaches the original ``fd`` at once."""
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        saved = os.dup(fd)
        read_end, write_end = os.pipe()
    except OSError:       # no descriptor 2 (e.g. pythonw): nothing to filter
        yield
        return
    os.dup2(write_end, fd)
    os.close(write_end)

    def pump():
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not is_log_noise(line.decode("utf-8", "replace"), level):
                    with contextlib.suppress(OSError):
                        os.write(saved, line)

    thread = threading.Thread(target=pump, name="seernn-stderr-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        os.dup2(saved, fd)          # the pipe's last write end closes: the pump ends
        thread.join(timeout=5)
        if not thread.is_alive():   # else a child still holds the pipe: it keeps `saved`
            os.close(saved)


def quiet_tensorflow_when_imported():
    """Have TensorFlow's first import, whoever makes it and whenever, run
    with ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the user set it) and descriptor 2
    filtered, without importing it now: importing the package must not load
    TensorFlow (a recorded run is read without it), yet a user's own
    `import tensorflow` after it stays quiet. Does nothing once TensorFlow is
    imported (its lines are printed by then, and the level is read once)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlow) for f in sys.meta_path):
        return
    os.environ.setdefault(LEVEL_VAR, "2")
    sys.meta_path.insert(0, _QuietTensorFlow())


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as the other finders do, and runs its module code
    (which imports the rest of it) inside the stderr filter; once."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


class _FilteredLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        level = min_log_level()
        with filtered_stderr_fd(level) if level > 0 else contextlib.nullcontext():
            self.loader.exec_module(module)
