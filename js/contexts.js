// Keeps heatmap figures painted however many are open in one page.
//
// Chromium keeps 16 live WebGL contexts per page and, beyond that, drops the
// oldest for good; in JupyterLab every open notebook shares the page, and
// every bqplot Figure holding an ImageGL mark owns one context. So one
// registry per page (on globalThis: each widget's copy of this module shares
// it) keeps our live contexts at BUDGET: a figure that is not on screen
// (scrolled away, or in a hidden tab: IntersectionObserver) gives its context
// back, least recently seen first, and gets a new one when it is seen again.
//
// Why a new canvas and renderer, and not WEBGL_lose_context's restoreContext:
// measured in this headless Chromium 156 (SwiftShader), a context lost with
// loseContext() frees its slot at once (12 lost + 2 live + 12 new: none
// evicted), but a context the browser evicted has no WEBGL_lose_context any
// more and never comes back, not even when slots free up. Such a figure can
// only be repainted on a new canvas. So there is one way back for both: the
// figure's canvas is replaced by a new one with its own context and a new
// three.js WebGLRenderer (same class, same options as bqplot-gl's), and its
// marks draw again - their textures still hold the image data, so the new
// renderer uploads them. That takes 15-25 ms here; the frame then waits for
// the browser to set the new context up (~150 ms on 2 busy cores), so figures
// seen together get theirs one frame apart: four at once made the first wait
// 500-600 ms, one per frame 200-500 ms, median ~270 ms from scrollIntoView to
// painted (bench/browser_latency.py, "released figure scrolled back"; a
// figure that kept its context: ~35 ms). With 48 figures in 3 notebooks
// 12 contexts stay live and none is evicted (tests/browser/test_webgl_capacity.py).
//
// Other libraries' contexts count against the 16 too: BUDGET leaves them
// HEADROOM, and when they push ours out anyway, a figure on screen or
// scrolled to is rebuilt the same way. A released figure's canvas is blank
// (it is off screen then).

const LIMIT = 16;      // Chromium's live WebGL contexts per page
const HEADROOM = 4;    // for other widgets' contexts (plotly, ipyvolume, ...)
const BUDGET = LIMIT - HEADROOM;
const KEY = Symbol.for("seernn_widgets.webglContexts.v1");

/** One figure view (a model shown twice has two) and its context's state. */
class Entry {
  constructor(view) {
    this.view = view;
    this.visible = false;
    this.seen = 0;          // registry clock when last visible
    this.released = false;  // we gave its context back
    this.lost = false;      // the browser took it (evicted)
    this.watched = null;    // the canvas whose contextlost we listen to
    this.since = null;      // when seen without a context (performance.now())
  }

  get gl() { return this.view.extras?.webGLRenderer; }

  /** Holds a context now (bqplot-gl has set it up and nobody took it). */
  get live() {
    return Boolean(this.gl) && !this.released && !this.lost
      && !this.view.webGLContext?.isContextLost?.();
  }
}

class Registry {
  constructor() {
    this.entries = new Map();   // figure view -> Entry
    this.byElement = new WeakMap();   // view.el -> Entry (what the observer reports)
    this.models = new Map();    // figure model -> {count, views (original object)}
    this.clock = 0;
    this.waiting = new Set();   // entries seen without a context, in the order seen
    this.pumping = false;       // a frame will take the next of them
    this.stats = { released: 0, rebuilt: 0, evicted: 0, repaints: [] };
    this.observer = new IntersectionObserver((records) => this.onIntersect(records));
  }

