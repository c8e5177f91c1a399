"""What the page twins' tables (views/_browser.py TwinSlicer.send_table)
cost one `insp.refresh()`, per view, without a browser.

Run:  python bench/twin_tables.py [--repeats N] [--profile VIEW]

The demo model (seernn_widgets.demo: LSTM(16) -> Bidirectional(LSTM(8)) ->
GRU(8) -> Dense, 32 samples of 50 timesteps); per view the median ms of
`send_table` during a refresh, the rows and bytes sent. --profile VIEW
prints cProfile's top functions of that view's tables.
"""
import argparse
import cProfile
import json
import os
import pstats
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from seernn_widgets import Features0D, Features1D, Inspector, RNNHistogram, WeightNorms  # noqa: E402
from seernn_widgets.demo import make_data, make_model  # noqa: E402
from seernn_widgets.views import _browser  # noqa: E402


def views(insp):
    return {"Features0D": Features0D(insp, "gru"),
            "Features1D": Features1D(insp, "bilstm"),
            "Features1D lstm": Features1D(insp, "lstm"),
            "RNNHistogram": RNNHistogram(insp, "bilstm"),
            "WeightNorms": WeightNorms(insp)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    x, y = make_data()
    insp = Inspector(make_model(), x, y)
    shown = views(insp)
    by_slicer = {id(v.slicer): name for name, v in shown.items()}
    spent = {name: [] for name in shown}
    send = _browser.TwinSlicer.send_table
    profiler = cProfile.Profile() if args.profile else None

    def timed(self, *a, **k):
        profile = profiler if by_slicer.get(id(self)) == args.profile else None
        t = time.perf_counter()
        if profile:
            profile.enable()
        try:
            return send(self, *a, **k)
        finally:
            if profile:
                profile.disable()
            if id(self) in by_slicer:
                spent[by_slicer[id(self)]].append(time.perf_counter() - t)

    _browser.TwinSlicer.send_table = timed
    refresh = []
    try:
        for _ in range(args.repeats):
            t = time.perf_counter()
            insp.refresh()
            refresh.append(time.perf_counter() - t)
    finally:
        _browser.TwinSlicer.send_table = send
    print(f"one insp.refresh() with these views: {1e3 * statistics.median(refresh):.0f} ms"
          f" (median of {args.repeats})")
    for name, view in shown.items():
        state = view.slicer.state
        print(f"  {name:16} {1e3 * statistics.median(spent[name]):7.1f} ms"
              f"  {len(view.slicer.rows()):4} rows"
              f"  {(len(json.dumps(state)) + len(view.slicer.cube)) / 1e3:7.0f} kB")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
