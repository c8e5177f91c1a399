"""Recording runs (`Recorder` writes, `Run` reads back): what it costs.

1. Training: `model.fit` of bench/live.py's reference model (LSTM(256) ->
   LSTM(256), x (16, 100, 16), 20 batches) with `Recorder(every_n_batches=10)`
   vs plain, and (not with --quick) with `LiveRefresh(every_n_batches=10)` (no
   widgets, the same inspector: the same passes, nothing written) for
   context; alternating, a fresh run directory each fit. Target: recorded /
   plain <= 1.10 (the ratio of the medians). Also the median of each round's
   ratio (its fits run back to back), and the time spent in the callbacks'
   records/refreshes themselves, which a fit slowed by another process on
   the machine does not move.
2. One snapshot's write vs one refresh: `recorder.record()` with the
   inspector's arrays already computed at that step (the pure write) vs
   `inspector.refresh()` plus everything a recorder records (outputs, masks,
   gradients, weights, weight-gradients). Target: write <= 20% of a refresh.
3. A snapshot's bytes: its listed nbytes, its chunk files, the whole run
   directory, for the demo model and for 2 x LSTM(256) (16 samples each).
4. A 1000-snapshot run of the demo model (the optimizer's step advanced
   between records, a `train_on_batch` every 10th): opening it (`Run(path)`,
   target <= 1 s), reading one older step's outputs, and scrubbing
   `Features2D(run, 'lstm')` to an older step (`view.step = s`: read + draw
   in Python, no browser; target <= 100 ms).

Prints medians measured in one run and their ratios (machines here are noisy:
compare ratios), then a table of targets. Run directories go to a temporary
directory, removed at the end.

    python bench/recording.py            # ~4.5 minutes on 2 cores
    python bench/recording.py --quick    # fewer repeats, no LiveRefresh: ~3 minutes
"""
import argparse
import os
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import zarr  # noqa: E402
from live import reference_model, timed_fit  # noqa: E402  (bench/live.py)

from seernn_widgets import Features2D, Inspector, LiveRefresh, Recorder, Run  # noqa: E402
from seernn_widgets import _run_store as store  # noqa: E402
from seernn_widgets.demo import make_data, make_model  # noqa: E402

MiB = 2 ** 20
results = []   # (what, measured, target, met)


def result(what, measured, target, met):
    results.append((what, measured, target, "yes" if met else "NO"))


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(path) for f in files)


def listing(path):
    """The run's listing: [[slot, step, logs, nbytes]] (see _run_store)."""
    markers = store.read_markers(store.open_store(path, "r"), {})
    return [[slot, m["step"], m["logs"], m["nbytes"]] for slot, m in markers.items()]


def snapshot_files_bytes(path, slot):
    """Bytes of the chunk files holding snapshot `slot` (one per kind)."""
    kinds = zarr.open_group(store.open_store(path, "r"), mode="r").attrs[
        "seernn_widgets"]["layout"]
    return sum(os.path.getsize(os.path.join(path, store.chunk_key(kind, slot)))
               for kind in kinds)


def timing(callback, spent):
    """`callback` (a LiveRefresh or Recorder), appending to `spent` the
    seconds each of its due refreshes takes (a record, for a Recorder)."""
    act = callback._act

    def timed_act(logs):
        start = time.perf_counter()
        try:
            return act(logs)
        finally:
            spent.append(time.perf_counter() - start)

    callback._act = timed_act
    return callback


def record_everything(insp):
    """What a recorder asks the inspector for (the cost of one refresh)."""
    for name in insp.layer_names:
        insp.outputs(name), insp.mask(name)
        if insp.reaches_loss(name):
            insp.gradients(name)
        insp.weights(name)
    insp.weight_gradients()


