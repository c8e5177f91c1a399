"""Heatmap update latency in a real JupyterLab + headless Chromium: our widgets
end to end (Python trait assignment -> pixels painted), next to the raw
bqplot-image-gl ImageGL and bqplot HeatMap marks they are built on.

Run:  python bench/browser_latency.py [--repeats N]

One notebook shows every figure (one kernel, one page):

* raw ``ImageGL`` and raw ``HeatMap``, 256 x 1024 float32 (the comparison
  that made us pick ImageGL), and raw ``ImageGL`` 1024 x 4096: what the
  widgets below cost on top of the bare mark;
* ``Features2D`` of ``LSTM(256, return_sequences=True)`` on 16 samples of
  1024 timesteps: a 256 x 1024 image;
* ``RNNHeatmap`` of ``Bidirectional(LSTM(1024))``: input 8 x 4096,
  recurrent 1024 x 4096 and bias 1 x 4096 heatmaps.  Bidirectional so that
  ``direction`` swaps the input and recurrent matrices (both directions'
  biases start equal, so that one is not re-sent); "new weights" is what
  training does: ``set_weights`` (x1.5, so the auto colour range moves too)
  + ``inspector.refresh()``.

The script then runs each update statement in that kernel over ZMQ
(``lab.kernel_client``), alternating between two values so that every
assignment really sends something.  The kernel records ``time.time()`` just
before and after the statement; the page records ``Date.now()`` (same
machine clock).  Columns, in ms after the kernel's first timestamp:

* kernel - the statement itself (slicing, serialising, sending).
* arrived - the last change event of the watched figure's ImageGL models
  (image or colour scale), i.e. the last message it needed was received and
  deserialised.  Every ImageGL view is caught as it renders: bqplot-image-gl
  1.10.2 stores each new view in the global ``window.last_image``, which an
  init script turns into a setter that keeps them all.
* drawn - ImageGL draws with three.js on its figure's own WebGL canvas, only
  on demand (one requestAnimationFrame); there is no DOM change to observe.
  An init script wraps ``drawArrays``/``drawElements`` and notes, per canvas,
  the first draw call of a frame; the figure a draw belongs to is found from
  the canvas (``canvas.closest(selector)``), so the other heatmaps on the
  page do not count.  HeatMap: a MutationObserver sees its ``<image href>``
  change (bqplot renders to a canvas, then sets a PNG data URL).
* painted - the next requestAnimationFrame after that draw (the draw runs
  inside a rAF callback, so the next one means the frame was committed);
  HeatMap: two rAFs after the mutation.
* draws - how many times the watched figure drew for one update.  An update
  is over when the figure has drawn after its last model change and the page
  has been quiet (no draw, no websocket message) for ``QUIET_MS``; drawn and
  painted are those of the last draw, i.e. of the final picture.
* bytes - websocket bytes the page received (Playwright ``framereceived``),
  including the kernel's few small status messages.

Medians (and min-max of painted) over ``--repeats`` updates after one
warm-up; the raw HeatMap gets fewer (it is slow).  Timings on 2 cores vary by
about +-30 %: compare ratios within one run.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
import lab as L  # noqa: E402

NOTEBOOK = "bench_latency.ipynb"
QUIET_MS = 300

PAGE_HOOKS = """
(() => {
  const rec = window.__seernn = {draws: [], changes: [], views: [], lastMessage: 0};
  const pending = new WeakSet();  // canvases with a draw noted in this frame
  const noteDraw = (el) => {
    if (pending.has(el)) return;
    pending.add(el);
    const drawn = Date.now();
    requestAnimationFrame(() => {
      rec.draws.push({el, drawn, painted: Date.now()});
      pending.delete(el);
    });
  };
  for (const ctx of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!ctx) continue;
    for (const name of ['drawArrays', 'drawElements']) {
      const original = ctx.prototype[name];
      ctx.prototype[name] = function (...args) {
        noteDraw(this.canvas);
        return original.apply(this, args);
      };
    }
  }
  // bqplot-image-gl assigns every new ImageGL view to window.last_image
  Object.defineProperty(window, 'last_image', {
    configurable: true,
    get: () => rec.views[rec.views.length - 1],
    set: (view) => rec.views.push(view),
  });
  // for "quiet": when the last websocket message came in
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { rec.lastMessage = Date.now(); });
    }
  };
})();
"""

# Once everything rendered: note model changes of every ImageGL view, and
# href changes of every raw HeatMap figure.
WATCH = """([heatmapFigures]) => {
  const rec = window.__seernn;
  for (const view of rec.views) {
    const el = view.parent.el;  // the figure
    const note = () => rec.changes.push({el, t: Date.now()});
    view.model.on('change:image', note);
    view.scales.image.model.on('change', note);
  }
  for (const fig of document.querySelectorAll(heatmapFigures)) {
    new MutationObserver(() => {
      const drawn = Date.now();
      requestAnimationFrame(() => requestAnimationFrame(
        () => rec.draws.push({el: fig, drawn, painted: Date.now()})));
    }).observe(fig, {subtree: true, attributes: true, attributeFilter: ['href']});
  }
  return rec.views.length;
}"""

# The update is done: the figure drew after its last model change, and the
# page has been quiet since.  Returns times in ms after t0, else null.
DONE = """([selector, t0, quiet]) => {
  const rec = window.__seernn, mine = (x) => x.el.closest(selector);
  const draws = rec.draws.filter(d => d.drawn >= t0 && mine(d));
  const changes = rec.changes.filter(c => c.t >= t0 && mine(c));
  const last = draws[draws.length - 1];
  const arrived = changes.length ? changes[changes.length - 1].t : null;
  if (!last || (arrived !== null && last.drawn < arrived)) return null;
  const lastDraw = Math.max(...rec.draws.map(d => d.painted));
  if (Date.now() - Math.max(lastDraw, arrived, rec.lastMessage) < quiet) return null;
  return {arrived: arrived && arrived - t0, drawn: last.drawn - t0,
          painted: last.painted - t0, draws: draws.length};
}"""

SETUP = """
import os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import bqplot, ipywidgets, keras
from bqplot_image_gl import ImageGL
from seernn_widgets import Features2D, Inspector, RNNHeatmap

