"""Heatmap update latency in a real JupyterLab + headless Chromium: our widgets
end to end (Python trait assignment -> pixels painted), next to the raw
bqplot-image-gl ImageGL and bqplot HeatMap marks they are built on.

Run:  python bench/browser_latency.py [--repeats N] [--norm-only]

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
warm-up; the raw HeatMap gets fewer (it is slow).  The updates run in rounds,
each case once per round, so the machine's slow spells fall on all of them
alike.  Timings on 2 cores vary by about +-30 %: compare ratios within one
run; the norm change is also given per round as a ratio to the bare mark's
colour-range change.

Then "released figure scrolled back" (js/contexts.js): a second notebook of
8 small views (16 heatmap figures, more than the page's budget of live WebGL
contexts) is opened; every figure is scrolled to in turn, so the first one,
least recently seen, gives its context back; then the page scrolls back to
it.  Columns, in ms after the page's ``scrollIntoView``: seen (the
IntersectionObserver's entry time), rebuilt (new canvas, context and
renderer made, marks drawn on it) and painted (two requestAnimationFrames
later), next to the same scroll to a figure that kept its context.

Then "busy controls" (bench/busy_controls.py): while a cell sleeps, each
control of Features0D, Features1D, RNNHistogram and WeightNorms moved in the
page, input event -> plot changed -> painted, and the size and kernel cost
of the tables their page twins look states up in.
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
import busy_controls  # noqa: E402  (bench/ is the script's folder)

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
    # the bare mark's colour-range change: what a norm change costs at least
    Case("raw ImageGL 256x1024 colour range", ".bench-imagegl",
         "raw_gl.scales['image'].min = -1 if {i} % 2 else -2"),
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
    """Counts websocket bytes and messages the page receives (Playwright
    framereceived)."""

    def __init__(self, page):
        self.n = self.messages = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload):
        self.n += len(payload)
        self.messages += 1


def measure_once(page, kc, counter, case, i):
    counter.n = counter.messages = 0
    code = f"_t0 = time.time()\n{case.statement.format(i=i)}\nprint(_t0, time.time())"
    t0, t1 = (float(t) for t in L.kernel_exec(kc, code).split())
    t0_ms = t0 * 1000
    m = page.wait_for_function(
        DONE,
        arg=[case.figure, t0_ms, QUIET_MS],
        polling=50,  # timer, not rAF polling: keeps the page's frame loop quiet
        timeout=60_000,
    ).json_value()
    return dict(m, kernel=(t1 - t0) * 1000, bytes=counter.n, messages=counter.messages)


def run_cases(page, kc, counter, cases, repeats):
    """Every case in turn, round after round (the machine's slow spells
    then fall on all of them alike); [(case, rows)]."""
    rows = {case.label: [] for case in cases}
    for i in range(1, repeats + 2):  # i = 1 is the warm-up
        for case in cases:
            if i > (case.repeats or repeats) + 1:
                continue
            page.locator(case.figure).first.scroll_into_view_if_needed()
            m = measure_once(page, kc, counter, case, i)
            if i > 1:
                rows[case.label].append(m)
    for case in cases:
        L.screenshot(page.locator(case.figure).first,
                     "bench_" + re.sub(r"\W+", "_", case.label.lower()))
    return [(case, rows[case.label]) for case in cases]


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


CAPACITY_NOTEBOOK = "bench_capacity.ipynb"
CAPACITY = ["""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from seernn_widgets import Features2D, Inspector, RNNHeatmap
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=4)
insp = Inspector(make_model(), x, y)
"""] + [f"{view}(insp, {layer!r})" for view, layer in [
    ("Features2D", "lstm"), ("RNNHeatmap", "lstm"), ("Features2D", "bilstm"),
    ("RNNHeatmap", "bilstm"), ("Features2D", "bilstm"), ("RNNHeatmap", "gru"),
    ("Features2D", "lstm"), ("RNNHeatmap", "lstm")]]
CAPACITY_FIGURES = ".seernn-features2d, .seernn-rnnheatmap"
REGISTRY = "globalThis[Symbol.for('seernn_widgets.webglContexts.v1')].report()"
REPAINT_TARGET_MS = 300

# Scroll the figure into view; times in ms after that: the registry's
# repaint event for it (seen, rebuilt), then two frames (painted). A figure
# that kept its context sends no event: painted is two frames after the scroll.
SCROLL_BACK = """(f) => new Promise((done) => {
  const t0 = performance.now();
  const lost = f.querySelector('canvas').getContext('webgl').isContextLost();
  const frames = (then) => requestAnimationFrame(() => requestAnimationFrame(then));
  const onRepaint = (e) => {
    if (e.detail.el !== f) return;
    removeEventListener('seernn-webgl-repainted', onRepaint);
    const rebuilt = performance.now();
    frames(() => done({lost, seen: rebuilt - e.detail.ms - t0, rebuilt: rebuilt - t0,
                       painted: performance.now() - t0}));
  };
  addEventListener('seernn-webgl-repainted', onRepaint);
  f.scrollIntoView();
  if (!lost) frames(() => {
    removeEventListener('seernn-webgl-repainted', onRepaint);
    done({lost, seen: null, rebuilt: null, painted: performance.now() - t0});
  });
  setTimeout(() => done({lost, timeout: true}), 5000);
})"""


def released_repaint(page, lab, repeats):
    """Time a released figure's repaint (see the module docstring); rows of
    the released figure and of one that kept its context, and the registry's
    report."""
    L.write_notebook(lab.root_dir / CAPACITY_NOTEBOOK, CAPACITY)
    L.open_notebook(page, lab, CAPACITY_NOTEBOOK)
    L.run_all(page, timeout=180_000)
    figures = page.locator(CAPACITY_FIGURES)
    n = figures.count()
    released, kept = [], []
    for _ in range(repeats + 1):   # the first is a warm-up
        for i in range(n):   # the first figure becomes the least recently seen
            figures.nth(i).evaluate("f => f.scrollIntoView()")
            time.sleep(0.2)
        released.append(figures.nth(0).evaluate(SCROLL_BACK))
        time.sleep(0.5)
        kept.append(figures.nth(n - 1).evaluate(SCROLL_BACK))   # seen just before
        time.sleep(0.5)
    L.screenshot(figures.nth(0), "bench_released_figure_scrolled_back")
    return released[1:], kept[1:], dict(page.evaluate(REGISTRY), figures_on_page=n)


def print_released(released, kept, report):
    def ms(rows, key):
        values = [r[key] for r in rows if r.get(key) is not None]
        return "-" if not values else f"{statistics.median(values):.0f}"

    def spread(rows):
        values = [r["painted"] for r in rows if r.get("painted") is not None]
        return f"({min(values):.0f}-{max(values):.0f})" if values else "-"

    head = (f"{'scrolled back to':34} {'n':>2} {'lost':>4} {'seen':>5} {'rebuilt':>7}"
            f" {'painted':>7} {'(min-max)':>11} {'target':>6}  met")
    print()
    print(head)
    print("-" * len(head))
    for label, rows, target in [("released figure (new context)", released,
                                 REPAINT_TARGET_MS),
                                ("figure that kept its context", kept, None)]:
        lost = sum(bool(r.get("lost")) for r in rows)
        timeouts = sum(bool(r.get("timeout")) for r in rows)
        painted = [r["painted"] for r in rows if r.get("painted") is not None]
        met = "-" if target is None else (
            "yes" if painted and not timeouts and statistics.median(painted) <= target else "NO")
        print(f"{label:34} {len(rows):>2} {lost:>4} {ms(rows, 'seen'):>5}"
              f" {ms(rows, 'rebuilt'):>7} {ms(rows, 'painted'):>7} {spread(rows):>11}"
              f" {target or '-':>6}  {met}" + (f"  ({timeouts} timed out)" if timeouts else ""))
    print(f"(ms after scrollIntoView; lost = the figure had no context when scrolled to)\n"
          f"contexts: {report['live']} live of {report['figures']} heatmap figures"
          f" (budget {report['budget']}, Chromium keeps 16); {report['released']} released,"
          f" {report['rebuilt']} rebuilt, {report['evicted']} evicted by the browser")


# -- a norm picked in the page -------------------------------------------------------
# What a user does: pick another automatic range in Features2D's norm
# dropdown while a cell runs (the kernel reads no message: the page's twin
# alone recolours). Times in ms after the select's change event (page clock):
# the figure's first draw after it, and the frame after that draw.
PICKED = """(select) => { window.__picked = new Promise((done) => select.addEventListener(
  'change', () => done(Date.now()), {once: true, capture: true})); }"""
FIRST_PAINT = """([selector, t0]) => {
  const draw = window.__seernn.draws.find((d) => d.drawn >= t0 && d.el.closest(selector));
  return draw ? {drawn: draw.drawn - t0, painted: draw.painted - t0} : null;
}"""


def page_norm_latency(page, kc, repeats):
    """Features2D's norm dropdown moved in the page (auto <-> robust) while
    the kernel sleeps; rows of {drawn, painted}."""
    kc.execute(f"time.sleep({2 + repeats})", store_history=False)
    time.sleep(1)   # the cell is running
    page.locator(F2_FIG).first.scroll_into_view_if_needed()
    rows = []
    for i in range(1, repeats + 2):   # i = 1 is the warm-up
        select = page.locator(".t-f2 .seernn-norm-auto select").first
        select.evaluate(PICKED)
        select.select_option(index=2 if i % 2 else 0)   # robust, auto
        t0 = page.evaluate("() => window.__picked")
        m = page.wait_for_function(FIRST_PAINT, arg=[F2_FIG, t0], polling=50,
                                   timeout=10_000).json_value()
        if i > 1:
            rows.append(m)
        time.sleep(QUIET_MS / 1000)
    kc.get_shell_msg(timeout=60 + repeats)   # the sleep's reply
    return rows


def print_page_norm(rows):
    painted = [r["painted"] for r in rows]
    print(f"\nnorm picked in the page while a cell runs (Features2D 256x1024, n={len(rows)},"
          f" ms after the change event): drawn {median(rows, 'drawn'):.0f},"
          f" painted {statistics.median(painted):.0f} ({min(painted):.0f}-{max(painted):.0f}),"
          f" target {PAGE_NORM_TARGET_MS}:"
          f" {'yes' if statistics.median(painted) <= PAGE_NORM_TARGET_MS else 'NO'}")


PAGE_NORM_TARGET_MS = 50


# -- the colour bar ---------------------------------------------------------------
COLOUR_BAR_TARGET_MS = 50   # in the page: norm message in -> colour bar painted
COLOUR_BAR_NORMS = ["(-0.5, 0.25)", "(-0.2, 0.6)"]   # one handle moved: zero stays white

# Note each mutation of the figure's colour bar (bqplot ColorAxis: its
# gradient's 256 stops and its ticks), and two frames later, painted.
COLOUR_BAR_WATCH = """(sel) => {
  const rec = window.__seernn;
  rec.bar = [];
  const bar = document.querySelector(sel).querySelector('.ColorBar');
  new MutationObserver(() => {
    const entry = {t: Date.now(), painted: null};
    rec.bar.push(entry);
    requestAnimationFrame(() => requestAnimationFrame(() => { entry.painted = Date.now(); }));
  }).observe(bar, {subtree: true, childList: true, attributes: true});
  return bar.querySelectorAll('stop').length;
}"""

# Done when the bar was painted after its last mutation and has been quiet:
# ms after t0 of the colour scale's model change (the message arrived), the
# bar's first and last mutation, and its last paint.
COLOUR_BAR_DONE = """([selector, t0, quiet]) => {
  const rec = window.__seernn;
  const bar = rec.bar.filter((b) => b.t >= t0);
  const last = bar[bar.length - 1];
  if (!last || last.painted === null || Date.now() - last.painted < quiet) return null;
  const changes = rec.changes.filter((c) => c.t >= t0 && c.el.closest(selector));
  const arrived = changes.length ? changes[0].t - t0 : null;
  return {arrived, first: bar[0].t - t0, updated: last.t - t0, painted: last.painted - t0,
          mutations: bar.length};
}"""


def colour_bar_latency(page, kc, repeats):
    """Features2D norm changes from the kernel: when the colour bar changed
    and was painted, and the page's part (message in -> bar painted)."""
    stops = page.evaluate(COLOUR_BAR_WATCH, F2_FIG)
    assert stops == 256, f"the colour bar has {stops} gradient stops, expected 256"
    rows = []
    for i in range(1, repeats + 2):   # i = 1 is the warm-up
        code = (f"_t0 = time.time()\nf2.norm = {COLOUR_BAR_NORMS[i % 2]}\n"
                f"print(_t0, time.time())")
        t0, _ = (float(t) for t in L.kernel_exec(kc, code).split())
        m = page.wait_for_function(COLOUR_BAR_DONE, arg=[F2_FIG, t0 * 1000, QUIET_MS],
                                   polling=50, timeout=60_000).json_value()
        if i > 1:
            rows.append(dict(m, page=m["painted"] - m["arrived"], dom=m["updated"] - m["arrived"]))
    L.screenshot(page.locator(F2_FIG).first, "bench_colour_bar_norm")
    return rows


