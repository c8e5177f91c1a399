"""`python -m seernn_widgets.view RUN` in headless Chromium: the Voila
dashboard over a run renders its Explorer, follows the run as this process
records into it (the training script's side), its step slider moved with the
mouse shows an older step (the same picture the page drew when that step
was the newest), and Ctrl-C stops Voila and its kernel."""
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from lab import (
    browser_context,
    connected,
    drag_slider,
    kernel_exec,
    picture_hash,
    screenshot,
    wait_pixels_nonblank,
)

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=[0-9a-f]+")
EXPLORER = ".seernn-explorer"
STEP = f"{EXPLORER} .seernn-step"
TITLE = "lstm outputs - sample 0"


class Job:
    """What a training script does: the demo model recorded by a Recorder;
    between records the step moves on and the LSTM's kernels are scaled (so
    each step's picture differs)."""

    def __init__(self, path):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from seernn_widgets import Inspector, Recorder
        from seernn_widgets.demo import make_data, make_model
        x, y = make_data(n_samples=4)
        self.model = make_model()
        self.inspector = Inspector(self.model, x, y)
        self.recorder = Recorder(self.inspector, path)
        self.lstm = {}   # step -> the LSTM's outputs of sample 0 (units x time), as drawn

    def record(self, scale):
        self.model.optimizer.iterations.assign_add(10)
        for variable in self.model.get_layer("lstm").weights[:2]:
            variable.assign(variable * scale)
        step = int(self.recorder.record({"loss": float(scale)}))
        self.lstm[step] = np.asarray(self.inspector.outputs("lstm"))[0].T
        return step


class Viewer:
    """`python -m seernn_widgets.view` in a subprocess; Voila's connection
    files go under `tmp` (TMPDIR), so the test can ask the page's kernel."""

    def __init__(self, run, tmp):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.tmp = Path(tmp)
        env = {**os.environ, "TMPDIR": str(tmp), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seernn_widgets.view", str(run), "--port", str(port),
             "--interval", "0.5"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)   # its own group: close() ends Voila whatever happened
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout),
                         daemon=True).start()
        deadline = time.monotonic() + 120
        while not (found := URL.search("".join(self.lines))):
            assert self.proc.poll() is None and time.monotonic() < deadline, \
                f"the viewer printed no URL:\n{self.output()}"
            time.sleep(0.2)
        self.url, self.port = found.group(0), int(found.group(1))
        assert self.port == port

    def output(self):
        return "".join(self.lines)

    def connection_dirs(self):
        return list(self.tmp.glob("voila_*"))

    @contextlib.contextmanager
    def kernel(self):
        """A client of the page's kernel (Voila lets the page send comm
        messages only; this reads the kernel's state as lab.kernel_value does)."""
        files = [f for d in self.connection_dirs() for f in d.glob("kernel-*.json")]
        assert len(files) == 1, (files, self.output())
        with connected(files[0]) as kc:
            yield kc

    def value(self, expr):
        """`expr` evaluated in the page's kernel (via JSON)."""
        marker = "@@seernn-viewer@@"
        with self.kernel() as kc:
            text = kernel_exec(kc, f"import json as _j; print({marker!r} + _j.dumps({expr}))")
        return json.loads(text.split(marker, 1)[1])

    def ctrl_c(self, timeout=60):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def close(self):
        """After a failure too: Ctrl-C, then kill what is left of the viewer's
        process group (Voila; its kernel exits with Voila, ipykernel's parent
        poller)."""
        if self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ctrl_c(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_the_viewer_follows_a_run_and_its_step_slider_moves_the_picture(tmp_path):
    run = tmp_path / "run"
    job = Job(run)
    a = job.record(scale=1.0)
    viewer = Viewer(run, tmp_path)
    try:
        with browser_context() as ctx:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(viewer.url)
            heatmap = page.locator(f"{EXPLORER} .seernn-features2d").first
            canvas = heatmap.locator("canvas").first
            canvas.wait_for(timeout=120_000)
            title = heatmap.locator(".mainheading")
            assert wait_pixels_nonblank(canvas), "the heatmap is blank"
            assert title.text_content() == TITLE
            assert not page.locator(STEP).is_visible()   # one snapshot: nothing to scrub
            at_a = picture_hash(page, canvas)
            screenshot(page, "viewer_initial")
            assert_drawn(viewer, job, step=None, shows=a)

            # the script records again: the dashboard follows (new picture, a step slider)
            b = job.record(scale=1.8)
            page.locator(STEP).wait_for(state="visible", timeout=30_000)
            wait_until(lambda: picture_hash(page, canvas) != at_a, "the step-b picture")
            at_b = picture_hash(page, canvas)
            assert title.text_content() == TITLE
            assert_drawn(viewer, job, step=None, shows=b)
            screenshot(page, "viewer_followed")

            # the mouse moves the step slider back to a: a's picture again, titled so
            drag_slider(page, STEP, 0.0)
            wait_until(lambda: title.text_content() == f"{TITLE} - step {a}", "step a's title")
            wait_until(lambda: picture_hash(page, canvas) == at_a,
                       "the picture drawn when step a was the newest")
            assert page.locator(f"{STEP} .widget-readout").inner_text() == str(a)
            assert_drawn(viewer, job, step=a, shows=a)
            screenshot(page, "viewer_step_a")

            # recorded while scrubbed: the slider offers the new step, the picture stays
            c = job.record(scale=2.5)
            handle = page.locator(f"{STEP} .noUi-handle").first
            wait_until(lambda: float(handle.get_attribute("aria-valuemax")) == 3,   # "3.0"
                       "a slider of steps a, b, c and latest")
            assert viewer.value("explorer.view.control_widgets['step'].options") == [
                [str(a), a], [str(b), b], [str(c), c], ["latest", "latest"]]
            assert picture_hash(page, canvas) == at_a
            assert title.text_content() == f"{TITLE} - step {a}"
            assert viewer.value("norms.history('lstm')['steps']") == [a, b, c]

            drag_slider(page, STEP, 1.0)   # back to the latest: step c
            wait_until(lambda: title.text_content() == TITLE, "the latest's title")
            wait_until(lambda: picture_hash(page, canvas) not in (at_a, at_b),
                       "step c's picture")
            assert_drawn(viewer, job, step=None, shows=c)
            screenshot(page, "viewer_latest")
            assert not errors, errors

        # Ctrl-C stops the viewer, Voila and its kernel (Voila's stop removes its
        # connection files after shutting its kernels down)
        assert viewer.ctrl_c() == 0, viewer.output()
        assert not listening(viewer.port)
        assert viewer.connection_dirs() == [], viewer.output()
    finally:
        viewer.close()


def assert_drawn(viewer, job, step, shows):
    """The page's Explorer is at `step` and draws the LSTM's outputs of step
    `shows` as the model computed them when recorded."""
    state = viewer.value("[explorer.view.step, explorer.view_data().tolist()]")
    assert state[0] == step
    np.testing.assert_allclose(np.array(state[1]), job.lstm[shows], rtol=1e-6, atol=1e-7)
