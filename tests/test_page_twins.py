"""The page twins' rows (views/_browser.py TwinSlicer, looked up by
js/twins.js) are what the kernel draws: for every state a control can reach
in the page, setting that state for real puts exactly the row's values on
the same models. WeightNorms' page draws on a pool of marks: they carry what
the kernel's own marks carry."""
import json

import numpy as np
import pytest

from seernn_widgets import (
    Explorer,
    Features0D,
    Features1D,
    Features2D,
    GradientFlow,
    Inspector,
    LayerHealth,
    RNNHeatmap,
    RNNHistogram,
    WeightNorms,
)
from seernn_widgets.demo import make_data, make_model


@pytest.fixture(scope="module")
def insp():
    from seernn_widgets.views._base import _OPEN_VIEWS
    x, y = make_data(n_samples=6)
    inspector = Inspector(make_model(), x, y)
    yield inspector
    for view in list(_OPEN_VIEWS):   # later tests' titles count the models shown
        if view.inspector is inspector:
            view.close()


def part(slicer, index):
    meta = slicer.shapes[index]
    size = int(np.prod(meta["shape"])) * np.dtype(meta["dtype"]).itemsize
    return np.frombuffer(slicer.cube[meta["offset"]:meta["offset"] + size],
                         meta["dtype"]).reshape(meta["shape"])


def decode(slicer, value):
    """A row's value as the page takes it (js/twins.js TwinTable.decode)."""
    if isinstance(value, list):
        return [decode(slicer, v) for v in value]
    if isinstance(value, dict):
        if "$a" in value:
            return part(slicer, value["$a"])
        if "$s" in value:   # a row of a 2-D part
            index, row = value["$s"]
            return part(slicer, index)[row]
        if "$m" in value:
            return slicer.models[value["$m"]]
        if "$f" in value:
            return float(value["$f"])
        return {k: decode(slicer, v) for k, v in value.items()}
    return value


