"""Peak memory for the big-data case: a batch of 512 samples x 2000
timesteps feeding a 1024-unit layer. The inspector keeps `max_samples` of
them (64 by default), so its memory is bounded whatever the batch size.
Prints resident-memory growth (psutil) per stage."""
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from seernn_widgets import Features2D, Inspector  # noqa: E402

MB = 2 ** 20


def rss():
    return psutil.Process().memory_info().rss


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 2000, 8)).astype("float32")
    y = rng.standard_normal((512, 1)).astype("float32")
    ipt = keras.Input((2000, 8))
    h = keras.layers.Dense(1024, activation="tanh", name="wide")(ipt)
    out = keras.layers.Dense(1, name="out")(keras.layers.GlobalAveragePooling1D(name="pool")(h))
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    full_output = 512 * 2000 * 1024 * 4
    base = rss()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        insp = Inspector(model, x, y)
    insp.gradients("wide")
    after_pass = rss()
    view = Features2D(insp, "wide", mode="gradients")
    before_refresh = rss()
    growth = []   # resident memory after each of 5 refreshes: bounded, not growing
    for _ in range(5):
        insp.refresh()
        growth.append((rss() - before_refresh) / MB)
    after_refresh = rss()
    kept = insp.outputs("wide").nbytes + insp.gradients("wide").nbytes
    print("memory benchmark: x (512, 2000, 8) -> Dense(1024) (one layer output of the whole "
          f"batch would be {full_output / MB:.0f} MiB)")
    print(f"  warning: {caught[0].message if caught else 'none'}")
    print(f"  inspector: first pass (outputs + gradients)   +{(after_pass - base) / MB:7.0f} MiB "
          f"resident ({kept / MB:.0f} MiB of arrays kept for 'wide')")
    grown = (after_refresh - before_refresh) / MB
    print(f"  Features2D + 5 refreshes                      +{grown:7.0f} MiB "
          f"(after each: {', '.join(f'{g:.0f}' for g in growth)} MiB; image drawn: "
          f"{view.view_data().nbytes / MB:.1f} MiB, shape {view.view_data().shape})")
    print(f"  snapshot held by the history: {insp.history.nbytes(insp.step) / MB:.0f} MiB; "
          f"process peak so far {psutil.Process().memory_info().rss / MB:.0f} MiB")


if __name__ == "__main__":
    main()
