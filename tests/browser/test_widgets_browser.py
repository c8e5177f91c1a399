"""Every widget in a real JupyterLab + Chromium: it renders, the mouse moves
its sample slider and the picture and the kernel's trait follow, and a norm
change recolours the heatmap."""
import pytest

from lab import (drag_slider, kernel_value, open_notebook, pixel_hash, run_all, screenshot,
                 wait_pixels_change, wait_pixels_nonblank, write_notebook)

NOTEBOOK = "widgets.ipynb"

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from seernn_widgets import Inspector, Features2D
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=8)
model = make_model()
insp = Inspector(model, x, y)
"""

# (variable, constructor, css class of its figure, has a norm slider)
WIDGETS = [
    ("f2", 'Features2D(insp, "bilstm", mode="gradients")', "seernn-features2d", True),
]


def _cell(var, constructor):
    return f'{var} = {constructor}\n{var}.add_class("t-{var}");\n{var}'


@pytest.fixture(scope="module")
def notebook_page(browser_context, lab):
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP] + [_cell(v, c) for v, c, *_ in WIDGETS])
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
