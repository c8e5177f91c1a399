"""Differential test over a zoo of models (issue 10): every inspectable entry's
output, output-gradient and every trainable weight's gradient, checked against
the independent tape-based reference in tests/zoo.py; plus the entry names the
contract (/work/notes/contract.md) promises.

Each case lists every mismatch it finds (one line each) before failing.
"""
import keras
import numpy as np
import pytest

import seernn_widgets
import zoo
from seernn_widgets import Inspector

NoGradientError = getattr(seernn_widgets, "NoGradientError", None)
FrozenLayerError = getattr(seernn_widgets, "FrozenLayerError", None)


def _close(actual, expected, tol):
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype="float32")
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    atol = tol["atol"] + tol["scale"] * scale
    diff = np.abs(actual.astype("float64") - expected)
    bad = ~(diff <= atol + tol["rtol"] * np.abs(expected))
    if bad.any():
        return (f"{int(bad.sum())}/{bad.size} values differ, "
                f"max |diff| {float(np.nanmax(diff)):.3g} (max |expected| {scale:.3g})")
    return None


def _line(exc):
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}"


class Checker:
    """Collects every mismatch of a case as one line: "entry: what: detail"."""

    def __init__(self, tol):
        self.tol, self.problems = tol, []

    def fail(self, entry, what, detail):
        self.problems.append(f"{entry}: {what}: {detail}")

    def attempt(self, entry, what, fn):
        try:
            return fn(), True
        except Exception as exc:  # noqa: BLE001 - every failure is reported by name
            self.fail(entry, what, "raised " + _line(exc))
            return None, False

    def array(self, entry, what, fn, expected):
        value, ok = self.attempt(entry, what, fn)
        if not ok:
            return
        if not isinstance(value, np.ndarray):
            return self.fail(entry, what, f"not a NumPy array but {type(value).__name__}")
        if value.dtype != np.float32:
            self.fail(entry, what, f"dtype {value.dtype}, not float32")
        problem = _close(value, np.asarray(keras.ops.cast(expected, "float32")), self.tol)
        if problem:
            self.fail(entry, what, problem)

    def raises(self, entry, what, fn, error, error_name):
        if error is None:
            return self.fail(entry, what, f"seernn_widgets.{error_name} does not exist")
        try:
            value = fn()
        except error:
            return
        except Exception as exc:  # noqa: BLE001
            return self.fail(entry, what, f"expected {error_name}, raised " + _line(exc))
        got = (f"a list of {len(value)}" if isinstance(value, list)
               else f"{type(value).__name__} {getattr(value, 'shape', '')}")
        self.fail(entry, what, f"expected {error_name}, returned {got}")


def check_entry(c, insp, entry, wgrads, absent):
    name, layer = entry.name, entry.layer
    got, ok = c.attempt(name, "layer()", lambda: insp.layer(name))
    if ok and got is not layer:
        c.fail(name, "layer()", f"{getattr(got, 'name', got)!r}, not {layer.name!r}")
    got, ok = c.attempt(name, "entry_name()", lambda: insp.entry_name(name))
    if ok and got != name:
        c.fail(name, "entry_name()", repr(got))
    if name == layer.name:  # a layer object or its index means its first entry
        for _id in (layer, insp.model.layers.index(layer)):
            got, ok = c.attempt(name, f"entry_name({_id!r})", lambda _id=_id: insp.entry_name(_id))
            if ok and got != name:
                c.fail(name, f"entry_name({_id!r})", repr(got))
    shape, ok = c.attempt(name, "output_shape()", lambda: tuple(insp.output_shape(name)))
    if ok and shape != tuple(entry.output.shape):
        c.fail(name, "output_shape()", f"{shape} != {tuple(entry.output.shape)}")

    got, ok = c.attempt(name, "weight_names()", lambda: list(insp.weight_names(name)))
    if ok and got != [v.path for v in layer.weights]:
        c.fail(name, "weight_names()", f"{got} != {[v.path for v in layer.weights]}")
    got, ok = c.attempt(name, "weight_shapes()",
                        lambda: [tuple(s) for s in insp.weight_shapes(name)])
    if ok and got != [tuple(v.shape) for v in layer.weights]:
        c.fail(name, "weight_shapes()", f"{got} != {[tuple(v.shape) for v in layer.weights]}")

    c.array(name, "outputs", lambda: insp.outputs(name), entry.output)
    mask, ok = c.attempt(name, "mask", lambda: insp.mask(name))
    if ok:
        if entry.mask is None:
            if mask is not None:
                c.fail(name, "mask", "a mask where Keras attached none")
        elif mask is None:
            c.fail(name, "mask", "None where Keras attached a mask")
        elif not np.array_equal(np.asarray(mask, bool), np.asarray(entry.mask, bool)):
            c.fail(name, "mask", "differs from Keras' mask")

    reaches, ok = c.attempt(name, "reaches_loss()", lambda: insp.reaches_loss(name))
    if ok and reaches != (entry.gradient is not None):
        c.fail(name, "reaches_loss()", f"{reaches!r}, but the reference gradient is "
               f"{'missing' if entry.gradient is None else 'there'}")
    if entry.gradient is None:
        c.raises(name, "output-gradient (none reaches the loss)",
                 lambda: insp.gradients(name), NoGradientError, "NoGradientError")
    else:
        c.array(name, "output-gradient", lambda: insp.gradients(name), entry.gradient)

    trainable, weights = layer.trainable_weights, layer.weights
    has, ok = c.attempt(name, "has_weight_gradients()", lambda: insp.has_weight_gradients(name))
    if ok and bool(has) != bool(trainable):
        c.fail(name, "has_weight_gradients()", repr(has))
    frozen, ok = c.attempt(name, "frozen()", lambda: insp.frozen(name))
    if ok and bool(frozen) != bool(weights and not trainable):
        c.fail(name, "frozen()", repr(frozen))
    if trainable:
        check_weight_gradients(c, insp, name, trainable, wgrads, absent)
    elif weights:
        c.raises(name, "weight-gradients of a frozen layer",
                 lambda: insp.gradients(name, mode="weights"), FrozenLayerError, "FrozenLayerError")
    else:   # no weights, so no weight-gradients: an empty list, as weights() gives
        grads, ok = c.attempt(name, "weight-gradients of a weightless layer",
                              lambda: insp.gradients(name, mode="weights"))
        if ok and (not isinstance(grads, list) or grads):
            c.fail(name, "weight-gradients of a weightless layer", f"{grads!r} is not []")


