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
# # seernn_widgets quickstart
#
# Live widgets for looking inside recurrent networks (Keras 3): layer outputs, gradients
# and weights, per channel, timestep, gate and direction. They rebuild
# [see-rnn](https://github.com/OverLordGoldDragon/see-rnn)'s plots as interactive
# [bqplot](https://github.com/bqplot/bqplot) figures that redraw when the model trains.
#
# This notebook uses the package's embedded default, `seernn_widgets.demo`: a small
# `LSTM -> Bidirectional(LSTM) -> GRU -> Dense` network trained for a few steps on noisy
# sines (32 sequences of 50 timesteps, 4 channels). *Run All* takes well under a minute
# on 2 CPU cores. Every control of every widget is also a Python attribute
# (`w.sample = 3` moves the slider), and a collapsed check cell after each example
# **asserts** what it shows.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # before TensorFlow loads: fewer C++ log lines

import keras
import numpy as np

from seernn_widgets import (
    Explorer,
    Features1D,
    Features2D,
    GradientFlow,
    Inspector,
    LayerHealth,
    RNNHeatmap,
    RNNHistogram,
    WeightNorms,
)

keras.utils.set_random_seed(0)   # Python, NumPy and TensorFlow seeds: the run is deterministic

# %% [markdown]
# ## The model and the `Inspector`
#
# `Inspector(model, x, y)` is shared by all widgets. It computes every layer's output, the
# gradient of the compiled loss with respect to each output, and the weight-gradients in
# one traced pass, caches them, and never changes the model.

# %%
from seernn_widgets.demo import layer_table, trained_default

model, x, y = trained_default(epochs=5)   # 2 batches x 5 epochs = 10 Adam steps
insp = Inspector(model, x, y)
print(layer_table(insp))
print(f"\nstep {insp.step}, loss {insp.loss:.4f}")

# %% tags=["check"] jupyter={"source_hidden": true}
assert x.shape == (32, 50, 4) and y.shape == (32, 2)
assert insp.layer_names == ["lstm", "bilstm", "gru", "dense"]
assert insp.step == 10

# %% [markdown]
# ## `Features2D`: channels x timesteps of one sample
#
# The gradient of the loss with respect to the bidirectional LSTM's output, for sample 0:
# 16 channels (8 forward units, then 8 backward ones) by 50 timesteps, blue negative,
# white zero, red positive (NaN would be yellow).
#
# **What to look for:** the colour is all at the right. The GRU on top keeps only its last
# state, so the gradient reaching early timesteps has passed through many recurrent steps
# and *vanished*: those timesteps barely contribute to learning. The check cell tests it: the
# mean |gradient| over the first 10% of timesteps is over 100x smaller than over the last 10%.

# %%
f2 = Features2D(insp, "bilstm", mode="gradients")

grads = insp.gradients("bilstm")            # (samples, timesteps, channels)
early, late = np.abs(grads[:, :5]).mean(), np.abs(grads[:, -5:]).mean()
print(f"mean |grad|: first 10% of timesteps {early:.2e}, last 10% {late:.2e}")
f2

# %% tags=["check"] jupyter={"source_hidden": true}
assert grads.shape == (32, 50, 16)
assert f2.view_data().shape == (16, 50)     # what is drawn: channels x timesteps
np.testing.assert_array_equal(f2.view_data(), grads[0].T)
assert early < late / 100

# %% [markdown]
# Controls are traits: set them from code and the widget above follows. `direction`
# picks one half of a bidirectional layer, `norm` fixes the colour range (colours only,
# nothing is recomputed), `reflect_half` flips the backward half along time.

# %%
f2.sample = 3
f2.direction = "backward"
f2.norm = (-1e-3, 1e-3)

# %% tags=["check"] jupyter={"source_hidden": true}
assert f2.view_data().shape == (8, 50)                         # the 8 backward units
np.testing.assert_array_equal(f2.view_data(), grads[3, :, 8:].T)
assert (f2.heatmap.colour_scale.min, f2.heatmap.colour_scale.max) == (-1e-3, 1e-3)

# %% [markdown]
# ## `Features1D`: one plot per channel
#
# The first LSTM's outputs, one small plot per channel, the 32 samples overlaid (sample *k*
# has the same colour in every plot). **What to look for:** channels with distinct shapes
# are extracting different features; a flat line is a unit that does nothing.

# %%
f1 = Features1D(insp, "lstm", channels=[0, 1, 2, 3], n_rows=1)   # sample="all"
f1

