"""The inspection part never pulls in widget libraries; one version string."""
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_inspection_imports_without_ipywidgets_or_bqplot():
    code = ("import sys, seernn_widgets as s; s.get_outputs; "
            "print(any(m.split('.')[0] in ('ipywidgets', 'bqplot') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_version_is_pyprojects():
    """pyproject.toml holds the one version string; the package reads it from its
    installed metadata (the wheel's: tests/test_wheel.py)."""
    import seernn_widgets
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert seernn_widgets.__version__ == project["version"]
    assert "version" not in (ROOT / "setup.py").read_text(encoding="utf-8")


def test_widgets_load_on_first_use():
    import seernn_widgets
    from seernn_widgets.views.features import Features2D
    assert seernn_widgets.Features2D is Features2D


def test_see_rnn_code_migrates_by_changing_the_import():
    """see-rnn's README example, with only `see_rnn` replaced."""
    import keras
    import numpy as np

    from seernn_widgets import features_2D, get_gradients  # was: from see_rnn import ...
    from seernn_widgets.views.features import Features2D
    ipt = keras.Input((12, 3))
    model = keras.Model(ipt, keras.layers.Dense(1)(keras.layers.LSTM(
        8, return_sequences=True)(keras.layers.LSTM(6, return_sequences=True)(ipt))))
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 12, 3)), rng.standard_normal((4, 12, 1))
    grads = get_gradients(model, 1, x, y)
    widget = features_2D(grads, n_rows=8, norm=(-.01, .01))
    assert isinstance(widget, Features2D) and widget.norm == (-.01, .01)
    # see-rnn draws timesteps down the y axis by default (timesteps_xaxis=False)
    np.testing.assert_array_equal(widget.view_data(), grads[0])