def check_weight_gradients(c, insp, name, trainable, wgrads, absent):
    """Each trainable weight's gradient, in the layer's trainable_weights order."""
    if any(id(v) in absent for v in trainable):
        # a weight of the layer does not reach the loss: said, never zeros
        c.raises(name, "weight-gradients (a weight does not reach the loss)",
                 lambda: insp.gradients(name, mode="weights"), NoGradientError,
                 "NoGradientError")
        return
    grads, ok = c.attempt(name, "weight-gradients", lambda: insp.gradients(name, mode="weights"))
    if not ok:
        return
    if len(grads) != len(trainable):
        return c.fail(name, "weight-gradients",
                      f"{len(grads)} arrays for {len(trainable)} weights")
    for v, g in zip(trainable, grads):
        c.array(name, f"weight-gradient {v.path}", lambda g=g: g, wgrads[id(v)])


@pytest.fixture
def fresh_session():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("case_id", list(zoo.CASES))
def test_zoo(case_id, fresh_session):
    rng = np.random.default_rng(0)
    net = zoo.make(case_id)
    model = zoo.build(net, case_id)
    zoo.compile_model(model, net)
    x = zoo.input_data(net, rng)
    y, sw = zoo.labels(model, net, x, rng), zoo.sample_weights(net, rng)
    entries, wgrads, absent, _ = zoo.reference(model, net, x, y, sw)

    insp = Inspector(model, x, y, sample_weight=sw, max_samples=None)
    c = Checker(net.tolerance)
    names = list(insp.layer_names)
    if len(set(names)) != len(names):
        c.fail("layer_names", "duplicates", names)
    missing = [n for n in entries if n not in names]
    extra = [n for n in names if n not in entries]
    if missing or extra:
        c.fail("layer_names", "not the contract's entries",
               f"missing {missing}, unexpected {extra}")
    else:  # execution order: after what each call read, and after the call's first output
        at = {n: i for i, n in enumerate(names)}
        for entry in entries.values():
            before = [*entry.parents, entry.name.split("[")[0], entry.name.split("#")[0]]
            late = [p for p in before if at[p] > at[entry.name]]
            if late:
                c.fail("layer_names", "not in execution order", f"{entry.name} before {late}")

    # weight-gradients first: one inspector pass then serves every request
    first = next((e for e in entries.values() if e.layer.trainable_weights), None)
    if first is not None:
        try:
            insp.gradients(first.name, mode="weights")
        except Exception:  # noqa: BLE001 - reported by check_entry below
            pass
    covered = set()
    for entry in entries.values():
        check_entry(c, insp, entry, wgrads, absent)
        covered |= {id(v) for v in entry.layer.trainable_weights}
    # every trainable weight belongs to some entry's layer (the zoo's own check)
    assert covered == {id(v) for v in model.trainable_variables}
    if c.problems:
        pytest.fail(f"{case_id}: {len(c.problems)} problem(s)\n" + "\n".join(c.problems),
                    pytrace=False)


def test_zoo_size_and_coverage():
    """The zoo keeps its promised size and covers what issue 10 lists."""
    assert len(zoo.CASES) >= 60
    ids = " ".join(zoo.CASES)
    for word in ("lstm", "gru_reset_before", "simplernn", "backwards", "nobias", "dropout",
                 "state", "bi_", "masking", "embedding", "frozen", "multi_", "nested", "shared",
                 "mha", "softmax", "sample_weight", "regularizers", "mixed", "normalization",
                 "permute", "reshape", "rescaling", "gaussian_noise", "activation"):
        assert word in ids, word
