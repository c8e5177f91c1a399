"""Drive a real JupyterLab + headless Chromium, for browser tests and benchmarks.

Facts this module relies on are in BROWSER_TESTING.md (flags, ``?reset``,
waiting for Idle before "Run All", ...).  Everything here is synchronous
Playwright so that pytest fixtures and plain scripts can share it.

Reading kernel state: after a notebook ran in the page, ``kernel_value`` asks
the *same* kernel directly over ZMQ (``jupyter_client`` + the connection file
in our private runtime dir).  That needs no typing into CodeMirror and no
output scraping.  It is queued on the kernel's shell channel behind the
comm messages from the page that reached the kernel first, so wait for a
visible consequence of a browser action (e.g. a repaint) before asking.
"""

import atexit
import contextlib
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
IDLE = "#jp-main-statusbar >> text=Idle"
CELL_EDITOR = ".jp-Notebook .jp-Cell .cm-content"


@dataclass
class Lab:
    url: str  # base url, no trailing slash
    token: str
    root_dir: Path
    runtime_dir: Path
    log_path: Path

    def api(self, path, method="GET", timeout=10):
        """Call the server's REST API; returns decoded JSON (or None)."""
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "DELETE") else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None


# ---------------------------------------------------------------- server


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir):
    """Silence the news toast and render every cell (no windowing).

    Windowing ("contentVisibility" by default) can skip painting off-screen
    cells, which would make pixel checks and repaint timings depend on
    scrolling.
    """
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
            "windowingMode": "none",
        },
    }
    for rel, value in files.items():
        path = Path(settings_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _wait_until_up(lab, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited ({proc.returncode}):\n{lab.log_path.read_text()}"
            )
        try:
            lab.api("/api/status", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"jupyter lab did not answer:\n{lab.log_path.read_text()}")


@contextlib.contextmanager
def running_lab(root_dir, timeout=60):
    """Start a private ``jupyter lab`` serving ``root_dir``; yield a ``Lab``."""
    tmp = Path(tempfile.mkdtemp(prefix="seernn-lab-"))
    env = dict(os.environ)
    for var in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        env[var] = str(tmp / var.lower())
        os.makedirs(env[var])
    _write_settings(env["JUPYTERLAB_SETTINGS_DIR"])
    port, token = _free_port(), secrets.token_hex(16)
    lab = Lab(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root_dir=Path(root_dir),
        runtime_dir=Path(env["JUPYTER_RUNTIME_DIR"]),
        log_path=tmp / "server.log",
    )
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--allow-root",
    ]  # fmt: skip
    with open(lab.log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(lab, proc, timeout)
        yield lab
    finally:
        _stop(lab, proc)
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(lab, proc):
    """Ask politely (this also stops kernels), then kill by PID."""
    with contextlib.suppress(Exception):
        lab.api("/api/shutdown", method="POST", timeout=5)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def shutdown_kernels(lab):
    """Delete all sessions: closing a page does not stop its kernel."""
    for session in lab.api("/api/sessions"):
        with contextlib.suppress(urllib.error.HTTPError):
            lab.api(f"/api/sessions/{session['id']}", method="DELETE")


# ---------------------------------------------------------------- browser


_playwright = None   # one per process: a second sync_playwright() inside one fails


def _driver():
    global _playwright
    if _playwright is None:
        from playwright.sync_api import sync_playwright

        _playwright = sync_playwright().start()
        atexit.register(_playwright.stop)
    return _playwright


@contextlib.contextmanager
def browser_context(viewport=(1400, 1000)):
    """Persistent headless Chromium context (system browser, quiet flags);
    several may be open at once (e.g. the lab's and an offline one)."""
    profile = tempfile.mkdtemp(prefix="seernn-chromium-")
    try:
        ctx = _driver().chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        try:
            yield ctx
        finally:
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def browser_page(**kwargs):
    """A single page in a fresh browser (for scripts)."""
    with browser_context(**kwargs) as ctx:
        yield ctx.pages[0] if ctx.pages else ctx.new_page()


# ---------------------------------------------------------------- notebooks


def write_notebook(path, cells):
    """Write a fresh notebook (no outputs) from code-cell sources.

    Regenerate before each run: JupyterLab autosaves outputs.
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, str(path))
    return Path(path)


def open_notebook(page, lab, name, timeout=60_000):
    """Open ``name`` (relative to root_dir) and wait for cells + idle kernel."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector(CELL_EDITOR, timeout=timeout)
    wait_idle(page, timeout)


def wait_idle(page, timeout=60_000):
    page.wait_for_selector(IDLE, timeout=timeout)


def wait_all_executed(page, timeout=120_000):
    """Wait until every code cell shows an execution count like ``[3]:``.

    Waiting for "Idle" alone races: right after the click the status may
    still read Idle from before the run.  A traceback stops Run All, so it
    raises at once (with the traceback) instead of timing out.
    """
    result = page.wait_for_function(
        """() => {
            const errors = [...document.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                .map(e => e.textContent).filter(t => t.includes('Traceback'));
            if (errors.length) return {error: errors.join('\\n')};
            const ps = [...document.querySelectorAll(
                '.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
            return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout,
    ).json_value()
    if isinstance(result, dict):
        raise RuntimeError(f"notebook cell failed:\n{result['error']}")
    wait_idle(page, timeout)


def _menu(page, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def run_all(page, timeout=120_000):
    """Run All Cells via the menu and wait until all cells have executed."""
    wait_idle(page)  # Run All before the kernel is idle silently does nothing
    _menu(page, "Run", "Run All Cells")
    wait_all_executed(page, timeout)


def run_cell(page, index, timeout=60_000):
    """Run one code cell (0-based) by clicking its prompt + Shift+Enter, and
    wait until its execution count changes (a re-run cell already has one)."""
    prompt = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(index)
    before = prompt.inner_text()
    prompt.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        """([i, before]) => {
            const p = document.querySelectorAll(
                '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[i];
            return p && /\\[\\d+\\]/.test(p.textContent) && p.textContent !== before;
        }""",
        arg=[index, before],
        timeout=timeout,
    )
    wait_idle(page, timeout)


# ---------------------------------------------------------------- kernel


def _kernel_id(lab, name):
    for session in lab.api("/api/sessions"):
        if session.get("path") == str(name) and session.get("kernel"):
            return session["kernel"]["id"]
    raise LookupError(f"no running kernel for {name!r}")


def kernel_client(lab, name):
    """A ``BlockingKernelClient`` attached to the kernel of notebook ``name``."""
    return connected(lab.runtime_dir / f"kernel-{_kernel_id(lab, name)}.json")


@contextlib.contextmanager
def connected(connection_file):
    """A ``BlockingKernelClient`` of the kernel a connection file names."""
    from jupyter_client import BlockingKernelClient

    kc = BlockingKernelClient(connection_file=str(connection_file))
    kc.load_connection_file()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        yield kc
    finally:
        kc.stop_channels()


def kernel_exec(kc, code, timeout=60):
    """Execute ``code`` in the kernel; return its stdout, raise on error."""
    out = io.StringIO()
    errors = []

    def hook(msg):
        content = msg["content"]
        if msg["msg_type"] == "stream" and content["name"] == "stdout":
            out.write(content["text"])
        elif msg["msg_type"] == "error":
            errors.append("\n".join(content["traceback"]))

    reply = kc.execute_interactive(
        code, output_hook=hook, timeout=timeout, store_history=False
    )
    if errors or reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel error running {code!r}:\n" + "\n".join(errors))
    return out.getvalue()


def kernel_value(lab, name, expr, timeout=60):
    """Evaluate ``expr`` in the notebook's kernel and return it (via JSON)."""
    marker = "@@seernn-value@@"
    code = f"import json as _j; print({marker!r} + _j.dumps({expr}))"
    with kernel_client(lab, name) as kc:
        text = kernel_exec(kc, code, timeout)
    return json.loads(text.split(marker, 1)[1])


# ---------------------------------------------------------------- mouse


def drag_slider(page, selector, fraction, handle=".noUi-handle", steps=10):
    """Drag an ipywidgets (noUiSlider) handle with the real mouse.

    ``selector`` locates the slider widget (e.g. a class added with
    ``add_class``); the handle goes to ``fraction`` of ``.noUi-base`` width.
    """
    widget = page.locator(selector).first
    widget.scroll_into_view_if_needed()
    base = widget.locator(".noUi-base").bounding_box()
    knob = widget.locator(handle).first.bounding_box()
    x0, y0 = knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(base["x"] + fraction * base["width"], y0, steps=steps)
    page.mouse.up()


# ---------------------------------------------------------------- pixels


def screenshot(target, name):
    """Save a PNG of a page or locator to tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (name if name.endswith(".png") else f"{name}.png")
    target.screenshot(path=str(path))
    return path


def _pixels(target):
    """RGB pixels of a page/locator, as a PIL image (taken from a screenshot,
    which shows the composited WebGL canvas too)."""
    from PIL import Image

    return Image.open(io.BytesIO(target.screenshot())).convert("RGB")


def pixel_summary(target):
    """Distinct colours, share of non-background pixels, and a hash.

    The background is taken to be the most common colour.
    """
    img = _pixels(target)
    colours = img.getcolors(maxcolors=img.width * img.height)
    background = max(colours)[0]
    total = img.width * img.height
    return {
        "size": img.size,
        "colours": len(colours),
        "foreground": 1 - background / total,
        "sha1": hashlib.sha1(img.tobytes()).hexdigest(),
    }


def pixels_nonblank(target, min_colours=16, min_foreground=0.05):
    """True if the element shows a real picture, not an empty rectangle."""
    s = pixel_summary(target)
    return s["colours"] >= min_colours and s["foreground"] >= min_foreground


def pixel_hash(target):
    """Hash of the rendered pixels, to assert that a picture changed."""
    return pixel_summary(target)["sha1"]


def picture(page, locator, inset=4):
    """An element's pixels (PIL RGB) less a border: the notebook toolbar's
    shadow or the figure's hover toolbar are not the picture."""
    from PIL import Image

    page.mouse.move(0, 0)
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    png = page.screenshot(clip={"x": box["x"] + inset, "y": box["y"] + inset,
                                "width": box["width"] - 2 * inset,
                                "height": box["height"] - 2 * inset})
    return Image.open(io.BytesIO(png)).convert("RGB")


def picture_hash(page, locator, inset=4):
    """Hash of `picture`, to compare what two renderings show."""
    return hashlib.sha1(picture(page, locator, inset).tobytes()).hexdigest()


def poll(probe, done, timeout=20.0):
    """`probe()` until `done(value)` or `timeout` s; the last value."""
    deadline = time.time() + timeout
    while True:
        value = probe()
        if done(value) or time.time() > deadline:
            return value
        time.sleep(0.1)


def wait_pixels_nonblank(target, timeout=10.0, **kwargs):
    """Poll until the element shows a picture (WebGL paints after the DOM
    exists); returns the final ``pixels_nonblank`` verdict."""
    return poll(lambda: pixels_nonblank(target, **kwargs), bool, timeout)


def wait_pixels_change(target, old_hash, timeout=10.0):
    """Poll until the pixel hash differs from ``old_hash``; return new hash."""
    return poll(lambda: pixel_hash(target), lambda h: h != old_hash, timeout)