def equal(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return a == b


def rows_hold(view):
    """Every row, set for real: the models hold the row's values."""
    slicer = view.slicer
    state = json.loads(json.dumps(slicer.state))   # as the page gets it
    rows = {key: [(slicer.models[m], trait, decode(slicer, v)) for m, trait, v in row]
            for key, row in json.loads(state["rows"]).items()}
    assert rows, "no rows were sent"
    for key, row in rows.items():
        view.set_controls(**dict(zip(state["keys"], json.loads(key))))
        for model, trait, value in row:
            assert equal(getattr(model, trait), value), (key, type(model).__name__, trait)
    return len(rows)


def test_features0d_rows(insp):
    assert rows_hold(Features0D(insp, "dense")) == 1


def test_rnn_histogram_rows(insp):
    view = RNNHistogram(insp, "bilstm", bins=7)
    assert rows_hold(view) == 2 * 5 * 3 * 2
    assert set(view.slicer.kernel_only) == {"layer", "mode", "bins", "step"}


def test_features1d_rows(insp):
    view = Features1D(insp, "bilstm", channels=[0, 3, 5])
    assert rows_hold(view) == (6 + 1) * 3 * 2
    assert "channels" in view.slicer.kernel_only


def test_weight_norms_pool_draws_what_the_lines_draw(insp):
    view = WeightNorms(insp)
    slicer, pool = view.slicer, view.slicer.pool
    for layer in view.layer_choices():
        row = slicer.rows()[json.dumps([layer])]
        set_on = {}
        for m, trait, v in row:
            set_on.setdefault(slicer.models[m], {})[trait] = decode(slicer, v)
        view.layer = layer
        assert set_on[view.figure]["title"] == view.figure.title
        assert set_on[view.legend]["value"] == view.legend.value
        shown = set_on[view.figure]["marks"]
        assert len(shown) == len(view.lines) and all(m in pool for m in shown)
        for mark, own in zip(shown, view.lines.values()):
            for trait in ("x", "y", "colors", "line_style", "labels"):
                assert equal(set_on[mark][trait], getattr(own, trait)), (layer, trait)
            for trait in ("marker", "marker_size", "display_legend", "scales"):
                assert getattr(mark, trait) == getattr(own, trait), trait
        for axis in view.figure.axes:
            for trait, value in set_on.get(axis, {}).items():
                assert equal(value, getattr(axis, trait)), trait


def test_explorer_menus_need_the_kernel(insp):
    ex = Explorer(insp, layer="gru", what="outputs")
    assert set(ex.slicer.kernel_only) == {"layer", "what"}
    assert ex.slicer in ex.children


def test_over_the_row_budget_the_controls_need_the_kernel(insp, monkeypatch):
    """No rows sent (too many states): the page must not leave the controls
    moving nothing, so they join kernel_only (disabled while busy)."""
    from seernn_widgets.views import _browser

    view = Features1D(insp, "bilstm", channels=[0, 3])
    twins = dict(view.slicer.controls)
    assert view.slicer.rows() and not set(twins) & set(view.slicer.kernel_only)
    monkeypatch.setattr(_browser, "ROW_BUDGET", 10)
    view.channels = [0, 3, 5]   # a change that records the rows again
    assert view.slicer.rows() == {}
    assert all(view.slicer.kernel_only[name] is control for name, control in twins.items())
    monkeypatch.setattr(_browser, "ROW_BUDGET", 400)
    view.channels = [0, 3]
    assert view.slicer.rows() and not set(twins) & set(view.slicer.kernel_only)
    assert "channels" in view.slicer.kernel_only


def test_rows_follow_a_heading_changed_by_another_model(insp):
    """Another model's view opening renames the headings (View._retitle, a
    redraw of no control): the rows are drawn again with the new title."""
    view = Features0D(insp, "dense")
    x, y = make_data(n_samples=2)
    other = Features0D(Inspector(make_model(), x, y), "dense")
    try:
        assert rows_hold(view) == 1
    finally:
        other.close()


@pytest.mark.parametrize("make", [
    lambda insp: Features2D(insp, "bilstm"), lambda insp: RNNHeatmap(insp, "bilstm"),
    lambda insp: Features0D(insp, "dense"), lambda insp: Features1D(insp, "bilstm"),
    lambda insp: RNNHistogram(insp, "bilstm"), lambda insp: WeightNorms(insp),
    lambda insp: GradientFlow(insp), lambda insp: LayerHealth(insp)],
    ids=["Features2D", "RNNHeatmap", "Features0D", "Features1D", "RNNHistogram", "WeightNorms",
         "GradientFlow", "LayerHealth"])
def test_every_control_acts_in_the_page_or_needs_the_kernel(insp, make):
    """Each control widget bound to a trait is one the page acts on or one it
    disables while the kernel is busy or absent (the step slider too)."""
    view = make(insp)
    insp.refresh()   # a second snapshot: the step slider
    slicer = view.slicer
    acts = {id(c) for c in slicer.controls.values()}
    held = {id(c) for c in slicer.kernel_only.values()}
    names = {b.name for b in view._bindings}
    assert "step" in names and not acts & held
    for binding in view._bindings:
        assert id(binding.control) in acts | held, binding.name
    view.close()


@pytest.mark.parametrize("make, again", [
    (lambda insp: Features1D(insp, "bilstm", channels=[0, 3, 5]), {"channels": [0, 3]}),
    (lambda insp: RNNHistogram(insp, "bilstm", bins=7), {"bins": 8})],
    ids=["Features1D", "RNNHistogram"])
def test_rows_away_and_back_draw_what_the_kernel_draws(insp, make, again):
    """The page applies rows on top of each other: after one row, then
    others, every trait the last row sets holds what the kernel draws for
    its state, and so do the traits earlier rows set on the same models
    (also those `_redraw` sets only when they change: ticks, margins)."""
    view = make(insp)
    view.set_controls(direction="backward", **again)   # rows recorded over a drawn state
    slicer = view.slicer
    state = json.loads(json.dumps(slicer.state))
    rows = {key: [(slicer.models[m], trait, decode(slicer, v)) for m, trait, v in row]
            for key, row in json.loads(state["rows"]).items()}
    keys = list(rows)
    page = {}
    for key in [keys[0], *keys[1::7], keys[0], keys[-1]]:
        for model, trait, value in rows[key]:
            page[(id(model), trait)] = (model, value)
        view.set_controls(**dict(zip(state["keys"], json.loads(key))))
        drawn = {id(model) for model, _, _ in rows[key]}
        for (_, trait), (model, value) in page.items():
            if id(model) in drawn:
                assert equal(getattr(model, trait), value), (key, type(model).__name__, trait)
    view.close()


def test_features1d_sample_rows_slice_the_all_samples_arrays(insp):
    """A sample's lines are rows of the all-samples arrays the page already
    has (`$s`), not parts of their own: one cut per direction."""
    view = Features1D(insp, "bilstm", channels=[0, 3])
    slicer = view.slicer
    rows = slicer.rows()
    ys = [v for m, trait, v in rows[json.dumps([2, "forward", True], separators=(",", ":"))]
          if trait == "y" and type(slicer.models[m]).__name__ == "Lines"]
    assert ys and all("$s" in y and y["$s"][1] == 2 for y in ys)
    lines = [meta["shape"] for meta in slicer.shapes if meta["dtype"] == "float32"]
    assert lines.count([50]) == 1   # x (arange); no sample's y of its own
    assert len(lines) <= 1 + 2 * 3   # y: 2 channels x 3 directions, all samples each
    view.close()


def test_rnn_histogram_gate_only_toggles_display(insp):
    """A gate (or bias) change keeps every subplot of the layer in the grid
    and hides the others (the page then only toggles their display, no
    figure is built again); a shown figure is named a histogram by its class."""
    view = RNNHistogram(insp, "bilstm", bins=7)
    figures = view.grid.children
    assert len(figures) == 3 * 4
    view.gate = "f"
    assert view.grid.children == figures
    shown = [f for f in figures if f.layout.display != "none"]
    assert [f.title for f in shown] == ["input: f", "recurrent: f", "bias: f"]
    assert all(("seernn-rnnhistogram" in f._dom_classes) == (f in shown) for f in figures)
    view.bias = False
    assert view.grid.children == figures
    assert [f.title for f in figures if f.layout.display != "none"] == ["input: f",
                                                                         "recurrent: f"]
    slicer = view.slicer
    for row in slicer.rows().values():
        children = [decode(slicer, v) for m, trait, v in row if trait == "children"]
        assert children == [list(figures)]
    view.close()


def test_every_row_clears_a_refusals_message(insp):
    """A value refused from the page leaves its message in the view; a state
    the page then shows from its table clears it, as the kernel's redraw of
    that state does."""
    view = WeightNorms(insp)
    slicer = view.slicer
    message, layout = view.message, view.message.layout
    view.show_message("layer 'x' is refused")   # as a refused page value leaves it
    assert "refused" in message.value and layout.display != "none"
    rows = [{(slicer.models[m], trait): decode(slicer, v) for m, trait, v in row}
            for row in slicer.rows().values()]
    assert len(rows) == len(view.layer_choices())
    view.layer = view.layer_choices()[-1]          # the kernel draws a state
    for row in rows:
        assert row[(message, "value")] == message.value == ""
        assert row[(layout, "display")] == layout.display == "none"
    view.close()


@pytest.mark.parametrize("resolution", [512, 3], ids=["lines", "binned"])
def test_features1d_rows_with_masked_timesteps(resolution):
    """Masked stretches (grey overlay) in some samples and none in another,
    lines drawn whole or binned (x per line): each row is what the kernel draws."""
    import keras

    x = np.random.default_rng(0).standard_normal((3, 12, 2)).astype(np.float32)
    x[0, 8:] = 0.0    # masked tail
    x[2, 3] = 0.0     # one masked step; sample 1 has none
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((12, 2)), keras.layers.Masking(0.0, name="m"),
        keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True), name="bi")])
    view = Features1D(Inspector(model, x), "bi", time_resolution=resolution)
    try:
        assert rows_hold(view) == (3 + 1) * 3 * 2
        view.sample = 1
        assert not view._figures[0].marks[1].visible
    finally:
        view.close()
