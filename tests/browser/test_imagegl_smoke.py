"""Smoke test: a bqplot-image-gl ImageGL figure renders in real JupyterLab and
repaints when a slider, dragged with the mouse, makes the kernel send new data."""

from lab import (  # conftest.py puts tests/browser on sys.path
    drag_slider,
    kernel_value,
    open_notebook,
    pixel_hash,
    pixels_nonblank,
    run_all,
    screenshot,
    wait_pixels_change,
    wait_pixels_nonblank,
    write_notebook,
)

NOTEBOOK = "imagegl_smoke.ipynb"

SETUP = """
import numpy as np
import bqplot
import ipywidgets as widgets
from bqplot_image_gl import ImageGL

def frame(seed):
    return np.random.default_rng(seed).standard_normal((256, 1024)).astype("float32")

sx, sy = bqplot.LinearScale(), bqplot.LinearScale()
colours = bqplot.ColorScale(scheme="RdBu", min=-2, max=2)
image = ImageGL(image=frame(0), x=(0, 1024), y=(0, 256),
                scales={"x": sx, "y": sy, "image": colours})
fig = bqplot.Figure(marks=[image], axes=[
    bqplot.Axis(scale=sx), bqplot.Axis(scale=sy, side="left")])
fig.add_class("seernn-smoke");  # add_class returns the widget: ";" stops a 2nd display
"""

SLIDER = """
slider = widgets.IntSlider(value=0, min=0, max=10, continuous_update=False)
slider.add_class("seernn-smoke-slider")
slider.observe(lambda change: setattr(image, "image", frame(change["new"])), "value")
widgets.VBox([fig, slider])
"""


def test_imagegl_renders_and_follows_slider(page, lab):
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP, SLIDER])
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)

    canvas = page.locator(".seernn-smoke canvas")  # the WebGL layer only
    output = page.locator(".widget-vbox", has=page.locator(".seernn-smoke"))
    canvas.wait_for()
    assert wait_pixels_nonblank(canvas), "ImageGL canvas is blank"
    screenshot(output, "imagegl_smoke_before")
    before = pixel_hash(canvas)

    drag_slider(page, ".seernn-smoke-slider", 0.7)
    after = wait_pixels_change(canvas, before)
    screenshot(output, "imagegl_smoke_after")
    assert after != before, "picture did not change after the slider moved"
    assert pixels_nonblank(canvas)

    shown = int(page.locator(".seernn-smoke-slider .widget-readout").inner_text())
    assert shown == 7
    assert kernel_value(lab, NOTEBOOK, "slider.value") == shown