# %% tags=["check"] jupyter={"source_hidden": true}
lines = f1.view_data()                      # {channel: (samples, timesteps)}
assert list(lines) == [0, 1, 2, 3]
assert all(v.shape == (32, 50) for v in lines.values())
np.testing.assert_allclose(lines[2], insp.outputs("lstm")[..., 2])

# %% [markdown]
# ## `RNNHeatmap`: kernels by gate
#
# The backward LSTM of `bilstm`: input kernel (16 inputs x 4 gates x 8 units), recurrent
# kernel (8 x 32) and bias (1 x 32), gates separated by lines and labelled. **What to look
# for:** the forget-gate bias stands out: Keras initialises it to 1 and the others to 0,
# and ten training steps have not moved it far.

# %%
hm = RNNHeatmap(insp, "bilstm", direction="backward")
mats = hm.view_data()
bias = mats["bias"][0]                      # gates i, f, c, o: 8 units each
forget, others = bias[8:16], np.delete(bias, np.s_[8:16])
print(f"mean forget bias {forget.mean():.3f}, max |other bias| {np.abs(others).max():.3f}")
hm

# %% tags=["check"] jupyter={"source_hidden": true}
assert {k: m.shape for k, m in mats.items()} == {
    "input": (16, 32), "recurrent": (8, 32), "bias": (1, 32)}
assert forget.mean() > 0.5 and np.abs(others).max() < 0.5

# %% [markdown]
# ## `RNNHistogram`: distributions by kernel and gate
#
# The GRU's weight-gradients, one histogram per kernel (rows) and gate (columns: update,
# reset, new). With `equate_axes=1` (the default) the input and recurrent kernels share
# their bins and y range, so widths compare fairly. NaN/Inf would be counted in the titles.

# %%
hist = RNNHistogram(insp, "gru", mode="gradients")
hist

# %% tags=["check"] jupyter={"source_hidden": true}
data = hist.view_data()                     # {(kernel, gate): (counts, bin edges)}
assert list(data) == [(k, g) for k in ("input", "recurrent", "bias") for g in "zrh"]
shared = [edges for (kernel, _), (_, edges) in data.items() if kernel != "bias"]
assert all(np.array_equal(edges, shared[0]) for edges in shared)

# %% [markdown]
# ## `WeightNorms`: weight norms over training
#
# Max (solid) and mean (dashed) per-column l2 norm of each of the LSTM's weights, one
# point per refresh. Train a little more and call `insp.refresh()`: every widget above
# redraws from one new pass, and this plot gains a point.

# %%
norms = WeightNorms(insp, "lstm")
norms

# %%
passes = insp.compute_count
model.fit(x, y, batch_size=16, epochs=2, verbose=0)   # 4 more steps
insp.refresh()

history = norms.history()
print(history["steps"])

# %% tags=["check"] jupyter={"source_hidden": true}
assert history["steps"] == [10, 14]
assert all(len(stats["max"]) == 2 for stats in history["norms"].values())
assert insp.compute_count == passes + 1     # one pass redrew all the widgets

# %% [markdown]
# ## `Explorer`: the whole model in one widget
#
# Pick a layer and what to show; it chooses the fitting view (`Features2D` for sequences,
# `Features0D` for 2-D outputs such as the last GRU's, `RNNHeatmap` for RNN weights).

# %%
ex = Explorer(insp, layer="gru", what="output-gradients")
ex

# %% tags=["check"] jupyter={"source_hidden": true}
assert type(ex.view).__name__ == "Features0D"
assert ex.view_data().shape == (32, 8)      # samples x units

# %%
ex.layer, ex.what = "bilstm", "weights"     # the widget above follows

# %% tags=["check"] jupyter={"source_hidden": true}
assert type(ex.view).__name__ == "RNNHeatmap"
assert ex.view_data()["recurrent"].shape == (8, 32)

# %% [markdown]
# ## Padded sequences and long ones
#
# A model that pads its sequences (`Masking`, `Embedding(mask_zero=True)`) carries a
# mask: `insp.mask(layer)` says which timesteps each sample keeps, and the sequence
# views grey the masked ones out (their values show faintly underneath). Sequences
# longer than the figure (`time_resolution`, 1024 columns) are drawn binned, each
# column keeping its bin's largest |value|, so a one-timestep spike stays visible.

# %%
lengths = [40, 31, 12, 25, 40, 8, 19, 33]
tokens = np.random.default_rng(1).integers(1, 50, (8, 40))
for sample, length in enumerate(lengths):
    tokens[sample, length:] = 0                      # 0 = padding
