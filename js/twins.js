// Page twins that look states up (TwinSlicer, seernn_widgets/views/_browser.py):
// Features0D, Features1D, RNNHistogram, WeightNorms, and the Explorer's menus.
//
// For every state the page's controls can reach (a direction, a gate, a
// sample, a layer ...), Python ran the view's own redraw on a stand-in and
// sent what it would set: rows of [model, trait, value] (titles, ticks,
// counts and edges, lines: all computed in Python). When a control moves in
// the page, this code only looks up the row of the state the controls show
// and sets it on the models, for this page only. Controls that need the
// kernel (`kernel_only`: layer, mode, step, colours, bins, channels, the
// Explorer's menus; TwinKernelGuard, for the heatmap views too) are disabled
// with a tooltip while the kernel is busy, and always in a page without a
// kernel (a static export).
//
// Names are prefixed (twin*): _browser.py joins every module into one file.

const TWIN_REF = "IPY_MODEL_";
const TWIN_BUSY_MS = 300;   // busy this long: a cell runs (a comm message takes less)

/** Set attributes on a model for this page only; see setLocal in widget.js
 * (never let them reach the kernel through the buffered state diff). */
function twinSetLocal(model, attrs) {
  model.set(attrs);
  for (const key of Object.keys(attrs)) delete model._buffered_state_diff?.[key];
}

const twinFromKernel = (model, key) => Boolean(model._state_lock && key in model._state_lock);
const twinUnanswered = (model) => model._pending_msgs > 0 || model._msg_buffer != null;
/** Dropdown and SelectMultiple sync an index; the values come from Python. */
const twinIndexed = (model) => model.get("index") !== undefined && model.has?.("_options_labels");
const twinKey = (model) => (twinIndexed(model) ? "index" : "value");

async function twinResolve(manager, value) {
  if (typeof value === "string" && value.startsWith(TWIN_REF)) {
    return manager.get_model(value.slice(TWIN_REF.length));
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => twinResolve(manager, v)));
  if (value && typeof value === "object") {
    const entries = await Promise.all(Object.entries(value)
      .map(async ([k, v]) => [k, await twinResolve(manager, v)]));
    return Object.fromEntries(entries);
  }
  return value;
}

/** The kernel connection of this page, or null (a static export has none). */
function twinKernel(model) {
  const manager = model.widget_manager;
  return manager?.kernel ?? manager?._context?.sessionContext?.session?.kernel ?? null;
}

/** Disables `controls` ({name: model}) with a tooltip while the kernel is
 * busy, and for good when there is no kernel; puts them back when idle. */
class TwinKernelGuard {
  constructor(model) {
    this.model = model;
    this.controls = {};
    this.saved = new Map();   // control -> its own `disabled`
    this.tip = null;          // the tooltip shown while held
    this.titled = new Map();  // view element -> its own title attribute
    this.timer = null;
    this.poll = null;
    this.kernel = twinKernel(model);
    this.onStatus = () => this.update();
    this.kernel?.statusChanged?.connect(this.onStatus);
    model.on("change:kernel_only", () => this.connect());
    this.connect();
  }

  async connect(attempt = 0) {
    let controls;
    try {
      controls = await twinResolve(this.model.widget_manager, this.model.get("kernel_only") ?? {});
    } catch (error) {   // a model not created yet in this page
      if (attempt < 50) setTimeout(() => this.connect(attempt + 1), 100);
      return;
    }
    this.release();
    this.controls = controls;
    this.update();
  }

