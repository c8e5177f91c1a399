"""Every heatmap has a colour bar, and the page colours what the kernel would:
a Features2D with norm='sample' keeps following the sample slider while a
cell sleeps (the kernel cannot read the slider then), with the range Python
computed for that sample, zero white; the colour bar shows that range's 256
colours (js/colour.js palette == _colour.palette), and after the cell ends
the kernel draws the same range. Screenshots at figure widths 400 and 1400 px:
nothing of the colour bar is clipped.
"""
import os
import time

from lab import (
    drag_slider,
    kernel_value,
    open_notebook,
    run_cell,
    screenshot,
    wait_pixels_nonblank,
    write_notebook,
)
from seernn_widgets.views._colour import palette

NOTEBOOK = "colour.ipynb"

SETUP = """
import os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
from seernn_widgets import Features2D, Inspector, RNNHeatmap
from seernn_widgets.demo import make_data, make_model
from seernn_widgets.views._browser import features2d_state
x, y = make_data(n_samples=16)
insp = Inspector(make_model(), x, y)
"""
VIEWS = """
w = Features2D(insp, "bilstm", norm="sample")
w.add_class("t-w")
hm = RNNHeatmap(insp, "bilstm", colour_scale="symlog")
hm.add_class("t-hm")
display(w, hm)
"""
SLEEP = """
t0 = time.time()
while not os.path.exists("stop") and time.time() - t0 < 90:
    time.sleep(0.05)
"""

BAR_STOPS = """(sel) => {
  const fig = document.querySelector(sel);
  const stops = fig.querySelectorAll(".ColorBar linearGradient stop");
  return Array.from(stops).map((s) => s.getAttribute("stop-color"));
}"""

GEOMETRY = """(sel) => {
  const fig = document.querySelector(sel);
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.right, r.top, r.bottom];
  };
  const bar = fig.querySelector(".ColorBar");
  return { figure: box(fig), bar: box(bar),
           labels: Array.from(bar.querySelectorAll(".tick text"))
             .map((t) => [t.textContent, box(t)]) };
}"""


def hex_of(colour):
    """'#rrggbb' of a CSS colour the page reports ('#rrggbb' or 'rgb(r, g, b)')."""
    if colour.startswith("rgb"):
        r, g, b = (int(v) for v in colour[colour.index("(") + 1:-1].split(","))
        return f"#{r:02x}{g:02x}{b:02x}"
    return colour.lower()


def assert_unclipped(page, selector):
    geo = page.evaluate(GEOMETRY, selector)
    left, right, top, bottom = geo["figure"]
    assert geo["labels"], "the colour bar has no tick labels"
    for label, (x0, x1, y0, y1) in geo["labels"] + [("bar", geo["bar"])]:
        assert left - 1 <= x0 and x1 <= right + 1 and top - 1 <= y0 and y1 <= bottom + 1, \
            (selector, label, geo)


def test_colour_bar_and_page_ranges_while_a_cell_sleeps(page, lab):
    (lab.root_dir / "stop").unlink(missing_ok=True)
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP, VIEWS, SLEEP])
    page.set_viewport_size({"width": 2000, "height": 1000})   # room for 1400 px figures
    open_notebook(page, lab, NOTEBOOK)
    for cell in range(2):
        run_cell(page, cell, timeout=120_000)
    f2 = ".t-w .seernn-features2d"
    view = page.locator(".t-w")
    canvas = page.locator(f2 + " canvas").first
    assert wait_pixels_nonblank(canvas)
    ranges = kernel_value(lab, NOTEBOOK, "features2d_state(w)['colour']['ranges']['sample']")
    assert len({tuple(r) for r in ranges}) > 1   # the samples' ranges differ

    # the colour bar: present, the kernel's range, zero white
    page.wait_for_function(f"() => document.querySelectorAll('{f2} .ColorBar stop').length == 256")
    stops = [hex_of(c) for c in page.evaluate(BAR_STOPS, f2)]
    assert stops == palette(*ranges[0])
    for kernel in ("input", "recurrent", "bias"):
        assert page.locator(f".t-hm .seernn-rnnheatmap-{kernel} .ColorBar").count() == 1
    # symlog: tick labels in the original values
    labels = page.locator(".t-hm .seernn-rnnheatmap-recurrent .ColorBar .tick text"
                          ).all_text_contents()
    assert "0" in labels and "0.1" in labels and "-1" in labels, labels
    # every bar shows the labels Python gave it, the short bias bar too
    for kernel in ("input", "recurrent", "bias"):
        sent = kernel_value(lab, NOTEBOOK, f"list((hm.heatmaps['{kernel}'].colour_axis"
                                           f".tick_labels or {{}}).values())")
        shown = page.locator(f".t-hm .seernn-rnnheatmap-{kernel} .ColorBar .tick text"
                             ).all_text_contents()
        assert len(sent) >= 2 and shown == sent, (kernel, sent, shown)

    for width in (400, 1400):
        kernel_value(lab, NOTEBOOK, f"[setattr(v.layout, 'width', '{width}px') for v in (w, hm)]")
        kernels = (f".t-hm .seernn-rnnheatmap-{k}" for k in ("input", "recurrent", "bias"))
        for figure in (f2, *kernels):
            page.locator(figure).scroll_into_view_if_needed()
            time.sleep(1.0)
        screenshot(view, f"colour_features2d_{width}px")
        screenshot(page.locator(".t-hm"), f"colour_rnnheatmap_symlog_{width}px")
        assert_unclipped(page, f2)
        for kernel in ("input", "recurrent", "bias"):
            assert_unclipped(page, f".t-hm .seernn-rnnheatmap-{kernel}")

    # a cell sleeps: the kernel cannot read the slider; the page colours on its own
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2).click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("""() => document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[2].textContent.includes('*')""")
    readout = view.locator(".seernn-sample .widget-readout")
    shown = []
    for fraction in (0.9, 0.3, 0.6):
        drag_slider(page, ".t-w .seernn-sample", fraction, steps=1)
        sample = int(readout.inner_text())
        expected = palette(*ranges[sample])
        deadline = time.time() + 5
        while [hex_of(c) for c in page.evaluate(BAR_STOPS, f2)] != expected \
                and time.time() < deadline:
            time.sleep(0.05)
        assert [hex_of(c) for c in page.evaluate(BAR_STOPS, f2)] == expected, sample
        shown.append(sample)
    assert "*" in page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2).inner_text()
    screenshot(view, f"colour_features2d_busy_sample_{shown[-1]}")

    # the cell ends: the kernel reads the slider and draws the same range
    (lab.root_dir / "stop").touch()
    page.wait_for_function("""() => /\\[\\d+\\]/.test(document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[2].textContent)""", timeout=60_000)
    time.sleep(1.0)
    kernel = kernel_value(lab, NOTEBOOK, "[w.sample, w.norm, w.heatmap.colour_scale.min, "
                                         "w.heatmap.colour_scale.max]")
    assert kernel == [shown[-1], "sample", *ranges[shown[-1]]]
    os.remove(lab.root_dir / "stop")


