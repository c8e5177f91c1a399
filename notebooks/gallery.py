# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Gallery: see-rnn's README examples, rebuilt
#
# Each numbered example (EX 1-13) of
# [see-rnn's README](https://github.com/OverLordGoldDragon/see-rnn#examples), redone with
# seernn_widgets on Keras 3, on models trained here. **The models are smaller and trained
# for fewer iterations than in see-rnn** (a few units instead of 256-512, 20-100 iterations
# instead of 200-400, some with 50 timesteps instead of 100) so that the notebook runs in
# about a minute on 2 CPU cores; the CuDNN examples (EX 10, 11) use the plain Keras 3
# `LSTM`/`GRU` layers, which pick the cuDNN kernel by themselves on a GPU. A collapsed
# check cell after every example asserts what its text says, and everything is seeded.
#
# As in see-rnn, `rnn1` is the first recurrent layer (`return_sequences=True`) and
# `rnn2` the second (`return_sequences=False`), and gradients are of the loss with respect
# to a layer's output unless the example says weights.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # before TensorFlow loads: fewer C++ log lines

import keras
import numpy as np

from seernn_widgets import (
    Features0D,
    Features1D,
    Features2D,
    GradientFlow,
    Inspector,
    LayerHealth,
    RNNHeatmap,
    RNNHistogram,
    detect_nans,
)

keras.utils.set_random_seed(0)   # Python, NumPy and TensorFlow seeds: the run is deterministic


def rnn_model(rnn, units, timesteps, channels, name):
    """see-rnn's sandbox model: rnn(return_sequences=True) -> rnn(return_sequences=False)."""
    ipt = keras.Input((timesteps, channels))
    h = rnn(units, return_sequences=True, name="rnn1")(ipt)
    out = rnn(units, return_sequences=False, name="rnn2")(h)
    model = keras.Model(ipt, out, name=name)
    model.compile(keras.optimizers.Adam(4e-3), "mse")
    return model


