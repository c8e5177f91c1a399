"""`python -m seernn_widgets.view RUN [--port P] [--interval S]`: watch a run
that a training script records (`Recorder`) from a browser, without writing
a notebook.

It writes a small notebook (an `Explorer` and `WeightNorms` over
`Run(RUN).follow(S)`) to a temporary folder and serves it with Voila on
127.0.0.1: the same widgets as in JupyterLab, with their own kernel and no
code on the page (Voila passes the page's widget messages only). Voila runs
as its ordinary command line in a subprocess, so its server, signals and
kernels stay its own; this process prints the URL and stops it on Ctrl-C or
SIGTERM. Choices:

- the kernel inherits TF_CPP_MIN_LOG_LEVEL=2 unless set (the widgets load
  TensorFlow, whose log lines would show on the page);
- `--strip_sources=True` (the default, stated) and `--show_tracebacks=True`
  (a failing cell says why on the page, which only this machine sees);
- a token, via JUPYTER_TOKEN (so not in `ps`), keeps other users out;
- only the widget managers' and our widgets' lab extensions load
  (EXTENSIONS): others, e.g. jupytext's, fail in Voila's older JupyterLab
  core and fill the console with errors. Voila's `lab` template still asks
  a CDN for FontAwesome's CSS, which no widget here uses: offline the page
  is whole;
- Voila logs errors only: its own URL line (token elided) would compete
  with the one printed here.
"""
import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 120   # seconds for Voila to listen
# the lab extensions the page loads: the widget managers (ipywidgets' and
# Voila's own for ipywidgets 8) and our widgets' front-ends
EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8",
              "bqplot", "bqscales", "bqplot-gl", "bqplot-image-gl", "anywidget")


def notebook(path, interval_s):
    """The dashboard notebook (nbformat 4 JSON) over the run at `path`."""
    cells = [
        "import os\n"
        "os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')\n"
        "import html\n"
        "import ipywidgets\n"
        "from seernn_widgets import Explorer, Run, WeightNorms",
        f"run = Run({path!r}).follow({interval_s!r})\n"
        "heading = ipywidgets.HTML(f'<h3>{html.escape(run.name)}: run '\n"
        "                          f'<code>{html.escape(run.path)}</code></h3>')\n"
        "heading",
        "explorer = Explorer(run)\nexplorer",
        "norms = WeightNorms(run)\nnorms",
    ]
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}",
                   "metadata": {}, "outputs": [], "source": source}
                  for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def run_location(path):
    """`path` as the page's kernel must see it: absolute (the kernel runs in
    the notebook's folder); an fsspec URL as it is."""
    return path if "://" in path else os.path.abspath(path)


def wait_for_run(path, poll_s=1.0):
    """Return once `path` holds a run with a snapshot (a script may not have
    recorded yet); a folder that is not a run is an error."""
    from .runs import Run
    said = False
    while True:
        try:
            if Run(path).steps:
                return
        except FileNotFoundError:
            pass
        if not said:
            print(f"waiting for a Recorder to record into {path} (Ctrl-C stops)", flush=True)
            said = True
        time.sleep(poll_s)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def listening(port):
    """Whether something accepts connections on the port (asking Voila for a
    page would start a kernel)."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) == 0


def serve(path, port=None, interval_s=2.0):
    """Serve the dashboard over the run at `path` until Ctrl-C/SIGTERM (from
    the main thread: it handles signals); prints the URL once Voila listens.
    Returns Voila's exit status."""
    if importlib.util.find_spec("voila") is None:
        raise ValueError("the viewer needs Voila: pip install 'seernn_widgets[view]'")
    if port and listening(port):
        raise ValueError(f"port {port} is in use")
    location = run_location(path)
    wait_for_run(location)
    port = port or free_port()
    token = secrets.token_hex(24)
    folder = Path(tempfile.mkdtemp(prefix="seernn-view-"))
    page = folder / "run.ipynb"
    page.write_text(json.dumps(notebook(location, interval_s), indent=1))
    env = {**os.environ, "JUPYTER_TOKEN": token}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [sys.executable, "-m", "voila", str(page), "--no-browser",
               f"--port={port}", "--Voila.port_retries=0", f"--Voila.ip={HOST}",
               "--Voila.auto_token=True", "--Voila.log_level=ERROR",
               "--strip_sources=True", "--show_tracebacks=True",
               *(f"--VoilaConfiguration.extension_allowlist={e}" for e in EXTENSIONS)]
    proc = subprocess.Popen(command, cwd=folder, env=env)
    # SIGTERM ends this process as Ctrl-C does: the finally below stops Voila
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not listening(port):
            if proc.poll() is not None:
                return proc.returncode
            if time.monotonic() > deadline:
                print(f"Voila did not listen on port {port} within {START_TIMEOUT} s",
                      file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"\nWatching run {location} (new snapshots every {interval_s:g} s) at:\n\n"
              f"    http://{HOST}:{port}/?token={token}\n\nStop with Ctrl-C.\n", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C: let Voila stop
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def stop(proc, timeout=15):
    """Voila stops its kernels on SIGINT/SIGTERM; kill it if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m seernn_widgets.view",
        description="Serve a dashboard (Explorer, WeightNorms) over a recorded run with "
                    "Voila on 127.0.0.1, following it as the training script records.")
    parser.add_argument("run", metavar="RUN", help="the run's path or fsspec URL "
                                                   "(a Recorder's path)")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--interval", type=float, default=2.0, metavar="S",
                        help="seconds between looks for new snapshots (default 2)")
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error("--interval must be > 0")
    try:
        sys.exit(serve(args.run, args.port, args.interval))
    except ValueError as e:   # not a run (another format, another kind of folder), no Voila
        sys.exit(f"error: {e}")
    except KeyboardInterrupt:   # while waiting for the run
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.exit(0)


if __name__ == "__main__":
    main()
