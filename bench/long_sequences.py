"""Drawing long sequences at screen resolution: a Conv1D(256) output of
16 samples x 20 000 timesteps. Prints, measured in one run, what one
Features2D / Features1D sample change costs and sends with the default
time_resolution against drawing every timestep (bytes sent to the page and
uploaded as a texture per change), and how much of a spike planted in one
timestep is still drawn."""
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from seernn_widgets import Features1D, Features2D, Inspector  # noqa: E402

STEPS, UNITS = 20_000, 256


def median_ms(view, repeats=9):
    times = []
    for i in range(1, repeats + 1):
        start = time.perf_counter()
        view.sample = i % 16
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((16, STEPS, 4)).astype("float32")
    x[:, 12_345] = 100.0                        # one timestep spikes in every sample
    model = keras.Sequential([keras.Input((STEPS, 4)), keras.layers.Conv1D(UNITS, 1, name="conv")])
    insp = Inspector(model, x)
    peak = np.abs(insp.outputs("conv")[:, 12_345]).max()
    print(f"long sequences: Conv1D({UNITS}) output, x (16, {STEPS}, 4)")
    for cls, full in ((Features2D, STEPS), (Features1D, STEPS // 2)):
        kwargs = {"channels": [0, 1, 2, 3]} if cls is Features1D else {}
        binned = cls(insp, "conv", **kwargs)
        every = cls(insp, "conv", time_resolution=full, **kwargs)
        ms_binned, ms_every = median_ms(binned), median_ms(every)
        sent_binned, sent_every = drawn_bytes(binned) / 2**20, drawn_bytes(every) / 2**20
        print(f"  {cls.__name__}: sample change {ms_binned:5.1f} ms, sends {sent_binned:5.2f} MiB "
              f"at time_resolution={binned.time_resolution}; every timestep: {ms_every:5.1f} ms, "
              f"{sent_every:5.2f} MiB (ratios {ms_binned / ms_every:.2f} in time, "
              f"{sent_binned / sent_every:.3f} in bytes)")
    spike = np.abs(Features2D(insp, "conv").view_data()).max() / peak
    print(f"  the one-timestep spike is drawn at {spike:.0%} of its height")


def drawn_bytes(view):
    """Bytes of the arrays the view hands to its marks for one sample."""
    if isinstance(view, Features2D):
        return view.heatmap.mark.image.nbytes
    return sum(m.x.nbytes + m.y.nbytes for f in view.grid.children for m in f.marks[:1])

if __name__ == "__main__":
    main()
