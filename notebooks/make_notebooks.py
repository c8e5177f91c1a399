"""Write the example notebooks (quickstart, live_training, gallery) from the
cell sources below, without outputs.

    python notebooks/make_notebooks.py          # rewrite notebooks/*.ipynb
    python notebooks/make_notebooks.py --check  # exit 1 if any is out of date

The .ipynb files are generated: edit this script, then re-run it. Every
notebook asserts what it shows; tests/test_notebooks.py executes them all.
"""
import sys
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = """\
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # before TensorFlow loads: fewer C++ log lines

import numpy as np
import keras
from seernn_widgets import (Inspector, LiveRefresh, detect_nans, Features2D, Features1D,
                            Features0D, RNNHeatmap, RNNHistogram, WeightNorms, Explorer)

keras.utils.set_random_seed(0)   # Python, NumPy and TensorFlow seeds: the run is deterministic
"""


def md(source):
    return ("markdown", dedent(source).strip("\n"))


def code(source):
    return ("code", dedent(source).strip("\n"))


# --------------------------------------------------------------------------- quickstart
QUICKSTART = [
    md("""
    # seernn_widgets quickstart

    Live widgets for looking inside recurrent networks (Keras 3): layer outputs, gradients
    and weights, per channel, timestep, gate and direction. They rebuild
    [see-rnn](https://github.com/OverLordGoldDragon/see-rnn)'s plots as interactive
    [bqplot](https://github.com/bqplot/bqplot) figures that redraw when the model trains.

    This notebook uses the package's embedded default, `seernn_widgets.demo`: a small
    `LSTM -> Bidirectional(LSTM) -> GRU -> Dense` network trained for a few steps on noisy
    sines (32 sequences of 50 timesteps, 4 channels). *Run All* takes well under a minute
    on 2 CPU cores. Every control of every widget is also a Python attribute
    (`w.sample = 3` moves the slider), and each cell **asserts** what it shows.
    """),
    code(SETUP),
    md("""
    ## The model and the `Inspector`

    `Inspector(model, x, y)` is shared by all widgets. It computes every layer's output, the
    gradient of the compiled loss with respect to each output, and the weight-gradients in
    one traced pass, caches them, and never changes the model.
    """),
    code("""
    from seernn_widgets.demo import layer_table, trained_default

    model, x, y = trained_default(epochs=5)   # 2 batches x 5 epochs = 10 Adam steps
    insp = Inspector(model, x, y)
    print(layer_table(insp))
    print(f"\\nstep {insp.step}, loss {insp.loss:.4f}")

    assert x.shape == (32, 50, 4) and y.shape == (32, 2)
    assert insp.layer_names == ["lstm", "bilstm", "gru", "dense"]
    assert insp.step == 10
    """),
    md("""
    ## `Features2D`: channels x timesteps of one sample

    The gradient of the loss with respect to the bidirectional LSTM's output, for sample 0:
    16 channels (8 forward units, then 8 backward ones) by 50 timesteps, blue negative,
    white zero, red positive (NaN would be yellow).

    **What to look for:** the colour is all at the right. The GRU on top keeps only its last
    state, so the gradient reaching early timesteps has passed through many recurrent steps
    and *vanished*: those timesteps barely contribute to learning. The cell checks it: the
    mean |gradient| over the first 10% of timesteps is over 100x smaller than over the last 10%.
    """),
    code("""
    f2 = Features2D(insp, "bilstm", mode="gradients")

    grads = insp.gradients("bilstm")            # (samples, timesteps, channels)
    assert grads.shape == (32, 50, 16)
    assert f2.view_data().shape == (16, 50)     # what is drawn: channels x timesteps
    np.testing.assert_array_equal(f2.view_data(), grads[0].T)

    early, late = np.abs(grads[:, :5]).mean(), np.abs(grads[:, -5:]).mean()
    print(f"mean |grad|: first 10% of timesteps {early:.2e}, last 10% {late:.2e}")
    assert early < late / 100
    f2
    """),
    md("""
    Controls are traits: set them from code and the widget above follows. `direction`
    picks one half of a bidirectional layer, `norm` fixes the colour range (colours only,
    nothing is recomputed), `reflect_half` flips the backward half along time.
    """),
    code("""
    f2.sample = 3
    f2.direction = "backward"
    f2.norm = (-1e-3, 1e-3)
    assert f2.view_data().shape == (8, 50)                         # the 8 backward units
    np.testing.assert_array_equal(f2.view_data(), grads[3, :, 8:].T)
    assert (f2.heatmap.colour_scale.min, f2.heatmap.colour_scale.max) == (-1e-3, 1e-3)
    """),
    md("""
    ## `Features1D`: one plot per channel

    The first LSTM's outputs, one small plot per channel, the 32 samples overlaid (sample *k*
    has the same colour in every plot). **What to look for:** channels with distinct shapes
    are extracting different features; a flat line is a unit that does nothing.
    """),
    code("""
    f1 = Features1D(insp, "lstm", channels=[0, 1, 2, 3], n_rows=1)   # sample="all"
    lines = f1.view_data()                      # {channel: (samples, timesteps)}
    assert list(lines) == [0, 1, 2, 3]
    assert all(v.shape == (32, 50) for v in lines.values())
    np.testing.assert_allclose(lines[2], insp.outputs("lstm")[..., 2])
    f1
    """),
    md("""
    ## `RNNHeatmap`: kernels by gate

    The backward LSTM of `bilstm`: input kernel (16 inputs x 4 gates x 8 units), recurrent
    kernel (8 x 32) and bias (1 x 32), gates separated by lines and labelled. **What to look
    for:** the forget-gate bias stands out: Keras initialises it to 1 and the others to 0,
    and ten training steps have not moved it far.
    """),
    code("""
    hm = RNNHeatmap(insp, "bilstm", direction="backward")
    mats = hm.view_data()
    assert {k: m.shape for k, m in mats.items()} == {
        "input": (16, 32), "recurrent": (8, 32), "bias": (1, 32)}
    bias = mats["bias"][0]                      # gates i, f, c, o: 8 units each
    forget, others = bias[8:16], np.delete(bias, np.s_[8:16])
    print(f"mean forget bias {forget.mean():.3f}, max |other bias| {np.abs(others).max():.3f}")
    assert forget.mean() > 0.5 and np.abs(others).max() < 0.5
    hm
    """),
    md("""
    ## `RNNHistogram`: distributions by kernel and gate

    The GRU's weight-gradients, one histogram per kernel (rows) and gate (columns: update,
    reset, new). With `equate_axes=1` (the default) the input and recurrent kernels share
    their bins and y range, so widths compare fairly. NaN/Inf would be counted in the titles.
    """),
    code("""
    hist = RNNHistogram(insp, "gru", mode="gradients")
    data = hist.view_data()                     # {(kernel, gate): (counts, bin edges)}
    assert list(data) == [(k, g) for k in ("input", "recurrent", "bias") for g in "zrh"]
    shared = [edges for (kernel, _), (_, edges) in data.items() if kernel != "bias"]
    assert all(np.array_equal(edges, shared[0]) for edges in shared)
    hist
    """),
    md("""
    ## `WeightNorms`: weight norms over training

    Max (solid) and mean (dashed) per-column l2 norm of each of the LSTM's weights, one
    point per refresh. Train a little more and call `insp.refresh()`: every widget above
    redraws from one new pass, and this plot gains a point.
    """),
    code("""
    norms = WeightNorms(insp, "lstm")
    norms
    """),
    code("""
    passes = insp.compute_count
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)   # 4 more steps
    insp.refresh()

    history = norms.history()
    print(history["steps"])
    assert history["steps"] == [10, 14]
    assert all(len(stats["max"]) == 2 for stats in history["norms"].values())
    assert insp.compute_count == passes + 1     # one pass redrew all the widgets
    """),
    md("""
    ## `Explorer`: the whole model in one widget

    Pick a layer and what to show; it chooses the fitting view (`Features2D` for sequences,
    `Features0D` for 2-D outputs such as the last GRU's, `RNNHeatmap` for RNN weights).
    """),
    code("""
    ex = Explorer(insp, layer="gru", what="output-gradients")
    assert type(ex.view).__name__ == "Features0D"
    assert ex.view_data().shape == (32, 8)      # samples x units
    ex.layer, ex.what = "bilstm", "weights"
    assert type(ex.view).__name__ == "RNNHeatmap"
    assert ex.view_data()["recurrent"].shape == (8, 32)
    ex
    """),
    md("""
    ## Padded sequences and long ones

    A model that pads its sequences (`Masking`, `Embedding(mask_zero=True)`) carries a
    mask: `insp.mask(layer)` says which timesteps each sample keeps, and the sequence
    views grey the masked ones out (their values show faintly underneath). Sequences
    longer than the figure (`time_resolution`, 1024 columns) are drawn binned, each
    column keeping its bin's largest |value|, so a one-timestep spike stays visible.
    """),
    code("""
    lengths = [40, 31, 12, 25, 40, 8, 19, 33]
    tokens = np.random.default_rng(1).integers(1, 50, (8, 40))
    for sample, length in enumerate(lengths):
        tokens[sample, length:] = 0                      # 0 = padding
    padded = keras.Sequential([keras.Input((40,)),
                               keras.layers.Embedding(50, 8, mask_zero=True, name="embed"),
                               keras.layers.LSTM(12, return_sequences=True, name="lstm")],
                              name="padded")
    padded_insp = Inspector(padded, tokens)
    assert padded_insp.mask("lstm").sum(axis=1).tolist() == lengths

    masked = Features2D(padded_insp, "lstm", sample=2)
    assert "28 masked timesteps (grey)" in masked.heatmap.figure.title
    masked
    """),
    md("""
    Next: `live_training.ipynb` (widgets that redraw while `fit` runs, and scrubbing back
    through training) and `gallery.ipynb` (see-rnn's README examples rebuilt).
    """),
]

