// BrowserSlicer's front end (anywidget ES module; seernn_widgets/views/_browser.py).
//
// While a cell runs (model.fit), messages from the page's controls wait in
// the kernel's queue (ipywidgets #3468), but messages to the page still
// arrive. So the page keeps the view's whole float32 cube and re-slices it
// itself when a control moves: it sets the ImageGL mark's `image`, the
// ColorScale's min/max and the figure's title straight on their models,
// browser-only. The controls' own messages still reach the kernel once it
// is free, and the kernel then draws the same picture.
//
// The served module is slicing.js followed by this file, without the import
// line below (anywidget serves one file): _browser.py joins them.
import { features2d, maskImage, rnnMatrix } from "./slicing.js";
import { palette } from "./colour.js";
import { barTicks } from "./ticks.js";
import { TWINS, TwinKernelGuard } from "./twins.js";
import { keepPainted } from "./contexts.js";

const REF = "IPY_MODEL_";
const MANUAL = "manual";   // the norm dropdown's entry for a hand-set range (_colour.MANUAL)

/** Set attributes on another widget's model for this page only. WidgetModel
 * also records them in its buffered state diff, which its next
 * save_changes() would send: a whole image back to the kernel (over the
 * server's 10 MiB websocket limit the connection drops). */
function setLocal(model, attrs) {
  model.set(attrs);
  for (const key of Object.keys(attrs)) delete model._buffered_state_diff?.[key];
}

/** True while `model` applies a kernel message (WidgetModel.set_state). */
const fromKernel = (model, key) => Boolean(model._state_lock && key in model._state_lock);

/** True while the kernel has not yet processed this control's last change
 * from the page (ipywidgets' message throttle: sent and unanswered, or held). */
const unanswered = (model) => model._pending_msgs > 0 || model._msg_buffer != null;

const isDropdown = (model) => model.get("_model_name") === "DropdownModel";
const controlKey = (model) => (isDropdown(model) ? "index" : "value");
/** A control's value as the view's trait holds it (Dropdown syncs an index). */
const controlValue = (model) =>
  isDropdown(model) ? model.get("_options_labels")[model.get("index")] : model.get("value");

/** Plain JSON-able form: models hold typed arrays where we set plain ones. */
const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain) : v);
const same = (a, b) => JSON.stringify(plain(a)) === JSON.stringify(plain(b));

/** What each view draws. keys: the controls that pick the slice; optional
 * extent (axis span of a downsampled slice), overlay (drawn with a new
 * slice) and decorate (on every apply). */
const KINDS = {
  features2d: {
    keys: ["sample", "direction", "reflect_half"],
    slices: (parts, c, s) => [features2d(parts[0].data, parts[0].shape, {
      sample: c.sample, direction: c.direction, reflectHalf: reflects(c),
      timestepsXaxis: s.timesteps_xaxis,
    })],
    // Python's range for the state shown (Features2D.colour_ranges): one, or one per sample
    autoNorm: (ranges, c) => (Array.isArray(ranges[0]) ? ranges[c.sample] : ranges),
    // the full sequence length, also when the cube is downsampled (Features2D.extent)
    extent: (slice, c, s) => (s.timesteps_xaxis
      ? [s.steps, slice.shape[0]] : [slice.shape[1], s.steps]),
    // Features2D.page_titles: one per (direction, reflect_half) and sample
    title: (c, s) => s.titles?.[`${c.direction}/${reflects(c) ? 1 : 0}`]?.[c.sample],
    decorate(t, c, s) {   // Features2D.axes, per direction
      const axes = s.axes?.[c.direction];
      if (!axes) return;
      setAxis(t.x_axis, axes.x);
      setAxis(t.y_axis, axes.y);
      setChanged(t.figure, { fig_margin: { ...t.figure.get("fig_margin"), left: axes.left } });
    },
    overlay(t, c, s, parts) {   // Features2D.mask_data: the grey overlay
      if (!t.mask) return;
      const kept = parts[1];
      const image = kept && s.masked[c.sample]
        ? maskImage(kept.data, kept.shape, parts[0].shape[2], {
          sample: c.sample, direction: c.direction, reflectHalf: reflects(c),
          timestepsXaxis: s.timesteps_xaxis,
        })
        : { data: new Float32Array([NaN]), shape: [1, 1] };
      setLocal(t.mask, {
        image: { data: image.data, shape: image.shape, dtype: "float32" },
        x: t.mark.get("x"), y: t.mark.get("y"),
      });
    },
  },
  rnn: {
    keys: ["direction", "gate"],
    slices: (parts, c, s) => parts.map((part) => rnnMatrix(part.data, part.shape, {
      directions: s.directions, direction: c.direction, gates: s.gates, gate: c.gate,
      absoluteValue: s.absolute_value,
    })),
    // Python's range for heatmap i (RNNHeatmap.colour_ranges: one per kernel)
    autoNorm: (ranges, c, i) => ranges[i],
    // units and rows, also when the cube is binned (RNNHeatmap._matrices)
    extent: (slice, c, s, i) => [
      s.units * Math.max(c.gate === "all" ? s.gates.length : 1, 1), s.rows[i]],
    // RNNHeatmap.page_titles: one per (direction, gate) and kernel
    title: (c, s, i) => s.titles?.[`${c.direction}/${c.gate}`]?.[i],
    decorate(t, c, s, i) {   // RNNHeatmap.gate_axis, per gate
      const axis = s.x_axes?.[c.gate];
      if (!axis) return;
      if (t.lines) {
        // hidden lines still count in the x scale's domain: keep them inside
        const at = axis.boundaries.length ? axis.boundaries : [0];
        setChanged(t.lines, {
          visible: axis.boundaries.length > 0,
          x: at.map((x) => [x, x]),
          y: at.map(() => [-0.5, s.rows[i] - 0.5]),
        });
      }
      setAxis(t.x_axis, axis);
    },
  },
};

