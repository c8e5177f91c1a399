"""Features2D(mode='gates'): one gate's activations, units x timesteps, with
every Features2D control; a gate switch reuses the inspector's arrays."""
import keras
import numpy as np
import pytest
from traitlets import TraitError

from seernn_widgets import Inspector
from seernn_widgets.views.features import Features2D


@pytest.fixture(scope="module")
def insp():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 9, 3)).astype("float32")
    x[1, 6:] = 0                                      # padded: masked timesteps
    ipt = keras.Input((9, 3))
    h = keras.layers.Masking(name="mask")(ipt)
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name="bilstm")(h)
    h = keras.layers.GRU(5, return_sequences=True, name="gru")(h)
    out = keras.layers.SimpleRNN(2, name="srnn")(h)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    return Inspector(model, x, rng.standard_normal((4, 2)))


def test_gate_choices_follow_the_layer(insp):
    w = Features2D(insp, "bilstm", mode="gates")
    assert w.mode_choices("mask") == ["outputs", "gradients"]
    assert w.mode_choices("srnn") == ["gates"]     # a last-state output: gates only
    assert (w.gate, w.choices("gate")) == ("i", ["i", "f", "c", "o"])
    w.layer = "gru"
    assert (w.gate, w.choices("gate")) == ("z", ["z", "r", "h"])
    w.set_controls(layer="bilstm", gate="f")
    w.mode = "outputs"
    assert w.gate is None and w.choices("gate") == [None]
    assert w.gate_control.layout.display == "none"


@pytest.mark.parametrize("direction, reflect", [("both", False), ("both", True),
                                                 ("forward", False), ("backward", False)])
def test_each_gate_direction_and_sample(insp, direction, reflect):
    w = Features2D(insp, "bilstm", mode="gates")
    for gate in "ifco":
        w.set_controls(gate=gate, sample=2, direction=direction, reflect_half=reflect)
        seq = insp.gates("bilstm")[gate][2]                 # (timesteps, 8 units)
        forward = insp.gates("bilstm", "forward")[gate][2]
        backward = insp.gates("bilstm", "backward")[gate][2]
        np.testing.assert_array_equal(seq, np.concatenate([forward, backward], 1))
        if reflect:
            backward = backward[::-1]
        expected = {"both": np.concatenate([forward, backward], 1),
                    "forward": forward, "backward": backward}[direction].T
        np.testing.assert_array_equal(w.view_data(), expected)
        np.testing.assert_array_equal(w.heatmap.mark.image, expected)
        label = {"i": "input", "f": "forget", "c": "cell", "o": "output"}[gate]
        assert f"bilstm gate {gate} ({label}) - sample 2" in w.heatmap.figure.title


def test_a_gate_switch_computes_nothing(insp):
    w = Features2D(insp, "gru", mode="gates")
    count, arrays = insp.compute_count, insp.gates("gru")
    for gate in ["r", "h", "z", "h"]:
        w.gate = gate
        assert w._data() is arrays[gate]
    assert insp.compute_count == count


def test_masked_timesteps_are_greyed(insp):
    w = Features2D(insp, "gru", mode="gates", sample=1)
    kept = insp.gates_mask("gru")
    assert not kept[1, 6:].any() and kept[1, :6].all()
    overlay = w.mask_data()
    assert np.isnan(overlay[:, :6]).all() and (overlay[:, 6:] == 1).all()
    assert "3 masked timesteps (grey)" in w.heatmap.figure.title


def test_refusals_leave_the_view_as_it_was(insp):
    w = Features2D(insp, "bilstm", mode="gates", gate="o", direction="backward")
    before = (w.control_state(), w.view_data().copy(), w.heatmap.figure.title)
    with pytest.raises(TraitError, match=r"gate must be one of \['i', 'f', 'c', 'o'\]"):
        w.gate = "z"
    with pytest.raises(TraitError, match="gate must be one of"):
        w.set_controls(layer="gru", gate="f")
    with pytest.raises(TraitError, match="mode 'gates' needs a recurrent layer"):
        w.set_controls(layer="mask", mode="gates")
    assert w.control_state() == before[0]
    np.testing.assert_array_equal(w.view_data(), before[1])
    assert w.heatmap.figure.title == before[2]


def test_gates_follow_training(insp):
    model = insp.model
    w = Features2D(insp, "srnn", mode="gates", sample=3)
    before = w.view_data().copy()
    x, y = insp.x, insp.y
    model.fit(x, y, epochs=3, verbose=0)
    insp.refresh()
    np.testing.assert_array_equal(w.view_data(), insp.gates("srnn")["h"][3].T)
    assert not np.array_equal(w.view_data(), before)


def test_sigmoid_gates_use_the_whole_palette(insp):
    w = Features2D(insp, "bilstm", mode="gates", gate="f")
    top = float(np.abs(insp.gates("bilstm")["f"]).max())
    assert w.norm_shown() == (0.0, top)          # white closed, red open
    w.gate = "c"                                 # a tanh candidate: around 0
    top = float(np.abs(insp.gates("bilstm")["c"]).max())
    assert w.norm_shown() == (-top, top)
