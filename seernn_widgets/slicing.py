"""What each view draws, cut from the inspector's arrays (pure NumPy).

Every function takes full arrays plus control state and returns the array to
draw, so the widgets stay thin and these rules are tested without a browser.
"""
import numpy as np

DIRECTIONS = ("both", "forward", "backward")


def pick_sample(data, sample):
    """data[sample], or all samples for sample == 'all'."""
    return data if sample == "all" else data[sample]


def direction_channels(n_channels, direction):
    """Channel slice of one direction in a concat-Bidirectional output:
    forward units first, then backward ones."""
    half = n_channels // 2
    return {"both": slice(None), "forward": slice(0, half),
            "backward": slice(half, None)}[direction]


def reflect_half(sequence, bidirectional=True):
    """Flip the second half of the channels along time, as see-rnn does:
    for a concat-Bidirectional layer these are the backward units, shown
    then in the order that direction reads the sequence. `sequence` is
    (..., timesteps, channels)."""
    out = np.array(sequence, copy=True)
    half = out.shape[-1] // 2
    out[..., half:] = out[..., ::-1, half:]
    return out


def features_2d(data, sample=0, direction="both", reflect=False,
                timesteps_xaxis=True):
    """One sample of (samples, timesteps, channels) as the image to draw:
    (channels, timesteps) with timesteps on the x axis, else transposed.
    `reflect` flips the backward half (see `reflect_half`) before the
    direction is picked, so 'backward' shows that half flipped too."""
    seq = pick_sample(data, sample)
    if reflect:
        seq = reflect_half(seq)
    seq = seq[..., direction_channels(seq.shape[-1], direction)]
    image = seq.T if timesteps_xaxis else seq
    return np.ascontiguousarray(image, dtype=np.float32)


def time_bins(steps, resolution):
    """`steps` timesteps cut into min(steps, resolution) near-equal bins, as
    an index matrix (bins, width): row b lists bin b's timesteps, padded by
    repeating its last one (repeats change no min, max or peak)."""
    n = min(steps, resolution)
    starts = (np.arange(n) * steps) // n
    stops = np.append(starts[1:], steps)
    width = int((stops - starts).max())
    return np.minimum(starts[:, None] + np.arange(width), (stops - 1)[:, None])


def peak_per_bin(data, resolution):
    """Downsample (..., timesteps, channels) along time to at most
    `resolution` timesteps, each bin keeping its largest-|value| entry with
    its sign, so a one-timestep spike survives; NaN wins (is never hidden)."""
    steps = data.shape[-2]
    if steps <= resolution:
        return data
    binned = data[..., time_bins(steps, resolution), :]     # (..., bins, width, C)
    pick = np.argmax(np.abs(binned), axis=-2)[..., None, :]   # the first NaN if any
    return np.take_along_axis(binned, pick, axis=-2)[..., 0, :]


