"""`Inspector.gates`: every gate activation equals a step-by-step NumPy loop
of the cell (tests/reference.py), for each cell type, direction, masks,
go_backwards, initial states and recorded steps."""
import keras
import numpy as np
import pytest

from reference import cell_steps
from seernn_widgets import Inspector
from seernn_widgets._gates import GatesUnavailableError
from seernn_widgets.rnn import NotRecurrentError

TOL = dict(rtol=1e-4, atol=2e-5)
RNG = np.random.default_rng(3)


def batch(samples=5, steps=7, features=3):
    return RNG.normal(size=(samples, steps, features)).astype("float32")


def weights_of(layer):
    """(kernel, recurrent, bias) of an RNN layer's cell."""
    cell = layer.cell
    return cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()


def expected(layer, x, kept=None, h0=None, c0=None, backwards=False):
    cell = type(layer).__name__
    if backwards:
        x = x[:, ::-1]
        kept = None if kept is None else kept[:, ::-1]
    return cell_steps(cell, x, *weights_of(layer), kept=kept, h0=h0, c0=c0,
                      reset_after=getattr(layer.cell, "reset_after", True))[1]


def assert_gates(found, wanted):
    assert list(found) == list(wanted)
    for gate in wanted:
        assert found[gate].dtype == np.float32
        np.testing.assert_allclose(found[gate], wanted[gate], **TOL, err_msg=gate)


def sequential(*layers, steps=7, features=3):
    model = keras.Sequential([keras.Input((steps, features)), *layers])
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("layer", [
    lambda: keras.layers.LSTM(4, return_sequences=True),
    lambda: keras.layers.LSTM(4),                                   # recomputed hidden states
    lambda: keras.layers.GRU(4, return_sequences=True),
    lambda: keras.layers.GRU(4, reset_after=False),
    lambda: keras.layers.GRU(4, return_sequences=True, reset_after=False),
    lambda: keras.layers.SimpleRNN(4, return_sequences=True),
    lambda: keras.layers.SimpleRNN(4),
], ids=["lstm-seq", "lstm-last", "gru-seq", "gru-v1-last", "gru-v1-seq", "rnn-seq", "rnn-last"])
def test_cells_equal_a_numpy_loop(layer):
    layer = layer()
    model = sequential(layer, keras.layers.Dense(1))
    x = batch()
    insp = Inspector(model, x)
    assert_gates(insp.gates(layer.name), expected(layer, x))
    assert insp.gates_mask(layer.name) is None


def test_go_backwards_gates_are_in_the_layers_output_order():
    layer = keras.layers.LSTM(4, return_sequences=True, go_backwards=True)
    model = sequential(layer)
    x = batch()
    insp = Inspector(model, x)
    assert_gates(insp.gates(layer.name), expected(layer, x, backwards=True))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", None])
@pytest.mark.parametrize("cell", [keras.layers.LSTM, keras.layers.GRU])
def test_bidirectional_each_direction_and_both(cell, merge_mode):
    bi = keras.layers.Bidirectional(cell(4, return_sequences=True), merge_mode=merge_mode)
    inp = keras.Input((7, 3))
    out = bi(inp)
    model = keras.Model(inp, out)
    x = batch()
    insp = Inspector(model, x)
    forward = expected(bi.forward_layer, x)
    backward = {g: v[:, ::-1] for g, v in
                expected(bi.backward_layer, x, backwards=True).items()}   # input order
    assert_gates(insp.gates(bi.name, "forward"), forward)
    assert_gates(insp.gates(bi.name, "backward"), backward)
    assert_gates(insp.gates(bi.name),
                 {g: np.concatenate([forward[g], backward[g]], -1) for g in forward})


def test_masked_timesteps_carry_the_state_and_are_marked():
    x = batch(4, 8)
    x[0, 5:] = 0            # padded at the end
    x[1, 2:4] = 0           # masked in the middle
    x[2, :3] = 0            # padded at the start
    kept = np.any(x != 0, axis=-1)
    lstm = keras.layers.LSTM(4, return_sequences=True)
    gru = keras.layers.GRU(4)
    bi = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    inp = keras.Input((8, 3))
    masked = keras.layers.Masking()(inp)
    model = keras.Model(inp, [gru(lstm(masked)), bi(masked)])
    insp = Inspector(model, x)
    assert_gates(insp.gates(lstm.name), expected(lstm, x, kept))
    np.testing.assert_array_equal(insp.gates_mask(lstm.name), kept)
    hidden = insp.outputs(lstm.name)
    assert_gates(insp.gates(gru.name), expected(gru, hidden, kept))
    np.testing.assert_array_equal(insp.gates_mask(gru.name), kept)
    backward = expected(bi.backward_layer, x, kept, backwards=True)
    assert_gates(insp.gates(bi.name, "backward"), {g: v[:, ::-1] for g, v in backward.items()})
    np.testing.assert_array_equal(insp.gates_mask(bi.name), kept)


