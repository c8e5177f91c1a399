"""The insight views (issue 14) in a real JupyterLab + Chromium, over one
inspector of a small trained LSTM model: Features2D(mode='gates'),
GradientFlow and LayerHealth render (pixels, and titles in the page equal to
the kernel's), and the gate dropdown repaints the heatmap and moves the
kernel's `gate` trait."""
import pytest

from lab import (
    kernel_value,
    open_notebook,
    pixel_hash,
    run_all,
    screenshot,
    wait_pixels_change,
    wait_pixels_nonblank,
    write_notebook,
)

NOTEBOOK = "insight.ipynb"

# Adam(0.1) (the demo uses 0.01): ten steps saturate a few gate values, so the
# health table has coloured cells, while the gradient still vanishes in time.
SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras
from seernn_widgets import Features2D, GradientFlow, Inspector, LayerHealth
from seernn_widgets.demo import make_data, make_model
x, y = make_data(n_samples=16)
model = make_model()
model.compile(keras.optimizers.Adam(0.1), "mse")
insp = Inspector(model, x, y)
print(f"step 0: loss {insp.loss:.3f}")   # a pass at step 0, kept in the history
model.fit(x, y, batch_size=8, epochs=5, verbose=0)
insp.refresh()                      # two recorded steps: 0 and 10
"""

CELLS = [
    'gates = Features2D(insp, "lstm", mode="gates", gate="f")\ngates.add_class("t-gates")\ngates',
    'flow = GradientFlow(insp, layer="bilstm")\nflow.add_class("t-flow")\nflow',
    'health = LayerHealth(insp)\nhealth.add_class("t-health")\nhealth',
]


@pytest.fixture(scope="module")
def notebook_page(browser_context, lab):
    write_notebook(lab.root_dir / NOTEBOOK, [SETUP] + CELLS)
    page = browser_context.new_page()
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    yield page
    page.close()


def heading(locator):
    """The bqplot figure's title as the page shows it."""
    return locator.locator(".mainheading").first.text_content()


def test_gates_render_and_follow_the_gate_dropdown(notebook_page, lab):
    page = notebook_page
    view = page.locator(".t-gates")
    figure = view.locator(".seernn-features2d").first
    figure.wait_for()
    figure.scroll_into_view_if_needed()
    canvas = figure.locator("canvas").first
    assert wait_pixels_nonblank(canvas), "gates heatmap is blank"
    title = kernel_value(lab, NOTEBOOK, "gates.heatmap.figure.title")
    assert "lstm gate f (forget) - sample 0" in title, title
    assert heading(figure) == title
    screenshot(view, "insight_gates_f")

    before = pixel_hash(canvas)
    view.locator(".seernn-gate select").select_option("i")
    assert wait_pixels_change(canvas, before) != before, "gate change did not repaint"
    assert kernel_value(lab, NOTEBOOK, "gates.gate") == "i"
    title = kernel_value(lab, NOTEBOOK, "gates.heatmap.figure.title")
    assert "lstm gate i (input) - sample 0" in title, title
    page.wait_for_function("([sel, t]) => document.querySelector(sel)?.textContent === t",
                           arg=[".t-gates .seernn-features2d .mainheading", title])
    screenshot(view, "insight_gates_i")


def test_gradient_flow_renders_its_verdict(notebook_page, lab):
    page = notebook_page
    view = page.locator(".t-flow")
    lines = view.locator(".seernn-gradientflow").first
    lines.wait_for()
    lines.scroll_into_view_if_needed()
    assert wait_pixels_nonblank(lines, min_colours=8, min_foreground=0.02), "lines blank"
    assert lines.locator("path.line").count() >= 2          # lstm and bilstm
    history = view.locator(".seernn-gradientflow-history").first
    history.scroll_into_view_if_needed()
    assert wait_pixels_nonblank(history.locator("canvas").first, min_colours=4,
                                min_foreground=0.02), "history heatmap blank"
    title = kernel_value(lab, NOTEBOOK, "flow.figure.title")
    assert "bilstm: early timesteps get " in title and "of the late gradient" in title, title
    assert heading(lines) == title
    screenshot(view, "insight_gradient_flow")


def test_layer_health_renders_its_table(notebook_page, lab):
    page = notebook_page
    view = page.locator(".t-health")
    table = view.locator(".seernn-health-table table").first
    table.wait_for()
    table.scroll_into_view_if_needed()
    rows = kernel_value(lab, NOTEBOOK, "list(health.view_data())")
    assert rows == ["lstm", "bilstm", "gru", "dense"]
    shown = [r.get_attribute("data-layer") for r in table.locator("tr[data-layer]").all()]
    assert shown == rows
    title = kernel_value(lab, NOTEBOOK, "health.title_text(health.health())")
    assert title.startswith("layer health"), title
    assert view.locator(".seernn-title").first.inner_text() == title
    # each cell's percentage as the kernel computes it (lstm's forget gate)
    f = kernel_value(lab, NOTEBOOK, "health.view_data()['lstm']['saturated']['f']")
    cell = table.locator('tr[data-layer="lstm"] span[title*="values"]', has_text="f ").first
    expected = "f <0.1%" if 0 < f < 0.001 else f"f {100 * f:.1f}%"
    assert cell.inner_text() == expected
    history = view.locator(".seernn-health-history").first
    assert history.is_visible(), "the history figure is hidden"
    drawn = history.locator("path.line").evaluate_all(
        "paths => paths.map(p => (p.getAttribute('d') || '').length)")
    assert len(drawn) >= 2 and all(n > 0 for n in drawn[:2]), drawn   # dead, exploding
    assert wait_pixels_nonblank(history, min_colours=8, min_foreground=0.02), "history blank"
    assert wait_pixels_nonblank(view, min_colours=8, min_foreground=0.02)
    screenshot(view, "insight_layer_health")
