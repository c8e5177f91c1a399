"""Layer names holding HTML/JavaScript are shown as text everywhere: no
script runs, and the name is readable in menus, titles and headings.

TensorFlow refuses to run a model whose layer names are not valid name
scopes (spaces, '<', '='), so such a model has no outputs to inspect: the
weight views are the ones that can show it."""
from lab import open_notebook, run_all, screenshot, write_notebook

NOTEBOOK = "hostile.ipynb"
NAME = '<img src=x onerror="window.__pwned=1">'

CELLS = [f"""
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import keras, numpy as np
from seernn_widgets import Inspector, RNNHeatmap, RNNHistogram, WeightNorms
ipt = keras.Input((6, 3))
h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name={NAME!r})(ipt)
model = keras.Model(ipt, keras.layers.GRU(2, name="gru")(h))
model.compile("adam", "mse")
rng = np.random.default_rng(0)
insp = Inspector(model, rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 2)))
""", "RNNHeatmap(insp, 1)", "RNNHistogram(insp, 1)", "WeightNorms(insp, 1)"]


def test_hostile_layer_names_are_text_and_run_nothing(page, lab):
    write_notebook(lab.root_dir / NOTEBOOK, CELLS)
    open_notebook(page, lab, NOTEBOOK)
    run_all(page)
    page.locator(".seernn-rnnhistogram").first.wait_for()
    page.wait_for_timeout(1000)
    screenshot(page, "hostile_names")
    assert page.evaluate("window.__pwned") is None, "a layer name ran as script"
    assert page.locator("img[src='x']").count() == 0, "a layer name became an element"
    def texts(selector):  # dropdowns show spaces as no-break spaces
        return [t.replace("\xa0", " ") for t in page.locator(selector).all_text_contents()]

    assert NAME in texts(".seernn-layer select option")
    assert any(NAME in t for t in texts("svg text")), "the name is in no figure title"
    assert any(NAME in t for t in texts(".seernn-title")), "the name is in no heading"
