"""Every widget in a real JupyterLab + Chromium: it renders, the mouse moves
its sample slider and the picture and the kernel's trait follow, and a norm
change recolours the heatmap."""
import time

import numpy as np
import pytest

from lab import (
    drag_slider,
    kernel_value,
    open_notebook,
    picture,
    pixel_hash,
    run_all,
    screenshot,
    wait_pixels_change,
    wait_pixels_nonblank,
    write_notebook,
)
from seernn_widgets.views.lines import palette

NOTEBOOK = "widgets.ipynb"

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from seernn_widgets import (Explorer, Features0D, Features1D, Features2D, Inspector,
                            RNNHeatmap, RNNHistogram, WeightNorms)
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=8)
model = make_model()
insp = Inspector(model, x, y)
"""

# (variable, constructor, css class of its figure, has a norm slider)
WIDGETS = [
    ("f2", 'Features2D(insp, "bilstm", mode="gradients")', "seernn-features2d", True),
    ("f1", 'Features1D(insp, "lstm", channels=[0, 1, 2, 3])', "seernn-features1d", False),
]


def _cell(var, constructor):
    return f'{var} = {constructor}\n{var}.add_class("t-{var}");\n{var}'


# RNN views: (variable, constructor, figure to watch) - driven by direction and norm
RNN_WIDGETS = [
    ("hm", 'RNNHeatmap(insp, "bilstm")', "seernn-rnnheatmap-recurrent"),
    ("hist", 'RNNHistogram(insp, "bilstm", mode="gradients")', "seernn-rnnhistogram-grid"),
]


# views driven by a dropdown: (variable, constructor, figure, dropdown class, option)
MENU_WIDGETS = [
    ("f0", 'Features0D(insp, "gru")', "seernn-features0d", "seernn-layer", "dense"),
    ("wn", "WeightNorms(insp)", "seernn-weightnorms", "seernn-layer", "dense"),
    ("ex", 'Explorer(insp, "lstm")', None, "seernn-explorer-what", "weights"),  # whole box
]


@pytest.fixture(scope="module")
def notebook_page(browser_context, lab):
    cells = [_cell(v, c) for v, c, *_ in WIDGETS + RNN_WIDGETS + MENU_WIDGETS]
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP] + cells)
    page = browser_context.new_page()
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    yield page
    page.close()


@pytest.mark.parametrize("var, constructor, figure_class, has_norm", WIDGETS)
def test_widget_renders_and_follows_the_mouse(notebook_page, lab, var, constructor,
                                              figure_class, has_norm):
    page = notebook_page
    view = page.locator(f".t-{var}")
    figure = view.locator(f".{figure_class}").first
    figure.wait_for()
    target = figure.locator("canvas").first if has_norm else figure
    assert wait_pixels_nonblank(target), f"{var}: figure is blank"
    screenshot(view, f"{var}_initial")

    before = pixel_hash(target)
    drag_slider(page, f".t-{var} .seernn-sample", 0.8)
    assert wait_pixels_change(target, before) != before, f"{var}: slider did not repaint"
    shown = int(view.locator(".seernn-sample .widget-readout").inner_text())
    assert shown > 0
    assert kernel_value(lab, NOTEBOOK, f"{var}.sample") == shown
    screenshot(view, f"{var}_sample_{shown}")

    if has_norm:
        before = pixel_hash(target)
        drag_slider(page, f".t-{var} .seernn-norm", 0.45, handle=".noUi-handle-lower")
        assert wait_pixels_change(target, before) != before, f"{var}: norm did not recolour"
        norm = kernel_value(lab, NOTEBOOK, f"{var}.norm")
        assert norm is not None and norm[0] < norm[1]
        screenshot(view, f"{var}_norm")


@pytest.mark.parametrize("var, constructor, figure_class", RNN_WIDGETS)
def test_rnn_view_direction_and_norm_with_the_mouse(notebook_page, lab, var, constructor,
                                                     figure_class):
    page = notebook_page
    view = page.locator(f".t-{var}")
    figure = view.locator(f".{figure_class}").first
    figure.wait_for()
    target = figure.locator("canvas").first if "heatmap" in figure_class else figure
    assert wait_pixels_nonblank(target, min_colours=4), f"{var}: figure is blank"
    screenshot(view, f"{var}_initial")

    before = pixel_hash(target)
    view.locator(".seernn-direction select").select_option("backward")
    assert wait_pixels_change(target, before) != before, f"{var}: direction did not redraw"
    assert kernel_value(lab, NOTEBOOK, f"{var}.direction") == "backward"
    screenshot(view, f"{var}_backward")

    if view.locator(".seernn-norm").count():
        before = pixel_hash(target)
        drag_slider(page, f".t-{var} .seernn-norm", 0.3, handle=".noUi-handle-upper")
        assert wait_pixels_change(target, before) != before, f"{var}: norm did not recolour"
        assert kernel_value(lab, NOTEBOOK, f"{var}.norm") is not None
        screenshot(view, f"{var}_norm")


@pytest.mark.parametrize("var, constructor, figure_class, menu, option", MENU_WIDGETS)
def test_view_follows_a_dropdown_chosen_with_the_mouse(notebook_page, lab, var, constructor,
                                                        figure_class, menu, option):
    page = notebook_page
    view = page.locator(f".t-{var}")
    target = view.locator(f".{figure_class}").first if figure_class else view
    target.wait_for()
    if var == "wn":   # one step recorded: a few dots per weight, in its colour
        assert wait_colours(page, target, palette(3)), f"{var}: the weights' dots are missing"
    else:   # points or lines on a white plot: ~4% of the pixels (looked at:
        # tests/artifacts/*_initial.png)
        assert wait_pixels_nonblank(target, min_colours=4, min_foreground=0.025), \
            f"{var}: figure is blank"
    screenshot(view, f"{var}_initial")
    before = pixel_hash(target)
    view.locator(f".{menu} select").first.select_option(option)
    assert wait_pixels_change(target, before) != before, f"{var}: did not redraw"
    trait = "what" if var == "ex" else "layer"
    assert kernel_value(lab, NOTEBOOK, f"{var}.{trait}") == option
    screenshot(view, f"{var}_{option}")


def wait_colours(page, target, colours, at_least=8, timeout=10.0):
    """Whether `target` shows at least `at_least` pixels of each '#rrggbb'
    of `colours` (within a few levels: anti-aliasing), within `timeout` s."""
    wanted = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in colours]
    deadline = time.monotonic() + timeout
    while True:
        pixels = np.asarray(picture(page, target), dtype=int).reshape(-1, 3)
        counts = [int((np.abs(pixels - rgb).max(axis=1) <= 8).sum()) for rgb in wanted]
        if min(counts) >= at_least or time.monotonic() > deadline:
            return min(counts) >= at_least
        time.sleep(0.25)
