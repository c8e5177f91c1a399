"""`export_html`: the quickstart as a page that renders with no kernel and
no network.

The notebook is executed (nbclient) and exported; Chromium opens the HTML
from file:// with every other request aborted (and the context offline), so
nothing can come from a CDN.  The ImageGL heatmaps and the bqplot SVG plots
must show pictures, and the Features2D sample slider, which BrowserSlicer
handles in the page, must redraw its heatmap there; Features1D's,
RNNHistogram's and WeightNorms' controls act there too (js/twins.js), and
those that need a kernel are disabled, their tooltip saying why.  A bundle served after
more than requirejs' default 7 s still loads; a missing one is named in a
red box where the widgets would be.  Screenshots: tests/artifacts/export_*.png.
"""
import contextlib
import http.server
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from lab import (  # conftest.py puts tests/browser on sys.path
    ARTIFACTS,
    CHROMIUM,
    browser_context,
    drag_slider,
    pixel_hash,
    screenshot,
    wait_pixels_change,
    wait_pixels_nonblank,
)

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "notebooks" / "quickstart.ipynb"


PROGRESS = []


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(html path, seconds) for the exported quickstart (run here: the kernel
    inherits no TF_CPP_MIN_LOG_LEVEL from the test)."""
    from seernn_widgets.export import export_html

    out = tmp_path_factory.mktemp("export") / "quickstart.html"
    start = time.time()
    level = os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    try:
        export_html(QUICKSTART, out, progress=PROGRESS.append)
    finally:
        if level is not None:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = level
    return out, time.time() - start


@pytest.fixture(scope="module")
def small_page(tmp_path_factory):
    """A bqplot figure and a slider exported as a page (no notebook to run)."""
    import bqplot
    import ipywidgets
    import numpy as np

    from seernn_widgets.export import export_html

    x = np.linspace(0, 6, 50)
    scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    figure = bqplot.Figure(marks=[bqplot.Lines(x=x, y=np.sin(x), scales=scales)],
                           axes=[bqplot.Axis(scale=scales["x"]),
                                 bqplot.Axis(scale=scales["y"], side="left")])
    figure.add_class("t-small-figure")
    out = tmp_path_factory.mktemp("small") / "small.html"
    export_html([ipywidgets.IntSlider(3, description="sample"), figure], out, progress=False)
    return out


@contextlib.contextmanager
def open_offline(url, allowed="file://"):
    """``url`` in Chromium with every request not starting with ``allowed``
    blocked.  Yields (page, requests that were blocked, page errors)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it "
                    f"(scripts/ensure-system-packages)")
    blocked, errors = [], []

    def only_allowed(route):
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with browser_context() as ctx:
        ctx.route("**/*", only_allowed)
        if allowed == "file://":
            ctx.set_offline(True)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
        page.goto(url)
        yield page, blocked, errors


@pytest.fixture(scope="module")
def offline_page(exported):
    """The exported page in Chromium, everything but file:// blocked."""
    html, _ = exported
    with open_offline(html.as_uri()) as opened:
        yield opened


