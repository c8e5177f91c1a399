"""Views draw long sequences at screen resolution without losing spikes:
checked against a plain loop over the bins."""
import keras
import numpy as np
import pytest

from seernn_widgets import Inspector, slicing
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.lines import Features1D
from seernn_widgets.views.rnn_plots import RNNHeatmap


def loop_bins(steps, n):
    """Bin b covers timesteps [b*steps//n, (b+1)*steps//n): written out."""
    return [list(range(b * steps // n, (b + 1) * steps // n)) for b in range(n)]


def loop_peak(seq, n):
    """(timesteps, channels) -> (n, channels): the largest-|value| entry
    of each bin, NaN if the bin has one."""
    out = np.empty((n, seq.shape[1]), seq.dtype)
    for b, steps in enumerate(loop_bins(len(seq), n)):
        for c in range(seq.shape[1]):
            values = seq[steps, c]
            out[b, c] = (np.nan if np.isnan(values).any()
                         else values[np.argmax(np.abs(values))])
    return out


@pytest.mark.parametrize("steps, n", [(2000, 1024), (1000, 7), (9, 4)])
def test_bins_cover_every_timestep_once(steps, n):
    bins = slicing.time_bins(steps, n)
    rows = [sorted(set(row)) for row in bins.tolist()]
    assert rows == loop_bins(steps, n)


def test_peak_per_bin_keeps_spikes_signs_and_nans():
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (3, 2000, 5)).astype(np.float32)
    data[0, 1234, 2] = -50.0            # a one-timestep spike, negative
    data[1, 7, 4] = np.nan
    data[2, 1999, 0] = np.inf
    binned = slicing.peak_per_bin(data, 1024)
    assert binned.shape == (3, 1024, 5) and binned.dtype == np.float32
    for s in range(3):
        np.testing.assert_array_equal(binned[s], loop_peak(data[s], 1024))
    assert binned[0, :, 2].min() == -50.0
    assert np.isnan(binned[1, :, 4]).sum() == 1 and binned[2, -1, 0] == np.inf
    assert slicing.peak_per_bin(data, 2000) is data     # short enough: untouched


def test_min_max_per_bin_keeps_envelope_in_time_order():
    rng = np.random.default_rng(1)
    lines = rng.standard_normal((2, 5000)).astype(np.float32)
    lines[1, 4321] = 80.0
    x, y = slicing.min_max_per_bin(lines, 300)
    assert x.shape == y.shape == (2, 600)
    for i in range(2):
        assert np.all(np.diff(x[i]) >= 0)                        # drawn left to right
        np.testing.assert_array_equal(y[i], lines[i, x[i].astype(int)])
        for b, steps in enumerate(loop_bins(5000, 300)):          # each bin: its min, max
            assert sorted(y[i, 2 * b:2 * b + 2]) == [lines[i, steps].min(), lines[i, steps].max()]
    assert 80.0 in y[1] and 4321.0 in x[1]
    x_short, y_short = slicing.min_max_per_bin(lines[:, :600], 300)
    np.testing.assert_array_equal(x_short, np.arange(600))
    assert y_short is not None and y_short.shape == (2, 600)


def test_kept_per_bin_masks_a_bin_only_when_all_of_it_is_masked():
    kept = np.arange(1000)[None] < 333
    binned = slicing.kept_per_bin(kept, 10)
    expected = [any(kept[0, steps]) for steps in loop_bins(1000, 10)]
    assert binned[0].tolist() == expected == [True] * 4 + [False] * 6


@pytest.fixture(scope="module")
def long_insp():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3000, 2)),
                              keras.layers.Conv1D(4, 1, name="conv")])
    model.compile("sgd", "mse")
    x = np.zeros((2, 3000, 2), np.float32)
    x[1, 2999, 0] = 1e3                           # a spike in the last timestep
    return Inspector(model, x, np.zeros((2, 3000, 4), np.float32))


