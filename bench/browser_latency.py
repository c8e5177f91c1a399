"""Heatmap update latency in a real JupyterLab + headless Chromium.

Run:  python bench/browser_latency.py [--repeats N]

Each case gets a fresh notebook that displays one bqplot Figure and defines a
``step(i)`` function.  The script then calls ``step(i)`` in that kernel over
ZMQ (``lab.kernel_client``); ``step`` records ``time.time()`` just before
assigning, and alternates between two different values (assigning an equal
value would send nothing).  The page records ``Date.now()`` (same machine
clock) at these moments, reported in ms after the kernel's timestamp:

* arrived - the model's change event fired in the page, i.e. the message
  was received and deserialised.  ImageGL only: the model is reached via
  ``window.last_image``, the view that bqplot-image-gl 1.10.2 leaks as a
  global (one ImageGL per page, so it is ours).
* drawn - ImageGL draws with three.js on the figure's WebGL canvas only on
  demand (bqplot-gl's ``webGLRequestRender`` = one requestAnimationFrame);
  there is no DOM change to observe.  An init script wraps
  ``drawArrays``/``drawElements`` of the WebGL(2) contexts and notes the first
  draw call of a frame; the texture upload happens inside that render.
  HeatMap: a MutationObserver sees its ``<image href>`` change (bqplot
  renders the heatmap to a canvas, then sets a PNG data URL).
* painted - ImageGL: the next requestAnimationFrame after the draw (the draw
  runs inside a rAF callback, so the next one means that frame was
  committed).  HeatMap: two rAFs after the mutation.

Medians over ``--repeats`` updates after one warm-up; HeatMap gets fewer (it is
slow).  Bytes = websocket bytes the page received during the update.
Timings on 2 cores vary by about +-30 %: compare ratios within one run.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import lab as L  # noqa: E402

PAGE_HOOKS = """
(() => {
  const rec = window.__seernn = {frames: [], changes: [], pending: false};
  rec.reset = () => { rec.frames = []; rec.changes = []; };
  const noteDraw = () => {
    if (rec.pending) return;
    rec.pending = true;
    const drawn = Date.now();
    requestAnimationFrame(() => {
      rec.frames.push({drawn, painted: Date.now()});
      rec.pending = false;
    });
  };
  for (const ctx of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!ctx) continue;
    for (const name of ['drawArrays', 'drawElements']) {
      const original = ctx.prototype[name];
      ctx.prototype[name] = function (...args) {
        noteDraw();
        return original.apply(this, args);
      };
    }
  }
})();
"""

# Called after the figure rendered: ImageGL model events / HeatMap href changes.
WATCH_MODEL = """([event]) => {
  const rec = window.__seernn, view = window.last_image;
  const model = event === 'change:image' ? view.model : view.scales.image.model;
  model.on(event, () => rec.changes.push(Date.now()));
}"""

WATCH_HREF = """() => {
  const rec = window.__seernn;
  const fig = document.querySelector('.seernn-bench');
  new MutationObserver(() => {
    const drawn = Date.now();
    requestAnimationFrame(() => requestAnimationFrame(
      () => rec.frames.push({drawn, painted: Date.now()})));
  }).observe(fig, {subtree: true, attributes: true, attributeFilter: ['href']});
}"""

SETUP = """
import time
import numpy as np
import bqplot
from bqplot_image_gl import ImageGL

H, W = {h}, {w}
rng = np.random.default_rng(0)
frames = [rng.standard_normal((H, W)).astype("float32") for _ in range(2)]
sx, sy = bqplot.LinearScale(), bqplot.LinearScale()
colours = bqplot.ColorScale(scheme="RdBu", min=-2, max=2)
if {gl}:
    mark = ImageGL(image=frames[0], x=(0, W), y=(0, H),
                   scales={{"x": sx, "y": sy, "image": colours}})
else:
    mark = bqplot.HeatMap(color=frames[0], x=np.arange(W), y=np.arange(H),
                          scales={{"x": sx, "y": sy, "color": colours}})
DATA = "image" if {gl} else "color"

def new_data(i):
    t0 = time.time()
    setattr(mark, DATA, frames[i % 2])
    return t0

def new_range(i):
    r = 3 if i % 2 else 2
    t0 = time.time()
    with colours.hold_sync():
        colours.min, colours.max = -r, r
    return t0

fig = bqplot.Figure(marks=[mark], axes=[
    bqplot.Axis(scale=sx), bqplot.Axis(scale=sy, side="left")])