def make_data(samples, timesteps, channels, outputs, seed):
    """Gaussian noise in, uniform targets out, as in see-rnn's sandbox."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((samples, timesteps, channels)).astype("float32"),
            rng.uniform(-1, 1, (samples, outputs)).astype("float32"))


def train(model, x, y, iterations):
    for _ in range(iterations):
        model.train_on_batch(x, y)


def early_late(values, axis=-1, frac=0.1):
    """Mean |value| over the first and the last 10% of `axis` (timesteps)."""
    values = np.moveaxis(np.abs(values), axis, -1)
    k = max(1, int(values.shape[-1] * frac))
    return values[..., :k].mean(), values[..., -k:].mean()


def y_range(figure):
    scale = figure.marks[0].scales["y"]
    return scale.min, scale.max


# %% [markdown]
# ## EX 1: bi-LSTM activations, `share_xy`
#
# A bidirectional LSTM with `activation='relu'` (8 units per direction, 16 channels, 50
# timesteps; see-rnn: 32 units, 100 timesteps), 20 iterations; outputs of sample 0, one
# plot per channel. With `share_xy=False` each plot has its own y range, which brings out
# each channel's *shape*; `share_xy=True` puts all on one range for an even comparison (and
# may flatten small channels). **Look for** channels of different bias, frequency and
# spread: independent features. With ReLU, and the output gate in (0, 1), every output is
# >= 0. (see-rnn's `y_zero=True` zero line has no counterpart here.)

# %%
x1, y1 = make_data(16, 50, 4, 4, seed=1)
ipt = keras.Input((50, 4))
h = keras.layers.Bidirectional(
    keras.layers.LSTM(8, activation="relu", return_sequences=True), name="bilstm")(ipt)
bi_lstm = keras.Model(ipt, keras.layers.LSTM(4, name="head")(h), name="bi_lstm")
bi_lstm.compile(keras.optimizers.Adam(4e-3), "mse")
train(bi_lstm, x1, y1, 20)
insp1 = Inspector(bi_lstm, x1, y1)

own = Features1D(insp1, "bilstm", sample=0, share_xy=False)
shared = Features1D(insp1, "bilstm", sample=0, share_xy=True)
display(own, shared)

# %% tags=["check"] jupyter={"source_hidden": true}
lines = shared.view_data()
assert list(lines) == list(range(16)) and all(v.shape == (1, 50) for v in lines.values())
assert min(v.min() for v in lines.values()) >= 0            # ReLU outputs
assert all(y_range(f) == (None, None) for f in own.grid.children)   # each plot its own
ranges = {y_range(f) for f in shared.grid.children}
assert len(ranges) == 1 and None not in ranges.pop()                # one range for all

# %% [markdown]
# ## EX 2: vanishing gradients, one sample
#
# A uni-LSTM of 6 units over 100 timesteps, trained for 20 iterations; the gradient with
# respect to `rnn1`'s output for one sample (see-rnn: `features_1D(grads[:1], n_rows=2)`).
# Read it **right to left**, the way backpropagation computes it: the latest timesteps
# have the largest gradient and it dies out towards the left (*vanishing gradient*), so
# the early timesteps hardly influence learning. The check cell tests that the mean |gradient|
# over the first 10% of timesteps is under a tenth of that over the last 10%.

# %%
x_a, y_a = make_data(16, 100, 4, 6, seed=2)
lstm6 = rnn_model(keras.layers.LSTM, 6, 100, 4, name="lstm6")
insp_a = Inspector(lstm6, x_a, y_a)
train(lstm6, x_a, y_a, 20)

ex2 = Features1D(insp_a, "rnn1", mode="gradients", sample=0, n_rows=2)
grads = np.stack(list(ex2.view_data().values()))    # (channels, 1 sample, timesteps)
early, late = early_late(grads)
print(f"step {insp_a.step}: mean |grad| first 10% {early:.1e}, last 10% {late:.1e}")
ex2

# %% tags=["check"] jupyter={"source_hidden": true}
assert grads.shape == (6, 1, 100)
assert early < late / 10

# %% [markdown]
# ## EX 3: all samples, and the 2-D heatmap with `norm`
#
# Same model: all 16 samples overlaid (each sample one colour in every plot), and the
# gradient as a channels x timesteps heatmap with the colour range fixed to
# `norm=(-2e-3, 2e-3)` (blue -0.002, white 0, red +0.002; see-rnn used +-0.01, but these
# gradients are smaller). see-rnn's `features_2D` drew one subplot per sample;
# `Features2D` shows one sample at a time, with a `sample` slider.
# **Look for** the same right-heavy pattern in every sample.

# %%
ex3_lines = Features1D(insp_a, "rnn1", mode="gradients", n_rows=2)   # sample="all"
ex3_heat = Features2D(insp_a, "rnn1", mode="gradients", norm=(-2e-3, 2e-3))
grads_a = insp_a.gradients("rnn1")                  # (samples, timesteps, channels)
ex3_heat.sample = 5
early, late = early_late(grads_a, axis=1)
step_20, ratio_20 = insp_a.step, early / late
display(ex3_lines, ex3_heat)

# %% tags=["check"] jupyter={"source_hidden": true}
assert all(v.shape == (16, 100) for v in ex3_lines.view_data().values())
assert ex3_heat.view_data().shape == (6, 100)
np.testing.assert_array_equal(ex3_heat.view_data(), grads_a[5].T)
assert (ex3_heat.heatmap.colour_scale.min, ex3_heat.heatmap.colour_scale.max) == (-2e-3, 2e-3)
assert early < late / 10                            # over all samples too

# %% [markdown]
# ## EX 4: the same, 80 iterations later
#
# Training further (100 iterations in all; see-rnn: 200) and calling `insp_a.refresh()`
# redraws every widget of `insp_a` in place. The inspector keeps the snapshot of step 20,
# so any of them can be scrubbed back with `w.step = 20` (or its `step` slider): EX 2's and
# EX 3's line plots are pinned to step 20 here for comparison, while EX 3's heatmap stays
# live and now shows step 100 (slide its `step` back to compare). Below, all samples at
# step 100. **Look for** gradient that reaches further left than before: the first-10% /
# last-10% ratio grows by over 10x, yet the early timesteps still get little (in see-rnn's
# run it still vanished for about half the timesteps).

# %%
train(lstm6, x_a, y_a, 80)
insp_a.refresh()                                     # EX 2 and EX 3 redraw...
ex2.step = ex3_lines.step = step_20                  # ...their line plots back to step 20
print("recorded steps:", insp_a.history.steps)

ex4 = Features1D(insp_a, "rnn1", mode="gradients", n_rows=2)    # step 100
grads_100 = insp_a.gradients("rnn1")
early, late = early_late(grads_100, axis=1)
print(f"step 100: mean |grad| first 10% {early:.1e}, last 10% {late:.1e}; "
      f"ratio {ratio_20:.1e} at step 20, {early / late:.1e} now")
ex4

# %% tags=["check"] jupyter={"source_hidden": true}
assert insp_a.history.steps[-2:] == [step_20, 100]
for channel, lines in ex4.view_data().items():
    np.testing.assert_array_equal(lines, grads_100[..., channel])
for channel, lines in ex3_lines.view_data().items():           # pinned: still step 20
    np.testing.assert_array_equal(lines, grads_a[..., channel])
np.testing.assert_array_equal(ex3_heat.view_data(), grads_100[5].T)   # live: step 100
ex3_heat.step = step_20
np.testing.assert_array_equal(ex3_heat.view_data(), grads_a[5].T)
ex3_heat.step = None
assert early < late / 10 and early / late > 10 * ratio_20

# %% [markdown]
# ## EX 5: 2-D vs 1-D
#
# A wider uni-LSTM (32 units; see-rnn: 256), 50 timesteps, 40 iterations. The heatmap shows
# **many channels** of one sample at once; the line plot of one channel overlays **many
# samples**. (see-rnn's `features_2D(grads[:, :, 0])` drew samples x timesteps of one
# channel as a heatmap; `Features2D` always shows channels x timesteps of one sample, so
# the per-channel view is `Features1D` with `channels=[0]`.) Both show the same numbers:
# row 0 of the heatmap is sample 0's line in the plot.

# %%
x_d, y_d = make_data(16, 50, 8, 32, seed=3)
wide = {}
for rnn in (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN):
    wide[rnn.__name__] = rnn_model(rnn, 32, 50, 8, name=f"wide_{rnn.__name__.lower()}")
train(wide["LSTM"], x_d, y_d, 40)
insp_lstm = Inspector(wide["LSTM"], x_d, y_d)

ex5_2d = Features2D(insp_lstm, "rnn1", mode="gradients", norm=(-1e-3, 1e-3))
ex5_1d = Features1D(insp_lstm, "rnn1", mode="gradients", channels=[0], n_rows=1)
display(ex5_2d, ex5_1d)

# %% tags=["check"] jupyter={"source_hidden": true}
assert ex5_2d.view_data().shape == (32, 50)          # 32 channels x 50 timesteps
assert ex5_1d.view_data()[0].shape == (16, 50)       # 16 samples x 50 timesteps
np.testing.assert_array_equal(ex5_2d.view_data()[0], ex5_1d.view_data()[0][0])

# %% [markdown]
# ## EX 6: bi-GRU with `reflect_half`
#
# A bidirectional GRU (8 units per direction; see-rnn: 256), gradients of sample 0 with
# `reflect_half=True`: the backward half of the channels is flipped in time, so each half
# reads in the order its direction processed the sequence. **Look for** the two halves
# lighting up at opposite ends. Both halves' gradients come from the GRU on top and are
# large at late timesteps; reflected, the backward half's are large at the *left*.

# %%
x6, y6 = make_data(16, 50, 4, 4, seed=6)
ipt = keras.Input((50, 4))
h = keras.layers.Bidirectional(keras.layers.GRU(8, return_sequences=True), name="bigru")(ipt)
bi_gru = keras.Model(ipt, keras.layers.GRU(4, name="head")(h), name="bi_gru")
bi_gru.compile(keras.optimizers.Adam(4e-3), "mse")
train(bi_gru, x6, y6, 20)
insp6 = Inspector(bi_gru, x6, y6)

ex6 = Features2D(insp6, "bigru", mode="gradients", reflect_half=True)
ex6.norm = (-1e-3, 1e-3)
ex6

# %% tags=["check"] jupyter={"source_hidden": true}
image = ex6.view_data()                              # (16 channels, 50 timesteps)
g0 = insp6.gradients("bigru")[0].T
np.testing.assert_array_equal(image[:8], g0[:8])                # forward: as is
np.testing.assert_array_equal(image[8:], g0[8:, ::-1])          # backward: flipped
forward, backward = early_late(image[:8]), early_late(image[8:])
assert forward[0] < forward[1] / 10                  # forward half: heavy at the right
assert backward[1] < backward[0] / 10                # reflected backward half: at the left

# %% [markdown]
# ## EX 7: 0-D, `return_sequences=False`
#
# `rnn2` of the 6-unit LSTM returns only its last state, so its gradient is one number per
# unit per sample. `Features0D` plots them, one colour per unit. One way to judge learning
# here is to compare the distribution early and later in training: scrub between the two
# recorded steps (`w.step`). **Look for** a clear change in spread between them.

# %%
ex7 = Features0D(insp_a, "rnn2", mode="gradients")
late_grads = ex7.view_data()
ex7.step = step_20
early_grads = ex7.view_data()
ex7.step = None
print(f"std of rnn2's gradients: step {step_20} {early_grads.std():.2e}, "
      f"step 100 {late_grads.std():.2e}")
ex7

# %% tags=["check"] jupyter={"source_hidden": true}
assert late_grads.shape == early_grads.shape == (16, 6)    # samples x units
assert not np.allclose(early_grads, late_grads)

# %% [markdown]
# ## EX 8: LSTM vs GRU vs SimpleRNN
#
# The three 32-unit models of EX 5, same data, same optimizer, 40 iterations each, and the
# same colour range. As see-rnn notes, the comparison says little (each cell type wants
# other hyperparameters); the point is that one view compares them. **Look for** how far
# left each one's gradient reaches: in this run, as in see-rnn's, the LSTM's reaches
# furthest (the largest first-10% / last-10% ratio).

# %%
train(wide["GRU"], x_d, y_d, 40)
train(wide["SimpleRNN"], x_d, y_d, 40)
insp_gru = Inspector(wide["GRU"], x_d, y_d)
insp_srnn = Inspector(wide["SimpleRNN"], x_d, y_d)
ex8 = {name: Features2D(i, "rnn1", mode="gradients", norm=(-1e-3, 1e-3))
       for name, i in (("LSTM", insp_lstm), ("GRU", insp_gru), ("SimpleRNN", insp_srnn))}
reach = {}
for name, w in ex8.items():
    early, late = early_late(w.view_data())
    reach[name] = early / late
    print(f"{name:9s} mean |grad| first 10% {early:.1e}, last 10% {late:.1e}")
display(*ex8.values())

# %% tags=["check"] jupyter={"source_hidden": true}
assert all(w.view_data().shape == (32, 50) for w in ex8.values())
assert max(reach, key=reach.get) == "LSTM"

# %% [markdown]
# ## EX 9: LSTM weights: `rnn_histogram` with `equate_axes`, and `rnn_heatmap`
#
# The 32-unit LSTM's weights (see-rnn: 256 units), by kernel and gate, bias left out.
# With `equate_axes=0` each subplot has its own ranges; with `equate_axes=1` the input and
# recurrent subplots share the same bins and y range: a fair comparison. The heatmap shows
# the same weights with their position kept (input x units, gates side by side) and the
# bias included. **Look for** the forget-gate bias: Keras initialises it to 1, the others
# to 0.

# %%
ex9_own = RNNHistogram(insp_lstm, "rnn1", equate_axes=0, bias=False)
ex9_equal = RNNHistogram(insp_lstm, "rnn1", equate_axes=1, bias=False)
ex9_heat = RNNHeatmap(insp_lstm, "rnn1")

mats = ex9_heat.view_data()
bias = mats["bias"][0].reshape(4, 32)                # gates i, f, c, o
print("mean bias per gate (i, f, c, o):", bias.mean(axis=1).round(3))
display(ex9_own, ex9_equal, ex9_heat)

# %% tags=["check"] jupyter={"source_hidden": true}
own, equal = ex9_own.view_data(), ex9_equal.view_data()
assert list(equal) == [(k, g) for k in ("input", "recurrent") for g in "ifco"]   # no bias
assert len({(e[0], e[-1]) for _, e in own.values()}) > 1           # ranges differ
assert len({(e[0], e[-1]) for _, e in equal.values()}) == 1        # one shared range
assert len({ex9_equal.cells[key].y_scale.max for key in equal}) == 1   # the shown cells
assert {k: m.shape for k, m in mats.items()} == {
    "input": (8, 128), "recurrent": (32, 128), "bias": (1, 128)}
assert bias[1].mean() > 0.5 and np.abs(bias[[0, 2, 3]]).max() < 0.5

# %% [markdown]
# ## EX 10: bi-LSTM weights, `equate_axes=2` and a fixed `norm`
#
# see-rnn used a bidirectional `CuDNNLSTM`; Keras 3 has no such layer (its `LSTM` uses
# cuDNN itself on a GPU), so this is the plain bi-LSTM of EX 1 (8 units per direction;
# see-rnn: 256). `equate_axes=2` shares bins across all kernels, bias included; the
# heatmap of the backward direction uses `norm=(-.8, .8)`. (The CuDNN-specific bias
# layout see-rnn remarks on does not exist here: Keras 3 has one bias per gate.)

# %%
ex10_hist = RNNHistogram(insp1, "bilstm", direction="backward", equate_axes=2)
ex10_heat = RNNHeatmap(insp1, "bilstm", direction="backward", norm=(-.8, .8))
display(ex10_hist, ex10_heat)

# %% tags=["check"] jupyter={"source_hidden": true}
hists = ex10_hist.view_data()
assert len(hists) == 12                                            # 3 kernels x 4 gates
assert len({(e[0], e[-1]) for _, e in hists.values()}) == 1        # bias shares too
cell = bi_lstm.get_layer("bilstm").backward_layer.cell
np.testing.assert_array_equal(ex10_heat.view_data()["recurrent"], cell.recurrent_kernel.numpy())
assert all((h.colour_scale.min, h.colour_scale.max) == (-.8, .8)
           for h in ex10_heat.heatmaps.values())

# %% [markdown]
# ## EX 11: GRU weight-gradients, `absolute_value=True`, greyscale
#
# see-rnn used a `CuDNNGRU` of 64 units; here the plain Keras 3 `GRU` of EX 8 (32 units).
# `absolute_value=True` shows gradient *intensity* from white (0) to black (max), which
# makes the gates stand out even without the separating lines. Keras 3's GRU
# (`reset_after=True`) has two bias rows: input and recurrent. **Look for** the most and
# least active gates: as in see-rnn's run, `new` is the most active gate of the input
# kernel (most error correction on letting information in) and `reset` the least active
# of the recurrent kernel.

# %%
ex11 = RNNHeatmap(insp_gru, "rnn1", mode="gradients", absolute_value=True)
mats = ex11.view_data()
per_gate = {}
for kernel in ("input", "recurrent"):
    per_gate[kernel] = mats[kernel].reshape(len(mats[kernel]), 3, 32).mean(axis=(0, 2))
    print(f"{kernel:9s} mean |grad| by gate: " + ", ".join(
        f"{gate} {value:.1e}" for gate, value in zip(("update", "reset", "new"), per_gate[kernel])))
ex11

# %% tags=["check"] jupyter={"source_hidden": true}
assert {k: m.shape for k, m in mats.items()} == {
    "input": (8, 96), "recurrent": (32, 96), "bias": (2, 96)}
assert all(m.min() >= 0 for m in mats.values())
assert all(h.colour_scale.colors[0] == "#ffffff" and h.colour_scale.colors[-1] == "#000000"
           for h in ex11.heatmaps.values())                     # white (0) to black (max)
assert per_gate["input"].argmax() == 2                # new
assert per_gate["recurrent"].argmin() == 1            # reset

# %% [markdown]
# ## EX 12: NaN detection
#
# NaNs planted in the 32-unit LSTM of EX 5 (see-rnn: 512 units) with `variable.assign`:
# 2 rows of the input kernel's forget gate (64 values) and 5 values of the recurrent
# kernel's output gate. `assign` does not move the training step, so `refresh()` tells the
# widgets. A second `Inspector` on the same model is used (without labels: weights and
# outputs only), so the widgets of EX 5, 8 and 9 keep their clean pictures. The histogram
# counts NaN/Inf per kernel and gate in its subplot titles and leaves them out of the bars
# (never silently zeroed); `RNNHeatmap` counts them in its titles too and draws them
# yellow. The outputs, computed with NaN weights, are all NaN.
#
# (The heatmap is built and checked but not displayed: Chromium keeps at most 16 WebGL
# contexts per page, each heatmap figure takes one and an `RNNHeatmap` three, and the
# heatmaps above already hold 16; a 17th would blank the oldest.)

# %%
insp_nan = Inspector(wide["LSTM"], x_d)
ex12 = RNNHistogram(insp_nan, "rnn1")
ex12_heat = RNNHeatmap(insp_nan, "rnn1")

# %% tags=["check"] jupyter={"source_hidden": true}
assert not any("NaN" in c.figure.title for c in ex12.cells.values())

# %%
cell = wide["LSTM"].get_layer("rnn1").cell
kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
kernel[:2, 32:64] = np.nan                  # input kernel, forget gate: 64 NaNs
recurrent[0, 96:101] = np.nan               # recurrent kernel, output gate: 5 NaNs
cell.kernel.assign(kernel)
cell.recurrent_kernel.assign(recurrent)
insp_nan.refresh()

titles = {key: c.figure.title for key, c in ex12.cells.items()}
print(titles[("input", "f")], "|", titles[("recurrent", "o")], "|", detect_nans(kernel))
ex12

# %% tags=["check"] jupyter={"source_hidden": true}
assert titles[("input", "f")] == "input: f  NaN 64"
assert titles[("recurrent", "o")] == "recurrent: o  NaN 5"
assert sum("NaN" in t for t in titles.values()) == 2
assert ex12.view_data()[("input", "f")][0].sum() == 8 * 32 - 64     # NaNs not counted
assert "NaN 64" in ex12_heat.heatmaps["input"].figure.title
assert "NaN 5" in ex12_heat.heatmaps["recurrent"].figure.title
assert np.isnan(ex12_heat.view_data()["input"]).sum() == 64
assert detect_nans(kernel) == "6.2% NaN"                              # 64 of 1024
assert detect_nans(insp_nan.outputs("rnn1")) == "100.0% NaN"
assert "NaN" not in ex9_heat.heatmaps["input"].figure.title          # EX 9: still clean

# %% [markdown]
# ## EX 13: Conv1D weights as a 2-D grid
#
# A small Conv1D autoencoder with spatial dropout (16 filters of width 5 over 8 channels;
# see-rnn: 128 filters over 64 channels, a sparse autoencoder), 30 iterations. A 3-D kernel
# `(width, in_channels, filters)` is shown by `Features2D(mode="weights")`: the first axis
# (kernel position) takes the place of samples, so the slider steps through the 5 positions
# and each image is filters x input channels. see-rnn tiled all positions in one figure
# with `norm=(-.1, .1)`; here the colour range is automatic (+-max |weight| over all
# positions, so they compare). **Look for** bands: filters that are uniformly low,
# uniformly large, or large on a few input channels.

# %%
x13 = np.random.default_rng(13).standard_normal((16, 32, 8)).astype("float32")
conv = keras.Sequential([
    keras.Input((32, 8)),
    keras.layers.Conv1D(16, 5, padding="same", activation="relu", name="encoder"),
    keras.layers.SpatialDropout1D(0.5),
    keras.layers.Conv1D(8, 5, padding="same", name="decoder"),
], name="conv_autoencoder")
conv.compile(keras.optimizers.Adam(4e-3), "mse")
train(conv, x13, x13, 30)
insp13 = Inspector(conv, x13, x13)

ex13 = Features2D(insp13, "encoder", mode="weights")
ex13.sample = 2
ex13

# %% tags=["check"] jupyter={"source_hidden": true}
w = conv.get_layer("encoder").get_weights()[0]       # (width, in_channels, filters)
assert w.shape == (5, 8, 16) and ex13.view_data().shape == (16, 8)
for position in range(5):
    ex13.sample = position
    np.testing.assert_array_equal(ex13.view_data(), w[position].T)
ex13.sample = 2
peak = float(np.abs(w).max())   # auto norm: the whole kernel, so positions compare
assert (ex13.heatmap.colour_scale.min, ex13.heatmap.colour_scale.max) == (-peak, peak)

# %% [markdown]
# ## Why use? see-rnn's questions, one view each
#
# see-rnn's README lists the questions introspection answers ("Why use?"). Above, they are
# read off raw heatmaps by eye; these views answer them directly, for every layer at once.
#
# **Is my RNN learning long-term dependencies?** *"If a non-zero gradient flows through
# every timestep, then every timestep contributes to learning."* `GradientFlow` plots the
# mean |gradient| per timestep of every sequence layer on a log scale, and its title says
# how much of the late gradient the early timesteps get. Here the 6-unit LSTM of EX 2-4
# (`rnn1`; `rnn2` returns no sequence). With the inspector's history (steps 20 and 100),
# the heatmap below the lines shows how the flow changed during training. **Look for** the
# line falling to the left and the heatmap's lower row (step 100) being darker on the left
# than the upper one: the gradient reaches further back after more training, as EX 4 found.

# %%
why1 = GradientFlow(insp_a)
print(why1.figure.title)
why1

# %% tags=["check"] jupyter={"source_hidden": true}
flow_a = np.abs(insp_a.gradients("rnn1").astype(np.float64)).mean(axis=(0, 2))
assert list(why1.view_data()) == ["rnn1"]
np.testing.assert_allclose(why1.view_data()["rnn1"], flow_a, rtol=1e-12)


def shown_ratio(title, layer):
    """The verdict's number: 2 digits in [0.01, 100), 1 digit beyond."""
    return float(title.split(f"{layer}: early timesteps get ")[1].split()[0])