  /** Track every view of a bqplot Figure model, also those shown later.
   * Returns the function that stops it. */
  add(model) {
    let known = this.models.get(model);
    if (!known) {
      known = { count: 0 };
      this.models.set(model, known);
      this.watchViews(model);
    }
    known.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      // connect() lets go before it takes hold again: only a lasting 0 counts
      if (--known.count === 0) setTimeout(() => { if (known.count === 0) this.remove(model); });
    };
  }

  /** ipywidgets 8 puts a view's promise in model.views before it renders
   * (and before bqplot-gl asks for its context): make room then. */
  watchViews(model) {
    const views = model.views;
    if (!views) return;
    for (const promise of Object.values(views)) this.adopt(model, promise);
    const registry = this;
    model.views = new Proxy(views, {
      set(target, key, value) {
        target[key] = value;
        if (registry.models.has(model) && value?.then) {
          registry.makeRoom(1);
          registry.adopt(model, value);
        }
        return true;
      },
    });
  }

  adopt(model, promise) {
    promise.then((view) => {
      if (!this.models.has(model) || this.entries.has(view) || !view?.el) return;
      const entry = new Entry(view);
      entry.seen = ++this.clock;   // new: as recent as anything on screen
      this.entries.set(view, entry);
      this.byElement.set(view.el, entry);
      view.once?.("remove", () => this.forget(view));
      this.observer.observe(view.el);
      this.watchCanvas(entry);
      this.makeRoom(0);
    }).catch(() => {});
  }

  remove(model) {
    this.models.delete(model);
    for (const [view, entry] of [...this.entries]) {
      if (view.model !== model) continue;
      if ((entry.released || entry.lost) && view.el.isConnected) this.rebuild(entry);   // not left blank
      this.forget(view);
    }
  }

  forget(view) {
    const entry = this.entries.get(view);
    if (!entry) return;
    this.entries.delete(view);
    this.observer.unobserve(view.el);
    this.unwatchCanvas(entry);
  }

  /** A context lost that we did not give back: the browser evicted it. */
  watchCanvas(entry) {
    const canvas = entry.view.webGLCanvas;
    if (!canvas || canvas === entry.watched) return;
    this.unwatchCanvas(entry);
    entry.onLost = () => {
      if (entry.released) return;
      entry.lost = true;
      this.stats.evicted++;
      if (entry.visible) queueMicrotask(() => this.acquire(entry));
    };
    canvas.addEventListener("webglcontextlost", entry.onLost);
    entry.watched = canvas;
  }

  unwatchCanvas(entry) {
    entry.watched?.removeEventListener("webglcontextlost", entry.onLost);
    entry.watched = null;
  }

  onIntersect(records) {
    const now = ++this.clock;
    for (const record of records) {
      const entry = this.byElement.get(record.target);
      if (!entry || this.entries.get(entry.view) !== entry) continue;
      entry.visible = record.isIntersecting;
      entry.seen = now;
      if (entry.visible) this.acquire(entry, record.time);
    }
    this.makeRoom(0);
  }

  liveCount() {
    let n = 0;
    for (const entry of this.entries.values()) if (entry.live) n++;
    return n;
  }

  /** Give back contexts of figures off screen, least recently seen first,
   * until `coming` more fit in BUDGET. */
  makeRoom(coming) {
    const excess = this.liveCount() + coming - BUDGET;
    if (excess <= 0) return;
    const idle = [...this.entries.values()]
      .filter((e) => e.live && !e.visible)
      .sort((a, b) => a.seen - b.seen)
      .slice(0, excess);
    for (const entry of idle) this.release(entry);
  }

  release(entry) {
    entry.released = true;
    this.stats.released++;
    try {
      entry.gl.renderer.forceContextLoss();   // WEBGL_lose_context: the slot is free at once
    } catch (error) { /* already lost */ }
  }

  /** A figure seen: give it a context again if it has none. One new
   * context per frame: the browser sets each up before that frame shows,
   * so the first figure seen is painted without waiting for the others. */
  acquire(entry, since = performance.now()) {
    this.watchCanvas(entry);   // bqplot-gl may have set up the view since adopt()
    if (!entry.gl || entry.live || !entry.visible) return;
    entry.since ??= since;
    this.waiting.add(entry);
    if (!this.pumping) {   // after the observer's other news: one of them now
      this.pumping = true;
      queueMicrotask(() => this.pump());
    }
  }

  pump() {
    this.pumping = false;
    const pending = [];
    for (const e of this.waiting) {
      if (e.visible && !e.live && e.gl && this.entries.get(e.view) === e) pending.push(e);
      else e.since = null;   // gone from view meanwhile
    }
    const entry = pending.shift();
    this.waiting = new Set(pending);
    if (!entry) return;
    this.makeRoom(1);
    this.rebuild(entry);
    const ms = performance.now() - entry.since;
    entry.since = null;
    this.stats.repaints.push(ms);
    if (this.stats.repaints.length > 100) this.stats.repaints.shift();
    globalThis.dispatchEvent?.(new CustomEvent("seernn-webgl-repainted", {
      detail: { el: entry.view.el, ms },
    }));
    if (this.waiting.size) {   // the next once this one's frame is out
      this.pumping = true;
      requestAnimationFrame(() => requestAnimationFrame(() => this.pump()));
    }
  }

  /** A new canvas, context and renderer for the figure (see the header), and
   * its marks drawn on it now. */
  rebuild(entry) {
    const view = entry.view;
    const gl = entry.gl;
    const old = view.webGLCanvas;
    if (!gl || !old) return;
    const canvas = document.createElement("canvas");
    canvas.className = old.className;
    canvas.style.cssText = old.style.cssText;
    canvas.width = old.width;
    canvas.height = old.height;
    const context = canvas.getContext("webgl");   // as bqplot's Figure asks
    if (!context) return;
    const renderer = new gl.renderer.constructor({   // as bqplot-gl's createRenderer
      canvas, context, antialias: true, alpha: true, premultipliedAlpha: true,
    });
    renderer.setPixelRatio(gl.renderer.getPixelRatio());
    renderer.setClearAlpha(0);
    this.unwatchCanvas(entry);
    old.replaceWith(canvas);
    try {
      gl.renderer.dispose();
      if (!entry.released && !entry.lost) gl.renderer.forceContextLoss();
    } catch (error) { /* lost already */ }
    gl.renderer = renderer;
    view.webGLCanvas = canvas;
    view.webGLContext = context;
    entry.released = false;
    entry.lost = false;
    this.stats.rebuilt++;
    this.watchCanvas(entry);
    view.extras.webGLRender();   // now, not in a frame: it is on screen
  }

  /** For tests and benches: what the registry holds now. */
  report() {
    const entries = [...this.entries.values()];
    return {
      budget: BUDGET, figures: entries.length, live: this.liveCount(),
      visible: entries.filter((e) => e.visible).length,
      released: this.stats.released, rebuilt: this.stats.rebuilt,
      evicted: this.stats.evicted, repaints: [...this.stats.repaints],
    };
  }
}

/** Keep every view of a bqplot Figure model painted (see the header);
 * returns the function that stops tracking it. */
export function keepPainted(figureModel) {
  if (typeof IntersectionObserver === "undefined" || !figureModel) return () => {};
  globalThis[KEY] ??= new Registry();
  return globalThis[KEY].add(figureModel);
}
