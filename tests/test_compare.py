"""`compare=`: a view of two runs (or inspectors) of one model layout shows
a - b, with its usual controls; checked against the two sources' own arrays."""
import numpy as np
import pytest

from seernn_widgets import (
    Features2D,
    Inspector,
    Recorder,
    RNNHeatmap,
    RNNHistogram,
    Run,
    WeightNorms,
)
from seernn_widgets.demo import make_data, make_model
from seernn_widgets.stats import column_norms


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of the demo model from other seeds, recorded at steps 1-4,
    and one more step in run a only."""
    root = tmp_path_factory.mktemp("runs")
    x, y = make_data(n_samples=16)
    paths = []
    for seed, extra in ((0, 1), (1, 0)):
        model = make_model(seed=seed)
        insp = Inspector(model, x[:4], y[:4])
        rec = Recorder(insp, root / f"run{seed}")
        for _ in range(4 + extra):
            model.train_on_batch(x[:8], y[:8])
            rec.record()
        paths.append(root / f"run{seed}")
    return Run(paths[0]), Run(paths[1])


def test_views_show_a_minus_b_at_the_latest_common_step(runs):
    a, b = runs
    common = sorted(set(a.steps) & set(b.steps))
    assert common == [1, 2, 3, 4] and a.steps[-1] == 5
    f2 = Features2D(a, "lstm", compare=b)
    np.testing.assert_allclose(f2.view_data(), (a.outputs("lstm", 4) - b.outputs("lstm", 4))[0].T)
    assert f2.heatmap.figure.title.startswith("demo - demo: lstm outputs")
    f2.set_controls(step=2, sample=3)
    np.testing.assert_allclose(f2.view_data(), (a.outputs("lstm", 2) - b.outputs("lstm", 2))[3].T)
    with pytest.raises(Exception, match="step"):
        f2.step = 5   # in run a only: nothing to compare it with

    hm = RNNHeatmap(a, "bilstm", mode="gradients", compare=b)
    want = (a.rnn("bilstm", "gradients", 4).arrays[("forward", "recurrent")]
            - b.rnn("bilstm", "gradients", 4).arrays[("forward", "recurrent")])
    got = hm.inspector.rnn("bilstm", "gradients").arrays[("forward", "recurrent")]
    np.testing.assert_allclose(got, want)
    assert np.abs(want).max() > 0

    hist = RNNHistogram(a, "gru", compare=b)
    weights = hist.inspector.rnn("gru").arrays[("forward", "input")]
    np.testing.assert_allclose(weights, a.weights("gru", 4)[0] - b.weights("gru", 4)[0])

    norms = WeightNorms(a, compare=b)   # how far apart the weights are, per common step
    history = norms.history("gru")
    assert history["steps"] == common
    kernel = a.weight_names("gru")[0]
    expected = [column_norms(a.weights("gru", s)[0] - b.weights("gru", s)[0]).max()
                for s in common]
    np.testing.assert_allclose(history["norms"][kernel]["max"], expected, rtol=1e-6)


def test_two_live_inspectors_compare_as_they_are_now():
    x, y = make_data(n_samples=8)
    a, b = (Inspector(make_model(seed=s), x[:4], y[:4]) for s in (0, 1))
    f2 = Features2D(a, "lstm", compare=b)
    np.testing.assert_allclose(f2.view_data(), (a.outputs("lstm") - b.outputs("lstm"))[0].T)


def test_compare_refuses_another_layout_and_leaves_nothing_open(runs):
    a, _ = runs
    x, y = make_data(n_samples=8)
    other = Inspector(make_model(units=8), x[:4], y[:4])
    with pytest.raises(ValueError, match="one model layout"):
        Features2D(a, "lstm", compare=other)
    with pytest.raises(ValueError, match="another source"):
        Features2D(a, "lstm", compare=a)
