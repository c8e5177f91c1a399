"""Values that arrive from the page go through the same validation as
Python's: an invalid one is refused (or clamped by the slider) without an
exception escaping the message handler, and the view stays consistent."""
import keras
import numpy as np
import pytest

from seernn_widgets import Features2D, Inspector


def page_sets(control, **state):
    """What a comm 'update' message from the page does to a control."""
    control._handle_msg({"content": {"data": {"method": "update", "state": state,
                                              "buffer_paths": []}}, "buffers": []})


@pytest.fixture
def view(rng):
    ipt = keras.Input((6, 3))
    layer = keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True), name="bigru")
    model = keras.Model(ipt, layer(ipt))
    model.compile("adam", "mse")
    return Features2D(Inspector(model, rng.standard_normal((4, 6, 3))), "bigru")


def test_out_of_range_values_from_the_page_are_refused_or_clamped(view):
    before = view.view_data()
    page_sets(view.control_widgets["direction"], index=7)        # no 8th option
    assert view.direction == "both" and view.control_widgets["direction"].index == 0
    np.testing.assert_array_equal(view.view_data(), before)
    page_sets(view.sample_control, value=99)                     # the slider clamps it
    assert view.sample == 3 == view.sample_control.value
    page_sets(view.sample_control, value=1)                      # valid values work
    assert view.sample == 1
    page_sets(view.sample_control, value=3)
    page_sets(view.control_widgets["direction"], index=2)
    assert (view.sample, view.direction) == (3, "backward")
    np.testing.assert_array_equal(view.view_data(), view.inspector.outputs("bigru")[3][:, 2:].T)


def test_a_cube_over_the_budget_hands_the_slicing_controls_to_the_kernel(view, monkeypatch):
    """Without its cube the page cannot slice: sample, direction and
    reflect_half join `kernel_only` (disabled while the kernel is busy); the
    colour controls stay the page's. A cube that fits again gives them back."""
    from seernn_widgets.views import _browser
    slicer = view.slicer
    assert slicer.cube and not {"sample", "direction", "reflect_half"} & set(slicer.kernel_only)
    monkeypatch.setattr(_browser, "BUDGET", 100)
    view.inspector.refresh()
    assert slicer.cube == b"" and slicer.shapes == []
    assert {"sample", "direction", "reflect_half"} <= set(slicer.kernel_only)
    assert slicer.kernel_only["sample"] is view.sample_control
    assert not {"norm", "norm_auto"} & set(slicer.kernel_only)
    assert "layer" in slicer.kernel_only   # the kernel's own stay
    monkeypatch.setattr(_browser, "BUDGET", 8 * 2**20)
    view.inspector.refresh()
    assert slicer.cube and not {"sample", "direction", "reflect_half"} & set(slicer.kernel_only)
    assert "layer" in slicer.kernel_only