rng = np.random.default_rng(0)

def two_frames(h, w):
    return [rng.standard_normal((h, w)).astype("float32") for _ in range(2)]

def raw_figure(frames, gl, css):
    (h, w), sx, sy = frames[0].shape, bqplot.LinearScale(), bqplot.LinearScale()
    colours = bqplot.ColorScale(scheme="RdBu", min=-2, max=2)
    if gl:
        mark = ImageGL(image=frames[0], x=(0, w), y=(0, h),
                       scales={"x": sx, "y": sy, "image": colours})
    else:
        mark = bqplot.HeatMap(color=frames[0], x=np.arange(w), y=np.arange(h),
                              scales={"x": sx, "y": sy, "color": colours})
    fig = bqplot.Figure(marks=[mark], axes=[
        bqplot.Axis(scale=sx), bqplot.Axis(scale=sy, side="left")],
        layout={"height": "300px"})
    fig.add_class(css)
    return mark, fig
"""

RAW = """
frames, big_frames = two_frames(256, 1024), two_frames(1024, 4096)
raw_gl, gl_fig = raw_figure(frames, True, "bench-imagegl")
raw_hm, hm_fig = raw_figure(frames, False, "bench-heatmap")
raw_big, big_fig = raw_figure(big_frames, True, "bench-imagegl-big")
ipywidgets.VBox([gl_fig, hm_fig, big_fig])
"""

FEATURES = """
seq_model = keras.Sequential([keras.Input((1024, 8)),
                              keras.layers.LSTM(256, return_sequences=True, name="lstm")])
seq_model.compile("adam", "mse")  # as a model being trained is
f2 = Features2D(Inspector(seq_model, rng.standard_normal((16, 1024, 8)).astype("float32")),
                "lstm")
f2.add_class("t-f2");  # add_class returns the widget: ";" stops a 2nd display
f2
"""

RNN = """
rnn_model = keras.Sequential([keras.Input((4, 8)), keras.layers.Bidirectional(
    keras.layers.LSTM(1024), name="bilstm")])
rnn_model.compile("adam", "mse")
hm = RNNHeatmap(Inspector(rnn_model, rng.standard_normal((2, 4, 8)).astype("float32")),
                "bilstm")