fig.add_class("seernn-bench");  # returns fig: ";" avoids a 2nd display
"""

CASES = [
    # label, gl, h, w, step function, model event, repeats (None = --repeats)
    ("ImageGL 256x1024 new data", True, 256, 1024, "new_data", "change:image", None),
    ("ImageGL 256x1024 ColorScale min/max", True, 256, 1024, "new_range", "change", None),
    ("ImageGL 1024x4096 new data", True, 1024, 4096, "new_data", "change:image", None),
    ("HeatMap 256x1024 new data", False, 256, 1024, "new_data", None, 2),
]


class Bytes:
    """Counts websocket bytes the page receives (Playwright framereceived)."""

    def __init__(self, page):
        self.n = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload):
        self.n += len(payload)


def measure_once(page, kc, counter, step, i, has_model):
    page.evaluate("window.__seernn.reset()")
    counter.n = 0
    t0 = float(L.kernel_exec(kc, f"print(repr({step}({i})))"))
    t0_ms = t0 * 1000
    rec = page.wait_for_function(
        """([t0, needChange]) => {
            const r = window.__seernn;
            const f = r.frames.find(f => f.drawn >= t0);
            const c = r.changes.find(c => c >= t0);
            return f && (c || !needChange) ? {frame: f, change: c || null} : null;
        }""",
        arg=[t0_ms, has_model],
        polling=50,  # timer, not rAF polling: keeps the page's frame loop quiet
        timeout=120_000,
    ).json_value()
    time.sleep(0.3)  # let trailing frames/bytes land before the next update
    return {
        "arrived": rec["change"] - t0_ms if rec["change"] else None,
        "drawn": rec["frame"]["drawn"] - t0_ms,
        "painted": rec["frame"]["painted"] - t0_ms,
        "bytes": counter.n,
    }


def run_case(page, lab, counter, case, repeats):
    label, gl, h, w, step, event, case_repeats = case
    name = f"bench_{'gl' if gl else 'heatmap'}_{h}x{w}_{step}.ipynb"
    L.write_notebook(lab.root_dir / name, [SETUP.format(h=h, w=w, gl=gl), "fig"])
    L.open_notebook(page, lab, name)
    L.run_all(page)
    if gl:
        page.wait_for_function("() => window.last_image && window.__seernn.frames.length")
        page.evaluate(WATCH_MODEL, [event])
    else:
        page.wait_for_selector(".seernn-bench image[href^='data:']", state="attached")
        page.evaluate(WATCH_HREF)
    time.sleep(1)  # let the first render settle
    L.screenshot(page.locator(".seernn-bench"), name.replace(".ipynb", ""))
    rows = []
    with L.kernel_client(lab, name) as kc:
        n = case_repeats or repeats
        for i in range(1, n + 2):  # i=1 is the warm-up; i=0 is the initial state
            m = measure_once(page, kc, counter, step, i, bool(event))
            if i > 1:
                rows.append(m)
    L.shutdown_kernels(lab)
    return rows


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


def print_table(results):
    def ms(v):
        return "-" if v is None else f"{v:.0f}"

    head = (
        f"{'update':38} {'n':>2} {'arrived':>8} {'drawn':>8} {'painted':>8}"
        f" {'(min-max)':>11} {'bytes':>10}"
    )
    print(head)
    print("-" * len(head))
    for label, rows in results:
        painted = [r["painted"] for r in rows]
        spread = f"({min(painted):.0f}-{max(painted):.0f})"
        print(
            f"{label:38} {len(rows):>2} {ms(median(rows, 'arrived')):>8}"
            f" {ms(median(rows, 'drawn')):>8} {ms(median(rows, 'painted')):>8}"
            f" {spread:>11}"
            f" {median(rows, 'bytes'):>10.0f}"
        )
    print("(medians; ms from kernel time.time() before the assignment)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    results = []
    root = Path(tempfile.mkdtemp(prefix="seernn-bench-"))
    with L.running_lab(root) as lab, L.browser_page() as page:
        page.add_init_script(PAGE_HOOKS)
        counter = Bytes(page)
        for case in CASES:
            started = time.time()
            rows = run_case(page, lab, counter, case, args.repeats)
            print(f"  {case[0]}: {time.time() - started:.0f} s", file=sys.stderr)
            results.append((case[0], rows))
    print_table(results)


if __name__ == "__main__":
    main()
