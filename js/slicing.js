// Browser twin of seernn_widgets/slicing.py: the same cuts of the same
// float32 arrays, so a control moved in the page redraws without the kernel.
// Pure functions over Float32Array + explicit shapes (row-major, like NumPy);
// tests/test_js_slicing.py checks them bit for bit against the Python ones.

/** Channel range [start, stop) of one direction in a concat-Bidirectional
 * output: forward units first, then backward ones (direction_channels). */
export function directionChannels(nChannels, direction) {
  const half = Math.floor(nChannels / 2);
  const ranges = { both: [0, nChannels], forward: [0, half], backward: [half, nChannels] };
  if (!(direction in ranges)) throw new RangeError(`unknown direction ${direction}`);
  return ranges[direction];
}

/** One sample of a (samples, timesteps, channels) cube as the image to draw
 * (features_2d): (channels, timesteps) with timesteps on x, else transposed.
 * reflectHalf flips the second half of the channels along time before the
 * direction is picked, so 'backward' shows that half flipped too. */
export function features2d(cube, shape, { sample = 0, direction = "both",
  reflectHalf = false, timestepsXaxis = true } = {}) {
  const [n, steps, channels] = shape;
  if (!Number.isInteger(sample) || sample < 0 || sample >= n) {
    throw new RangeError(`sample ${sample} outside [0, ${n - 1}]`);
  }
  const half = Math.floor(channels / 2);
  const [c0, c1] = directionChannels(channels, direction);
  const width = c1 - c0;
  const data = new Float32Array(steps * width);
  const base = sample * steps * channels;
  for (let t = 0; t < steps; t++) {
    for (let c = c0; c < c1; c++) {
      const source = reflectHalf && c >= half ? steps - 1 - t : t;
      const value = cube[base + source * channels + c];
      data[timestepsXaxis ? (c - c0) * steps + t : t * width + (c - c0)] = value;
    }
  }
  return { data, shape: timestepsXaxis ? [width, steps] : [steps, width] };
}

/** The overlay marking masked timesteps on a features2d image (mask_image):
 * 1 where masked, NaN (transparent) where kept, cut exactly like the data.
 * `kept` is (samples, timesteps), nonzero where kept; broadcast over the
 * `nChannels` channels. */
export function maskImage(kept, shape, nChannels, { sample = 0, ...options } = {}) {
  const [n, steps] = shape;
  if (!Number.isInteger(sample) || sample < 0 || sample >= n) {
    throw new RangeError(`sample ${sample} outside [0, ${n - 1}]`);
  }
  const cube = new Float32Array(steps * nChannels);
  for (let t = 0; t < steps; t++) {
    cube.fill(kept[sample * steps + t] ? NaN : 1, t * nChannels, (t + 1) * nChannels);
  }
  return features2d(cube, [1, steps, nChannels], { ...options, sample: 0 });
}

/** One kernel's matrix as RNNHeatmap draws it (rnn_matrix). `cube` is
 * (directions, rows, cols): the kernel of each direction, gates side by side
 * along cols. gate 'all' keeps every gate, else one gate's columns; returns
 * also the gate boundaries (column indices between gates). */
export function rnnMatrix(cube, shape, { directions = ["forward"], direction = "forward",
  gates = [], gate = "all", absoluteValue = false } = {}) {
  const [, rows, cols] = shape;
  const d = directions.indexOf(direction);
  if (d < 0) throw new RangeError(`unknown direction ${direction}`);
  let c0 = 0, width = cols, nGates = Math.max(gates.length, 1);
  if (gate !== "all") {
    const g = gates.indexOf(gate);
    if (g < 0) throw new RangeError(`unknown gate ${gate}`);
    width = cols / gates.length;
    c0 = g * width;
    nGates = 1;
  }
  const data = new Float32Array(rows * width);
  const base = d * rows * cols;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      const value = cube[base + r * cols + c0 + c];
      data[r * width + c] = absoluteValue ? Math.abs(value) : value;
    }
  }
  const units = Math.floor(width / nGates);
  const boundaries = Array.from({ length: nGates - 1 }, (_, g) => units * (g + 1));
  return { data, shape: [rows, width], boundaries };
}

/** Peak |value| over the finite values, 1 when there are none (auto_norm's
 * half-width: auto_norm is (-peak, peak)). */
export function peakAbs(...arrays) {
  let peak = 0;
  for (const data of arrays) {
    for (let i = 0; i < data.length; i++) {
      const v = Math.abs(data[i]);
      if (v > peak && v !== Infinity) peak = v;   // NaN fails v > peak
    }
  }
  return peak > 0 ? peak : 1;
}

/** [number of NaNs, number of Infs] (stats.nan_inf_counts). */
export function nanInfCounts(data) {
  let nans = 0, infs = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) nans++;
    else if (!Number.isFinite(data[i])) infs++;
  }
  return [nans, infs];
}
