"""Linked views in a real JupyterLab: a mouse click on a Features2D row selects
that unit; the kernel's `selection` follows, and the Features1D and RNNHeatmap
of the same inspector redraw to show it (views/selection.py)."""

from lab import (
    kernel_value,
    open_notebook,
    picture_hash,
    poll,
    run_all,
    screenshot,
    wait_pixels_nonblank,
    write_notebook,
)

NOTEBOOK = "selection.ipynb"
UNITS = 8   # per direction of the demo model's bilstm (16 channels)
ROW = 11    # the row clicked: the backward direction's unit 3

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from seernn_widgets import Features1D, Features2D, Inspector, RNNHeatmap
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=4)
insp = Inspector(make_model(), x, y)
"""

CELLS = [
    'f2 = Features2D(insp, "bilstm")\nf2.add_class("t-f2")\nf2',
    'f1 = Features1D(insp, "bilstm", direction="forward", channels=[0, 1])\n'
    'f1.add_class("t-f1")\nf1',
    'hm = RNNHeatmap(insp, "bilstm")\nhm.add_class("t-hm")\nhm',
]


def test_click_on_a_features2d_row_selects_the_unit(browser_context, lab):
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP, *CELLS])
    page = browser_context.new_page()
    try:
        open_notebook(page, lab, NOTEBOOK)
        run_all(page)
        f2 = page.locator(".t-f2 .seernn-features2d").first
        f1 = page.locator(".t-f1")
        hm = page.locator(".t-hm .seernn-rnnheatmap-recurrent").first
        f2.wait_for()
        assert wait_pixels_nonblank(f2.locator("canvas").first), "Features2D is blank"
        f1.locator(".seernn-features1d").first.wait_for()
        hm.wait_for()
        assert wait_pixels_nonblank(hm.locator("canvas").first, min_colours=4)
        for name, target in (("f2", f2), ("f1", f1), ("hm", hm)):
            screenshot(target, f"selection_{name}_before")
        f1_before, hm_before = picture_hash(page, f1), picture_hash(page, hm)
        f2_before = picture_hash(page, f2)

        # the row's pixel: from the plot area bqplot laid out (units on y,
        # reversed: row 0 on top, 16 rows over its height)
        f2.scroll_into_view_if_needed()
        area = f2.locator("rect.plotarea_background").first.bounding_box()
        x = area["x"] + area["width"] * 0.4
        y = area["y"] + area["height"] * (ROW + 0.5) / (2 * UNITS)
        page.mouse.click(x, y)

        value = poll(lambda: kernel_value(lab, NOTEBOOK, "f2.selection"), bool)
        assert value == {"layer": "bilstm", "unit": ROW}
        assert kernel_value(lab, NOTEBOOK, "[f1.selection, hm.selection]") == [value] * 2
        assert kernel_value(lab, NOTEBOOK, "[f1.direction, f1.channels, hm.direction]") \
            == ["backward", [ROW - UNITS], "backward"]

        # the Features1D now draws that unit's trace, and says so
        titles = f1.locator(".seernn-features1d text.mainheading")
        poll(titles.all_text_contents, lambda t: t == [f"channel {ROW - UNITS}"])
        assert titles.all_text_contents() == [f"channel {ROW - UNITS}"]
        assert "backward" in f1.locator(".seernn-title").inner_text()
        assert poll(lambda: picture_hash(page, f1), lambda h: h != f1_before) != f1_before
        # the RNNHeatmap shows the backward kernels with the unit's columns outlined
        assert poll(lambda: picture_hash(page, hm), lambda h: h != hm_before) != hm_before
        heading = hm.locator("text.mainheading")
        poll(heading.text_content, lambda t: "(backward)" in t)
        screenshot(hm, "selection_hm_after")
        assert "(backward)" in heading.text_content()
        # the Features2D outlines the row
        assert poll(lambda: picture_hash(page, f2), lambda h: h != f2_before) != f2_before
        lines = page.locator(".t-f2 .seernn-features2d path.line")
        assert lines.count() >= 2
        for name, target in (("f2", f2), ("f1", f1), ("hm", hm)):
            screenshot(target, f"selection_{name}_after")
    finally:
        page.close()
