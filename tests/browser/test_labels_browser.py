"""Labels as the user reads them in JupyterLab: tick texts and positions read
from the SVG of the bqplot axes. Integer axes name real rows, columns and
steps at their centres; no label is cut off by its figure at 400 or 1400 px;
the gate labels follow the layer LSTM -> GRU -> LSTM, also after the page
re-sliced by itself while a cell was busy; a scrubbed-back view says which
step it shows."""
import re
import time

import pytest

from lab import (
    drag_slider,
    kernel_value,
    open_notebook,
    run_all,
    screenshot,
    wait_idle,
    write_notebook,
)

NOTEBOOK = "labels.ipynb"

SETUP = """
import os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
from seernn_widgets import (ClippedHistogram, Features0D, Features1D, Features2D,
                            HistogramGrid, Inspector, RNNHeatmap, RNNHistogram, WeightNorms)
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=8)          # 50 timesteps
model = make_model()                   # lstm 16 units, bilstm 2 x 8, gru 8
insp = Inspector(model, x, y, history=8)
"""
# (variable, constructor): each view gets the css class t-<variable>
VIEWS = [
    ("f16", 'Features2D(insp, "bilstm")'),
    ("f8", 'Features2D(insp, "bilstm", direction="forward")'),
    ("hm", 'RNNHeatmap(insp, "lstm")'),
    ("hist", 'RNNHistogram(insp, "lstm", mode="gradients")'),
    ("grid", "HistogramGrid([[w] for w in insp.weights('lstm')] + "
             "[[g] for g in insp.gradients('lstm', 'weights')], n_columns=3)"),
    ("clip", "ClippedHistogram(insp.gradients('lstm', 'weights')[0], bins=40)"),
    ("wn", 'WeightNorms(insp, "lstm")'),
    ("f1", 'Features1D(insp, "lstm", channels=[0, 1, 2, 3], n_rows=1)'),
    ("f0", 'Features0D(insp, "gru")'),
]
# the views whose labels must fit at each width, and their figures' css class
WIDTHS = (400, 1400)
CLIPPED = [("hist", ".seernn-rnnhistogram"), ("grid", ".seernn-histogram"),
           ("clip", ".seernn-histogram"), ("wn", ".seernn-weightnorms"),
           ("f1", ".seernn-features1d"), ("f0", ".seernn-features0d"),
           ("f16", ".seernn-features2d"), ("hm", ".seernn-rnnheatmap")]
TRAIN = """
for _ in range(4):
    model.train_on_batch(x, y)
    insp.refresh()
"""
BUSY = "time.sleep(5)"

# per figure: every axis's label text and its ticks' text, position and box;
# the figure svg's box and the plot area's size
READ = """(sel) => Array.from(document.querySelectorAll(sel)).map((fig) => {
  const svg = fig.querySelector("svg.svg-background");
  const area = fig.querySelector("rect.plotarea_background");
  const box = (el) => { const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; };
  const axes = Array.from(fig.querySelectorAll("g.axis"))
    .filter((g) => !g.closest(".ColorBar"))
    .map((g) => ({
      label: g.querySelector(".axislabel")?.textContent ?? "",
      labelBox: g.querySelector(".axislabel") ? box(g.querySelector(".axislabel")) : null,
      ticks: Array.from(g.querySelectorAll(".tick")).map((t) => {
        const m = /translate\\(([-\\d.e]+),\\s*([-\\d.e]+)\\)/.exec(t.getAttribute("transform"));
        return { text: t.textContent, x: +m[1], y: +m[2], box: box(t.querySelector("text")) };
      }),
    }));
  return { svg: box(svg), width: +area.getAttribute("width"),
           height: +area.getAttribute("height"), axes,
           title: fig.querySelector(".mainheading")?.textContent ?? "" };
})"""


def figures(page, selector):
    return page.evaluate(READ, selector)


def axis(figure, label):
    """The axis whose label matches `label` (a regex)."""
    found = [a for a in figure["axes"] if re.fullmatch(label, a["label"])]
    assert found, (label, [a["label"] for a in figure["axes"]])
    return found[0]


def texts(ax):
    return [t["text"] for t in ax["ticks"]]


@pytest.fixture(scope="module")
def labels_page(browser_context, lab):
    made = dict(VIEWS)
    sized = [f'{v}_{w} = {made[v]}\n{v}_{w}.add_class("t-{v}-{w}")\n'
             f'{v}_{w}.layout.width = "{w}px"\n{v}_{w}' for w in WIDTHS for v, _ in CLIPPED]
    cells = [SETUP] + [f'{v} = {c}\n{v}.add_class("t-{v}")\n{v}' for v, c in VIEWS] \
        + [TRAIN, BUSY] + sized
    write_notebook(lab.root_dir / NOTEBOOK, cells)
    page = browser_context.new_page()
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    page.wait_for_selector(".t-f0 .seernn-features0d .tick text")
    page.wait_for_selector(f".t-hm-{WIDTHS[-1]} .seernn-rnnheatmap .tick text")
    time.sleep(1.5)
    yield page
    page.close()


