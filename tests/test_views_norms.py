"""WeightNorms records per-column l2 norm statistics that equal NumPy's, at
the optimizer's steps, for every layer from the start."""
import re

import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector, weights_norm
from seernn_widgets.views.norms import WeightNorms

WEIGHT_LAYERS = ["conv", "bigru", "lstm", "dense"]


def make_model(compiled=True):
    keras.utils.set_random_seed(2)
    ipt = keras.Input((5, 3))
    h = keras.layers.Conv1D(4, 2, name="conv")(ipt)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True), name="bigru")(h)
    h = keras.layers.LSTM(3, name="lstm")(h)
    h = keras.layers.Dropout(0.0, name="drop")(h)
    model = keras.Model(ipt, keras.layers.Dense(2, name="dense")(h))
    if compiled:
        model.compile(keras.optimizers.SGD(0.5), "mse")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(2)
    return (rng.standard_normal((4, 5, 3)).astype("float32"),
            rng.standard_normal((4, 2)).astype("float32"))


def numpy_norms(model, layer):
    """{weight path: {'max': m, 'mean': m}} of the columns' l2 norms."""
    out = {}
    for variable in model.get_layer(layer).weights:
        w = variable.numpy()
        norms = np.sqrt((w ** 2).sum(axis=tuple(range(w.ndim - 1))))
        out[variable.path] = {"max": norms.max(), "mean": norms.mean()}
    return out


def check(view, expected_points, steps):
    """`expected_points`: one numpy_norms() per recorded point."""
    data = view.view_data()
    assert data["steps"] == steps
    assert list(data["norms"]) == list(expected_points[0])
    for path, stats in data["norms"].items():
        for stat, values in stats.items():
            np.testing.assert_allclose(values, [p[path][stat] for p in expected_points],
                                       rtol=1e-6)
            mark = view.lines[(path, stat)]
            assert mark.x.dtype == mark.y.dtype == np.float32
            np.testing.assert_array_equal(mark.x, np.float32(steps))
            np.testing.assert_array_equal(mark.y, np.float32(values))
    assert len(view.figure.marks) == 2 * len(data["norms"])


def test_norms_follow_training_for_every_layer(data):
    model = make_model()
    x, y = data
    insp = Inspector(model, x, y)
    view = WeightNorms(insp)
    assert view.layer_choices() == WEIGHT_LAYERS and view.layer == "conv"
    assert "seernn-weightnorms" in view.figure._dom_classes
    points = {name: [numpy_norms(model, name)] for name in WEIGHT_LAYERS}
    check(view, points["conv"], [0])

    for steps in ([0, 1], [0, 1, 3]):
        while insp.step < steps[-1]:
            model.train_on_batch(x, y)
        insp.refresh()
        for name in WEIGHT_LAYERS:
            points[name].append(numpy_norms(model, name))
        check(view, points["conv"], steps)      # the shown layer is redrawn

    for name in WEIGHT_LAYERS:                  # every layer has its whole history
        view.layer = name
        check(view, points[name], [0, 1, 3])
        assert view.history(name) == view.view_data()
    first, last = points["lstm"][0], points["lstm"][-1]
    assert any(first[p]["max"] != last[p]["max"] for p in first)  # training moved them
    assert insp.compute_count == 0              # weights only: never a model pass


def test_matches_compat_weights_norm_accumulation(data):
    model = make_model()
    x, y = data
    insp = Inspector(model, x, y)
    view = WeightNorms(insp, "bigru")
    tracked = weights_norm(model, "bigru")
    model.train_on_batch(x, y)
    insp.refresh()
    tracked = weights_norm(model, "bigru", _dict=tracked)
    ours = view.history()["norms"]
    for per_stat, stats in zip(tracked["bigru"], ours.values()):
        np.testing.assert_allclose(per_stat, [stats["max"], stats["mean"]], rtol=1e-6)


def test_without_an_optimizer_x_counts_refreshes(data):
    model = make_model(compiled=False)
    insp = Inspector(model, data[0])
    assert insp.step is None
    view = WeightNorms(insp, "dense")
    insp.refresh()
    kernel = model.get_layer("dense").kernel
    kernel.assign(kernel.numpy() * 3)
    insp.refresh()
    assert view.history()["steps"] == [0, 1, 2]
    norms = view.history()["norms"][kernel.path]["max"]
    assert norms[0] == norms[1] and norms[2] == pytest.approx(3 * norms[1], rel=1e-6)
    assert insp.compute_count == 0              # weights only: never a model pass


def test_a_list_tracks_those_layers_only(data):
    insp = Inspector(make_model(), *data)
    view = WeightNorms(insp, ["dense", "lstm"])
    assert view.layer == "dense" and view.layer_choices() == ["dense", "lstm"]
    with pytest.raises(TraitError, match=r"layers it can show: \['dense', 'lstm'\]"):
        view.layer = "conv"
    assert view.layer == "dense"
    with pytest.raises(ValueError, match="tracked layers"):
        view.history("conv")
    with pytest.raises(ValueError, match=r"layers with weights: \['conv', 'bigru'"):
        WeightNorms(insp, ["dense", "drop"])


@pytest.mark.parametrize("value, message", [
    ("drop", r"cannot show layer 'drop' \(output shape \(4, 3\)\); "
             r"layers it can show: \['conv', 'bigru', 'lstm', 'dense'\]"),
    ("nope", r"can show \['conv', 'bigru', 'lstm', 'dense'\]"),
])
def test_refuses_layers_without_weights_and_stays_as_it_was(data, value, message):
    insp = Inspector(make_model(), *data)
    view = WeightNorms(insp, "lstm")
    marks, before = view.figure.marks, view.view_data()
    with pytest.raises(TraitError, match=message):
        view.layer = value
    assert view.layer == "lstm" and view.figure.marks == marks
    assert view.view_data() == before


def test_legend_names_weights_below_the_layer_distinctly(data):
    model = make_model()
    view = WeightNorms(Inspector(model, *data), layer="bigru")
    labels = sorted(mark.labels[0] for mark in view.figure.marks)
    bigru = model.get_layer("bigru")   # inner names: forward_gru, or _1 after another model
    expected = sorted(f"{d}/{w} {s}" for d in (bigru.forward_layer.name, bigru.backward_layer.name)
                      for w in ("kernel", "recurrent_kernel", "bias") for s in ("max", "mean"))
    assert labels == expected
    entries = re.findall(r'seernn-legend-entry">.*?</span> ([^<]+)</span>', view.legend.value)
    assert sorted(entries) == sorted({label.rsplit(" ", 1)[0] for label in labels})
    view.layer = "lstm"
    assert sorted(mark.labels[0] for mark in view.figure.marks) == sorted(
        f"{w} {s}" for w in ("kernel", "recurrent_kernel", "bias") for s in ("max", "mean"))