padded = keras.Sequential([keras.Input((40,)),
                           keras.layers.Embedding(50, 8, mask_zero=True, name="embed"),
                           keras.layers.LSTM(12, return_sequences=True, name="lstm")],
                          name="padded")
padded_insp = Inspector(padded, tokens)

masked = Features2D(padded_insp, "lstm", sample=2)
masked

# %% tags=["check"] jupyter={"source_hidden": true}
assert padded_insp.mask("lstm").sum(axis=1).tolist() == lengths
assert "28 masked timesteps (grey)" in masked.heatmap.figure.title

# %% [markdown]
# ## Diagnose: vanishing gradients, dead units, saturated gates
#
# Three views answer see-rnn's questions directly, for every layer at once, and redraw
# live during training like the others: `GradientFlow` (does the gradient reach the early
# timesteps?), `LayerHealth` (how many units are dead, gradients exploding, gates
# saturated?) and `Features2D(mode="gates")` (what each gate does over time). First, ten
# more training steps, and a refresh: every widget above redraws at step 24.

# %%
model.fit(x, y, batch_size=16, epochs=5, verbose=0)   # 10 more steps
insp.refresh()
print("recorded steps:", insp.history.steps)

# %% [markdown]
# ### `GradientFlow`: the vanishing gradient
#
# One line per layer with a sequence output, in model order: the mean |dLoss/d(output)|
# over samples and channels at each timestep, on a log scale. The title's verdict names the
# layer whose early timesteps (first 10%) get the smallest share of its late timesteps'
# (last 10%) gradient. Below, the history of one layer (`bilstm`): training steps x
# timesteps, darker is larger.
#
# **What to look for:** lines that fall steeply to the left. Here both LSTMs lose many
# orders of magnitude from the last timestep to the first (the GRU on top reads only its
# last state, so the gradient reaching an early timestep went through ~50 recurrent
# steps): the early timesteps hardly move the weights, so the model cannot learn
# long-term dependencies from them. A line that *rises* to the left is an exploding
# gradient. In the heatmap, rows whose left part darkens over training mean the
# gradient is learning to reach further back.

# %%
flow = GradientFlow(insp, layer="bilstm")
for name, grad in (("lstm", insp.gradients("lstm")), ("bilstm", insp.gradients("bilstm"))):
    per_step = np.abs(grad).mean(axis=(0, 2))               # (timesteps,)
    print(f"{name:6s} mean |grad|: first 5 timesteps {per_step[:5].mean():.1e}, "
          f"last 5 {per_step[-5:].mean():.1e}")
print(flow.figure.title)
flow

# %% tags=["check"] jupyter={"source_hidden": true}
lines = flow.view_data()                    # {layer: (timesteps,)}
assert list(lines) == ["lstm", "bilstm"]    # the GRU returns no sequence
ratios = {}
for name in lines:
    expected = np.abs(insp.gradients(name).astype(np.float64)).mean(axis=(0, 2))
    np.testing.assert_allclose(lines[name], expected, rtol=1e-12)
    ratios[name] = expected[:5].mean() / expected[-5:].mean()
worst = min(ratios, key=ratios.get)
shown = flow.figure.title.split(f"{worst}: early timesteps get ")[1].split()[0]
assert float(shown) == float(f"{ratios[worst]:.0e}")   # one digit below 0.01
assert ratios[worst] < 1e-6                 # vanished: a millionth of the late gradient
heat = flow.history()                       # bilstm, one row per recorded step
assert heat["steps"] == [10, 14, 24] and heat["flow"].shape == (3, 50)
np.testing.assert_allclose(heat["flow"][0], np.abs(
    insp.gradients("bilstm", step=10).astype(np.float64)).mean(axis=(0, 2)), rtol=1e-12)

# %% [markdown]
# ### `LayerHealth`: dead units, exploding gradients, saturated gates
#
# One row per layer: the share of **dead** units (max |output| over all samples and
# timesteps <= `dead_below`), of **exploding** output-gradient values (|dLoss/d(output)| >
# `exploding_above` = 1, or NaN/Inf) and, per gate, of **saturated** activations (sigmoid
# gates below `saturated_beyond` = 0.05 or above 0.95, tanh candidates beyond +-0.95).
# Hover a cell for its counts. The demo model is healthy: every cell is 0%.
#
# To see what trouble looks like, the same network is trained from scratch with a
# learning rate 30x too large (Adam 0.3 instead of 0.01), and one unit of its first LSTM
# is switched off by hand (output-gate bias -100: the unit outputs 0 for every input, as a
# unit pushed deep into saturation by a bad update does).
#
# **What to look for:** in the second table, `lstm` has 1 dead unit of 16 (6.2%), and most
# gate activations of every recurrent layer are saturated (coloured cells; orange from
# 10%, red from 50%): a saturated sigmoid or tanh passes almost no gradient, so those
# units have stopped learning. Exploding gradients would show in the middle column.