def rounded(ratio):
    return float(f"{ratio:.2g}" if 0.01 <= ratio < 100 else f"{ratio:.0e}")


ratio = flow_a[:10].mean() / flow_a[-10:].mean()      # first and last 10% of 100 timesteps
assert shown_ratio(why1.figure.title, "rnn1") == rounded(ratio)
past = why1.history()["flow"]                         # steps 20 and 100
assert why1.history()["steps"][-2:] == [step_20, 100]
rows = [np.abs(insp_a.gradients("rnn1", step=s).astype(np.float64)).mean(axis=(0, 2))
        for s in (step_20, 100)]
np.testing.assert_allclose(past[-2:], rows, rtol=1e-12)
assert rows[0][:10].mean() / rows[0][-10:].mean() < rows[1][:10].mean() / rows[1][-10:].mean()

# %% [markdown]
# **How well does the gradient backpropagate layer-to-layer, timestep-to-timestep?**
# A deeper stack: three LSTMs of 6 units returning sequences, then one returning its last
# state (50 timesteps, 20 iterations). `GradientFlow` draws one line per layer in model
# order. **Look for** how the picture changes with depth: `rnn3`, right under the last
# LSTM, gets the largest gradient at the last timestep and the steepest fall to the left
# (the verdict names it); each layer further down gets less at the end but spreads it more
# evenly over time, because its gradient arrives at every timestep from the layer above.

