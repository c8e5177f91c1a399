"""Masked timesteps (Masking, Embedding(mask_zero=True)) are reported by the
inspector and greyed out by the sequence views, in Python and in the page."""
import keras
import numpy as np
import pytest

from seernn_widgets import Inspector, slicing
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.lines import Features1D


@pytest.fixture(scope="module")
def tokens():
    """Zero-padded token sequences: sample s keeps its first LENGTHS[s]."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (4, 30))
    for s, length in enumerate(LENGTHS):
        x[s, length:] = 0
    return x


LENGTHS = (30, 21, 5, 12)


@pytest.fixture(scope="module")
def embedded(tokens):
    keras.utils.set_random_seed(0)
    ipt = keras.Input((30,))
    h = keras.layers.Embedding(20, 4, mask_zero=True, name="emb")(ipt)
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="bi")(h)
    out = keras.layers.LSTM(2, name="last")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    return Inspector(model, tokens, np.zeros((4, 2), np.float32))


def test_mask_follows_the_padding_through_the_layers(embedded, tokens):
    expected = tokens != 0
    for layer in ("emb", "bi"):
        np.testing.assert_array_equal(embedded.mask(layer), expected)
    assert embedded.mask("last") is None            # no timesteps left: no mask
    embedded.gradients("bi")                        # a full pass reports them too
    np.testing.assert_array_equal(embedded.mask("bi"), expected)


def test_masking_layer_masks_all_zero_timesteps(rng):
    x = rng.standard_normal((3, 8, 2)).astype(np.float32)
    x[0, 5:] = 0.0
    x[2, 2] = 0.0                                   # a masked timestep mid-sequence
    model = keras.Sequential([keras.Input((8, 2)), keras.layers.Masking(0.0, name="m"),
                              keras.layers.GRU(3, return_sequences=True, name="gru")])
    insp = Inspector(model, x)
    np.testing.assert_array_equal(insp.mask("gru"), np.any(x != 0.0, axis=-1))
    unmasked = keras.Sequential([keras.Input((8, 2)), keras.layers.GRU(3)])
    assert Inspector(unmasked, x).mask(-1) is None


@pytest.mark.parametrize("sample, direction, reflect", [
    (1, "both", False), (2, "both", True), (3, "backward", False), (2, "forward", False)])
def test_features2d_greys_masked_columns(embedded, sample, direction, reflect):
    w = Features2D(embedded, "bi", sample=sample, direction=direction, reflect_half=reflect)
    overlay = w.heatmap.mask.image
    assert overlay.shape == w.view_data().shape
    masked_steps = np.arange(30) >= LENGTHS[sample]
    rows = {"both": 6, "forward": 3, "backward": 3}[direction]
    expected = np.tile(masked_steps, (rows, 1))
    if reflect:                                     # the backward half is read right to left
        expected[rows - 3:] = expected[rows - 3:, ::-1]
    np.testing.assert_array_equal(overlay == 1, expected)
    assert np.isnan(overlay[~expected]).all()
    assert f"{30 - LENGTHS[sample]} masked timesteps (grey)" in w.heatmap.figure.title
    assert w.slicer.state["masked"] == [30 - n for n in LENGTHS]
    assert w.slicer.shapes == [[4, 30, 6], [4, 30]]     # the page gets the keep-mask too


def test_features2d_without_masked_steps_shows_no_overlay(embedded):
    w = Features2D(embedded, "bi", sample=1)
    w.sample = 0                                    # sample 0 is not padded
    assert np.isnan(w.heatmap.mask.image).all() and "masked" not in w.heatmap.figure.title


def test_features1d_draws_masked_stretches_grey(embedded):
    w = Features1D(embedded, "bi", sample=2, channels=[0, 4])
    for figure, channel in zip(w._figures, (0, 4)):
        coloured, grey = figure.marks
        assert grey.visible
        line = embedded.outputs("bi")[2, :, channel]
        np.testing.assert_array_equal(coloured.y, line)        # the data stays whole
        np.testing.assert_array_equal(np.isnan(grey.y), np.arange(30) < LENGTHS[2])
        np.testing.assert_array_equal(grey.y[LENGTHS[2]:], line[LENGTHS[2]:])
    assert "masked timesteps in grey" in w.title_line.value
    w.sample = 0
    assert not w._figures[0].marks[1].visible


def test_mask_image_matches_features_2d_of_a_broadcast_cube():
    kept = np.array([[1, 1, 0, 0, 0]], bool)
    image = slicing.mask_image(kept, 4, reflect=True)
    np.testing.assert_array_equal(image == 1, [[0, 0, 1, 1, 1]] * 2 + [[1, 1, 1, 0, 0]] * 2)