def test_features2d_draws_screen_resolution_spanning_every_timestep(long_insp):
    w = Features2D(long_insp, "conv", sample=1)
    raw = long_insp.outputs("conv")[1]
    image = w.view_data()
    assert image.shape == (4, 1024)
    np.testing.assert_array_equal(image, loop_peak(raw, 1024).T)
    assert np.abs(image).max() == np.abs(raw).max()           # the spike is drawn
    assert tuple(w.heatmap.mark.x) == (-0.5, 2999.5)          # axis in real timesteps
    np.testing.assert_array_equal(w.heatmap.mark.image, image)
    cube_shape = w.slicer.shapes[0]
    assert cube_shape == [2, 1024, 4]                         # the page gets the binned cube
    w.time_resolution = 3000
    assert w.view_data().shape == (4, 3000)


def test_features1d_draws_min_max_points(long_insp):
    w = Features1D(long_insp, "conv", sample=1, channels=[0], time_resolution=100)
    mark = w._figures[0].marks[0]
    assert mark.x.shape == mark.y.shape == (200,)           # bqplot squeezes one line
    raw = long_insp.outputs("conv")[1, :, 0]
    np.testing.assert_array_equal(mark.y, raw[mark.x.astype(int)])
    assert mark.y.max() == raw.max() and mark.y.min() == raw.min()
    assert mark.x[-1] == 2999.0


def loop_peak_2d(matrix, n_gates, rows, columns):
    """Rows binned, then each gate's columns binned on their own: written out."""
    matrix = loop_peak(matrix, min(rows, len(matrix)))
    pieces = np.split(matrix, n_gates, axis=1)
    per_gate = min(columns // n_gates, pieces[0].shape[1])
    return np.concatenate([loop_peak(p.T, per_gate).T for p in pieces], axis=1)


def test_peak_per_bin_2d_bins_rows_and_each_gate_apart():
    rng = np.random.default_rng(2)
    matrix = rng.uniform(-1, 1, (700, 4 * 300)).astype(np.float32)
    matrix[5, 299] = 9.0                 # the last column of gate 0: stays in gate 0
    matrix[600, 300] = -9.0              # the first column of gate 1
    binned = slicing.peak_per_bin_2d(matrix, 4, (256, 512))
    assert binned.shape == (256, 4 * 128)
    np.testing.assert_array_equal(binned, loop_peak_2d(matrix, 4, 256, 512))
    assert binned[:, 127].max() == 9.0 and binned[:, 128].min() == -9.0
    small = matrix[:10, :40]
    np.testing.assert_array_equal(slicing.peak_per_bin_2d(small, 4, (256, 512)), small)


def test_rnn_heatmap_draws_big_kernels_binned_in_units():
    keras.utils.set_random_seed(1)
    layer = keras.layers.LSTM(600, name="lstm")
    model = keras.Sequential([keras.Input((3, 5)), layer])
    kernel = layer.cell.recurrent_kernel
    planted = kernel.numpy()
    planted[333, 600 + 599] = 7.0        # the forget gate's last unit
    kernel.assign(planted)
    insp = Inspector(model, np.zeros((2, 3, 5), np.float32))
    view = RNNHeatmap(insp, "lstm")
    drawn = view.view_data()["recurrent"]
    np.testing.assert_array_equal(drawn, loop_peak_2d(planted, 4, 256, 1024))
    heatmap = view.heatmaps["recurrent"]
    assert tuple(heatmap.mark.x) == (-0.5, 2399.5) and tuple(heatmap.mark.y) == (-0.5, 599.5)
    assert heatmap.gate_lines.x[:, 0].tolist() == [599.5, 1199.5, 1799.5]
    assert view.slicer.shapes[1] == [1, 256, 1024]          # the page gets it binned too
    view.gate = "f"
    np.testing.assert_array_equal(view.view_data()["recurrent"], drawn[:, 256:512])
    assert tuple(heatmap.mark.x) == (-0.5, 599.5) and view.view_data()["recurrent"].max() == 7.0
    view.resolution = (600, 2400)
    np.testing.assert_array_equal(view.view_data()["recurrent"], planted[:, 600:1200])