# %%
x_w, y_w = make_data(16, 50, 4, 4, seed=7)
ipt = keras.Input((50, 4))
h = ipt
for k in (1, 2, 3):
    h = keras.layers.LSTM(6, return_sequences=True, name=f"rnn{k}")(h)
deep = keras.Model(ipt, keras.layers.LSTM(4, name="last")(h), name="deep")
deep.compile(keras.optimizers.Adam(4e-3), "mse")
train(deep, x_w, y_w, 20)
insp_deep = Inspector(deep, x_w, y_w)

why2 = GradientFlow(insp_deep)
print(why2.figure.title)
why2

# %% tags=["check"] jupyter={"source_hidden": true}
flows = {name: np.abs(insp_deep.gradients(name).astype(np.float64)).mean(axis=(0, 2))
         for name in ("rnn1", "rnn2", "rnn3")}
assert list(why2.view_data()) == ["rnn1", "rnn2", "rnn3"]           # model order
for name, expected in flows.items():
    np.testing.assert_allclose(why2.view_data()[name], expected, rtol=1e-12)
ratios = {name: f[:5].mean() / f[-5:].mean() for name, f in flows.items()}
assert ratios["rnn3"] < ratios["rnn2"] < ratios["rnn1"]             # flatter with depth
assert flows["rnn3"][-1] > flows["rnn2"][-1] > flows["rnn1"][-1]    # less at the end
assert why2.figure.title.startswith("deep: gradient flow: rnn3: ")   # the verdict's layer
assert shown_ratio(why2.figure.title, "rnn3") == rounded(ratios["rnn3"])