/** reflect_half acts only with both halves of a bidirectional layer shown
 * (Features2D.reflect_allowed): a direction picked in the page turns it off. */
const reflects = (c) => Boolean(c.reflect_half) && c.direction === "both";

/** An Axis model's ticks and label as Python sent them (_ticks.Ticks). */
function setAxis(axis, ticks) {
  if (!axis || !ticks) return;
  const attrs = {   // labels first: new tick values are drawn with them
    tick_labels: ticks.tick_labels, tick_values: ticks.tick_values, label: ticks.label,
  };
  if (ticks.label_offset !== undefined) attrs.label_offset = ticks.label_offset;
  setChanged(axis, attrs);
}

/** bqplot's vertical ColorBar leaves 100 px (x_offset) free at each end:
 * in a 260 px heatmap it has no length left. Span the plot's height instead,
 * in every view of the colour axis (each figure view makes its own); views
 * made later are fitted on the next apply. */
const fitted = new WeakSet();
function fitColourBar(axisModel) {
  for (const promise of Object.values(axisModel?.views ?? {})) {
    Promise.resolve(promise).then((view) => {
      if (!view || fitted.has(view) || typeof view.rescale_axis !== "function") return;
      fitted.add(view);
      view.x_offset = 0;
      view.rescale_axis();
      view.redraw_axis();
    }).catch(() => {});
  }
}

/** setLocal for the attributes whose values differ. */
function setChanged(model, attrs) {
  const changed = Object.entries(attrs).filter(([key, value]) => !same(model.get(key), value));
  if (changed.length) setLocal(model, Object.fromEntries(changed));
}

