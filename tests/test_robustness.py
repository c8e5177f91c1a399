"""Odd models and data: stateful RNNs, nested and multi-output models, mixed
precision, generators, big batches, distribution strategies."""
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from traitlets import TraitError

from reference import bidirectional, lstm
from seernn_widgets import Inspector
from seernn_widgets.rnn import NotRecurrentError
from seernn_widgets.views.features import Features2D
from seernn_widgets.views.rnn_plots import RNNHeatmap

MERGES = {"concat": None, "sum": np.add, "mul": np.multiply,
          "ave": lambda a, b: (a + b) / 2}


@pytest.mark.parametrize("merge", MERGES)
def test_bidirectional_merge_modes_split_by_direction_where_possible(rng, merge):
    """Weights always split by direction; outputs only for concat, otherwise
    the view says the directions are merged and refuses to split them."""
    ipt = keras.Input((6, 3))
    layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                       merge_mode=merge, name="bi")
    model = keras.Model(ipt, layer(ipt))
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    insp = Inspector(model, x)
    weights = [w.astype(float) for w in layer.get_weights()]
    both = bidirectional(lstm, x.astype(float), weights[:3], weights[3:])
    expected = both if merge == "concat" else MERGES[merge](both[..., :4], both[..., 4:])
    np.testing.assert_allclose(insp.outputs("bi"), expected, atol=1e-5)
    np.testing.assert_array_equal(
        RNNHeatmap(insp, "bi", direction="backward").view_data()["recurrent"],
        layer.backward_layer.cell.recurrent_kernel.numpy())
    view = Features2D(insp, "bi")
    if merge == "concat":
        view.direction = "backward"
        np.testing.assert_allclose(view.view_data(), expected[0, :, 4:].T, atol=1e-5)
        return
    assert view.direction_control.layout.display == "none"
    assert view.heatmap.figure.title.endswith(f"directions merged ({merge})")
    refused = rf"\['both'\] for layer 'bi' - directions merged \({merge}\)"
    with pytest.raises(TraitError, match=refused):
        view.direction = "forward"
    assert view.direction == "both"


def test_stateful_rnn_states_are_neither_reset_nor_advanced(rng):
    ipt = keras.Input((5, 3), batch_size=2)
    layer = keras.layers.LSTM(4, stateful=True, return_sequences=True, name="st")
    model = keras.Model(ipt, keras.layers.Dense(1)(layer(ipt)))
    model.compile("adam", "mse")
    x = rng.standard_normal((2, 5, 3)).astype("float32")
    model.predict(x, verbose=0)                       # the states now hold something
    states = [s.numpy().copy() for s in layer.states]
    insp = Inspector(model, x, np.zeros((2, 5, 1), "float32"))
    insp.gradients("st", "weights"), insp.outputs("st")
    for before, after in zip(states, layer.states):
        np.testing.assert_array_equal(before, after.numpy())
    expected = model.predict(x, verbose=0)            # advances the states, as predict does
    for s, value in zip(layer.states, states):
        s.assign(value)
    Inspector(model, x).outputs("st")
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)


def test_nested_model_is_one_inspectable_layer(rng):
    inner_in = keras.Input((6, 3))
    inner = keras.Model(inner_in, keras.layers.GRU(4, return_sequences=True)(inner_in),
                        name="encoder")
    ipt = keras.Input((6, 3))
    model = keras.Model(ipt, keras.layers.Dense(2, name="head")(inner(ipt)))
    model.compile("adam", "mse")
    x = rng.standard_normal((3, 6, 3)).astype("float32")
    insp = Inspector(model, x, rng.standard_normal((3, 6, 2)).astype("float32"))
    np.testing.assert_allclose(insp.outputs("encoder"), inner.predict(x, verbose=0), atol=1e-6)
    assert insp.gradients("encoder").shape == (3, 6, 4)


def test_multi_output_gradients_follow_the_weighted_total_loss(rng):
    ipt = keras.Input((5, 3))
    h = keras.layers.LSTM(4, name="lstm")(ipt)
    a = keras.layers.Dense(2, name="a")(h)
    b = keras.layers.Dense(3, name="b")(h)
    model = keras.Model(ipt, {"a": a, "b": b})
    model.compile("adam", loss={"a": "mse", "b": "mse"}, loss_weights={"a": 1.0, "b": 0.5})
    x = rng.standard_normal((4, 5, 3)).astype("float32")
    y = {"a": rng.standard_normal((4, 2)).astype("float32"),
         "b": rng.standard_normal((4, 3)).astype("float32")}
    insp = Inspector(model, x, y)
    np.testing.assert_allclose(insp.gradients("a"), 2 * (insp.outputs("a") - y["a"]) / 8, rtol=1e-5)
    np.testing.assert_allclose(insp.gradients("b"), 0.5 * 2 * (insp.outputs("b") - y["b"]) / 12,
                               rtol=1e-5)