# %% [markdown]
# **What percentage of neurons are "dead" or "exploding"?** `LayerHealth` gives, per
# layer, the share of dead units (max |output| <= 1e-6 over all samples and timesteps), of
# exploding output-gradients (|dLoss/d(output)| > 1, or NaN/Inf) and of saturated gate
# activations. A model built to go wrong: a ReLU `Dense` applied at every timestep with its
# bias initialised to -1.5, then a linear `SimpleRNN` whose recurrent kernel has gain 1.2
# (each step multiplies the state by up to 1.2), 5 iterations. **Look for** one of the 8 ReLU
# units dead (never positive on any input), and most gradient values above 1 (red cells);
# `GradientFlow` shows the explosion through time: the early timesteps get about a
# thousand times the late gradient (a line rising to the left).

# %%
x_s, y_s = make_data(16, 50, 4, 4, seed=9)
ipt = keras.Input((50, 4))
h = keras.layers.Dense(8, activation="relu", name="relu",
                       bias_initializer=keras.initializers.Constant(-1.5))(ipt)
h = keras.layers.SimpleRNN(8, activation=None, name="linear_rnn",
                           recurrent_initializer=keras.initializers.Orthogonal(gain=1.2))(h)
sick = keras.Model(ipt, keras.layers.Dense(4, name="out")(h), name="sick")
sick.compile(keras.optimizers.Adam(4e-3), "mse")
train(sick, x_s, y_s, 5)
insp_sick = Inspector(sick, x_s, y_s)

