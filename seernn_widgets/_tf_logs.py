"""TensorFlow's C++ log lines, kept out of users' cells and exported pages.

Importing TensorFlow 2.21 writes INFO lines to the process's stderr (file
descriptor 2, which Jupyter shows in the cell)::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796195454.318189    9161 port.cc:153] oneDNN custom operations are on. ...
    I0000 00:00:1796195454.441302    9161 cpu_feature_guard.cc:227] This TensorFlow binary is ...
    To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow ...

``TF_CPP_MIN_LOG_LEVEL=2`` silences the later ones but not ``port.cc``'s,
which is logged while the library loads, before TensorFlow applies the
level.  So `quiet_tensorflow_import` also filters descriptor 2 while
TensorFlow loads: log lines below the level are dropped, every other byte
(ERROR and FATAL lines at level 2, anything else) is passed on at once.
"""
import contextlib
import os
import re
import sys
import threading

__all__ = ["is_log_noise", "drop_log_noise", "quiet_tensorflow_import"]

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


def quiet_tensorflow_import():
    """Import TensorFlow with its C++ INFO/WARNING log lines left out.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (errors still show) if the user has not
    set it, and applies the level to the lines TensorFlow logs before it
    reads it.  Does nothing if TensorFlow is already imported (its lines are
    printed by then, and the level is read once)."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault(LEVEL_VAR, "2")
    level = min_log_level()
    if level <= 0:
        import tensorflow  # noqa: F401
        return
    with filtered_stderr_fd(level):
        import tensorflow  # noqa: F401