# --------------------------------------------------------------------------- live training
LIVE = [
    md("""
    # Live training

    Display the widgets first, then train below them: `LiveRefresh`, a Keras callback,
    refreshes the shared `Inspector` every few batches and every widget redraws from that
    one pass. The inspector keeps a history of past steps, so afterwards each widget can be
    scrubbed back (`w.step = ...`). A hand-written `tf.GradientTape` loop works the same way
    with `live.tick(...)`. The default model of `seernn_widgets.demo` is used; the whole
    notebook runs in well under a minute on 2 CPU cores.
    """),
    code(SETUP),
    code("""
    from seernn_widgets.demo import make_data, make_model

    x, y = make_data()                 # 32 noisy sines, 50 timesteps, 4 channels
    model = make_model()               # LSTM -> Bidirectional(LSTM) -> GRU -> Dense, untrained
    insp = Inspector(model, x, y, history=16)   # keep snapshots of the last 16 steps
    assert insp.step == 0
    """),
    md("""
    ## The widgets, before training

    **What to look for** while the next cell trains: the gradient heatmap changes as the
    network learns, the LSTM's weight histograms widen, and the weight norms move. Once two
    steps are recorded, each widget shows a `step` slider.
    """),
    code("""
    heat = Features2D(insp, "bilstm", mode="gradients")
    hist = RNNHistogram(insp, "lstm")
    norms = WeightNorms(insp, "lstm")
    assert heat.view_data().shape == (16, 50)
    display(heat, hist, norms)
    """),
    md("""
    ## `model.fit` with `LiveRefresh`

    Two batches per epoch, 6 epochs: 12 steps, a refresh every 2 batches. `min_interval_s`
    (default 0.5 s) stops a fast loop from spending its time drawing; it is 0 here so that
    every refresh happens and the asserts below are exact.
    """),
    code("""
    live = LiveRefresh(insp, every_n_batches=2, min_interval_s=0)
    fit = model.fit(x, y, batch_size=16, epochs=6, verbose=0, callbacks=[live])

    print("refreshes:", live.refreshes, " recorded steps:", insp.history.steps)
    assert insp.step == 12 and live.refreshes == 6
    assert insp.history.steps == [0, 2, 4, 6, 8, 10, 12]
    assert norms.history()["steps"] == [0, 2, 4, 6, 8, 10, 12]
    assert fit.history["loss"][-1] < fit.history["loss"][0]
    """),
    md("""
    ## Scrubbing back through training

    `insp.history.steps` lists the recorded steps; setting `w.step` (or moving its `step`
    slider) shows that snapshot without recomputing anything, `w.step = None` the latest.
    Each snapshot also keeps the training logs of its refresh (`insp.logs(step)`).
    """),
    code("""
    first, last = insp.history.steps[0], insp.history.steps[-1]
    frames = {}
    for step in insp.history.steps:
        heat.step = step                    # the heatmap above follows
        frames[step] = heat.view_data()
    heat.step = None                        # back to the latest

    assert all(frame.shape == (16, 50) for frame in frames.values())
    np.testing.assert_array_equal(frames[last], heat.view_data())
    assert not np.array_equal(frames[first], frames[last])   # training changed the gradients
    assert heat.step_control.layout.display is None          # the slider is shown
    for step in insp.history.steps[1:]:
        print(f"step {step:2d}: loss {insp.logs(step)['loss']:.4f}, "
              f"max |grad| {np.abs(frames[step]).max():.2e}")
    """),
    code("""
    hist.step = first                       # weights before training...
    before = hist.view_data()
    hist.step = None                        # ...and now
    after = hist.view_data()
    width = lambda h: h[("recurrent", "f")][1][-1] - h[("recurrent", "f")][1][0]
    print(f"recurrent forget-gate weights span {width(before):.3f} at step 0, "
          f"{width(after):.3f} at step {last}")
    assert width(after) > width(before)
    """),
    md("""
    ## A hand-written training loop

    With your own `tf.GradientTape` loop, call `live.tick(logs)` after each step.
    `optimizer.apply_gradients` moves the step counter the inspector watches.
    """),
    code("""
    import tensorflow as tf

    loss_fn = keras.losses.MeanSquaredError()
    optimizer = model.optimizer
    live = LiveRefresh(insp, every_n_batches=1, min_interval_s=0)

    for i in range(4):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        live.tick({"loss": float(loss)})

    print("recorded steps:", insp.history.steps)
    assert insp.step == 16 and live.refreshes == 4
    assert insp.history.steps[-4:] == [13, 14, 15, 16]
    assert insp.logs(16)["loss"] == float(loss)
    assert norms.history()["steps"][-4:] == [13, 14, 15, 16]
    assert heat.step is None and heat.view_data().shape == (16, 50)
    """),
    md("""
    `Inspector(..., history=16)` keeps up to 16 snapshots (11 so far, each recorded at the
    step of a refresh or of a first computation); beyond that the oldest are dropped first,
    and a widget scrubbed to a dropped step returns to the latest. The default is 8;
    `history=0` records nothing.
    """),
    code("""
    assert len(insp.history.steps) == 11 and insp.history.steps[0] == 0
    print(f"one snapshot holds {insp.history.nbytes(16) / 1e3:.0f} kB")
    """),
]