def test_export_writes_page_and_local_scripts(exported):
    html, seconds = exported
    files = html.with_name("quickstart_files")
    text = html.read_text(encoding="utf-8")
    for rel in ("require.js", "html-manager/embed-amd.js",
                "nbextensions/bqplot/index.js", "nbextensions/bqscales/index.js",
                "nbextensions/bqplot-image-gl/index.js", "nbextensions/bqplot-gl/index.js",
                "nbextensions/anywidget/index.js"):
        assert (files / rel).is_file(), rel
    assert "application/vnd.jupyter.widget-state+json" in text
    assert '<script src="quickstart_files/require.js">' in text
    assert '"waitSeconds": 0' in text
    assert (files / "LICENSES.txt").is_file()
    # TensorFlow's C++ log lines stay out of the cells (the kernel ran without
    # TF_CPP_MIN_LOG_LEVEL set); one progress line per code cell was reported
    for noise in ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard",
                  "rebuild TensorFlow with the appropriate compiler flags"):
        assert noise not in text, noise
    cells = [line for line in PROGRESS if re.match(r"\[\d+/\d+\]", line)]
    if any(line.startswith("running") for line in PROGRESS):   # it had no saved state
        assert len(cells) >= 5 and cells[-1].startswith(f"[{len(cells)}/{len(cells)}]"), PROGRESS
    # no script, stylesheet or module from anywhere but the files folder
    remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([a-z]+:[^"]*)"', text)
    assert not remote, remote
    size = sum(p.stat().st_size for p in files.rglob("*")) + html.stat().st_size
    print(f"\nexport took {seconds:.1f} s (incl. running the notebook); "
          f"{html.stat().st_size / 2**20:.1f} MiB html + folder = {size / 2**20:.1f} MiB")


def test_exported_figures_render_offline(offline_page):
    page, blocked, errors = offline_page
    page.wait_for_selector(".seernn-features2d canvas", timeout=30_000)
    page.wait_for_selector(".seernn-weightnorms path.line", state="attached", timeout=30_000)

    image_figures = page.locator(".seernn-features2d, .seernn-rnnheatmap")
    svg_figures = page.locator(".seernn-features1d, .seernn-rnnhistogram, .seernn-weightnorms")
    assert image_figures.count() >= 4 and svg_figures.count() >= 4
    for kind, figures in (("imagegl", image_figures), ("svg", svg_figures)):
        for i in range(figures.count()):
            figure = figures.nth(i)
            if not figure.is_visible():     # e.g. a view the Explorer hides
                continue
            figure.scroll_into_view_if_needed()
            assert wait_pixels_nonblank(figure, timeout=10, min_colours=8,
                                        min_foreground=0.02), f"{kind} figure {i} is blank"
    # the SVG marks carry data, not just axes
    assert page.locator(".seernn-features1d path.line").count() > 0
    assert page.locator(".seernn-rnnhistogram rect.bar").count() > 0

    screenshot(image_figures.first, "export_features2d")
    screenshot(svg_figures.first, "export_features1d")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export_page.png"), full_page=True)
    assert not blocked, f"the page asked the network for {blocked}"
    assert not errors, errors


def test_exported_sample_slider_redraws_in_page(offline_page):
    """No kernel: the sample slider's new value is sliced by BrowserSlicer."""
    page, _, errors = offline_page
    view = page.locator(".seernn-view", has=page.locator(".seernn-features2d")).first
    figure = view.locator(".seernn-features2d").first
    readout = view.locator(".seernn-sample .widget-readout").first
    figure.scroll_into_view_if_needed()
    assert wait_pixels_nonblank(figure, timeout=10)
    before, sample = pixel_hash(figure), int(readout.inner_text())
    title = figure.locator(".mainheading").text_content()
    assert f"sample {sample}" in title

    view.locator(".seernn-sample").first.scroll_into_view_if_needed()
    drag_slider(page, f"{view_selector(page, view)} .seernn-sample", 0.9)
    new_sample = int(readout.inner_text())
    assert new_sample != sample
    after = wait_pixels_change(figure, before, timeout=10)
    assert after != before, "the heatmap did not change after moving the sample slider"
    page.wait_for_function(
        "([el, s]) => el.textContent.includes(s)",
        arg=[figure.locator(".mainheading").element_handle(), f"sample {new_sample}"],
        timeout=5_000)
    screenshot(view, f"export_features2d_sample_{new_sample}")
    assert not errors, errors


def view_selector(page, view):
    """A CSS selector for ``view`` (drag_slider takes a selector): tag it."""
    view.evaluate("el => el.classList.add('t-export-view')")
    return ".t-export-view"


def test_page_waits_for_a_module_slower_than_7_s(small_page):
    """requirejs gives up on a script after 7 s by default (``Load timeout
    for modules``); the page's waitSeconds 0 waits.  Served over HTTP with
    bqplot's bundle held back 8.5 s."""
    slow = f"/{small_page.stem}_files/nbextensions/bqplot/index.js"
    served = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(small_page.parent), **kwargs)

        def do_GET(self):
            served.append(self.path)
            if self.path == slow:
                time.sleep(8.5)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with open_offline(origin + small_page.name, allowed=origin) as (page, blocked, errors):
            start = time.time()
            page.wait_for_selector(".t-small-figure path.line", state="attached", timeout=60_000)
            waited = time.time() - start
            figure = page.locator(".t-small-figure").first
            assert wait_pixels_nonblank(figure, timeout=10, min_colours=2, min_foreground=0.01)
            screenshot(page.locator("body"), "export_slow_module_page")
            assert page.locator(".widget-slider").count() == 1
            assert page.locator("#seernn-export-error").count() == 0
            assert slow in served and waited > 7, (waited, served)
            assert not blocked, f"the page asked the network for {blocked}"
            assert not errors, errors
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("missing", ["nbextensions/bqplot/index.js", "html-manager/embed-amd.js",
                                     "require.js"])
def test_page_names_a_script_that_fails_to_load(small_page, tmp_path, missing):
    copy = tmp_path / small_page.name
    files = f"{small_page.stem}_files"
    shutil.copy2(small_page, copy)
    shutil.copytree(small_page.with_name(files), tmp_path / files)
    (tmp_path / files / missing).unlink()

    with open_offline(copy.as_uri()) as (page, _, _errors):
        box = page.locator("#seernn-export-error")
        box.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(500)        # any second message
        text = box.inner_text()
        screenshot(page.locator("body"), f"export_missing_{Path(missing).parent.name or 'root'}"
                                         f"_{Path(missing).stem}")
        # where the widgets would be: in the first view's place, before it
        assert page.locator(".seernn-widget #seernn-export-error").count() == 1
        assert page.locator(".t-small-figure path.line").count() == 0   # no figure drawn
    assert "Some widgets on this page could not be shown." in text
    if missing.startswith("nbextensions/"):
        assert 'The widget module "bqplot" could not be loaded' in text
    assert f"{files}/{missing}" in text, text
    assert f"Keep the folder {files}/ next to this page" in text


def test_exported_controls_act_or_say_why(offline_page):
    """No kernel: the controls that need one (layer, mode, channels, bins,
    colours, the Explorer's menus) are disabled with a tooltip saying so; the others
    act in the page (js/twins.js looks up the rows Python drew for them)."""
    page, _, errors = offline_page
    for drawn in (".seernn-weightnorms path.line", ".seernn-rnnhistogram rect.bar"):
        page.wait_for_selector(drawn, state="attached", timeout=30_000)
    tip = "this page has none (a static export)"
    views = ".seernn-view:not(:has(.seernn-weightnorms))"   # WeightNorms' layer acts
    held = page.locator(f"{views} .seernn-layer, {views} .seernn-mode, .seernn-channels, "
                        ".seernn-colour_scale, .seernn-explorer-layer, .seernn-explorer-what")
    assert held.count() >= 12
    for i in range(held.count()):
        control = held.nth(i)
        page.wait_for_function("([el, tip]) => el.title.includes(tip)",
                               arg=[control.element_handle(), tip], timeout=15_000)
        assert control.locator("select").first.is_disabled(), control.inner_text()
    hist = page.locator(".seernn-view", has=page.locator(".seernn-rnnhistogram")).first
    bins = hist.locator(".widget-text").first
    assert bins.locator("input").is_disabled() and tip in bins.get_attribute("title")

    # RNNHistogram: a gate, then no bias row
    hist.scroll_into_view_if_needed()
    figures = hist.locator(".seernn-rnnhistogram")
    assert figures.count() == 9                      # 3 kernels x gates z, r, h
    hist.locator(".seernn-gate select").select_option("r")
    page.wait_for_function("(el) => el.querySelectorAll('.seernn-rnnhistogram').length === 3",
                           arg=hist.element_handle(), timeout=15_000)
    assert [figures.nth(i).locator(".mainheading").text_content() for i in range(3)] == [
        "input: r", "recurrent: r", "bias: r"]
    hist.locator(".seernn-bias input").click()
    page.wait_for_function("(el) => el.querySelectorAll('.seernn-rnnhistogram').length === 2",
                           arg=hist.element_handle(), timeout=15_000)
    screenshot(hist, "export_histogram_gate_r")

    # Features1D: one sample instead of all
    f1 = page.locator(".seernn-view", has=page.locator(".seernn-features1d")).first
    title = f1.locator(".seernn-title").first
    assert "all samples" in title.text_content()
    f1.locator(".seernn-sample").first.scroll_into_view_if_needed()
    f1.evaluate("el => el.classList.add('t-export-f1')")
    drag_slider(page, ".t-export-f1 .seernn-sample", 0.5, steps=2)
    sample = int(f1.locator(".seernn-sample .widget-readout").first.inner_text())
    page.wait_for_function("([el, s]) => el.textContent.includes(s)",
                           arg=[title.element_handle(), f"sample {sample}"], timeout=15_000)
    assert f1.locator(".seernn-sample-all input").first.is_checked() is False
    screenshot(f1, f"export_features1d_sample_{sample}")

    # WeightNorms: another layer's history
    norms = page.locator(".seernn-view", has=page.locator(".seernn-weightnorms")).first
    heading = norms.locator(".seernn-weightnorms .mainheading").first
    assert "lstm weights" in heading.text_content()
    norms.locator(".seernn-layer select").first.select_option("dense")
    page.wait_for_function("(el) => el.textContent.includes('dense weights')",
                           arg=heading.element_handle(), timeout=15_000)
    page.wait_for_function(   # kernel and bias
        "(el) => el.querySelectorAll('.seernn-legend-entry').length === 2",
        arg=norms.element_handle(), timeout=15_000)
    screenshot(norms, "export_weightnorms_dense")
    assert not errors, errors