  update() {
    const status = this.kernel ? this.kernel.status : "offline";
    if (status === "busy") {   // wait: each comm message also makes it busy briefly
      this.timer ??= setTimeout(() => { this.timer = null; this.hold("busy"); }, TWIN_BUSY_MS);
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    if (["offline", "dead", "unknown"].includes(status)) this.hold("offline");
    else this.release();
  }

  hold(why) {
    this.tip = this.model.get("tips")?.[why] ?? why;
    for (const control of Object.values(this.controls)) {
      if (!this.saved.has(control)) this.saved.set(control, control.get("disabled"));
      twinSetLocal(control, { disabled: true });
    }
    this.title();
    // views rendered later (an output shown again, an export's page) get it too
    this.poll ??= setInterval(() => this.title(), 250);
  }

  /** ipywidgets 8.1 shows a `tooltip` only on controls without a
   * description: the tip goes on each view's element itself. */
  title() {
    for (const control of this.saved.keys()) {
      for (const promise of Object.values(control.views ?? {})) {
        Promise.resolve(promise).then((view) => {
          const el = view?.el;
          if (!el || this.tip === null) return;
          if (!this.titled.has(el)) this.titled.set(el, el.getAttribute("title"));
          if (el.title !== this.tip) el.title = this.tip;   // a set is a DOM mutation
        }).catch(() => {});
      }
    }
  }

  release() {
    clearInterval(this.poll);
    this.poll = null;
    this.tip = null;
    for (const [control, disabled] of this.saved) twinSetLocal(control, { disabled });
    this.saved.clear();
    for (const [el, title] of this.titled) {
      if (title === null) el.removeAttribute("title");
      else el.setAttribute("title", title);
    }
    this.titled.clear();
  }

  close() {
    clearTimeout(this.timer);
    this.kernel?.statusChanged?.disconnect(this.onStatus);
    this.release();
  }
}

/** Typed array (1-D) or list of row subarrays (2-D), as bqplot's
 * deserializer gives them; cached per cube, so equal parts are one object. */
function twinParts(model) {
  const bytes = model.get("cube");
  const view = bytes instanceof ArrayBuffer ? new DataView(bytes) : bytes;
  const buffer = view?.byteLength ? view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)
    : new ArrayBuffer(0);
  return (model.get("shapes") ?? []).map(({ dtype, shape, offset }) => {
    const Type = dtype === "float64" ? Float64Array : Float32Array;
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Type(buffer.slice(offset, offset + size * Type.BYTES_PER_ELEMENT));
    if (shape.length < 2) return data;
    const width = shape[shape.length - 1];
    return Array.from({ length: size / width }, (_, r) => data.subarray(r * width, (r + 1) * width));
  });
}

class TwinTable {
  constructor(model) {
    this.model = model;
    this.guard = new TwinKernelGuard(model);
    this.controls = {};
    this.models = [];
    this.parts = [];
    this.chosen = new Map();   // control -> value chosen in this page, unanswered
    this.ours = false;         // the page drew a state of its own
    this.setting = false;
    this.queued = false;
    model.on("change:cube change:shapes", () => { this.parts = twinParts(model); this.schedule(); });
    model.on("change:state", () => this.schedule());
    model.on("change:controls change:models", () => this.connect());
    this.parts = twinParts(model);
    this.connect();
  }

  async connect(attempt = 0) {
    const token = (this.connecting = {});
    let controls, models;
    try {
      const manager = this.model.widget_manager;
      controls = await twinResolve(manager, this.model.get("controls") ?? {});
      models = await twinResolve(manager, this.model.get("models") ?? []);
    } catch (error) {   // a model not created yet in this page
      if (attempt < 50 && token === this.connecting) setTimeout(() => this.connect(attempt + 1), 100);
      return;
    }
    if (token !== this.connecting) return;
    this.disconnect();
    this.controls = controls;
    this.models = models;
    for (const control of Object.values(controls)) {
      const key = twinKey(control);
      control.on(`change:${key}`, () => this.onControl(control, key), this);
    }
    // kernel news (a refresh drawn for the kernel's own controls): draw ours again
    for (const m of models) m.on("change", () => { if (!this.setting) this.schedule(); }, this);
    this.schedule();
  }

  disconnect() {
    for (const m of [...Object.values(this.controls), ...this.models]) m.off(null, null, this);
  }

  close() {
    this.disconnect();
    this.guard.close();
  }

