"""One traced pass serves every request until the model changes."""
import numpy as np

from models import batch, stacked_lstm
from seernn_widgets import Inspector, _engine


def test_many_requests_one_pass_and_one_trace(rng):
    model = stacked_lstm()
    x, y = batch(rng)
    insp = Inspector(model, x, y)
    for name in insp.layer_names:
        insp.outputs(name), insp.gradients(name), insp.gradients(name, "weights")
    assert insp.compute_count == 1
    other = Inspector(model, x + 1, y)  # same signature: shares the trace
    other.gradients("lstm")
    engine = _engine.engine_for(model)
    assert engine._full_fn.experimental_get_tracing_count() == 1
    assert not np.array_equal(other.outputs("lstm"), insp.outputs("lstm"))


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