# --------------------------------------------------------------------------- gallery
GALLERY = [
    md("""
    # Gallery: see-rnn's README examples, rebuilt

    Each numbered example (EX 1-13) of
    [see-rnn's README](https://github.com/OverLordGoldDragon/see-rnn#examples), redone with
    seernn_widgets on Keras 3, on models trained here. **The models are smaller and trained
    for fewer iterations than in see-rnn** (a few units instead of 256-512, 20-100 iterations
    instead of 200-400, some with 50 timesteps instead of 100) so that the notebook runs in
    about a minute on 2 CPU cores; the CuDNN examples (EX 10, 11) use the plain Keras 3
    `LSTM`/`GRU` layers, which pick the cuDNN kernel by themselves on a GPU. Every example
    asserts what its text says, and everything is seeded.

    As in see-rnn, `rnn1` is the first recurrent layer (`return_sequences=True`) and
    `rnn2` the second (`return_sequences=False`), and gradients are of the loss with respect
    to a layer's output unless the example says weights.
    """),
    code(SETUP + "\n" + dedent("""
    def rnn_model(rnn, units, timesteps, channels, name):
        \"\"\"see-rnn's sandbox model: rnn(return_sequences=True) -> rnn(return_sequences=False).\"\"\"
        ipt = keras.Input((timesteps, channels))
        h = rnn(units, return_sequences=True, name="rnn1")(ipt)
        out = rnn(units, return_sequences=False, name="rnn2")(h)
        model = keras.Model(ipt, out, name=name)
        model.compile(keras.optimizers.Adam(4e-3), "mse")
        return model


    def make_data(samples, timesteps, channels, outputs, seed):
        \"\"\"Gaussian noise in, uniform targets out, as in see-rnn's sandbox.\"\"\"
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((samples, timesteps, channels)).astype("float32"),
                rng.uniform(-1, 1, (samples, outputs)).astype("float32"))


    def train(model, x, y, iterations):
        for _ in range(iterations):
            model.train_on_batch(x, y)


    def early_late(values, axis=-1, frac=0.1):
        \"\"\"Mean |value| over the first and the last 10% of `axis` (timesteps).\"\"\"
        values = np.moveaxis(np.abs(values), axis, -1)
        k = max(1, int(values.shape[-1] * frac))
        return values[..., :k].mean(), values[..., -k:].mean()


    def y_range(figure):
        scale = figure.marks[0].scales["y"]
        return scale.min, scale.max
    """)),
    md("""
    ## EX 1: bi-LSTM activations, `share_xy`

    A bidirectional LSTM with `activation='relu'` (8 units per direction, 16 channels, 50
    timesteps; see-rnn: 32 units, 100 timesteps), 20 iterations; outputs of sample 0, one
    plot per channel. With `share_xy=False` each plot has its own y range, which brings out
    each channel's *shape*; `share_xy=True` puts all on one range for an even comparison (and
    may flatten small channels). **Look for** channels of different bias, frequency and
    spread: independent features. With ReLU, and the output gate in (0, 1), every output is
    >= 0. (see-rnn's `y_zero=True` zero line has no counterpart here.)
    """),
    code("""
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
    lines = shared.view_data()
    assert list(lines) == list(range(16)) and all(v.shape == (1, 50) for v in lines.values())
    assert min(v.min() for v in lines.values()) >= 0            # ReLU outputs
    assert all(y_range(f) == (None, None) for f in own.grid.children)   # each plot its own
    ranges = {y_range(f) for f in shared.grid.children}
    assert len(ranges) == 1 and None not in ranges.pop()                # one range for all
    display(own, shared)
    """),
    md("""
    ## EX 2: vanishing gradients, one sample

    A uni-LSTM of 6 units over 100 timesteps, trained for 20 iterations; the gradient with
    respect to `rnn1`'s output for one sample (see-rnn: `features_1D(grads[:1], n_rows=2)`).
    Read it **right to left**, the way backpropagation computes it: the latest timesteps
    have the largest gradient and it dies out towards the left (*vanishing gradient*), so
    the early timesteps hardly influence learning. The cell checks that the mean |gradient|
    over the first 10% of timesteps is under a tenth of that over the last 10%.
    """),
    code("""
    x_a, y_a = make_data(16, 100, 4, 6, seed=2)
    lstm6 = rnn_model(keras.layers.LSTM, 6, 100, 4, name="lstm6")
    insp_a = Inspector(lstm6, x_a, y_a)
    train(lstm6, x_a, y_a, 20)

    ex2 = Features1D(insp_a, "rnn1", mode="gradients", sample=0, n_rows=2)
    grads = np.stack(list(ex2.view_data().values()))    # (channels, 1 sample, timesteps)
    assert grads.shape == (6, 1, 100)
    early, late = early_late(grads)
    print(f"step {insp_a.step}: mean |grad| first 10% {early:.1e}, last 10% {late:.1e}")
    assert early < late / 10
    ex2
    """),
    md("""
    ## EX 3: all samples, and the 2-D heatmap with `norm`

    Same model: all 16 samples overlaid (each sample one colour in every plot), and the
    gradient as a channels x timesteps heatmap with the colour range fixed to
    `norm=(-2e-3, 2e-3)` (blue -0.002, white 0, red +0.002; see-rnn used +-0.01, but these
    gradients are smaller). see-rnn's `features_2D` drew one subplot per sample;
    `Features2D` shows one sample at a time, with a `sample` slider.
    **Look for** the same right-heavy pattern in every sample.
    """),
    code("""
    ex3_lines = Features1D(insp_a, "rnn1", mode="gradients", n_rows=2)   # sample="all"
    ex3_heat = Features2D(insp_a, "rnn1", mode="gradients", norm=(-2e-3, 2e-3))
    grads_a = insp_a.gradients("rnn1")                  # (samples, timesteps, channels)
    assert all(v.shape == (16, 100) for v in ex3_lines.view_data().values())
    assert ex3_heat.view_data().shape == (6, 100)
    ex3_heat.sample = 5
    np.testing.assert_array_equal(ex3_heat.view_data(), grads_a[5].T)
    assert (ex3_heat.heatmap.colour_scale.min, ex3_heat.heatmap.colour_scale.max) == (-2e-3, 2e-3)
    early, late = early_late(grads_a, axis=1)
    assert early < late / 10                            # over all samples too
    step_20, ratio_20 = insp_a.step, early / late
    display(ex3_lines, ex3_heat)
    """),
    md("""
    ## EX 4: the same, 80 iterations later

    Training further (100 iterations in all; see-rnn: 200) and calling `insp_a.refresh()`
    redraws every widget of `insp_a` in place. The inspector keeps the snapshot of step 20,
    so any of them can be scrubbed back with `w.step = 20` (or its `step` slider): EX 2's and
    EX 3's line plots are pinned to step 20 here for comparison, while EX 3's heatmap stays
    live and now shows step 100 (slide its `step` back to compare). Below, all samples at
    step 100. **Look for** gradient that reaches further left than before: the first-10% /
    last-10% ratio grows by over 10x, yet the early timesteps still get little (in see-rnn's
    run it still vanished for about half the timesteps).
    """),
    code("""
    train(lstm6, x_a, y_a, 80)
    insp_a.refresh()                                     # EX 2 and EX 3 redraw...
    ex2.step = ex3_lines.step = step_20                  # ...their line plots back to step 20
    print("recorded steps:", insp_a.history.steps)
    assert insp_a.history.steps[-2:] == [step_20, 100]

    ex4 = Features1D(insp_a, "rnn1", mode="gradients", n_rows=2)    # step 100
    grads_100 = insp_a.gradients("rnn1")
    for channel, lines in ex4.view_data().items():
        np.testing.assert_array_equal(lines, grads_100[..., channel])
    for channel, lines in ex3_lines.view_data().items():           # pinned: still step 20
        np.testing.assert_array_equal(lines, grads_a[..., channel])
    np.testing.assert_array_equal(ex3_heat.view_data(), grads_100[5].T)   # live: step 100
    ex3_heat.step = step_20
    np.testing.assert_array_equal(ex3_heat.view_data(), grads_a[5].T)
    ex3_heat.step = None

    early, late = early_late(grads_100, axis=1)
    print(f"step 100: mean |grad| first 10% {early:.1e}, last 10% {late:.1e}; "
          f"ratio {ratio_20:.1e} at step 20, {early / late:.1e} now")
    assert early < late / 10 and early / late > 10 * ratio_20
    ex4
    """),
    md("""
    ## EX 5: 2-D vs 1-D

    A wider uni-LSTM (32 units; see-rnn: 256), 50 timesteps, 40 iterations. The heatmap shows
    **many channels** of one sample at once; the line plot of one channel overlays **many
    samples**. (see-rnn's `features_2D(grads[:, :, 0])` drew samples x timesteps of one
    channel as a heatmap; `Features2D` always shows channels x timesteps of one sample, so
    the per-channel view is `Features1D` with `channels=[0]`.) Both show the same numbers:
    row 0 of the heatmap is sample 0's line in the plot.
    """),
    code("""
    x_d, y_d = make_data(16, 50, 8, 32, seed=3)
    wide = {}
    for rnn in (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN):
        wide[rnn.__name__] = rnn_model(rnn, 32, 50, 8, name=f"wide_{rnn.__name__.lower()}")
    train(wide["LSTM"], x_d, y_d, 40)
    insp_lstm = Inspector(wide["LSTM"], x_d, y_d)

    ex5_2d = Features2D(insp_lstm, "rnn1", mode="gradients", norm=(-1e-3, 1e-3))
    ex5_1d = Features1D(insp_lstm, "rnn1", mode="gradients", channels=[0], n_rows=1)
    assert ex5_2d.view_data().shape == (32, 50)          # 32 channels x 50 timesteps
    assert ex5_1d.view_data()[0].shape == (16, 50)       # 16 samples x 50 timesteps
    np.testing.assert_array_equal(ex5_2d.view_data()[0], ex5_1d.view_data()[0][0])
    display(ex5_2d, ex5_1d)
    """),
    md("""
    ## EX 6: bi-GRU with `reflect_half`

    A bidirectional GRU (8 units per direction; see-rnn: 256), gradients of sample 0 with
    `reflect_half=True`: the backward half of the channels is flipped in time, so each half
    reads in the order its direction processed the sequence. **Look for** the two halves
    lighting up at opposite ends. Both halves' gradients come from the GRU on top and are
    large at late timesteps; reflected, the backward half's are large at the *left*.
    """),
    code("""
    x6, y6 = make_data(16, 50, 4, 4, seed=6)
    ipt = keras.Input((50, 4))
    h = keras.layers.Bidirectional(keras.layers.GRU(8, return_sequences=True), name="bigru")(ipt)
    bi_gru = keras.Model(ipt, keras.layers.GRU(4, name="head")(h), name="bi_gru")
    bi_gru.compile(keras.optimizers.Adam(4e-3), "mse")
    train(bi_gru, x6, y6, 20)
    insp6 = Inspector(bi_gru, x6, y6)

    ex6 = Features2D(insp6, "bigru", mode="gradients", reflect_half=True)
    image = ex6.view_data()                              # (16 channels, 50 timesteps)
    g0 = insp6.gradients("bigru")[0].T
    np.testing.assert_array_equal(image[:8], g0[:8])                # forward: as is
    np.testing.assert_array_equal(image[8:], g0[8:, ::-1])          # backward: flipped
    forward, backward = early_late(image[:8]), early_late(image[8:])
    assert forward[0] < forward[1] / 10                  # forward half: heavy at the right
    assert backward[1] < backward[0] / 10                # reflected backward half: at the left
    ex6.norm = (-1e-3, 1e-3)
    ex6
    """),
    md("""
    ## EX 7: 0-D, `return_sequences=False`

    `rnn2` of the 6-unit LSTM returns only its last state, so its gradient is one number per
    unit per sample. `Features0D` plots them, one colour per unit. One way to judge learning
    here is to compare the distribution early and later in training: scrub between the two
    recorded steps (`w.step`). **Look for** a clear change in spread between them.
    """),
    code("""
    ex7 = Features0D(insp_a, "rnn2", mode="gradients")
    late_grads = ex7.view_data()
    ex7.step = step_20
    early_grads = ex7.view_data()
    ex7.step = None
    assert late_grads.shape == early_grads.shape == (16, 6)    # samples x units
    print(f"std of rnn2's gradients: step {step_20} {early_grads.std():.2e}, "
          f"step 100 {late_grads.std():.2e}")
    assert not np.allclose(early_grads, late_grads)
    ex7
    """),
    md("""
    ## EX 8: LSTM vs GRU vs SimpleRNN

    The three 32-unit models of EX 5, same data, same optimizer, 40 iterations each, and the
    same colour range. As see-rnn notes, the comparison says little (each cell type wants
    other hyperparameters); the point is that one view compares them. **Look for** how far
    left each one's gradient reaches: in this run, as in see-rnn's, the LSTM's reaches
    furthest (the largest first-10% / last-10% ratio).
    """),
    code("""
    train(wide["GRU"], x_d, y_d, 40)
    train(wide["SimpleRNN"], x_d, y_d, 40)
    insp_gru = Inspector(wide["GRU"], x_d, y_d)
    insp_srnn = Inspector(wide["SimpleRNN"], x_d, y_d)
    ex8 = {name: Features2D(i, "rnn1", mode="gradients", norm=(-1e-3, 1e-3))
           for name, i in (("LSTM", insp_lstm), ("GRU", insp_gru), ("SimpleRNN", insp_srnn))}
    reach = {}
    for name, w in ex8.items():
        assert w.view_data().shape == (32, 50)
        early, late = early_late(w.view_data())
        reach[name] = early / late
        print(f"{name:9s} mean |grad| first 10% {early:.1e}, last 10% {late:.1e}")
    assert max(reach, key=reach.get) == "LSTM"
    display(*ex8.values())
    """),
    md("""
    ## EX 9: LSTM weights: `rnn_histogram` with `equate_axes`, and `rnn_heatmap`

    The 32-unit LSTM's weights (see-rnn: 256 units), by kernel and gate, bias left out.
    With `equate_axes=0` each subplot has its own ranges; with `equate_axes=1` the input and
    recurrent subplots share the same bins and y range: a fair comparison. The heatmap shows
    the same weights with their position kept (input x units, gates side by side) and the
    bias included. **Look for** the forget-gate bias: Keras initialises it to 1, the others
    to 0.
    """),
    code("""
    ex9_own = RNNHistogram(insp_lstm, "rnn1", equate_axes=0, bias=False)
    ex9_equal = RNNHistogram(insp_lstm, "rnn1", equate_axes=1, bias=False)
    ex9_heat = RNNHeatmap(insp_lstm, "rnn1")

    own, equal = ex9_own.view_data(), ex9_equal.view_data()
    assert list(equal) == [(k, g) for k in ("input", "recurrent") for g in "ifco"]   # no bias
    assert len({(e[0], e[-1]) for _, e in own.values()}) > 1           # ranges differ
    assert len({(e[0], e[-1]) for _, e in equal.values()}) == 1        # one shared range
    assert len({cell.y_scale.max for cell in ex9_equal.cells.values()}) == 1

    mats = ex9_heat.view_data()
    assert {k: m.shape for k, m in mats.items()} == {
        "input": (8, 128), "recurrent": (32, 128), "bias": (1, 128)}
    bias = mats["bias"][0].reshape(4, 32)                # gates i, f, c, o
    print("mean bias per gate (i, f, c, o):", bias.mean(axis=1).round(3))
    assert bias[1].mean() > 0.5 and np.abs(bias[[0, 2, 3]]).max() < 0.5
    display(ex9_own, ex9_equal, ex9_heat)
    """),
    md("""
    ## EX 10: bi-LSTM weights, `equate_axes=2` and a fixed `norm`

    see-rnn used a bidirectional `CuDNNLSTM`; Keras 3 has no such layer (its `LSTM` uses
    cuDNN itself on a GPU), so this is the plain bi-LSTM of EX 1 (8 units per direction;
    see-rnn: 256). `equate_axes=2` shares bins across all kernels, bias included; the
    heatmap of the backward direction uses `norm=(-.8, .8)`. (The CuDNN-specific bias
    layout see-rnn remarks on does not exist here: Keras 3 has one bias per gate.)
    """),
    code("""
    ex10_hist = RNNHistogram(insp1, "bilstm", direction="backward", equate_axes=2)
    ex10_heat = RNNHeatmap(insp1, "bilstm", direction="backward", norm=(-.8, .8))

    hists = ex10_hist.view_data()
    assert len(hists) == 12                                            # 3 kernels x 4 gates
    assert len({(e[0], e[-1]) for _, e in hists.values()}) == 1        # bias shares too
    cell = bi_lstm.get_layer("bilstm").backward_layer.cell
    np.testing.assert_array_equal(ex10_heat.view_data()["recurrent"], cell.recurrent_kernel.numpy())
    assert all((h.colour_scale.min, h.colour_scale.max) == (-.8, .8)
               for h in ex10_heat.heatmaps.values())
    display(ex10_hist, ex10_heat)
    """),
    md("""
    ## EX 11: GRU weight-gradients, `absolute_value=True`, greyscale

    see-rnn used a `CuDNNGRU` of 64 units; here the plain Keras 3 `GRU` of EX 8 (32 units).
    `absolute_value=True` shows gradient *intensity* from white (0) to black (max), which
    makes the gates stand out even without the separating lines. Keras 3's GRU
    (`reset_after=True`) has two bias rows: input and recurrent. **Look for** the most and
    least active gates: as in see-rnn's run, `new` is the most active gate of the input
    kernel (most error correction on letting information in) and `reset` the least active
    of the recurrent kernel.
    """),
    code("""
    ex11 = RNNHeatmap(insp_gru, "rnn1", mode="gradients", absolute_value=True)
    mats = ex11.view_data()
    assert {k: m.shape for k, m in mats.items()} == {
        "input": (8, 96), "recurrent": (32, 96), "bias": (2, 96)}
    assert all(m.min() >= 0 for m in mats.values())
    assert all(h.colour_scale.colors == ["#ffffff", "#000000"]      # white to black
               for h in ex11.heatmaps.values())
    per_gate = {}
    for kernel in ("input", "recurrent"):
        per_gate[kernel] = mats[kernel].reshape(len(mats[kernel]), 3, 32).mean(axis=(0, 2))
        print(f"{kernel:9s} mean |grad| by gate: " + ", ".join(
            f"{gate} {value:.1e}" for gate, value in zip(("update", "reset", "new"), per_gate[kernel])))
    assert per_gate["input"].argmax() == 2                # new
    assert per_gate["recurrent"].argmin() == 1            # reset
    ex11
    """),
    md("""
    ## EX 12: NaN detection

    NaNs planted in the 32-unit LSTM of EX 5 (see-rnn: 512 units) with `variable.assign`:
    2 rows of the input kernel's forget gate (64 values) and 5 values of the recurrent
    kernel's output gate. `assign` does not move the training step, so `refresh()` tells the
    widgets. A second `Inspector` on the same model is used (without labels: weights and
    outputs only), so the widgets of EX 5, 8 and 9 keep their clean pictures. The histogram
    counts NaN/Inf per kernel and gate in its subplot titles and leaves them out of the bars
    (never silently zeroed); `RNNHeatmap` counts them in its titles too and draws them
    yellow. The outputs, computed with NaN weights, are all NaN.

    (The heatmap is built and checked but not displayed: Chromium keeps at most 16 WebGL
    contexts per page, each heatmap figure takes one and an `RNNHeatmap` three, and the
    heatmaps above already hold 16; a 17th would blank the oldest.)
    """),
    code("""
    insp_nan = Inspector(wide["LSTM"], x_d)
    ex12 = RNNHistogram(insp_nan, "rnn1")
    ex12_heat = RNNHeatmap(insp_nan, "rnn1")
    assert not any("NaN" in c.figure.title for c in ex12.cells.values())

    cell = wide["LSTM"].get_layer("rnn1").cell
    kernel, recurrent = cell.kernel.numpy(), cell.recurrent_kernel.numpy()
    kernel[:2, 32:64] = np.nan                  # input kernel, forget gate: 64 NaNs
    recurrent[0, 96:101] = np.nan               # recurrent kernel, output gate: 5 NaNs
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent)
    insp_nan.refresh()

    titles = {key: c.figure.title for key, c in ex12.cells.items()}
    print(titles[("input", "f")], "|", titles[("recurrent", "o")], "|", detect_nans(kernel))
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
    ex12
    """),
    md("""
    ## EX 13: Conv1D weights as a 2-D grid

    A small Conv1D autoencoder with spatial dropout (16 filters of width 5 over 8 channels;
    see-rnn: 128 filters over 64 channels, a sparse autoencoder), 30 iterations. A 3-D kernel
    `(width, in_channels, filters)` is shown by `Features2D(mode="weights")`: the first axis
    (kernel position) takes the place of samples, so the slider steps through the 5 positions
    and each image is filters x input channels. see-rnn tiled all positions in one figure
    with `norm=(-.1, .1)`; here the colour range is automatic (+-max |weight| over all
    positions, so they compare). **Look for** bands: filters that are uniformly low, uniformly large, or large on a few
    input channels.
    """),
    code("""
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
    w = conv.get_layer("encoder").get_weights()[0]       # (width, in_channels, filters)
    assert w.shape == (5, 8, 16) and ex13.view_data().shape == (16, 8)
    for position in range(5):
        ex13.sample = position
        np.testing.assert_array_equal(ex13.view_data(), w[position].T)
    ex13.sample = 2
    peak = float(np.abs(w).max())   # auto norm: the whole kernel, so positions compare
    assert (ex13.heatmap.colour_scale.min, ex13.heatmap.colour_scale.max) == (-peak, peak)
    ex13
    """),
]

NOTEBOOKS = {"quickstart": QUICKSTART, "live_training": LIVE, "gallery": GALLERY}


def build(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(cells):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(new(source, id=f"{name}-{index:02d}"))   # stable ids: stable diffs
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        text = build(name, cells)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run python notebooks/make_notebooks.py): {stale}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