# %%
from seernn_widgets.demo import make_model

health = LayerHealth(insp)

hot = make_model()                                   # the same untrained network...
hot.compile(keras.optimizers.Adam(0.3), "mse")       # ...with a too-large learning rate
hot.fit(x, y, batch_size=16, epochs=5, verbose=0)
cell = hot.get_layer("lstm").cell
bias = cell.bias.numpy()
bias[3 * 16 + 5] = -100.0                            # gates i, f, c, o: unit 5's output gate
cell.bias.assign(bias)
hot_insp = Inspector(hot, x, y)
hot_health = LayerHealth(hot_insp)
print(hot_health.view_data()["lstm"])
display(health, hot_health)

# %% tags=["check"] jupyter={"source_hidden": true}
for h, source in ((health, insp), (hot_health, hot_insp)):
    shown = h.view_data()
    assert list(shown) == ["lstm", "bilstm", "gru", "dense"]
    for name in shown:
        peak = np.abs(source.outputs(name)).reshape(-1, source.outputs(name).shape[-1]).max(0)
        assert shown[name]["dead"] == (peak <= 1e-6).mean()
        grad = source.gradients(name)
        assert shown[name]["exploding"] == (~(np.abs(grad) <= 1.0)).mean()
    for name in ("lstm", "bilstm", "gru"):
        gates, functions = source.gates(name), source.gate_functions(name)
        for gate, values in gates.items():
            stuck = (values < .05) | (values > .95) if functions[gate] == "sigmoid" \
                else np.abs(values) > .95
            assert shown[name]["saturated"][gate] == stuck.mean(), (name, gate)
healthy, sick = health.view_data(), hot_health.view_data()
assert all(v["dead"] == 0 and v["exploding"] == 0 for v in healthy.values())
assert all(f == 0 for v in healthy.values() for f in v["saturated"].values())
assert sick["lstm"]["dead"] == 1 / 16
assert np.abs(hot_insp.outputs("lstm")[..., 5]).max() <= 1e-6     # the unit switched off
assert all(f > 0.5 for name in ("lstm", "bilstm", "gru")
           for f in sick[name]["saturated"].values())

# %% [markdown]
# ### `Features2D(mode="gates")`: what a gate does over time
#
# The forget gate of the first LSTM, units x timesteps of sample 0, after the sigmoid
# (0: forget the cell state, 1: keep it); the `gate` dropdown switches to the input gate
# `i`, the candidate `c` and the output gate `o` without recomputing anything. Top: the
# healthy model; bottom: the one trained too fast.
#
# **What to look for:** a healthy gate varies with the input, in mid colours. A saturated
# one is pinned at 0 or 1 (the darkest colours) whatever the input: that unit always forgets
# or always keeps, and its gate learns nothing more. The check cell counts the forget-gate
# values beyond 0.05 / 0.95 in the bottom image and compares them with `LayerHealth`'s
# `f` column.

# %%
gates = Features2D(insp, "lstm", mode="gates", gate="f")
hot_gates = Features2D(hot_insp, "lstm", mode="gates", gate="f")
for name, source in (("healthy", insp), ("too fast", hot_insp)):
    forget = source.gates("lstm")["f"]               # (samples, timesteps, units)
    stuck = (forget < .05) | (forget > .95)
    print(f"{name:8s}: forget gate in [{forget.min():.3f}, {forget.max():.3f}], "
          f"{stuck.mean():.1%} beyond 0.05 / 0.95")
display(gates, hot_gates)

# %% tags=["check"] jupyter={"source_hidden": true}
assert gates.heatmap.figure.title.startswith("demo: lstm gate f (forget) - sample 0")
np.testing.assert_array_equal(gates.view_data(), insp.gates("lstm")["f"][0].T)
np.testing.assert_array_equal(hot_gates.view_data(), forget[0].T)    # units x timesteps
assert ((forget < .05) | (forget > .95)).mean() == hot_health.view_data()["lstm"]["saturated"]["f"]
gates.gate = "o"                                     # the dropdown, from Python
np.testing.assert_array_equal(gates.view_data(), insp.gates("lstm")["o"][0].T)
gates.gate = "f"

# %% [markdown]
# Next: `live_training.ipynb` (widgets that redraw while `fit` runs, and scrubbing back
# through training) and `gallery.ipynb` (see-rnn's README examples rebuilt).