hm.add_class("t-hm");
# two weight sets of different scale: new images and a new auto colour range
bilstm = rnn_model.get_layer("bilstm")
weight_sets = [bilstm.get_weights(), [w * 1.5 for w in bilstm.get_weights()]]
hm
"""

F2_FIG = ".t-f2 .seernn-features2d"
RECURRENT_FIG = ".t-hm .seernn-rnnheatmap-recurrent"


@dataclass
class Case:
    label: str
    figure: str  # CSS selector of the figure that must repaint
    statement: str  # run in the kernel with i = 1, 2, ... (1 = warm-up)
    target_ms: float = None  # painted median must be <= this
    repeats: int = None  # None: --repeats


CASES = [
    Case("raw ImageGL 256x1024 new data", ".bench-imagegl", "raw_gl.image = frames[{i} % 2]"),
    Case("raw HeatMap 256x1024 new data", ".bench-heatmap", "raw_hm.color = frames[{i} % 2]",
         repeats=2),
    Case("raw ImageGL 1024x4096 new data", ".bench-imagegl-big",
         "raw_big.image = big_frames[{i} % 2]"),
    Case("Features2D 256x1024 sample", F2_FIG, "f2.sample = {i} % 2", 100),
    Case("Features2D 256x1024 norm", F2_FIG, "f2.norm = (-0.5, 0.5) if {i} % 2 else (-0.25, 0.25)",
         50),
    Case("Features2D 256x1024 reflect_half", F2_FIG, "f2.reflect_half = bool({i} % 2)", 100),
    Case("RNNHeatmap 1024x4096 direction", RECURRENT_FIG,
         "hm.direction = 'backward' if {i} % 2 else 'forward'", 500),
    Case("RNNHeatmap 1024x4096 new weights", RECURRENT_FIG,
         "bilstm.set_weights(weight_sets[{i} % 2]); hm.inspector.refresh()", 500),
    Case("RNNHeatmap 1024x4096 norm", RECURRENT_FIG,
         "hm.norm = (-0.1, 0.1) if {i} % 2 else (-0.05, 0.05)"),
]


class Bytes:
    """Counts websocket bytes the page receives (Playwright framereceived)."""

    def __init__(self, page):
        self.n = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload):
        self.n += len(payload)


def measure_once(page, kc, counter, case, i):
    counter.n = 0
    code = f"_t0 = time.time()\n{case.statement.format(i=i)}\nprint(_t0, time.time())"
    t0, t1 = (float(t) for t in L.kernel_exec(kc, code).split())
    t0_ms = t0 * 1000
    m = page.wait_for_function(
        DONE,
        arg=[case.figure, t0_ms, QUIET_MS],
        polling=50,  # timer, not rAF polling: keeps the page's frame loop quiet
        timeout=60_000,
    ).json_value()
    return dict(m, kernel=(t1 - t0) * 1000, bytes=counter.n)


def run_case(page, kc, counter, case, repeats):
    figure = page.locator(case.figure).first
    figure.scroll_into_view_if_needed()
    rows = []
    for i in range(1, (case.repeats or repeats) + 2):  # i = 1 is the warm-up
        m = measure_once(page, kc, counter, case, i)
        if i > 1:
            rows.append(m)
    L.screenshot(figure, "bench_" + re.sub(r"\W+", "_", case.label.lower()))
    return rows


def open_all(page, lab):
    """Write, open and run the notebook; wait until every figure drew."""
    L.write_notebook(lab.root_dir / NOTEBOOK, [SETUP, RAW, FEATURES, RNN])
    L.open_notebook(page, lab, NOTEBOOK)
    L.run_all(page, timeout=180_000)
    page.wait_for_selector(".bench-heatmap image[href^='data:']", state="attached")
    gl_figures = [".bench-imagegl", ".bench-imagegl-big", F2_FIG] + [
        f".t-hm .seernn-rnnheatmap-{k}" for k in ("input", "recurrent", "bias")]
    page.wait_for_function(
        "(sels) => sels.every(s => window.__seernn.draws.some(d => d.el.closest(s)))",
        arg=gl_figures,
        timeout=60_000,
    )
    time.sleep(1)  # let the first renders settle
    n_views = page.evaluate(WATCH, [".bench-heatmap"])
    assert n_views == len(gl_figures), f"{n_views} ImageGL views, expected {len(gl_figures)}"


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


def print_table(results):
    def ms(v):
        return "-" if v is None else f"{v:.0f}"

    def size(n):
        return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"

    head = (f"{'update':34} {'n':>2} {'kernel':>6} {'arrived':>7} {'drawn':>6}"
            f" {'painted':>7} {'(min-max)':>11} {'draws':>5} {'bytes':>9}"
            f" {'target':>6}  met")
    print(head)
    print("-" * len(head))
    for case, rows in results:
        painted = [r["painted"] for r in rows]
        target = case.target_ms
        met = "-" if target is None else ("yes" if median(rows, "painted") <= target else "NO")
        draws = statistics.mean(r["draws"] for r in rows)
        print(f"{case.label:34} {len(rows):>2} {ms(median(rows, 'kernel')):>6}"
              f" {ms(median(rows, 'arrived')):>7} {ms(median(rows, 'drawn')):>6}"
              f" {ms(median(rows, 'painted')):>7}"
              f" {f'({min(painted):.0f}-{max(painted):.0f})':>11} {draws:>5.1f}"
              f" {size(median(rows, 'bytes')):>9} {ms(target):>6}  {met}")
    print("(medians; ms after the kernel's time.time() before the assignment;"
          " draws = mean repaints of that figure per update)")
    gl, heatmap = (median(rows, "painted") for case, rows in results[:2])
    print(f"raw 256x1024 new data: HeatMap / ImageGL = {heatmap / gl:.1f}x slower")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    results = []
    root = Path(tempfile.mkdtemp(prefix="seernn-bench-"))
    started = time.time()
    with L.running_lab(root) as lab, L.browser_page(viewport=(1400, 1200)) as page:
        page.add_init_script(PAGE_HOOKS)
        counter = Bytes(page)
        open_all(page, lab)
        print(f"  notebook ready: {time.time() - started:.0f} s", file=sys.stderr)
        with L.kernel_client(lab, NOTEBOOK) as kc:
            for case in CASES:
                results.append((case, run_case(page, kc, counter, case, args.repeats)))
                print(f"  {case.label}: {time.time() - started:.0f} s", file=sys.stderr)
        L.shutdown_kernels(lab)
    print_table(results)


if __name__ == "__main__":
    main()