# -- 1. and 2.: the reference model ----------------------------------------------------
def training_overhead(tmp, rounds, batches, with_live):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16 * batches, 100, 16)).astype("float32")
    y = rng.standard_normal((16 * batches, 256)).astype("float32")
    model = reference_model()
    insp = Inspector(model, x[:16], y[:16])
    timed_fit(model, x[:32], y[:32], [])    # trace the train step
    # the inspector's passes, traced, then compiled by XLA once trained
    timed_fit(model, x[:160], y[:160], [Recorder(insp, os.path.join(tmp, "warm"),
                                                 every_n_batches=5)])
    plain, recorded, live = [], [], []
    in_record, in_refresh = [], []   # seconds in each callback's work (its `_act`)
    for r in range(rounds):      # interleaved, order rotated each round: noise hits all
        path = os.path.join(tmp, f"fit-{r}")
        rec = timing(Recorder(insp, path, every_n_batches=10), in_record)
        fits = [(plain, []), (recorded, [rec])]
        if with_live:
            fits.append((live, [timing(LiveRefresh(insp, every_n_batches=10,
                                                   min_interval_s=0), in_refresh)]))
        for times, callbacks in fits[r % len(fits):] + fits[:r % len(fits)]:
            times.append(timed_fit(model, x, y, callbacks))
        records = rec.recorded
        shutil.rmtree(path)
    plain_s, rec_s = statistics.median(plain), statistics.median(recorded)
    print(f"1. training: LSTM(256)->LSTM(256), x (16, 100, 16), {batches} batches, "
          f"medians of {rounds} fits")
    print(f"  fit                                  {plain_s:7.2f} s")
    print(f"    every fit (s): plain {' '.join(f'{t:.1f}' for t in plain)}; recorded "
          f"{' '.join(f'{t:.1f}' for t in recorded)}"
          + (f"; live {' '.join(f'{t:.1f}' for t in live)}" if with_live else ""))
    print(f"  fit + Recorder(every 10)             {rec_s:7.2f} s   ratio "
          f"{rec_s / plain_s:.3f}  (target <= 1.10; median of the rounds' ratios "
          f"{statistics.median(a / b for a, b in zip(recorded, plain)):.3f})")
    one = statistics.median(in_record)
    print(f"    {records} record() a fit, {1e3 * one:.0f} ms each (median): "
          f"(fit + {records} x that) / fit = {1 + records * one / plain_s:.3f}")
    if with_live:
        live_s = statistics.median(live)
        print(f"  fit + LiveRefresh(every 10)          {live_s:7.2f} s   ratio "
              f"{live_s / plain_s:.3f}  (the same passes, nothing written; rounds' "
              f"{statistics.median(a / b for a, b in zip(live, plain)):.3f})")
        one = statistics.median(in_refresh)
        print(f"    {records} refresh() a fit, {1e3 * one:.0f} ms each (median): "
              f"(fit + {records} x that) / fit = {1 + records * one / plain_s:.3f}")
    result("fit + Recorder / fit", f"{rec_s / plain_s:.3f}", "<= 1.10",
           rec_s / plain_s <= 1.10)
    return model, insp, x, y


def write_vs_refresh(tmp, model, insp, x, y, repeats):
    rec = Recorder(insp, os.path.join(tmp, "write"))
    model.train_on_batch(x[:16], y[:16])
    rec.record()     # creates the group
    refresh, write = [], []
    for _ in range(repeats):
        model.train_on_batch(x[:16], y[:16])
        refresh.append(timed(lambda: (insp.refresh(), record_everything(insp))))
        passes = insp.compute_count
        write.append(timed(rec.record))
        assert insp.compute_count == passes, "record() ran a pass: the cache was not used"
    refresh_s, write_s = statistics.median(refresh), statistics.median(write)
    nbytes = listing(rec.path)[-1][3]
    print(f"2. one snapshot ({nbytes / MiB:.1f} MiB) of the same model, medians of {repeats}")
    print(f"  refresh + everything recorded        {1e3 * refresh_s:7.1f} ms")
    print(f"  record() at that step (the write)    {1e3 * write_s:7.1f} ms   ratio "
          f"{write_s / refresh_s:.3f}  (target <= 0.20; "
          f"{nbytes / MiB / write_s:.0f} MiB/s)")
    result("record() / refresh", f"{write_s / refresh_s:.3f}", "<= 0.20",
           write_s / refresh_s <= 0.20)
    shutil.rmtree(rec.path)


# -- 3. sizes ----------------------------------------------------------------------------
def lstm256x2():
    keras.utils.set_random_seed(0)
    ipt = keras.Input((100, 32))
    h = keras.layers.LSTM(256, return_sequences=True, name="lstm_1")(ipt)
    h = keras.layers.LSTM(256, name="lstm_2")(h)
    model = keras.Model(ipt, keras.layers.Dense(1, name="dense")(h), name="lstm256x2")
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    rng = np.random.default_rng(0)
    return (model, rng.standard_normal((16, 100, 32)).astype("float32"),
            rng.standard_normal((16, 1)).astype("float32"))