def peak_per_bin_2d(matrix, n_gates, resolution):
    """A (rows, gates x units) kernel binned to at most resolution = (rows,
    columns), each bin keeping its largest-|value| entry (`peak_per_bin`);
    columns are binned within each gate, so no bin straddles two gates and
    every gate keeps the same number of columns."""
    rows, columns = resolution
    matrix = peak_per_bin(np.atleast_2d(matrix), rows)
    n_gates = max(n_gates, 1)
    per_gate = matrix.reshape(matrix.shape[0], n_gates, -1).swapaxes(-1, -2)
    binned = peak_per_bin(per_gate, max(columns // n_gates, 1))   # (rows, bins, gates)
    return np.ascontiguousarray(binned.swapaxes(-1, -2).reshape(matrix.shape[0], -1))


def kept_per_bin(kept, resolution):
    """A (..., timesteps) keep-mask binned like `peak_per_bin`: a bin is
    masked only when every timestep in it is."""
    steps = kept.shape[-1]
    if steps <= resolution:
        return kept
    return kept[..., time_bins(steps, resolution)].any(axis=-1)


def min_max_per_bin(lines, resolution):
    """(x, y) of (lines, timesteps) downsampled for drawing as lines: per
    bin of at most `resolution` bins its min and max at their timesteps, in
    time order, so spikes and the envelope survive (NaN wins, as a gap).
    x is (timesteps,) when nothing is cut, else (lines, 2 * bins)."""
    steps = lines.shape[-1]
    if steps <= 2 * resolution:
        return np.arange(steps, dtype=np.float32), lines
    bins = time_bins(steps, resolution)
    binned = lines[..., bins]                            # (lines, bins, width)
    at = np.stack([np.argmin(binned, -1), np.argmax(binned, -1)], -1)
    at.sort(axis=-1)                                      # time order in the bin
    x = np.take_along_axis(np.broadcast_to(bins, binned.shape), at, -1)
    y = np.take_along_axis(binned, at, -1)
    shape = (*lines.shape[:-1], -1)
    return x.reshape(shape).astype(np.float32), y.reshape(shape)


def mask_image(kept, n_channels, sample=0, direction="both", reflect=False,
               timesteps_xaxis=True):
    """The overlay marking masked timesteps on a `features_2d` image: 1.0
    where masked, NaN (transparent) where kept, cut exactly like the data
    (`kept` is (samples, timesteps), broadcast over the channels)."""
    marks = np.where(kept, np.float32(np.nan), np.float32(1.0))
    cube = np.broadcast_to(marks[..., None], (*marks.shape, n_channels))
    return features_2d(cube, sample, direction, reflect, timesteps_xaxis)


def features_1d(data, channels, sample="all", direction="both"):
    """{channel: (samples, timesteps) lines} for the channels to plot;
    `channels` index the channels of the chosen direction."""
    data = data[..., direction_channels(data.shape[-1], direction)]
    picked = data if sample == "all" else data[sample:sample + 1]
    return {c: np.asarray(picked[..., c], dtype=np.float32) for c in channels}


def features_0d(data, direction="both"):
    """(samples, units) of a 2-D array (e.g. return_sequences=False)."""
    return np.asarray(data[..., direction_channels(data.shape[-1], direction)],
                      dtype=np.float32)


def auto_norm(data):
    """Symmetric colour range ±max|value| over the finite values (±1 if none)."""
    finite = np.abs(np.asarray(data)[np.isfinite(data)])
    peak = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return (-peak, peak)


def finite_range(arrays, default=None):
    """(min, max) over the finite values of all `arrays`, widened by 0.5 each
    way when they are all equal; `default` when there are none."""
    values = np.concatenate([np.ravel(a) for a in arrays] or [[]])
    finite = values[np.isfinite(values)]
    if not finite.size:
        return default
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def histogram(values, bins=50, value_range=None):
    """(counts, edges, n_nan, n_inf): np.histogram of the finite values, and
    how many were NaN/Inf (left out of the counts, never silently zeroed)."""
    values = np.asarray(values).ravel()
    finite = values[np.isfinite(values)]
    if value_range is None:
        value_range = finite_range([finite])
    counts, edges = np.histogram(finite, bins=bins, range=value_range)
    return counts, edges, int(np.isnan(values).sum()), int(np.isinf(values).sum())


def rnn_matrix(rnn_arrays, direction, kernel, absolute_value=False, gate="all"):
    """One kernel's matrix as drawn by RNNHeatmap: rows are the kernel's
    inputs (bias rows: 1, or 2 for GRU reset_after), columns the gates' units
    side by side (or one gate's); returned with the gate boundaries (column
    indices between gates)."""
    if gate == "all":
        matrix = rnn_arrays.arrays[(direction, kernel)]
        n_gates = max(len(rnn_arrays.info.gates), 1)
    else:
        matrix, n_gates = rnn_arrays.gate(direction, kernel, gate), 1
    matrix = np.atleast_2d(matrix)
    if absolute_value:
        matrix = np.abs(matrix)
    units = matrix.shape[-1] // n_gates
    boundaries = [units * g for g in range(1, n_gates)]
    return np.ascontiguousarray(matrix, dtype=np.float32), boundaries
