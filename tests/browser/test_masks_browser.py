"""Masked timesteps are greyed out in the real page: drawn by the kernel, and
by the page itself when the sample slider moves while a cell runs (the
overlay is cut from the keep-mask the page holds); the kernel, once free,
draws the same picture."""
import numpy as np

from lab import (
    drag_slider,
    kernel_value,
    open_notebook,
    picture,
    picture_hash,
    run_cell,
    screenshot,
    wait_pixels_nonblank,
    write_notebook,
)

NOTEBOOK = "masks.ipynb"
STEPS = 40
LENGTHS = [10, 30, 20, 35]     # kept timesteps per sample; the rest is padding

SETUP = f"""
import os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras, numpy as np
from seernn_widgets import Features2D, Inspector
keras.utils.set_random_seed(0)
x = np.random.default_rng(0).integers(1, 50, (4, {STEPS}))
for s, n in enumerate({LENGTHS}):
    x[s, n:] = 0
model = keras.Sequential([keras.Input(({STEPS},)), keras.layers.Embedding(50, 8, mask_zero=True),
                          keras.layers.LSTM(12, return_sequences=True, name="lstm")])
insp = Inspector(model, x)
"""
VIEW = 'w = Features2D(insp, "lstm")\nw.add_class("t-w")\nw'
BUSY = "time.sleep(40)"


def masked_share(image):
    """Share of the plot's width (the WebGL canvas: the plot area exactly)
    whose pixels are the grey overlay: 70% #808080 over any data colour puts
    every channel in [90, 166], which no colour of the blue-white-red scale
    has (blues have B > 166 or R < 90, reds R > 166, white 255)."""
    px = np.asarray(image, dtype=int)
    grey = (px.min(axis=-1) >= 88) & (px.max(axis=-1) <= 168)
    return (grey.mean(axis=0) > 0.9).mean()


def test_masked_timesteps_are_grey_in_the_page(page, lab):
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP, VIEW, BUSY])
    open_notebook(page, lab, NOTEBOOK)
    run_cell(page, 0, timeout=120_000)
    run_cell(page, 1)
    view = page.locator(".t-w")
    figure = view.locator(".seernn-features2d").first
    canvas = figure.locator("canvas").first
    assert wait_pixels_nonblank(canvas)
    share = masked_share(picture(page, canvas, inset=0))
    assert abs(share - (STEPS - LENGTHS[0]) / STEPS) < 0.03, share
    assert "30 masked timesteps (grey)" in view.inner_text()
    screenshot(view, "mask_sample_0")

    # the kernel is busy: the page cuts the overlay for the new sample itself
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2).click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("""() => document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[2].textContent.includes('*')""")
    drag_slider(page, ".t-w .seernn-sample", 0.34, steps=1)
    readout = int(view.locator(".seernn-sample .widget-readout").inner_text())
    assert readout == 1
    page.wait_for_function("""() => document.querySelector('.t-w').innerText
        .includes('sample 1 - 10 masked timesteps')""", timeout=10_000)
    page.wait_for_timeout(300)
    screenshot(view, "mask_sample_1_by_page")
    share = masked_share(picture(page, canvas, inset=0))
    assert abs(share - (STEPS - LENGTHS[1]) / STEPS) < 0.03, share
    page_drawn = picture_hash(page, figure)
    assert page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2) \
        .inner_text().strip().startswith("[*]"), "the kernel was not busy"
    screenshot(view, "mask_sample_1_by_page")

    # the kernel catches up (interrupt the sleep) and draws the same picture
    page.keyboard.press("Escape")
    page.keyboard.press("i")
    page.keyboard.press("i")
    assert kernel_value(lab, NOTEBOOK, "w.sample") == 1
    page.wait_for_timeout(1000)
    assert picture_hash(page, figure) == page_drawn
