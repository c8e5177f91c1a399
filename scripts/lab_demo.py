"""`make demo`: JupyterLab on 127.0.0.1 with notebooks/quickstart.ipynb open.

Run with the venv's Python. It installs the kernel spec `python3` into the
venv (so the notebook's kernel is this interpreter, whatever else is on the
machine), picks a port (8888 if free) and a token, starts
`jupyter lab --no-browser` and, once the server answers, prints the URL to
open. Ctrl-C (twice, as for any Jupyter server) or SIGTERM stops it.

    python scripts/lab_demo.py [NOTEBOOK] [extra jupyter lab options]
"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK = "notebooks/quickstart.ipynb"
HOST = "127.0.0.1"
START_TIMEOUT = 120  # seconds


def free_port(preferred=8888):
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def install_kernel_spec():
    """Kernel spec `python3` in the venv, running this interpreter."""
    from ipykernel.kernelspec import install
    return install(prefix=sys.prefix, kernel_name="python3",
                   display_name="Python 3 (seernn_widgets)")


def wait_until_up(proc, port, token):
    """True once the server answers, False if it exited first."""
    request = urllib.request.Request(f"http://{HOST}:{port}/api/status",
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(request, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def main(argv):
    if argv and argv[0].endswith(".ipynb"):
        notebook, extra = argv[0], argv[1:]
    else:
        notebook, extra = DEFAULT_NOTEBOOK, argv
    if not (ROOT / notebook).is_file():
        sys.exit(f"{notebook} not found under {ROOT}")
    spec = install_kernel_spec()
    print(f"kernel spec python3: {sys.executable} ({spec})", flush=True)

    port = free_port()
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    env = dict(os.environ, JUPYTER_TOKEN=token)   # read by jupyter_server; not in `ps`
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [sys.executable, "-m", "jupyterlab", notebook, "--no-browser",
               f"--ip={HOST}", f"--port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={ROOT}", *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")

    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    # Ctrl-C reaches the server too (same process group): it asks, then stops;
    # this process just waits for it. SIGTERM/SIGHUP are passed on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: proc.send_signal(signum))
    if wait_until_up(proc, port, token):
        url = f"http://{HOST}:{port}/lab/tree/{notebook}?token={token}"
        print(f"\n{'=' * 78}\nJupyterLab is serving {ROOT}; open {notebook} at:\n\n"
              f"    {url}\n\nStop with Ctrl-C twice. The text-only demo is "
              f"`python -m seernn_widgets.demo`.\n{'=' * 78}\n", flush=True)
    elif proc.poll() is None:
        print(f"JupyterLab did not answer within {START_TIMEOUT} s; stopping it",
              file=sys.stderr)
        proc.terminate()
    sys.exit(proc.wait())


if __name__ == "__main__":
    main(sys.argv[1:])
