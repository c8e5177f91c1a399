"""Python-side cost of a control change (no browser): the issue's reference
layer Bidirectional(LSTM(256)), x (16, 100, 32). A change re-slices the
inspector's cached arrays and hands the float32 slice to the mark; it must
not recompute the model (the pass count is printed)."""
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from seernn_widgets import Features2D, Inspector, RNNHeatmap, RNNHistogram  # noqa: E402


def main(repeats=21):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 100, 32)).astype("float32")
    y = rng.standard_normal((16, 100, 512)).astype("float32")
    ipt = keras.Input((100, 32))
    out = keras.layers.Bidirectional(keras.layers.LSTM(256, return_sequences=True),
                                     name="bilstm")(ipt)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    insp = Inspector(model, x, y)
    features = Features2D(insp, "bilstm", mode="gradients")
    heatmap = RNNHeatmap(insp, "bilstm", mode="gradients")
    histogram = RNNHistogram(insp, "bilstm")
    passes = insp.compute_count
    gates = ("i", "f", "c", "o", "all")
    changes = {
        "Features2D sample": lambda i: setattr(features, "sample", i % 16),
        "Features2D direction": lambda i: setattr(features, "direction",
                                                  ("forward", "backward", "both")[i % 3]),
        "Features2D reflect_half": lambda i: setattr(features, "reflect_half", bool(i % 2)),
        "Features2D norm": lambda i: setattr(features, "norm", (-0.01 * (1 + i % 2), 0.01)),
        "RNNHeatmap gate": lambda i: setattr(heatmap, "gate", gates[i % 5]),
        "RNNHeatmap direction": lambda i: setattr(heatmap, "direction",
                                                  ("forward", "backward")[i % 2]),
        "RNNHistogram gate": lambda i: setattr(histogram, "gate", gates[i % 5]),
    }
    print("widget control changes on Bidirectional(LSTM(256)), x (16, 100, 32)")
    for name, change in changes.items():
        times = []
        for i in range(1, repeats + 1):
            start = time.perf_counter()
            change(i)
            times.append(time.perf_counter() - start)
        print(f"  {name:<24} median {1e3 * statistics.median(times):6.2f} ms   (target < 10 ms)")
    print(f"  inspector passes during {len(changes) * repeats} changes: "
          f"{insp.compute_count - passes} (target 0)")


if __name__ == "__main__":
    main()