def wait_for(probe, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        value = probe()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


@pytest.mark.parametrize("var, rows, labels", [
    ("f8", 8, [str(i) for i in range(8)]),
    ("f16", 16, [str(i) for i in range(0, 16, 2)])])
def test_heatmap_rows_and_timesteps_are_labelled_at_their_centres(labels_page, var, rows,
                                                                   labels):
    fig = figures(labels_page, f".t-{var} .seernn-features2d")[0]
    y_axis, x_axis = axis(fig, "unit"), axis(fig, "timestep")
    assert texts(y_axis) == labels
    for tick in y_axis["ticks"]:          # d3 draws ticks half a pixel off
        centre = (int(tick["text"]) + 0.5) * fig["height"] / rows
        assert abs(tick["y"] - centre) <= 1.0, (tick, centre)
    assert texts(x_axis) == [str(t) for t in range(0, 50, 5)]      # 0-49: never '50'
    for tick in x_axis["ticks"]:
        centre = (int(tick["text"]) + 0.5) * fig["width"] / 50
        assert abs(tick["x"] - centre) <= 1.0, (tick, centre)
    screenshot(labels_page.locator(f".t-{var}"), f"labels_{var}")


def test_weight_norms_label_each_training_step_once(labels_page, lab):
    fig = figures(labels_page, ".t-wn .seernn-weightnorms")[0]
    steps = kernel_value(lab, NOTEBOOK, "wn.history()['steps']")
    shown = texts(axis(fig, "training step"))
    assert len(steps) == 5 and shown == [str(s) for s in range(steps[0], steps[-1] + 1)], shown
    norms = texts(axis(fig, "column l2 norm"))
    assert all(re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", t) for t in norms), norms
    screenshot(labels_page.locator(".t-wn"), "labels_weightnorms")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_tick_or_axis_label_is_cut_off(labels_page, width):
    # each view drawn `width` px wide from the start (bqplot lays a figure out
    # when it is shown; it does not follow a later change of its width)
    checked = 0
    for var, figure_class in CLIPPED:
        name = f".t-{var}-{width}"
        figs = figures(labels_page, f"{name} {figure_class}")
        assert figs and all(abs(f["svg"][2] - f["svg"][0]) <= width + 1 for f in figs)
        screenshot(labels_page.locator(name), f"labels_{var}_{width}px")
        outside = cut_off(figs, width)
        assert not outside, (var, width, outside[:3])
        checked += sum(len(a["ticks"]) + 1 for fig in figs for a in fig["axes"])
    assert checked > 200
    # WeightNorms' legend: under its figure (never over the plot), every entry inside the width
    plot = labels_page.locator(f".t-wn-{width} .seernn-weightnorms svg").first.bounding_box()
    entries = labels_page.locator(f".t-wn-{width} .seernn-legend > span")
    assert entries.count() == 5   # kernel, recurrent_kernel, bias; max, mean
    for i in range(entries.count()):
        box = entries.nth(i).bounding_box()
        assert box["y"] >= plot["y"] + plot["height"] - 0.5, (width, i, box, plot)
        assert plot["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= plot["x"] + width + 0.5


def cut_off(figs, width):
    """The labels (axis, text, box, svg box) not wholly inside their figure."""
    out = []
    for fig in figs:
        left, top, right, bottom = fig["svg"]
        assert right - left <= width + 1
        for ax in fig["axes"]:
            boxes = [(t["text"], t["box"]) for t in ax["ticks"] if t["text"]]
            boxes += [(ax["label"], ax["labelBox"])] if ax["label"] else []
            out += [(ax["label"], text, (x0, y0, x1, y1), fig["svg"])
                    for text, (x0, y0, x1, y1) in boxes
                    if not (x0 >= left - 0.5 and x1 <= right + 0.5
                            and y0 >= top - 0.5 and y1 <= bottom + 0.5)]
    return out


def test_gate_labels_follow_the_layer_also_after_page_side_slicing(labels_page, lab):
    page = labels_page

    def x_labels():
        return [texts(a) for fig in figures(page, ".t-hm .seernn-rnnheatmap")
                for a in fig["axes"] if a["label"].startswith(("gates", "unit"))]

    lstm, gru = ["input", "forget", "cell", "output"], ["update", "reset", "new"]
    assert wait_for(lambda: x_labels() == [lstm] * 3), x_labels()
    # the kernel is busy: the page re-slices for a gate chosen there
    page.locator(".jp-Cell").nth(len(VIEWS) + 2).locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")
    time.sleep(0.5)
    page.locator(".t-hm .seernn-gate select").select_option("f")
    units = [str(u) for u in range(0, 16, 2)]
    assert wait_for(lambda: x_labels() == [units] * 3), x_labels()
    wait_idle(page)
    assert wait_for(lambda: kernel_value(lab, NOTEBOOK, "hm.gate") == "f")
    for layer, labels in [("gru", gru), ("lstm", lstm), ("gru", gru), ("lstm", lstm)]:
        page.locator(".t-hm .seernn-layer select").select_option(layer)   # gate: back to all
        assert wait_for(lambda labels=labels: x_labels() == [labels] * 3), (layer, x_labels())
        screenshot(page.locator(".t-hm"), f"labels_gates_{layer}")


def test_a_scrubbed_back_view_says_which_step_it_shows(labels_page, lab):
    page = labels_page

    def title():
        return figures(page, ".t-f16 .seernn-features2d")[0]["title"]

    assert "step" not in title()
    drag_slider(page, ".t-f16 .seernn-step", 0.0)
    step = wait_for(lambda: kernel_value(lab, NOTEBOOK, "f16.step"))
    assert step is not None
    assert wait_for(lambda: f"step {step}" in title()), title()
    screenshot(page.locator(".t-f16"), "labels_f16_past_step")