  /** As widget.js: a user's move draws now; a kernel value sent before the
   * kernel read the user's move is stale and is put back. */
  onControl(control, key) {
    if (this.setting) return;
    if (twinFromKernel(control, key)) {
      if (this.chosen.has(control) && twinUnanswered(control)) {
        const value = this.chosen.get(control);
        queueMicrotask(() => this.quietly(() => twinSetLocal(control, { [key]: value })));
        return;
      }
      this.chosen.delete(control);
    } else {
      this.chosen.set(control, control.get(key));
      const name = Object.keys(this.controls).find((n) => this.controls[n] === control);
      const off = this.model.get("unchecks")?.[name];
      if (off && this.controls[off]?.get("value")) {   // e.g. a sample unchecks 'all samples'
        this.quietly(() => twinSetLocal(this.controls[off], { value: false }));
      }
    }
    this.schedule();
  }

  quietly(fn) {
    this.setting = true;
    try { fn(); } finally { this.setting = false; }
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => { this.queued = false; this.apply(); });
  }

  /** The value control `name` shows in the page (the view's trait's value). */
  value(name, state) {
    if (name === "sample" && this.controls.sample_all?.get("value")) return "all";
    const control = this.controls[name];
    if (!control) return undefined;
    if (!twinIndexed(control)) return control.get("value");
    const options = state.options?.[name] ?? [];
    const index = control.get("index");
    return Array.isArray(index) ? index.map((i) => options[i]) : options[index];
  }

  decode(value) {
    if (Array.isArray(value)) return value.map((v) => this.decode(v));
    if (value && typeof value === "object") {
      if ("$a" in value) return this.parts[value.$a];
      if ("$s" in value) return this.parts[value.$s[0]][value.$s[1]];   // a row of a 2-D part
      if ("$m" in value) return this.models[value.$m];
      if ("$f" in value) return Number(value.$f.replace("inf", "Infinity").replace("nan", "NaN"));
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.decode(v)]));
    }
    return value;
  }

  apply() {
    const state = this.model.get("state");
    if (!state?.keys || !this.models.length) return;
    const values = state.keys.map((name) => this.value(name, state));
    const key = JSON.stringify(values);
    if (this.rowsText !== state.rows) {   // a JSON string (see _browser.send_table)
      this.rowsText = state.rows;
      this.rows = typeof state.rows === "string" ? JSON.parse(state.rows) : (state.rows ?? {});
    }
    const row = this.rows[key];
    if (row && (key !== state.kernel || this.ours)) {
      this.quietly(() => {
        const byModel = new Map();
        for (const [m, trait, value] of row) {
          const model = this.models[m];
          if (!byModel.has(model)) byModel.set(model, {});
          byModel.get(model)[trait] = this.decode(value);
        }
        for (const [model, attrs] of byModel) {
          const changed = Object.entries(attrs).filter(([k, v]) => !twinSame(model.get(k), v));
          if (changed.length) twinSetLocal(model, Object.fromEntries(changed));
        }
      });
      this.ours = key !== state.kernel;
    }
    this.layout(state);
  }

  /** n_rows: the grid's columns, ceil(figures shown / n_rows). */
  layout(state) {
    const rows = this.controls.n_rows;
    if (!state.layout || !rows) return;
    const layout = this.models[state.layout.model];
    const grid = this.models.find((m) => m.get("layout") === layout);
    const shown = grid?.get("children")?.length ?? 0;
    const n = Math.max(1, Math.floor(Number(rows.get("value")) || 1));
    const columns = state.layout.template.replace("{}", String(Math.ceil(shown / n)));
    if (layout && layout.get("grid_template_columns") !== columns) {
      this.quietly(() => twinSetLocal(layout, { grid_template_columns: columns }));
    }
  }
}

/** Equal values, typed arrays by identity or contents (small ones). */
function twinSame(a, b) {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    if (!a || !b || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (!twinSame(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
    }
    return true;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The twin classes by BrowserSlicer kind; widget.js uses its own Slicer
 * for the others and a TwinKernelGuard beside it. */
export const TWINS = { table: TwinTable };
export { TwinKernelGuard };
