// Browser twin of seernn_widgets/views/_colour.py's `palette`: while a cell
// runs, a norm dragged in the page is drawn with zero still white. tests/test_colour.py checks the strings against Python's.

const N_COLOURS = 256;   // ImageGL's colour texture has 256 entries
const WHITE = [255, 255, 255];

const hex2 = (x) => x.toString(16).padStart(2, "0");

/** N_COLOURS '#rrggbb' spread evenly over [lo, hi]: white at 0, towards
 * ends[0] at lo (< 0) and ends[1] at hi (> 0), each side linearly. */
export function palette(lo, hi, ends) {
  const [neg, pos] = ends;
  const out = [];
  for (let i = 0; i < N_COLOURS; i++) {
    const v = lo + (hi - lo) * i / (N_COLOURS - 1);
    let end = WHITE;
    let f = 0.0;
    if (v < 0) { end = neg; f = lo < 0 ? v / lo : 0.0; } else if (v > 0) { end = pos; f = hi > 0 ? v / hi : 0.0; }
    out.push("#" + WHITE.map((w, k) => hex2(Math.floor(w + (end[k] - w) * f + 0.5))).join(""));
  }
  return out;
}
