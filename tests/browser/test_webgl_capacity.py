"""More heatmap figures in one JupyterLab page than Chromium keeps WebGL
contexts (16): three notebooks of 8 views each (48 figures) open side by
side, and every figure of the first one is painted when scrolled to, also
one that gave its context back meanwhile (js/contexts.js)."""
import io
import time

from PIL import Image

from lab import ARTIFACTS, open_notebook, screenshot, wait_all_executed, wait_idle, write_notebook

NOTEBOOKS = ["capacity_0.ipynb", "capacity_1.ipynb", "capacity_2.ipynb"]
FIGURES = ".seernn-features2d, .seernn-rnnheatmap"
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"
REGISTRY = "globalThis[Symbol.for('seernn_widgets.webglContexts.v1')]?.report()"

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
from seernn_widgets import Features2D, Inspector, RNNHeatmap
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=4)
model = make_model()
for w in model.weights:   # no plain-white picture: a blank canvas is white too
    if w.name == "bias":
        w.assign(np.random.default_rng(0).normal(0, 0.5, w.shape))
insp = Inspector(model, x, y)
"""

# 8 views: 4 Features2D (one figure each) and 4 RNNHeatmap (three each)
VIEWS = ['Features2D(insp, "lstm")', 'RNNHeatmap(insp, "lstm")',
         'Features2D(insp, "bilstm", mode="gradients")', 'RNNHeatmap(insp, "bilstm")',
         'Features2D(insp, "bilstm")', 'RNNHeatmap(insp, "gru")',
         'Features2D(insp, "lstm", mode="gradients")',
         'RNNHeatmap(insp, "lstm", mode="gradients")']
FIGURES_PER_NOTEBOOK = 4 * 1 + 4 * 3


def cells():
    return [SETUP] + [f'v{i} = {view}\nv{i}.add_class("t-v{i}");\nv{i}'
                      for i, view in enumerate(VIEWS)]


def open_beside(page, name):
    """Open another notebook in the same page (file browser), as a user does."""
    page.locator(".jp-DirListing-itemText", has_text=name).first.dblclick()
    page.locator(f'.lm-TabBar-tab.lm-mod-current:has-text("{name}")').wait_for()
    page.locator(f"{SHOWN} .jp-Cell .cm-content").first.wait_for()


def show_tab(page, name):
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name).first.click()
    page.locator(f'.lm-TabBar-tab.lm-mod-current:has-text("{name}")').wait_for()


def start_run_all(page):
    """Run All Cells of the notebook shown, without waiting for the cells."""
    wait_idle(page)   # before the kernel is idle, Run All does nothing
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def open_and_run(page, lab, names):
    """Open the notebooks side by side, each running all its cells (at once:
    the kernels start in parallel), and wait until every cell ran."""
    open_notebook(page, lab, names[0])
    start_run_all(page)
    for name in names[1:]:
        open_beside(page, name)
        start_run_all(page)
    wait_all_executed(page, timeout=240_000)


def plot_area(page, figure, inset=2):
    """The pixels where the figure's WebGL canvas is (PIL RGB); the canvas
    element itself may be replaced while we look."""
    page.mouse.move(0, 0)   # no hover toolbar
    figure.scroll_into_view_if_needed()
    box = figure.evaluate("""f => {
        const r = f.querySelector('canvas').getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height};
    }""")
    png = page.screenshot(clip={"x": box["x"] + inset, "y": box["y"] + inset,
                                "width": box["width"] - 2 * inset,
                                "height": box["height"] - 2 * inset})
    return Image.open(io.BytesIO(png)).convert("RGB")


def painted(page, figure, name, timeout=5.0):
    """Poll until the figure's plot area shows a picture: a blank canvas is
    white (bar a few grey pixels of the gate lines), every image here has
    many colours. Saves the last look as tests/artifacts/<name>.png."""
    deadline = time.time() + timeout
    while True:
        image = plot_area(page, figure)
        colours = image.getcolors(maxcolors=image.width * image.height)
        most = max(colours)[0] / (image.width * image.height)
        ok = len(colours) >= 8 and most < 0.8
        if ok or time.time() > deadline:
            break
        time.sleep(0.1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / f"{name}.png")
    return ok


def test_every_heatmap_of_three_notebooks_is_painted(page, lab):
    for name in NOTEBOOKS:
        write_notebook(lab.root_dir / name, cells())
    open_and_run(page, lab, NOTEBOOKS)
    assert page.locator(FIGURES).count() == len(NOTEBOOKS) * FIGURES_PER_NOTEBOOK

    show_tab(page, NOTEBOOKS[0])
    figures = page.locator(SHOWN).locator(FIGURES)
    assert figures.count() == FIGURES_PER_NOTEBOOK
    for i in range(FIGURES_PER_NOTEBOOK):   # top to bottom
        assert painted(page, figures.nth(i), f"capacity_figure_{i}"), \
            f"figure {i} of {NOTEBOOKS[0]} is blank: {page.evaluate(REGISTRY)}"
    report = page.evaluate(REGISTRY)
    assert report["figures"] == len(NOTEBOOKS) * FIGURES_PER_NOTEBOOK, report
    assert report["live"] <= report["budget"], report

    # the first figure, least recently seen, gave its context back meanwhile
    first = figures.nth(0)
    assert first.evaluate(
        "f => f.querySelector('canvas').getContext('webgl').isContextLost()"), report
    assert painted(page, first, "capacity_figure_0_again"), \
        f"a released figure did not repaint: {page.evaluate(REGISTRY)}"
    screenshot(page.locator(SHOWN), "capacity_notebook_0")

    # another library takes all 16 contexts: Chromium evicts ours for good,
    # and the figures on screen and those scrolled to are painted anew
    page.evaluate("""() => { window.__hogs = [...Array(16)].map(() =>
        document.createElement('canvas').getContext('webgl')); }""")
    for i in (0, FIGURES_PER_NOTEBOOK - 1):
        assert painted(page, figures.nth(i), f"capacity_figure_{i}_evicted"), \
            f"figure {i} not repainted after eviction: {page.evaluate(REGISTRY)}"
    assert page.evaluate(REGISTRY)["evicted"] > 0