/** Float32 view of a kernel buffer (zero-copy when aligned). */
function floats(buffer) {
  const view = buffer instanceof ArrayBuffer ? new DataView(buffer) : buffer;
  if (!view || !view.byteLength) return new Float32Array(0);
  return view.byteOffset % 4 === 0
    ? new Float32Array(view.buffer, view.byteOffset, view.byteLength / 4)
    : new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

class Slicer {
  constructor(model) {
    this.model = model;
    this.controls = {};    // name -> control widget model
    this.targets = [];     // per heatmap: {mark, scale, figure[, lines, axis]} models + status
    this.parts = [];       // [{data, shape}] cut from the cube
    this.generation = 0;   // bumped per cube, so a repeated slice is skipped
    this.chosen = new Map();   // control model -> value chosen in this page, unanswered
    this.setting = false;  // our own set() calls: not kernel news
    this.queued = false;
    model.on("change:cube change:shapes", () => { this.unpack(); this.schedule(); });
    model.on("change:state", () => this.schedule());
    model.on("change:controls change:heatmaps", () => this.connect());
    this.unpack();
    this.connect();
  }

  unpack() {
    const all = floats(this.model.get("cube"));
    let offset = 0;
    this.parts = [];
    for (const shape of this.model.get("shapes")) {
      const size = shape.reduce((a, b) => a * b, 1);
      this.parts.push({ data: all.subarray(offset, offset + size), shape });
      offset += size;
    }
    if (offset !== all.length) this.parts = [];   // no cube (over budget): wait for the kernel
    this.generation++;
  }

  /** Find the models the kernel named (by id) and listen to them. */
  async connect(attempt = 0) {
    const token = (this.connecting = {});
    const manager = this.model.widget_manager;
    const get = (ref) => manager.get_model(ref.slice(REF.length));
    let controls, targets;
    try {
      controls = Object.fromEntries(await Promise.all(Object.entries(this.model.get("controls"))
        .map(async ([name, ref]) => [name, await get(ref)])));
      targets = await Promise.all(this.model.get("heatmaps").map(async (refs) => {
        const t = Object.fromEntries(await Promise.all(Object.entries(refs)
          .map(async ([name, ref]) => [name, await get(ref)])));
        return Object.assign(t, { ours: false, shown: null });
      }));
    } catch (error) {   // a model not created yet in this page
      if (attempt < 50 && token === this.connecting) {
        setTimeout(() => this.connect(attempt + 1), 100);
      }
      return;
    }
    if (token !== this.connecting) return;   // a newer connect() won
    this.disconnect();
    this.controls = controls;
    this.targets = targets;
    for (const control of Object.values(controls)) {
      const key = controlKey(control);
      control.on(`change:${key}`, () => this.onControl(control, key), this);
    }
    for (const t of targets) {
      const news = (then) => () => { if (!this.setting) { then?.(); this.schedule(); } };
      t.mark.on("change:image", news(() => { t.ours = false; t.shown = null; }), this);
      t.scale.on("change:min change:max", news(), this);
      t.figure.on("change:title", news(), this);
      t.lines?.on("change:x change:y change:visible", news(), this);
      for (const axis of [t.x_axis, t.y_axis]) {
        axis?.on("change:tick_values change:tick_labels change:label", news(), this);
      }
      t.unpaint = keepPainted(t.figure);   // its WebGL context, shared out per page
      // the colour bar's views may come after the figure's: fit them as they do
      for (const ms of [0, 100, 500, 2000]) setTimeout(() => fitColourBar(t.colour_axis), ms);
      t.figure.on("change:layout change:fig_margin", () => fitColourBar(t.colour_axis), this);
    }
    this.schedule();
  }

  disconnect() {
    for (const m of Object.values(this.controls)) m.off(null, null, this);
    for (const t of this.targets) {
      for (const key of ["mark", "scale", "figure", "lines", "x_axis", "y_axis", "colour_axis"]) {
        t[key]?.off(null, null, this);
      }
      t.unpaint?.();
    }
  }

  /** A control moved: by the user (apply now), or by the kernel (its image
   * and state follow). A kernel value that arrives before the kernel has
   * processed the user's choice is stale (e.g. show_norm during fit): put
   * the user's choice back. */
  onControl(control, key) {
    if (this.setting) return;
    if (fromKernel(control, key)) {
      if (this.chosen.has(control) && unanswered(control)) {
        const value = this.chosen.get(control);
        queueMicrotask(() => this.quietly(() => setLocal(control, { [key]: value })));
        return;
      }
      this.chosen.delete(control);
      return;   // the kernel's own image and state follow: drawing now would draw twice
    } else {
      this.chosen.set(control, control.get(key));
      const auto = this.controls.norm_auto;
      if (control === this.controls.norm && auto && controlValue(auto) !== MANUAL) {
        // a dragged range is a hand-set one, as norm_controls does
        const index = auto.get("_options_labels").indexOf(MANUAL);
        this.quietly(() => setLocal(auto, { index }));
        this.chosen.set(auto, index);
      }
    }
    this.schedule();
  }

  quietly(fn) {
    this.setting = true;
    try { fn(); } finally { this.setting = false; }
  }

  schedule() {   // several changes of one message: one apply
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => { this.queued = false; this.apply(); });
  }

  /** The controls as this page shows them (the kernel's state for others). */
  values(state) {
    const c = { ...state };
    for (const [name, model] of Object.entries(this.controls)) c[name] = controlValue(model);
    // the slider holds a range in the units drawn; the dropdown an automatic choice
    if (c.norm_auto !== undefined && c.norm_auto !== MANUAL) c.norm = c.norm_auto;
    // a norm the kernel set reaches the page's controls only after its state and
    // colours: unless the user moved them, the kernel's range (in units drawn) holds
    const moved = [this.controls.norm, this.controls.norm_auto].some((m) => m && this.chosen.has(m));
    if (!moved && state.colour?.drawn !== undefined) c.norm = state.colour.drawn;
    return c;
  }

  /** Draw what the page's controls show. Where they agree with the kernel's
   * state, the kernel's own image stays (it is that slice). */
  apply() {
    const kind = KINDS[this.model.get("kind")];
    const state = this.model.get("state");
    if (!kind || !state || !this.targets.length) return;
    const c = this.values(state);
    const agreed = kind.keys.every((key) => same(c[key], state[key]));
    const shown = `${this.generation} ${JSON.stringify(kind.keys.map((key) => c[key]))}`;
    // where the kernel's image is that slice, it stays: slicing a 256x1024
    // image costs more than a colour change (~20 ms), so only for new images
    const stale = this.targets.map((t) => (!agreed || t.ours) && t.shown !== shown);
    let slices = [];
    if (stale.some(Boolean)) {
      // no cube (over budget): the controls that slice wait for the kernel
      if (!this.parts.length) return;
      try {
        slices = kind.slices(this.parts, c, state);
      } catch (error) {   // e.g. a sample beyond a new, smaller cube: the kernel redraws
        return;
      }
      if (slices.length !== this.targets.length) return;
    }
    const colour = state.colour;
    const normOf = (i) => (Array.isArray(c.norm) ? plain(c.norm)
      : kind.autoNorm(colour.ranges[c.norm] ?? colour.ranges.auto, c, i));
    this.quietly(() => this.targets.forEach((t, i) => {
      if (stale[i]) {
        this.show(t, slices[i], kind.extent?.(slices[i], c, state, i));
        kind.overlay?.(t, c, state, this.parts);
        t.shown = shown;
      }
      // labels and titles are Python's, looked up for the state the page
      // shows: set on every apply, so a page-side change can never leave
      // the page's axes out of step with a later kernel state
      kind.decorate?.(t, c, state, i);
      const title = kind.title(c, state, i);
      if (title !== undefined) setChanged(t.figure, { title });
      const norm = normOf(i);
      if (norm) this.colour(t, norm, colour.ends);
    }));
  }

  /** Colour range [lo, hi] (units drawn) on heatmap t: zero white (the
   * palette), and the colour bar's ticks: Python's for every range it can
   * draw (state.colour.bar, _colour.bar_ticks); for a range dragged in the
   * page, the same rule's twin (js/ticks.js barTicks). */
  colour(t, [lo, hi], ends) {
    fitColourBar(t.colour_axis);
    // the ticks before the range: bqplot's ColorBar reads them only when it
    // redraws for a new domain (as Heatmap.set_norm)
    if (t.colour_axis) {
      const state = this.model.get("state")?.colour ?? {};
      const i = this.targets.indexOf(t);
      const shown = state.bar?.[i]?.[`${lo} ${hi}`] ?? barTicks(lo, hi, state.bar_rule[i]);
      setChanged(t.colour_axis, {
        tick_labels: Object.fromEntries(shown.map(([v, label]) => [String(v), label])),
        tick_values: shown.map(([v]) => v),
      });
    }
    if (t.scale.get("min") !== lo || t.scale.get("max") !== hi) {
      setLocal(t.scale, { colors: palette(lo, hi, ends), min: lo, max: hi });
    }
  }

  /** Set the slice as the mark's image, spanning `extent` = [width,
   * height] in axis units (the slice's own shape by default). */
  show(t, slice, extent) {
    const [w, h] = extent ?? [slice.shape[1], slice.shape[0]];
    const attrs = { image: { data: slice.data, shape: slice.shape, dtype: "float32" } };
    // cells centred on integers, as Heatmap (_ticks.cell_extent)
    if (t.mark.get("x")?.[1] !== w - 0.5) attrs.x = [-0.5, w - 0.5];
    if (t.mark.get("y")?.[1] !== h - 0.5) attrs.y = [-0.5, h - 0.5];
    setLocal(t.mark, attrs);
    t.ours = true;
  }
}

export default {
  initialize({ model }) {
    const Twin = TWINS[model.get("kind")];   // twins.js: the views that look states up
    if (Twin) { const twin = new Twin(model); return () => twin.close(); }
    const slicer = new Slicer(model);
    const guard = new TwinKernelGuard(model);   // layer, mode, step: disabled while busy
    return () => { slicer.disconnect(); guard.close(); };
  },
  render({ el }) {
    el.style.display = "none";   // logic only
  },
};
