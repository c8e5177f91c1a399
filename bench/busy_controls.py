"""Controls while a cell runs: page latency of the views whose page twin
looks states up (js/twins.js: Features0D, Features1D, RNNHistogram,
WeightNorms), and what their tables cost the kernel.

Run alone:  python bench/busy_controls.py [--repeats N]
(bench/browser_latency.py runs it as its "busy controls" section.)

A notebook shows the four views of one Inspector (a bidirectional LSTM(16)
over 32 samples of 50 timesteps, a GRU and a dense layer); a cell then
sleeps, so the kernel reads no control message. Each control is moved
back and forth in the page; per move, in ms after the input event (page
clock): dom - the first DOM change of the view's plot or title, painted -
two requestAnimationFrames later, settled - its last DOM change before
300 ms without any (a grid's figures all rendered). Each move waits for the
last one to settle. Target: painted <= 200 ms.

Before the sleep the kernel reports each view's table: rows (states the page
can reach), bytes sent (state JSON + cube) and the ms it adds to one
`insp.refresh()`, and the four tables' total next to the whole refresh.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import lab as L  # noqa: E402

NOTEBOOK = "bench_busy.ipynb"
TARGET_MS = 200

SETUP = """
import os, time, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras, numpy as np
from seernn_widgets import Features0D, Features1D, Inspector, RNNHistogram, WeightNorms
from seernn_widgets.views import _browser
keras.utils.set_random_seed(0)
inp = keras.Input((50, 8))
seq = keras.layers.Bidirectional(keras.layers.LSTM(16, return_sequences=True), name="bi")(inp)
last = keras.layers.Bidirectional(keras.layers.GRU(8), name="bigru")(seq)
model = keras.Model(inp, keras.layers.Dense(2, name="dense")(last))
model.compile("adam", "mse")
x = np.random.default_rng(0).standard_normal((32, 50, 8)).astype("float32")
insp = Inspector(model, x, np.zeros((32, 2), "float32"))
"""
VIEWS = [
    'f0 = Features0D(insp, "bigru"); f0.add_class("t-f0"); f0',
    'f1 = Features1D(insp, "bi", channels=list(range(8)), n_rows=2); f1.add_class("t-f1"); f1',
    'h = RNNHistogram(insp, "bi"); h.add_class("t-h"); h',
    'n = WeightNorms(insp); n.add_class("t-n"); n',
]
# the tables' size, and their share of a refresh (send_table timed around it)
TABLES = """
_spent = {}
_send = _browser.TwinSlicer.send_table
def _timed(self, *args, **kwargs):
    t = time.perf_counter()
    try:
        return _send(self, *args, **kwargs)
    finally:
        _spent[id(self)] = _spent.get(id(self), 0) + time.perf_counter() - t
_browser.TwinSlicer.send_table = _timed
_t = time.perf_counter(); insp.refresh(); _refresh = time.perf_counter() - _t
_browser.TwinSlicer.send_table = _send
_tables = {name: [len(v.slicer.rows()),
                  len(json.dumps(v.slicer.state)) + len(v.slicer.cube),
                  _spent.get(id(v.slicer), 0) * 1000]
           for name, v in [("Features0D", f0), ("Features1D", f1), ("RNNHistogram", h),
                           ("WeightNorms", n)]}
print(json.dumps({"tables": _tables, "refresh": _refresh * 1000,
                  "tables_ms": sum(_spent.values()) * 1000}))
"""
SLEEP = """
t0 = time.time()
while not os.path.exists("wake") and time.time() - t0 < 600:
    time.sleep(0.1)