why3 = LayerHealth(insp_sick)
why3_flow = GradientFlow(insp_sick)
print(why3.view_data())
print(why3_flow.figure.title)
display(why3, why3_flow)

# %% tags=["check"] jupyter={"source_hidden": true}
shown = why3.view_data()
assert list(shown) == ["relu", "linear_rnn", "out"]
for name in shown:
    out = insp_sick.outputs(name)
    peak = np.abs(out).reshape(-1, out.shape[-1]).max(axis=0)
    assert shown[name]["dead"] == (peak <= 1e-6).mean()
    assert shown[name]["exploding"] == (~(np.abs(insp_sick.gradients(name)) <= 1)).mean()
assert shown["relu"]["dead"] == 1 / 8
assert shown["relu"]["exploding"] > 0.5
relu_flow = np.abs(insp_sick.gradients("relu").astype(np.float64)).mean(axis=(0, 2))
np.testing.assert_allclose(why3_flow.view_data()["relu"], relu_flow, rtol=1e-12)
assert relu_flow[:5].mean() / relu_flow[-5:].mean() > 100                  # exploding back in time

# %% [markdown]
# **How do the gates behave?** `Features2D(mode="gates")` shows one gate's activations
# (after its sigmoid or tanh), units x timesteps of one sample; the `gate` control picks
# the gate. Here the bi-GRU of EX 6: the update gate `z` (1 keeps the previous state, 0
# takes the new candidate), forward units on top, backward below. **Look for** units whose
# gate sits near 0 or 1 whatever the input (memory kept for good, or none at all) against
# units that switch with the input; `LayerHealth`'s saturated column counts the former for
# every gate at once. After 20 iterations this GRU has none: every unit's `z` stays
# between 0.05 and 0.95, averaging about 0.5, and moves with the input.

# %%
why4 = Features2D(insp6, "bigru", mode="gates", gate="z")
z = insp6.gates("bigru")["z"]                         # (samples, timesteps, 16 units)
print(f"update gate z: {((z < .05) | (z > .95)).mean():.1%} of values beyond 0.05 / 0.95; "
      f"per-unit mean over time, sample 0: {z[0].mean(axis=0).round(2)}")
why4

# %% tags=["check"] jupyter={"source_hidden": true}
assert z.shape == (16, 50, 16)
np.testing.assert_array_equal(why4.view_data(), z[0].T)             # units x timesteps
assert why4.heatmap.figure.title.startswith("bi_gru: bigru gate z (update) - sample 0")
why4.gate = "r"
np.testing.assert_array_equal(why4.view_data(), insp6.gates("bigru")["r"][0].T)
why4.gate = "z"
saturated = LayerHealth(insp6).view_data()["bigru"]["saturated"]["z"]
assert saturated == ((z < .05) | (z > .95)).mean() == 0
assert 0.4 < z.mean() < 0.6
