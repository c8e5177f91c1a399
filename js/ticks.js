// Browser twin of seernn_widgets/views/_ticks.py's `value_ticks` (round 1-2-5
// ticks, labels from `format_value`, keyed by String(value) as bqplot looks
// them up). Only for a colour range made in the page (a norm dragged while a
// cell runs): every range Python draws comes with Python's own ticks.
// tests/test_colour.py checks it string for string against Python.

/** 10^k exactly as Python's float("1e{k}") reads it. */
const pow10 = (k) => Number(`1e${k}`);

/** Python's float(f"{x:.6g}"). */
const roundSig = (x) => Number(x.toPrecision(6));

/** Python's round(x) for a float: halves to even. */
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The decimal exponent of the last digit of `x`'s shortest form (_ticks._place):
 * 3 for 1000, -3 for 0.002, -5 for 2e-5. */
export function place(x) {
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e");
  return Number(exponent) - (mantissa.split(".")[1]?.length ?? 0);
}

/** Decimals that print every multiple of `step` exactly. */
const decimals = (step) => Math.max(0, -place(step));

/** k * step without float noise; never -0. */
function clean(value, step) {
  const v = Number(value.toFixed(decimals(step)));
  return v === 0 ? 0 : v;
}

export function niceStep(span, maxTicks) {
  maxTicks = Math.max(Math.trunc(maxTicks), 2);
  if (!(span > 0) || !Number.isFinite(span)) return 1.0;
  const step = pow10(Math.floor(Math.log10(span / maxTicks)));
  for (const m of [1, 2, 5, 10, 20]) {
    if (Math.floor(span / (m * step)) + 1 <= maxTicks) return roundSig(m * step);
  }
  return roundSig(50 * step);
}

function multiples(lo, hi, step) {
  const k0 = Math.ceil(lo / step - 1e-9);
  const k1 = Math.floor(hi / step + 1e-9);
  const out = [];
  for (let k = k0; k <= k1; k++) out.push(clean(k * step, step));
  return out;
}

function stepExponent(step) {
  const exponent = Math.floor(Math.log10(step) + 1e-9);
  return [exponent, Math.round(step / pow10(exponent))];
}

function nextStep(step) {
  const [exponent, mantissa] = stepExponent(step);
  return roundSig(({ 1: 2, 2: 5 }[mantissa] ?? 10) * pow10(exponent));
}

function previousStep(step) {
  const [exponent, mantissa] = stepExponent(step);
  return roundSig(({ 5: 2, 2: 1 }[mantissa] ?? 0.5) * pow10(exponent));
}

/** A tick label with the digits down to decimal place `at` (_ticks._format_at). */
function formatAt(value, at) {
  if (value === 0) return "0";
  if (at < -4 || Math.abs(value) >= 1e5) {
    const digits = Math.max(0, roundHalfEven(Math.log10(Math.abs(value))) - at);
    let [mantissa, exponent] = value.toExponential(Math.min(digits, 15)).split("e");
    if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    return `${mantissa}e${Number(exponent)}`;
  }
  return value.toFixed(Math.max(0, -at));
}

export const formatValue = (value, step) => formatAt(value, place(step));

/** Round ticks within [lo, hi]: {values, labels} (_ticks.value_ticks). */
export function valueTicks(lo, hi, maxTicks = 5) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return { values: [], labels: [] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return { values: [lo], labels: [formatAt(lo, place(roundSig(lo)))] };
  let step = niceStep(hi - lo, maxTicks);
  let values = multiples(lo, hi, step);
  while (values.length > maxTicks) {
    step = nextStep(step);
    values = multiples(lo, hi, step);
  }
  if (values.length < 2) {
    const finer = multiples(lo, hi, previousStep(step));
    if (finer.length <= maxTicks + 1) {
      step = previousStep(step);
      values = finer;
    }
  }
  return { values, labels: values.map((v) => formatValue(v, step)) };
}

/** The [value, label] pairs of valueTicks (as _colour.bar_ticks gives them). */
export function valueTickPairs(lo, hi, maxTicks) {
  const { values, labels } = valueTicks(lo, hi, maxTicks);
  return values.map((v, k) => [v, labels[k]]);
}

// -- the colour bar (_colour.bar_ticks) ------------------------------------------
/** sign(x) * log10(1 + |x| / c): _colour.symlog_one. */
export const symlogOne = (x, c) => (x ? Math.sign(x) * Math.log10(1 + Math.abs(x) / c) : 0);

/** _colour.symlog_inverse of one value. */
const symlogInverse = (v, c) => Math.sign(v) * c * (10 ** Math.abs(v) - 1);

/** _colour.symlog_ticks: 0 and ±10^k for at most `perSide` decades from
 * `top` down towards `c`, spread out, labelled in the original values. */
export function symlogTicks(top, c, perSide) {
  if (!(top > 0)) return [[0, "0"]];
  const first = Math.floor(Math.log10(c));
  const last = Math.floor(Math.log10(top));
  const gap = symlogOne(top, c) / (perSide + 0.5);
  const kept = [];
  for (let k = last; k >= first; k--) {
    const at = symlogOne(pow10(k), c);
    if (kept.length < perSide && at >= gap && (!kept.length || kept[kept.length - 1][1] - at >= gap)) {
      kept.push([k, at]);
    }
  }
  const ticks = [[0, "0"]];
  for (const [k] of kept) {
    const label = k >= -3 && k <= 3 ? String(pow10(k)) : `1e${k}`;
    ticks.push([symlogOne(pow10(k), c), label], [symlogOne(-pow10(k), c), `-${label}`]);
  }
  return ticks.sort((a, b) => a[0] - b[0]);
}

/** _colour.bar_ticks: [[drawn value, label]] of a colour bar of range
 * [lo, hi] (units drawn): round values when linear; symlog: the decades of
 * the range's own largest |value|, else round values of the range in the
 * data's units at their symlog positions. `bar`: {symlog, c, per_side,
 * max_ticks} as colour_state sends them for the heatmap. */
export function barTicks(lo, hi, bar) {
  if (!bar.symlog) return valueTickPairs(lo, hi, bar.max_ticks);
  const [dataLo, dataHi] = [symlogInverse(lo, bar.c), symlogInverse(hi, bar.c)];
  const top = Math.max(Math.abs(dataLo), Math.abs(dataHi));
  const shown = symlogTicks(top, bar.c, bar.per_side).filter(([v]) => lo <= v && v <= hi);
  if (shown.length >= 2) return shown;
  return valueTickPairs(dataLo, dataHi, bar.max_ticks).map(([v, label]) => [symlogOne(v, bar.c), label]);
}