def print_colour_bar(rows):
    def ms(key):
        return f"{statistics.median(r[key] for r in rows):.0f}"

    page_ms = [r["page"] for r in rows]
    met = "yes" if statistics.median(page_ms) <= COLOUR_BAR_TARGET_MS else "NO"
    print(f"\ncolour bar, Features2D norm change (n={len(rows)}, medians, ms after the"
          f" kernel's time.time()): scale model changed {ms('arrived')}, bar first changed"
          f" {ms('first')}, last {ms('updated')}, painted {ms('painted')};"
          f" in the page: scale changed -> bar updated {ms('dom')},"
          f" -> bar painted {ms('page')}"
          f" ({min(page_ms):.0f}-{max(page_ms):.0f}), target {COLOUR_BAR_TARGET_MS}: {met};"
          f" {statistics.mean(r['mutations'] for r in rows):.0f} DOM mutations per update")


def median(rows, key):
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else None


def print_table(results):
    def ms(v):
        return "-" if v is None else f"{v:.0f}"

    def size(n):
        return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"

    head = (f"{'update':34} {'n':>2} {'kernel':>6} {'arrived':>7} {'drawn':>6}"
            f" {'painted':>7} {'(min-max)':>11} {'draws':>5} {'msgs':>4} {'bytes':>9}"
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
              f" {median(rows, 'messages'):>4.0f}"
              f" {size(median(rows, 'bytes')):>9} {ms(target):>6}  {met}")
    print("(medians; ms after the kernel's time.time() before the assignment;"
          " draws = mean repaints of that figure per update; msgs = websocket messages"
          " the page received, kernel status messages included)")
    painted = {case.label: median(rows, "painted") for case, rows in results}
    by_label = {case.label: rows for case, rows in results}
    raw, ours = by_label.get("raw ImageGL 256x1024 colour range"), by_label.get(
        "Features2D 256x1024 norm")
    if raw and ours:   # same rounds: one ratio per round
        ratios = [o["painted"] / r["painted"] for r, o in zip(raw, ours)]
        print(f"norm change: Features2D / raw ImageGL colour range = "
              f"{statistics.median(ratios):.2f}x (median of {len(ratios)} rounds),"
              f" {median(ours, 'painted') - median(raw, 'painted'):.0f} ms more")
    gl, heatmap = (painted.get(f"raw {k} 256x1024 new data") for k in ("ImageGL", "HeatMap"))
    if gl and heatmap:
        print(f"raw 256x1024 new data: HeatMap / ImageGL = {heatmap / gl:.1f}x slower")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--released-only", action="store_true",
                        help='only "released figure scrolled back"')
    parser.add_argument("--colour-bar-only", action="store_true",
                        help="only the colour bar's update on a norm change")
    parser.add_argument("--norm-only", action="store_true",
                        help="only the norm changes: the colour bar, the raw ImageGL's"
                             " colour range and Features2D's norm")
    parser.add_argument("--busy-only", action="store_true",
                        help="only the controls while a cell runs (bench/busy_controls.py)")
    args = parser.parse_args()
    results = []
    root = Path(tempfile.mkdtemp(prefix="seernn-bench-"))
    started = time.time()
    with L.running_lab(root) as lab, L.browser_page(viewport=(1400, 1200)) as page:
        page.add_init_script(PAGE_HOOKS)
        counter = Bytes(page)
        if args.busy_only:
            busy = busy_controls.measure(page, lab, args.repeats)
            L.shutdown_kernels(lab)
        if not (args.released_only or args.busy_only):
            open_all(page, lab)
            print(f"  notebook ready: {time.time() - started:.0f} s", file=sys.stderr)
            with L.kernel_client(lab, NOTEBOOK) as kc:
                colour_bar = colour_bar_latency(page, kc, args.repeats)
                page_norm = page_norm_latency(page, kc, args.repeats)
                print(f"  colour bar: {time.time() - started:.0f} s", file=sys.stderr)
                cases = [] if args.colour_bar_only else CASES
                if args.norm_only:
                    cases = [c for c in CASES if "norm" in c.label and "RNN" not in c.label
                             or "colour range" in c.label]
                results = run_cases(page, kc, counter, cases, args.repeats)
                print(f"  updates: {time.time() - started:.0f} s", file=sys.stderr)
        released = None if args.colour_bar_only or args.busy_only or args.norm_only \
            else released_repaint(page, lab, args.repeats)
        print(f"  released figure scrolled back: {time.time() - started:.0f} s", file=sys.stderr)
        L.shutdown_kernels(lab)
        if not (args.released_only or args.colour_bar_only or args.busy_only
                or args.norm_only):
            busy = busy_controls.measure(page, lab, args.repeats)
            print(f"  busy controls: {time.time() - started:.0f} s", file=sys.stderr)
            L.shutdown_kernels(lab)
    if results:
        print_table(results)
    if not (args.released_only or args.busy_only):
        print_colour_bar(colour_bar)
        print_page_norm(page_norm)
    if released is not None:
        print_released(*released)
    if not (args.released_only or args.colour_bar_only or args.norm_only):
        busy_controls.print_results(*busy)


if __name__ == "__main__":
    main()
