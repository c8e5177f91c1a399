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
# # Live training
#
# Display the widgets first, then train below them: `LiveRefresh`, a Keras callback,
# refreshes the shared `Inspector` every few batches and every widget redraws from that
# one pass. The inspector keeps a history of past steps, so afterwards each widget can be
# scrubbed back (`w.step = ...`). A hand-written `tf.GradientTape` loop works the same way
# with `live.tick(...)`. The default model of `seernn_widgets.demo` is used; the whole
# notebook runs in well under a minute on 2 CPU cores.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # before TensorFlow loads: fewer C++ log lines

import keras
import numpy as np

from seernn_widgets import (
    Features2D,
    Inspector,
    LiveRefresh,
    RNNHistogram,
    WeightNorms,
)

keras.utils.set_random_seed(0)   # Python, NumPy and TensorFlow seeds: the run is deterministic

# %%
from seernn_widgets.demo import make_data, make_model

x, y = make_data()                 # 32 noisy sines, 50 timesteps, 4 channels
model = make_model()               # LSTM -> Bidirectional(LSTM) -> GRU -> Dense, untrained
insp = Inspector(model, x, y, history=16)   # keep snapshots of the last 16 steps

# %% tags=["check"] jupyter={"source_hidden": true}
assert insp.step == 0

# %% [markdown]
# ## The widgets, before training
#
# **What to look for** while the next cell trains: the gradient heatmap changes as the
# network learns, the LSTM's weight histograms widen, and the weight norms move. Once two
# steps are recorded, each widget shows a `step` slider.

# %%
heat = Features2D(insp, "bilstm", mode="gradients")
hist = RNNHistogram(insp, "lstm")
norms = WeightNorms(insp, "lstm")
display(heat, hist, norms)

# %% tags=["check"] jupyter={"source_hidden": true}
assert heat.view_data().shape == (16, 50)

# %% [markdown]
# ## `model.fit` with `LiveRefresh`
#
# Two batches per epoch, 6 epochs: 12 steps, a refresh every 2 batches. `min_interval_s`
# (default 0.5 s) stops a fast loop from spending its time drawing; it is 0 here so that
# every refresh happens and the checks below are exact.

# %%
live = LiveRefresh(insp, every_n_batches=2, min_interval_s=0)
fit = model.fit(x, y, batch_size=16, epochs=6, verbose=0, callbacks=[live])

print("refreshes:", live.refreshes, " recorded steps:", insp.history.steps)

# %% tags=["check"] jupyter={"source_hidden": true}
assert insp.step == 12 and live.refreshes == 6
assert insp.history.steps == [0, 2, 4, 6, 8, 10, 12]
assert norms.history()["steps"] == [0, 2, 4, 6, 8, 10, 12]
assert fit.history["loss"][-1] < fit.history["loss"][0]

# %% [markdown]
# ## Scrubbing back through training
#
# `insp.history.steps` lists the recorded steps; setting `w.step` (or moving its `step`
# slider) shows that snapshot without recomputing anything, `w.step = None` the latest.
# Each snapshot also keeps the training logs of its refresh (`insp.logs(step)`).

# %%
first, last = insp.history.steps[0], insp.history.steps[-1]
frames = {}
for step in insp.history.steps:
    heat.step = step                    # the heatmap above follows
    frames[step] = heat.view_data()
heat.step = None                        # back to the latest

for step in insp.history.steps[1:]:
    print(f"step {step:2d}: loss {insp.logs(step)['loss']:.4f}, "
          f"max |grad| {np.abs(frames[step]).max():.2e}")

# %% tags=["check"] jupyter={"source_hidden": true}
assert all(frame.shape == (16, 50) for frame in frames.values())
np.testing.assert_array_equal(frames[last], heat.view_data())
assert not np.array_equal(frames[first], frames[last])   # training changed the gradients
assert heat.step_control.layout.display is None          # the slider is shown

# %%
hist.step = first                       # weights before training...
before = hist.view_data()
hist.step = None                        # ...and now
after = hist.view_data()

def width(h):                           # the span of the bins of the recurrent forget gate
    return h[("recurrent", "f")][1][-1] - h[("recurrent", "f")][1][0]

print(f"recurrent forget-gate weights span {width(before):.3f} at step 0, "
      f"{width(after):.3f} at step {last}")

# %% tags=["check"] jupyter={"source_hidden": true}
assert width(after) > width(before)

# %% [markdown]
# ## A hand-written training loop
#
# With your own `tf.GradientTape` loop, call `live.tick(logs)` after each step.
# `optimizer.apply_gradients` moves the step counter the inspector watches.

# %%
import tensorflow as tf

loss_fn = keras.losses.MeanSquaredError()
optimizer = model.optimizer
live = LiveRefresh(insp, every_n_batches=1, min_interval_s=0)

for _ in range(4):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    live.tick({"loss": float(loss)})

print("recorded steps:", insp.history.steps)

# %% tags=["check"] jupyter={"source_hidden": true}
assert insp.step == 16 and live.refreshes == 4
assert insp.history.steps[-4:] == [13, 14, 15, 16]
assert insp.logs(16)["loss"] == float(loss)
assert norms.history()["steps"][-4:] == [13, 14, 15, 16]
assert heat.step is None and heat.view_data().shape == (16, 50)

# %% [markdown]
# `Inspector(..., history=16)` keeps up to 16 snapshots (11 so far, each recorded at the
# step of a refresh or of a first computation); beyond that the oldest are dropped first,
# and a widget scrubbed to a dropped step returns to the latest. The default is 8;
# `history=0` records nothing.

# %%
print(f"one snapshot holds {insp.history.nbytes(16) / 1e3:.0f} kB")

# %% tags=["check"] jupyter={"source_hidden": true}
assert len(insp.history.steps) == 11 and insp.history.steps[0] == 0