"""

# ms from the first input event (capture phase) to the first DOM change under
# the selector (dom), two frames later (painted), and the last change before
# QUIET_MS without any (settled: e.g. a grid's figures all rendered)
ARM = """([selector, quiet]) => {
  const el = document.querySelector(selector);
  const types = ["change", "input", "click", "pointerdown", "keydown"];
  let input = null, first = null, last = null, painted = null, timer = null;
  const note = () => { input ??= performance.now(); };
  types.forEach((t) => window.addEventListener(t, note, true));
  window.__busyMove = new Promise((resolve) => {
    const finish = () => {
      observer.disconnect();
      types.forEach((t) => window.removeEventListener(t, note, true));
      resolve(input === null || first === null ? null
        : {dom: first - input, painted: painted - input, settled: last - input});
    };
    const observer = new MutationObserver(() => {
      last = performance.now();
      if (first === null) {
        first = last;
        requestAnimationFrame(() => requestAnimationFrame(() => { painted = performance.now(); }));
      }
      clearTimeout(timer);
      timer = setTimeout(finish, quiet);
    });
    observer.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
    timer = setTimeout(finish, 5000);
  });
}"""

# resolves once nothing under the selector changed for `quiet` ms
QUIET = """([selector, quiet]) => new Promise((done) => {
  const el = document.querySelector(selector);
  let timer = setTimeout(() => { observer.disconnect(); done(); }, quiet);
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(() => { observer.disconnect(); done(); }, quiet);
  });
  observer.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
})"""
QUIET_MS = 300


def controls(page):
    """(label, observed selector, [move there, move back])."""
    select = lambda sel, value: lambda: page.locator(sel).select_option(value)  # noqa: E731
    pick = lambda sel, i: lambda: page.locator(sel).select_option(index=i)  # noqa: E731
    click = lambda sel: lambda: page.locator(sel).click()  # noqa: E731
    rows = page.locator(".t-f1 .widget-text input").first

    def n_rows(value):
        return lambda: (rows.fill(value), rows.press("Enter"))

    def sample(fraction):
        return lambda: L.drag_slider(page, ".t-f1 .seernn-sample", fraction, steps=1)

    f1_title, h_grid = ".t-f1 .seernn-title", ".t-h .seernn-rnnhistogram-grid"
    return [
        ("Features0D direction", ".t-f0 .seernn-features0d",
         [select(".t-f0 .seernn-direction select", v) for v in ("backward", "forward")]),
        ("Features1D sample", f1_title, [sample(0.3), sample(0.7)]),
        ("Features1D all samples", f1_title, [click(".t-f1 .seernn-sample-all input")] * 2),
        ("Features1D direction", f1_title,
         [select(".t-f1 .seernn-direction select", v) for v in ("forward", "both")]),
        ("Features1D share_xy", ".t-f1 .widget-gridbox",
         [click(".t-f1 .seernn-share_xy input")] * 2),
        ("Features1D n_rows", ".t-f1 .widget-gridbox", [n_rows("4"), n_rows("2")]),
        ("RNNHistogram direction", ".t-h .seernn-title",
         [select(".t-h .seernn-direction select", v) for v in ("backward", "forward")]),
        ("RNNHistogram gate", h_grid,
         [select(".t-h .seernn-gate select", v) for v in ("f", "all")]),
        ("RNNHistogram bias", h_grid, [click(".t-h .seernn-bias input")] * 2),
        ("RNNHistogram equate_axes", h_grid,
         [pick(".t-h .seernn-equate_axes select", i) for i in (0, 1)]),
        ("WeightNorms layer", ".t-n .seernn-weightnorms",
         [select(".t-n .seernn-layer select", v) for v in ("dense", "bi")]),
    ]


def measure(page, lab, repeats):
    """Open the notebook, record the tables, start the sleep and move every
    control 2 * repeats times: ({label: [{dom, painted}]}, kernel report)."""
    import json
    (lab.root_dir / "wake").unlink(missing_ok=True)
    L.write_notebook(lab.root_dir / NOTEBOOK, [SETUP, *VIEWS, SLEEP])
    L.open_notebook(page, lab, NOTEBOOK)
    for cell in range(1 + len(VIEWS)):
        L.run_cell(page, cell, timeout=180_000)
    page.wait_for_selector(".t-h .seernn-rnnhistogram rect.bar", state="attached")
    with L.kernel_client(lab, NOTEBOOK) as kc:
        report = json.loads(L.kernel_exec(kc, TABLES, timeout=300).strip().splitlines()[-1])
    sleep_cell = 1 + len(VIEWS)
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(sleep_cell).click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(   # the page saw the kernel busy
        "() => document.querySelector('.t-f0 .seernn-layer select').disabled", timeout=10_000)
    results = {}
    try:
        for label, selector, moves in controls(page):
            page.locator(selector).first.scroll_into_view_if_needed()
            rows = results[label] = []
            for i in range(2 * repeats):
                page.evaluate(QUIET, [selector, QUIET_MS])   # the last move's renders done
                page.evaluate(ARM, [selector, QUIET_MS])
                moves[i % 2]()
                m = page.evaluate("() => window.__busyMove")
                if m is not None:
                    rows.append(m)
    finally:
        (lab.root_dir / "wake").touch()
    return results, report


def print_results(results, report):
    head = (f"{'control (cell sleeping)':26} {'n':>3} {'dom':>5} {'painted':>7}"
            f" {'(min-max)':>11} {'settled':>7}  met")
    print(f"\n{head}\n{'-' * len(head)}")
    for label, rows in results.items():
        if not rows:
            print(f"{label:26} {0:>3}  nothing changed  NO")
            continue
        painted = [r["painted"] for r in rows]
        met = "yes" if max(painted) <= TARGET_MS else "NO"
        print(f"{label:26} {len(rows):>3} {statistics.median(r['dom'] for r in rows):>5.0f}"
              f" {statistics.median(painted):>7.0f}"
              f" {f'({min(painted):.0f}-{max(painted):.0f})':>11}"
              f" {statistics.median(r['settled'] for r in rows):>7.0f}  {met}")
    print(f"(ms after the input event, page clock; medians; settled: last DOM change"
          f" before {QUIET_MS} ms of quiet; met: every move painted <= {TARGET_MS} ms)")
    tables = ", ".join(f"{name} {rows} rows {size / 1e3:.0f} kB {ms:.0f} ms"
                       for name, (rows, size, ms) in report["tables"].items())
    print(f"tables sent: {tables}; one insp.refresh() {report['refresh']:.0f} ms,"
          f" of which the four tables {report['tables_ms']:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="seernn-bench-"))
    with L.running_lab(root) as lab, L.browser_page(viewport=(1400, 1200)) as page:
        started = time.time()
        results, report = measure(page, lab, args.repeats)
        print(f"  busy controls: {time.time() - started:.0f} s", file=sys.stderr)
        L.shutdown_kernels(lab)
    print_results(results, report)


if __name__ == "__main__":
    main()
