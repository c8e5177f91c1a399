"""Gate activations: their cost against one training step, and a gate switch
in Features2D (Python side), on issue 14's reference model.

LSTM(256, return_sequences=True) -> Dense(1) on x (16, 100, 32); and the
same LSTM returning only its last state (its hidden sequence is then
recomputed by an RNN over its cell). Rounds: each case runs once per round,
so slow spells of the machine fall on all of them alike; medians and their
ratios, measured in one run.

    python bench/gates.py [--rounds 15]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seernn_widgets import Features2D, Inspector  # noqa: E402


def model(return_sequences):
    keras.utils.set_random_seed(0)
    inp = keras.Input((100, 32))
    h = keras.layers.LSTM(256, return_sequences=return_sequences, name="lstm")(inp)
    out = keras.layers.Dense(1)(h)
    m = keras.Model(inp, out)
    m.compile(keras.optimizers.Adam(1e-3), "mse")
    return m


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(rounds):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 100, 32)).astype("float32")
    cases = {}
    for sequences in (True, False):
        m = model(sequences)
        y = rng.standard_normal((16, 100, 1) if sequences else (16, 1)).astype("float32")
        insp = Inspector(m, x, y)
        m.train_on_batch(x, y)   # warm: traced, as in a live session
        insp.outputs("lstm")

        def gates(insp=insp):
            insp._snapshot.pop("gates", None)   # computed afresh, the pass kept
            insp.gates("lstm")
        gates()
        cases[f"train step ({'seq' if sequences else 'last'})"] = lambda m=m, y=y: (
            m.train_on_batch(x, y))
        cases[f"gates ({'seq' if sequences else 'last'})"] = gates
    view = Features2D(Inspector(model(True), x), "lstm", mode="gates")
    order = iter(["i", "f", "c", "o"] * (rounds + 1))
    cases["Features2D gate switch"] = lambda: setattr(view, "gate", next(order))
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            times[name].append(timed(fn))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, value in med.items():
        print(f"{name:32s} {value * 1e3:8.1f} ms")
    for kind in ("seq", "last"):
        ratio = med[f"gates ({kind})"] / med[f"train step ({kind})"]
        print(f"gates / train step ({kind}): {ratio:.3f}"
              "  (target <= 0.3)")
    print(f"gate switch: {med['Features2D gate switch'] * 1e3:.1f} ms  (target <= 10 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    main(parser.parse_args().rounds)
