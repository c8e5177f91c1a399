"""What live refreshing costs training: the issue's reference model
LSTM(256) -> LSTM(256), x (16, 100, 16), 60 batches, with
LiveRefresh(every_n_batches=10) and two widgets vs the same fit without.

Prints the wall-time ratio (target <= 1.15), the cost of one refresh and the
bytes one history snapshot holds. Widgets here have no browser attached, so
their messages are serialized but not sent."""
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from seernn_widgets import Features2D, Inspector, LiveRefresh, RNNHeatmap  # noqa: E402


def reference_model():
    keras.utils.set_random_seed(0)
    ipt = keras.Input((100, 16))
    h = keras.layers.LSTM(256, return_sequences=True, name="lstm_1")(ipt)
    model = keras.Model(ipt, keras.layers.LSTM(256, name="lstm_2")(h))
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


def timed_fit(model, x, y, callbacks):
    start = time.perf_counter()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main(rounds=4):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16 * 60, 100, 16)).astype("float32")
    y = rng.standard_normal((16 * 60, 256)).astype("float32")
    model = reference_model()
    insp = Inspector(model, x[:16], y[:16])
    views = [Features2D(insp, "lstm_1", mode="gradients"), RNNHeatmap(insp, "lstm_2")]
    timed_fit(model, x[:32], y[:32], [])           # trace the train step once
    plain, live_times, per_refresh = [], [], []
    for r in range(rounds):       # interleaved, order swapped each round: noise hits both
        live = LiveRefresh(insp, every_n_batches=10, min_interval_s=0)
        runs = [(plain, []), (live_times, [live])]
        for times, callbacks in (runs if r % 2 == 0 else runs[::-1]):
            times.append(timed_fit(model, x, y, callbacks))
        start = time.perf_counter()
        insp.refresh()
        per_refresh.append(time.perf_counter() - start)
    plain_s, live_s = statistics.median(plain), statistics.median(live_times)
    step = insp.history.steps[-1]
    print(f"live refresh benchmark: LSTM(256)->LSTM(256), x (16, 100, 16), 60 batches, "
          f"{len(views)} widgets, medians of {rounds}")
    print(f"  fit without LiveRefresh         {plain_s:7.2f} s")
    print(f"  fit with LiveRefresh(every 10)  {live_s:7.2f} s   "
          f"({live.refreshes} refreshes)")
    print(f"  wall-time ratio                 {live_s / plain_s:7.2f}   (target <= 1.15)")
    print(f"  one refresh (pass + redraw)     {1e3 * statistics.median(per_refresh):7.1f} ms")
    print(f"  one history snapshot            {insp.history.nbytes(step) / 2**20:7.1f} MiB "
          f"(history={insp.history.size} keeps up to "
          f"{insp.history.size * insp.history.nbytes(step) / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
