"""js/slicing.js cuts exactly what seernn_widgets/slicing.py cuts, bit for bit:
the page redraws from it while the kernel is busy, and the kernel later
draws the same picture from Python."""
import base64
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from seernn_widgets import rnn, slicing

RUNNER = Path(__file__).resolve().parent.parent / "js" / "tests" / "run_slicing.mjs"

def run_js(tmp_path, cases):
    """[(fn, cube, options)] -> the runner's results, in order."""
    specs = []
    for i, (fn, cube, options) in enumerate(cases):
        cube = np.ascontiguousarray(cube, dtype=np.float32)
        (tmp_path / f"cube{i}.bin").write_bytes(cube.tobytes())
        specs.append({"fn": fn, "cube": f"cube{i}.bin", "shape": list(cube.shape),
                      "options": options})
    (tmp_path / "cases.json").write_text(json.dumps(specs))
    assert shutil.which("node"), \
        "node is missing: `make test` installs it (scripts/ensure-system-packages)"
    out = subprocess.run(["node", str(RUNNER), str(tmp_path / "cases.json")],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def image(result):
    data = np.frombuffer(base64.b64decode(result["data"]), dtype=np.float32)
    return data.reshape(result["shape"])


def assert_same_bits(js, py):
    assert js.shape == py.shape and js.dtype == py.dtype == np.float32
    assert js.tobytes() == py.tobytes()


def cube(shape, seed):
    """Random float32 numbers with a NaN and infinities planted."""
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    flat = data.reshape(-1)
    flat[[1, flat.size // 2, -1]] = [np.nan, np.inf, -np.inf]
    return data


@pytest.mark.parametrize("channels", [8, 7])   # a concat-Bidirectional split; an odd one
def test_features_2d(tmp_path, channels):
    data = cube((4, 9, channels), seed=channels)
    settings = list(itertools.product(range(4), ("both", "forward", "backward"),
                                      (False, True), (True, False)))
    cases = [("features2d", data, {"sample": s, "direction": d, "reflectHalf": r,
                                   "timestepsXaxis": x}) for s, d, r, x in settings]
    for (s, d, r, x), result in zip(settings, run_js(tmp_path, cases)):
        assert_same_bits(image(result), slicing.features_2d(data, s, d, r, x))


@pytest.mark.parametrize("channels", [6, 5])
def test_mask_image(tmp_path, channels):
    kept = np.random.default_rng(channels).random((3, 7)) < 0.6
    settings = list(itertools.product(range(3), ("both", "forward", "backward"),
                                      (False, True), (True, False)))
    cases = [("maskImage", kept, {"nChannels": channels, "sample": s, "direction": d,
                                  "reflectHalf": r, "timestepsXaxis": x})
             for s, d, r, x in settings]
    for (s, d, r, x), result in zip(settings, run_js(tmp_path, cases)):
        assert_same_bits(image(result), slicing.mask_image(kept, channels, s, d, r, x))


def test_binned_cube_slices_like_the_kernel(tmp_path):
    """The page gets the cube binned along time; its slice of any sample is
    what Features2D draws from that sample alone."""
    data = cube((3, 50, 4), seed=5)
    binned = slicing.peak_per_bin(data, 16)
    cases = [("features2d", binned, {"sample": s, "reflectHalf": True}) for s in range(3)]
    for s, result in enumerate(run_js(tmp_path, cases)):
        drawn = slicing.features_2d(slicing.peak_per_bin(data[s], 16)[None], 0, reflect=True)
        assert_same_bits(image(result), drawn)


def rnn_arrays(cell, units, seed, bias_rows=1):
    gates = rnn.GATES[cell]
    cols = units * max(len(gates), 1)
    info = rnn.RNNInfo(layer_name="x", cell=cell, units=units, gates=gates,
                       directions=("forward", "backward"), kernels=rnn.KERNELS,
                       merge_mode="concat", return_sequences=True)
    shapes = {"input": (3, cols), "recurrent": (units, cols),
              "bias": (cols,) if bias_rows == 1 else (bias_rows, cols)}
    rng = np.random.default_rng(seed)
    arrays = {(d, k): cube(shapes[k], rng.integers(1000))
              for d in info.directions for k in info.kernels}
    return rnn.RNNArrays(info, arrays)


@pytest.mark.parametrize("cell, bias_rows", [("LSTM", 1), ("GRU", 2), ("SimpleRNN", 1)])
def test_rnn_matrix(tmp_path, cell, bias_rows):
    arrays = rnn_arrays(cell, units=3, seed=len(cell), bias_rows=bias_rows)
    info = arrays.info
    settings = list(itertools.product(info.kernels, info.directions,
                                      ("all", *info.gates), (False, True)))
    cases = []
    for kernel, direction, gate, absolute in settings:
        stacked = np.stack([np.atleast_2d(arrays.arrays[(d, kernel)]) for d in info.directions])
        cases.append(("rnnMatrix", stacked, {
            "directions": list(info.directions), "direction": direction,
            "gates": list(info.gates), "gate": gate, "absoluteValue": absolute}))
    for (kernel, direction, gate, absolute), result in zip(settings, run_js(tmp_path, cases)):
        matrix, boundaries = slicing.rnn_matrix(arrays, direction, kernel, absolute, gate)
        assert_same_bits(image(result), matrix)
        assert result["boundaries"] == boundaries


def test_auto_norm_and_nan_counts(tmp_path):
    arrays = [cube((5, 6), seed=1), np.full(4, np.nan, np.float32), np.zeros(3, np.float32),
              np.array([-2.5, np.inf, 1.0], np.float32)]
    cases = [(fn, a, {}) for a in arrays for fn in ("peakAbs", "nanInfCounts")]
    results = run_js(tmp_path, cases)
    for a, (peak, counts) in zip(arrays, zip(results[::2], results[1::2])):
        assert peak == slicing.auto_norm(a)[1]
        assert counts == [int(np.isnan(a).sum()), int(np.isinf(a).sum())]
