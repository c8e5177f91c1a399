"""`export_html`: the quickstart as a page that renders with no kernel and
no network.

The notebook is executed (nbclient) and exported; Chromium opens the HTML
from file:// with every other request aborted (and the context offline), so
nothing can come from a CDN.  The ImageGL heatmaps and the bqplot SVG plots
must show pictures, and the Features2D sample slider, which BrowserSlicer
handles in the page, must redraw its heatmap there.  Screenshots:
tests/artifacts/export_*.png.
"""
import os
import re
import time

import pytest

from pathlib import Path

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


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(html path, seconds) for the exported quickstart."""
    from seernn_widgets.export import export_html

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out = tmp_path_factory.mktemp("export") / "quickstart.html"
    start = time.time()
    export_html(QUICKSTART, out)
    return out, time.time() - start


@pytest.fixture(scope="module")
def offline_page(exported):
    """The exported page in Chromium, everything but file:// blocked.
    Yields (page, requests that were blocked, page errors)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/ensure-system-packages)")
    html, _ = exported
    blocked, errors = [], []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with browser_context() as ctx:
        ctx.route("**/*", only_files)
        ctx.set_offline(True)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
        page.goto(html.as_uri())
        yield page, blocked, errors


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