TICKS_NOTEBOOK = "colour_ticks.ipynb"
TICKS_VIEW = """
w = Features2D(insp, "bilstm")
w.add_class("t-ticks")
w
"""
BAR_TEXTS = ".t-ticks .seernn-features2d .ColorBar .tick text"


def bar_texts(page, old=None, timeout=5.0):
    """The colour bar's tick texts, once they differ from `old` and have
    stayed the same for half a second (bqplot writes them a frame late)."""
    deadline = time.time() + timeout
    texts = page.locator(BAR_TEXTS).all_text_contents()
    while time.time() < deadline:
        time.sleep(0.5)
        again = page.locator(BAR_TEXTS).all_text_contents()
        if again == texts and texts != old:
            return texts
        texts = again
    return texts


def assert_round(texts):
    """Labels of round values: equally spaced by a 1-2-5 step, 0 among them
    when the range holds it."""
    values = [float(t) for t in texts]
    assert len(values) >= 2, texts
    steps = {round(b - a, 12) for a, b in zip(values, values[1:])}
    assert len(steps) == 1, texts
    step = steps.pop()
    assert float(f"{step:e}".split("e")[0]) in (1.0, 2.0, 5.0), texts
    assert all(abs(v / step - round(v / step)) < 1e-6 for v in values), texts


def test_colour_bar_ticks_are_round_after_kernel_and_page_norm_changes(page, lab):
    """The defect: the linear colour bar showed bqplot's own ticks (±0.027,
    ±0.016, ±0.0054). After a kernel norm change, and after a norm dragged
    in the page while a cell sleeps (a range Python never saw, ticks by
    js/ticks.js), the bar reads Python's value_ticks of the range."""
    from seernn_widgets.views._colour import bar_max_ticks
    from seernn_widgets.views._ticks import value_ticks

    def expected(lo, hi):
        return list(value_ticks(lo, hi, bar_max_ticks(300)).labels)

    (lab.root_dir / "stop").unlink(missing_ok=True)
    write_notebook(lab.root_dir / TICKS_NOTEBOOK, [SETUP, TICKS_VIEW, SLEEP])
    open_notebook(page, lab, TICKS_NOTEBOOK)
    for cell in range(2):
        run_cell(page, cell, timeout=120_000)
    page.wait_for_selector(BAR_TEXTS, state="attached")
    first = bar_texts(page)
    lo, hi = kernel_value(lab, TICKS_NOTEBOOK, "w.norm_shown()")
    assert first == expected(lo, hi), (lo, hi)

    # the kernel sets a range
    kernel_value(lab, TICKS_NOTEBOOK, "setattr(w, 'norm', (-0.0173, 0.0152))")
    texts = bar_texts(page, old=first)
    assert texts == expected(-0.0173, 0.0152) == ["-0.01", "0", "0.01"]
    assert_round(texts)
    screenshot(page.locator(".t-ticks"), "colour_ticks_kernel_norm")

    # a cell sleeps: the slider's range is drawn by the page alone
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2).click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("""() => document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[2].textContent.includes('*')""")
    drag_slider(page, ".t-ticks .seernn-norm", 0.85, handle=".noUi-handle-upper", steps=1)
    busy = bar_texts(page, old=texts)
    assert busy != texts
    assert_round(busy)
    assert "*" in page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").nth(2).inner_text()
    screenshot(page.locator(".t-ticks"), "colour_ticks_page_norm_busy")

    # the cell ends: the kernel reads the slider's range; its ticks are the page's
    (lab.root_dir / "stop").touch()
    page.wait_for_function("""() => /\\[\\d+\\]/.test(document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')[2].textContent)""", timeout=60_000)
    time.sleep(1.0)
    lo, hi = kernel_value(lab, TICKS_NOTEBOOK, "[float(v) for v in w.norm_slider.value]")
    assert busy == expected(lo, hi), (lo, hi)
    assert kernel_value(lab, TICKS_NOTEBOOK, "list(w.norm)") == [lo, hi]
    assert bar_texts(page, timeout=1.0) == busy
    os.remove(lab.root_dir / "stop")
