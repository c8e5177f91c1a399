"""Inspector refresh cost vs one training step, on the issue's reference model,
on each Keras backend (TensorFlow, JAX: a subprocess each, Keras picks its
backend at import).

LSTM(256, return_sequences=True) -> LSTM(256), x (16, 100, 16). Prints medians
measured in one run and their ratio (machines here are noisy: compare ratios).
The warm-up trains, so the TensorFlow engine XLA-compiles its passes, as it
does for live refreshes during training (`_engine.Engine._call`); the JAX
engine always jits.

    python bench/inspector.py                 # both backends
    python bench/inspector.py --backend jax   # one
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BACKENDS = ("tensorflow", "jax")
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--backend", choices=BACKENDS, help="only this backend")
BACKEND = parser.parse_args().backend
if BACKEND is not None:
    os.environ["KERAS_BACKEND"] = BACKEND   # before keras is imported

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seernn_widgets import Inspector  # noqa: E402


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats=15):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 100, 16)).astype("float32")
    y = rng.standard_normal((16, 256)).astype("float32")

    def make_model():
        ipt = keras.Input((100, 16))
        h = keras.layers.LSTM(256, return_sequences=True, name="lstm_1")(ipt)
        model = keras.Model(ipt, keras.layers.LSTM(256, name="lstm_2")(h))
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    model = make_model()
    # a look before any training: its engine never compiles with XLA
    untrained = make_model()
    untrained.set_weights(model.get_weights())
    first_look = Inspector(untrained, x, y)

    def refresh(weight_gradients):
        insp.refresh()
        for name in ("lstm_1", "lstm_2"):
            insp.outputs(name), insp.gradients(name)
            if weight_gradients:
                insp.gradients(name, "weights")

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    light = Inspector(model, x, y)  # never asked for weight-gradients
    insp = Inspector(model, x, y)
    for _ in range(3):  # trace and warm up all three
        model.train_on_batch(x, y)
        light.refresh(), light.gradients("lstm_1")
        refresh(True)
        first_look.refresh(), first_look.gradients("lstm_1", "weights")
    # interleaved, so that machine noise hits all alike
    train, outputs_only, full, plain = [], [], [], []
    passes_before = insp.compute_count
    for _ in range(repeats):
        train.append(timed(lambda: model.train_on_batch(x, y)))
        plain.append(timed(lambda: (first_look.refresh(),
                                    first_look.gradients("lstm_1", "weights"))))
        outputs_only.append(timed(lambda: (light.refresh(), light.outputs("lstm_1"),
                                           light.gradients("lstm_2"))))
        full.append(timed(lambda: refresh(True)))
    train_s = statistics.median(train)
    out_s, full_s = statistics.median(outputs_only), statistics.median(full)
    plain_s = statistics.median(plain)
    cached_s = median_seconds(lambda: insp.gradients("lstm_2"), 200)
    print(f"inspector benchmark ({keras.backend.backend()} backend): LSTM(256)->LSTM(256), "
          f"x (16, 100, 16), medians of {repeats}")
    print(f"  train_on_batch                         {1e3 * train_s:7.1f} ms")
    print(f"  refresh: outputs + output-grads        {1e3 * out_s:7.1f} ms   "
          f"ratio {out_s / train_s:.2f}  (target <= 0.5)")
    print(f"  refresh: + weight-grads of both layers {1e3 * full_s:7.1f} ms   "
          f"ratio {full_s / train_s:.2f}  (target <= 0.9)")
    print(f"  the same before any training           {1e3 * plain_s:7.1f} ms   "
          f"ratio {plain_s / train_s:.2f}")
    print(f"  cached repeat request                  {1e3 * cached_s:7.3f} ms (target < 1 ms)")
    passes = (insp.compute_count - passes_before) / repeats
    print(f"  passes per full refresh                {passes:7.2f}")


if __name__ == "__main__":
    if BACKEND is None:   # each in a process of its own
        for backend in BACKENDS:
            subprocess.run([sys.executable, __file__, "--backend", backend], check=True)
    else:
        main()