def test_go_backwards_mask_is_reversed_with_the_gates():
    x = batch(3, 6)
    x[0, 4:] = 0
    kept = np.any(x != 0, axis=-1)
    layer = keras.layers.GRU(4, return_sequences=True, go_backwards=True)
    inp = keras.Input((6, 3))
    model = keras.Model(inp, layer(keras.layers.Masking()(inp)))
    insp = Inspector(model, x)
    assert_gates(insp.gates(layer.name), expected(layer, x, kept, backwards=True))
    np.testing.assert_array_equal(insp.gates_mask(layer.name), kept[:, ::-1])


def test_initial_state_from_an_encoder():
    enc = keras.layers.LSTM(4, return_state=True)
    dec = keras.layers.LSTM(4, return_sequences=True)
    inp, target = keras.Input((7, 3)), keras.Input((5, 2))
    _, h, c = enc(inp)
    model = keras.Model([inp, target], dec(target, initial_state=[h, c]))
    x, t = batch(), batch(5, 5, 2)
    insp = Inspector(model, [x, t])
    h0, c0 = insp.outputs(f"{enc.name}[1]"), insp.outputs(f"{enc.name}[2]")
    assert_gates(insp.gates(dec.name), expected(dec, t, h0=h0, c0=c0))


def test_gates_at_recorded_steps_and_cached():
    layer = keras.layers.LSTM(4, return_sequences=True)
    model = sequential(layer, keras.layers.Dense(1))
    x, y = batch(), RNG.normal(size=(5, 7, 1)).astype("float32")
    insp = Inspector(model, x, y)
    first_step = insp.step
    wanted_first = expected(layer, x)
    first = insp.gates(layer.name)
    assert insp.gates(layer.name)["f"] is first["f"]          # no recompute
    count = insp.compute_count
    model.fit(x, y, epochs=2, verbose=0)
    insp.refresh()
    assert_gates(insp.gates(layer.name), expected(layer, x))
    assert insp.compute_count == count + 1
    assert_gates(insp.gates(layer.name, step=first_step), wanted_first)
    assert not np.allclose(insp.gates(layer.name)["f"], first["f"])


def test_the_model_is_left_as_it_was():
    layer = keras.layers.GRU(4)    # recomputed by an RNN over its cell
    model = sequential(layer, keras.layers.Dense(1))
    before = [w.numpy().copy() for w in model.weights]
    n_layers = len(model.layers)
    insp = Inspector(model, batch())
    insp.gates(layer.name)
    assert len(model.weights) == len(before) and len(model.layers) == n_layers
    for w, old in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), old)


def test_gate_functions_name_the_cells_activations():
    layer = keras.layers.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True)
    insp = Inspector(sequential(layer), batch())
    assert insp.gate_functions(layer.name) == {
        "i": "hard_sigmoid", "f": "hard_sigmoid", "c": "tanh", "o": "hard_sigmoid"}
    pre = insp.gates(layer.name)["f"]
    assert pre.min() >= 0 and pre.max() <= 1


def test_refusals_name_what_is_wrong():
    lstm = keras.layers.LSTM(4, return_sequences=True, dropout=0.5)
    model = sequential(lstm, keras.layers.Dense(2, name="dense"))
    insp = Inspector(model, batch())
    with pytest.raises(NotRecurrentError, match="dense"):
        insp.gates("dense")
    with pytest.raises(ValueError, match=r"direction must be one of \[None, 'forward'\]"):
        insp.gates(lstm.name, "backward")
    with pytest.raises(GatesUnavailableError, match="learning_phase=0"):
        Inspector(model, batch(), learning_phase=1).gates(lstm.name)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.GRU(3, return_sequences=True)

        def call(self, x):
            return self.rnn(x)

    sub = Sub()
    sub(batch())
    with pytest.raises(GatesUnavailableError, match="subclassed"):
        Inspector(sub, batch()).gates(sub.rnn.name)