def sizes(tmp):
    x, y = make_data()
    cases = [("demo model", make_model(), x[:16], y[:16]), ("2 x LSTM(256)", *lstm256x2())]
    print("3. one snapshot on disk (16 samples; every kind recorded)")
    print(f"  {'model':<15} {'listed nbytes':>14} {'chunk files':>14} {'run directory':>14}")
    for label, model, xs, ys in cases:
        path = os.path.join(tmp, "size")
        Recorder(Inspector(model, xs, ys), path).record()
        (slot, _, _, nbytes), = listing(path)
        files = snapshot_files_bytes(path, slot)
        print(f"  {label:<15} {nbytes:>14,} {files:>14,} {dir_bytes(path):>14,}")
        result(f"snapshot chunk files, {label}", f"{files / MiB:.2f} MiB",
               "= listed", files == nbytes)   # stored raw: sizes are exact
        shutil.rmtree(path)


# -- 4. a long run --------------------------------------------------------------------------
def long_run(tmp, steps, repeats):
    x, y = make_data()
    model = make_model()
    insp = Inspector(model, x[:16], y[:16])
    path = os.path.join(tmp, "long")
    rec = Recorder(insp, path)
    record_everything(insp)   # every kind asked for once: from now on one pass a step
    passes, writes, start = [], [], time.perf_counter()
    for i in range(steps):
        if i % 10 == 0:   # new weights every 10 steps (the pictures differ along the run)
            model.train_on_batch(x[:16], y[:16])
        else:             # otherwise only the step moves, which is what drops the cache
            model.optimizer.iterations.assign_add(1)
        count = insp.compute_count
        passes.append(timed(lambda: record_everything(insp)))
        assert insp.compute_count == count + 1, "the step moved but the pass was cached"
        writes.append(timed(rec.record))
    total = time.perf_counter() - start
    first, last = (statistics.median(w) for w in (writes[:100], writes[-100:]))
    print(f"4. a {steps}-snapshot run of the demo model, written in {total:.0f} s "
          f"({dir_bytes(path) / MiB:.0f} MiB on disk); a pass {1e3 * statistics.median(passes):.1f}"
          f" ms, a record() {1e3 * first:.1f} ms (first 100) .. {1e3 * last:.1f} ms "
          f"(last 100; one marker object per record)")
    opens = [timed(lambda: Run(path)) for _ in range(repeats)]
    open_s = statistics.median(opens)
    run = Run(path)
    assert len(run.steps) == steps, (len(run.steps), steps)
    start = time.perf_counter()
    view = Features2D(run, "lstm")
    made_s = time.perf_counter() - start
    # older steps, each read once (colder than the run's row cache), spread over the run
    older = run.steps[:-1][::max(1, (steps - 1) // (2 * repeats))][:2 * repeats]
    reads, scrubs = [], []
    for i, step in enumerate(older):
        if i % 2:
            reads.append(timed(lambda step=step: run.outputs("lstm", step=step)))
        else:
            scrubs.append(timed(lambda step=step: setattr(view, "step", step)))
            assert view.step == step
    read_s, scrub_s = statistics.median(reads), statistics.median(scrubs)
    print(f"  Run(path)                            {1e3 * open_s:7.1f} ms   "
          f"(target <= 1000 ms; median of {repeats})")
    print(f"  Features2D(run, 'lstm')              {1e3 * made_s:7.1f} ms   (once)")
    print(f"  run.outputs('lstm', older step)      {1e3 * read_s:7.1f} ms   "
          f"(median of {len(reads)})")
    print(f"  view.step = older step (read + draw) {1e3 * scrub_s:7.1f} ms   "
          f"(target <= 100 ms; median of {len(scrubs)})")
    result(f"Run(path), {steps} snapshots", f"{1e3 * open_s:.0f} ms", "<= 1000 ms",
           open_s <= 1.0)
    result("Features2D scrub to a step", f"{1e3 * scrub_s:.0f} ms", "<= 100 ms",
           scrub_s <= 0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    quick = parser.parse_args().quick
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="seernn-bench-") as tmp:
        model, insp, x, y = training_overhead(tmp, rounds=3 if quick else 5, batches=20,
                                              with_live=not quick)
        write_vs_refresh(tmp, model, insp, x, y, repeats=5 if quick else 15)
        sizes(tmp)
        long_run(tmp, steps=1000, repeats=5 if quick else 11)
    print(f"\n{'result':<36} {'measured':>10} {'target':>12}  met")
    for what, measured, target, met in results:
        print(f"{what:<36} {measured:>10} {target:>12}  {met}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
