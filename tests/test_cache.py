"""One traced pass serves every request until the model changes."""
import numpy as np

from models import batch, stacked_lstm
from seernn_widgets import Inspector, _engine


def _tracing_count(model):
    traced = _engine.engine_for(model)._traced.values()
    return sum(fn.experimental_get_tracing_count() for fn in traced)


def _ask_everything(insp):
    for name in insp.layer_names:
        insp.outputs(name), insp.gradients(name), insp.gradients(name, "weights")


def test_after_a_refresh_one_pass_serves_everything_without_retracing(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    insp = Inspector(model, x, y)
    _ask_everything(insp)      # outputs, then gradients, then weight-gradients
    first = insp.compute_count
    traces = _tracing_count(model)
    insp.refresh()
    _ask_everything(insp)
    assert insp.compute_count == first + 1
    other = Inspector(model, x + 1, y)  # same input signature: same trace
    other.gradients("lstm", "weights")
    assert _tracing_count(model) == traces
    assert not np.array_equal(other.outputs("lstm"), insp.outputs("lstm"))


def test_weight_gradients_are_computed_only_once_asked_for(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    insp = Inspector(model, x, y)
    insp.gradients("lstm")
    assert insp._snapshot["pass"]["weight_gradients"] is None
    insp.gradients("lstm", "weights")
    assert insp.compute_count == 2
    insp.refresh()
    insp.outputs("lstm")
    assert insp._snapshot["pass"]["weight_gradients"] is not None  # sticky after refresh


def test_refresh_recomputes_once_and_tells_observers(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    insp = Inspector(model, x, y)
    seen = []
    insp.observe(lambda i: seen.append(i.outputs("dense").copy()))
    before = insp.outputs("dense").copy()
    for variable in model.get_layer("dense").trainable_variables:
        variable.assign(variable.numpy() * 2)
    assert np.array_equal(insp.outputs("dense"), before)  # a plain assign is not noticed...
    insp.refresh()                                       # ...until refresh()
    assert insp.compute_count == 2 and len(seen) == 1
    assert not np.array_equal(seen[0], before)


def test_training_steps_are_noticed_by_themselves(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    insp = Inspector(model, x, y)
    w0, g0 = insp.weights("dense")[0].copy(), insp.gradients("dense").copy()
    model.train_on_batch(x, y)
    assert insp.step == 1
    assert not np.array_equal(insp.weights("dense")[0], w0)
    assert not np.array_equal(insp.gradients("dense"), g0)
    assert insp.compute_count == 2
    np.testing.assert_array_equal(insp.weights("dense")[0], model.get_layer("dense").kernel.numpy())