def test_mixed_precision_arrays_come_out_float32(rng):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        ipt = keras.Input((5, 3))
        model = keras.Model(ipt, keras.layers.Dense(1, dtype="float32")(keras.layers.GRU(4)(ipt)))
        model.compile("adam", "mse")
    finally:
        keras.config.set_dtype_policy("float32")
    x = rng.standard_normal((4, 5, 3)).astype("float32")
    insp = Inspector(model, x, rng.standard_normal((4, 1)).astype("float32"))
    arrays = [insp.outputs(1), insp.gradients(1), *insp.gradients(1, "weights")]
    assert all(a.dtype == np.float32 and np.isfinite(a).all() for a in arrays)


def test_convlstm_is_refused_by_rnn_views_by_name_and_timedistributed_works(rng):
    ipt = keras.Input((4, 6, 2))
    conv = keras.layers.ConvLSTM1D(3, 3, return_sequences=True, name="convlstm")(ipt)
    out = keras.layers.TimeDistributed(keras.layers.Dense(2), name="td")(conv)
    model = keras.Model(ipt, out)
    model.compile("adam", "mse")
    x = rng.standard_normal((2, 4, 6, 2)).astype("float32")
    insp = Inspector(model, x)
    with pytest.raises(NotRecurrentError, match="ConvLSTM1D"):
        insp.rnn("convlstm")
    kernel, bias = model.get_layer("td").get_weights()
    np.testing.assert_allclose(insp.outputs("td"), insp.outputs("convlstm") @ kernel + bias,
                               atol=1e-5)


def test_generators_and_pydatasets_give_their_first_batch(rng):
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.SimpleRNN(2)])
    model.compile("adam", "mse")
    x = rng.standard_normal((6, 5, 3)).astype("float32")
    y = rng.standard_normal((6, 2)).astype("float32")

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return x[3 * i:3 * i + 3], y[3 * i:3 * i + 3]

    expected = Inspector(model, x[:3], y[:3]).gradients(0)
    generator = ((x[i:i + 3], y[i:i + 3]) for i in (0, 3))
    np.testing.assert_array_equal(Inspector(model, generator).gradients(0), expected)
    np.testing.assert_array_equal(Inspector(model, Batches()).gradients(0), expected)
    with pytest.raises(ValueError, match="yielded no batch"):
        Inspector(model, iter([]))


def test_big_batches_are_cut_to_max_samples_with_a_warning(rng):
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(2)])
    model.compile("adam", "mse")
    x = rng.standard_normal((100, 5, 3)).astype("float32")
    y = rng.standard_normal((100, 2)).astype("float32")
    with pytest.warns(UserWarning, match="keeps the first 16"):
        insp = Inspector(model, x, y, sample_weight=np.ones(100, "float32"), max_samples=16)
    assert insp.batch_size == 16 and insp.gradients(0).shape == (16, 2)
    np.testing.assert_allclose(insp.outputs(0), model.predict(x[:16], verbose=0), atol=1e-6)


MIRRORED = textwrap.dedent("""
    import os, json
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seernn_widgets import Inspector, LiveRefresh

    def build():
        keras.utils.set_random_seed(0)
        ipt = keras.Input((6, 3))
        model = keras.Model(ipt, keras.layers.Dense(2)(keras.layers.LSTM(4, name="lstm")(ipt)))
        model.compile("adam", "mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 6, 3)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        mirrored = build()
    insp = Inspector(mirrored, x, y)
    live = LiveRefresh(insp, every_n_batches=1, min_interval_s=0)
    mirrored.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[live])
    single = build()
    single.set_weights(mirrored.get_weights())
    plain = Inspector(single, x, y)
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync, "refreshes": live.refreshes,
        "outputs": float(np.abs(insp.outputs("lstm") - plain.outputs("lstm")).max()),
        "grads": float(np.abs(insp.gradients("lstm") - plain.gradients("lstm")).max()),
        "wgrads": max(float(np.abs(a - b).max()) for a, b in
                      zip(insp.gradients("lstm", "weights"), plain.gradients("lstm", "weights"))),
    }))
""")


def test_mirrored_strategy_model_inspects_like_a_single_device_one():
    out = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    import json
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["refreshes"] == 2
    assert result["outputs"] < 1e-6 and result["grads"] < 1e-7 and result["wgrads"] < 1e-6
