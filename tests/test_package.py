"""The inspection part never pulls in widget libraries."""
import subprocess
import sys


def test_inspection_imports_without_ipywidgets_or_bqplot():
    code = ("import sys, seernn_widgets as s; s.get_outputs; "
            "print(any(m.split('.')[0] in ('ipywidgets', 'bqplot') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_widgets_load_on_first_use():
    import seernn_widgets
    from seernn_widgets.views.features import Features2D
    assert seernn_widgets.Features2D is Features2D
