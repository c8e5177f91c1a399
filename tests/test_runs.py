"""Recorded runs (`Recorder` writes, `Run` reads): a job in another process
records while this one follows it; every recorded array equals an Inspector
at the recorded weights; SIGKILLed writers leave readable runs; memory://
and local paths; reading needs no TensorFlow; the widgets take a Run."""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seernn_widgets import Features2D, Inspector, Recorder, RNNHeatmap, Run, WeightNorms
from seernn_widgets.demo import make_data, make_model

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import run_writer  # noqa: E402


def writer(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.Popen([sys.executable, str(HERE / "run_writer.py"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_same_as_inspector(run, insp, step):
    for name in run.layer_names:
        np.testing.assert_allclose(run.outputs(name, step), insp.outputs(name),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{name} outputs @{step}")
        if run.reaches_loss(name):
            np.testing.assert_allclose(run.gradients(name, step=step), insp.gradients(name),
                                       rtol=1e-4, atol=1e-9, err_msg=f"{name} grads @{step}")
        for a, b in zip(run.weights(name, step), insp.weights(name)):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(run.gradients(name, "weights", step),
                        insp.gradients(name, "weights")):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-9,
                                       err_msg=f"{name} weight grads @{step}")


def test_a_run_followed_while_a_script_trains_equals_an_inspector_at_each_step(tmp_path):
    path, weights = tmp_path / "run", tmp_path / "weights"
    weights.mkdir()
    job = writer("fit", str(path), str(weights))
    try:
        deadline = time.time() + 120
        while not (path / "zarr.json").exists() and job.poll() is None:
            assert time.time() < deadline, "the writer recorded nothing"
            time.sleep(0.2)
        run = Run(path)
        seen = []
        run.observe(lambda r: seen.append(len(r.steps)))
        run.follow(interval_s=0.2)
        job.wait(timeout=300)
        time.sleep(0.6)
        run.stop()
    finally:
        job.kill()
    assert job.returncode == 0, job.stderr.read()
    # new steps appeared while it trained, seen by the follower
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] == len(run.steps)
    saved = sorted(int(p.name.split(".")[0]) for p in weights.glob("*.weights.h5"))
    assert run.steps == saved and len(saved) == 9   # 18 batches, every 2nd
    assert run.logs(run.steps[-1])["loss"] > 0

    model, x, y = run_writer.probe()
    for step in (saved[0], saved[len(saved) // 2], saved[-1]):
        model.load_weights(weights / f"{step}.weights.h5")
        assert_same_as_inspector(run, Inspector(model, x[:run_writer.PROBE],
                                                y[:run_writer.PROBE]), step)


def test_sigkilled_writers_leave_every_listed_step_readable(tmp_path):
    path = tmp_path / "run"
    rng = random.Random(3)
    listed = 0
    for _ in range(4):   # the same run, continued by each new writer, killed at random
        job = writer("loop", str(path))
        deadline = time.time() + 120
        while not (path / "zarr.json").exists():
            assert time.time() < deadline and job.poll() is None, job.stderr.read()
            time.sleep(0.1)
        time.sleep(rng.uniform(1.0, 4.0))
        job.send_signal(signal.SIGKILL)
        job.wait()
        run = Run(path)
        assert len(run.steps) >= listed, "steps were lost"
        listed = len(run.steps)
        for step in run.steps:
            for name in run.layer_names:
                assert np.isfinite(run.outputs(name, step)).all()
                assert all(np.isfinite(w).all() for w in run.weights(name, step))
                if run.reaches_loss(name):
                    assert np.isfinite(run.gradients(name, step=step)).all()
            assert run.logs(step)["loss"] == step   # the loop logs its step
    assert listed >= 4


@pytest.fixture(scope="module")
def trained():
    x, y = make_data(n_samples=16)
    model = make_model()
    return model, x, y


@pytest.mark.parametrize("where", ["local", "memory"])
def test_record_and_read_back_local_and_memory(trained, tmp_path, where):
    model, x, y = trained
    path = str(tmp_path / "run") if where == "local" else f"memory://runs/{tmp_path.name}"
    insp = Inspector(model, x[:4], y[:4])
    rec = Recorder(insp, path, every_n_batches=1)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[rec])
    run = Run(path)
    assert run.steps == sorted(run.steps) and len(run.steps) == 4
    assert_same_as_inspector(run, insp, run.steps[-1])
    assert run.step == insp.step and run.name == model.name
    assert run.rnn_info("bilstm") == insp.rnn_info("bilstm")
    np.testing.assert_array_equal(run.rnn("bilstm").gate("backward", "recurrent", "f"),
                                  insp.rnn("bilstm").gate("backward", "recurrent", "f"))
    # a restarted job continues the run; another model is refused
    model.train_on_batch(x[:8], y[:8])
    Recorder(insp, path).record({"loss": 1.0})
    assert Run(path).steps == [*run.steps, insp.step]
    other = Inspector(make_model(units=8), x[:4], y[:4])
    with pytest.raises(ValueError, match="another model"):
        Recorder(other, path).record()


def test_reading_needs_no_tensorflow(trained, tmp_path):
    model, x, y = trained
    path = tmp_path / "run"
    insp = Inspector(model, x[:4], y[:4])
    Recorder(insp, path).record()
    code = (f"import sys, json\nfrom seernn_widgets import Run\nrun = Run({str(path)!r})\n"
            "out = run.outputs('lstm'); g = run.rnn('gru', 'gradients')\n"
            "print(json.dumps([out.shape, sorted(m for m in ('tensorflow', 'keras', 'jax')"
            " if m in sys.modules), float(out.sum())]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    shape, loaded, total = json.loads(result.stdout)
    assert shape == list(insp.outputs("lstm").shape) and loaded == []
    assert total == pytest.approx(float(insp.outputs("lstm").sum()), rel=1e-6)


def test_keep_policies_bound_the_run(trained, tmp_path):
    model, x, y = trained
    insp = Inspector(model, x[:4], y[:4])
    last3 = Recorder(insp, tmp_path / "last3", keep=3)
    budget = Recorder(insp, tmp_path / "budget", max_bytes=1)   # the newest only
    logspaced = Recorder(insp, tmp_path / "log", keep="log")
    for _ in range(70):
        model.optimizer.iterations.assign_add(1)
        for rec in (last3, budget, logspaced):
            rec.record()
    steps = [int(s) for s in range(int(insp.step) - 69, int(insp.step) + 1)]
    assert Run(tmp_path / "last3").steps == steps[-3:]
    assert Run(tmp_path / "budget").steps == steps[-1:]
    kept = Run(tmp_path / "log").steps
    assert kept[0] == steps[0] and kept[-1] == steps[-1] and len(kept) <= 64
    # dropped snapshots' rows are deleted: the disk holds what is listed
    rows = [p for p in (tmp_path / "last3" / "outputs").rglob("*") if p.is_file()
            and p.name != "zarr.json"]
    assert len(rows) == 3
    run = Run(tmp_path / "last3")
    with pytest.raises(KeyError, match="no snapshot at step"):
        run.outputs("lstm", step=steps[0])


def test_views_take_a_run_and_scrub_its_steps(trained, tmp_path):
    model, x, y = trained
    insp = Inspector(model, x[:4], y[:4])
    rec = Recorder(insp, tmp_path / "run")
    for _ in range(3):
        model.train_on_batch(x[:8], y[:8])
        rec.record()
    run = Run(tmp_path / "run")
    f2 = Features2D(run, "bilstm")
    first = run.steps[0]
    np.testing.assert_array_equal(f2.view_data(), run.outputs("bilstm")[0].T)
    f2.step = first
    np.testing.assert_array_equal(f2.view_data(), run.outputs("bilstm", first)[0].T)
    hm = RNNHeatmap(run, "gru", mode="gradients")
    assert hm.view_data() is not None
    norms = WeightNorms(run)   # the whole run, one point per recorded step
    history = norms.history("gru")
    assert history["steps"] == run.steps
    kernel = run.weight_names("gru")[0]
    expected = [np.linalg.norm(run.weights("gru", s)[0], axis=0).max() for s in run.steps]
    np.testing.assert_allclose(history["norms"][kernel]["max"], expected, rtol=1e-6)
    with pytest.raises(Exception, match="step"):
        f2.step = 10 ** 6


def test_bad_arguments_say_what_is_allowed(trained, tmp_path):
    model, x, y = trained
    insp = Inspector(model, x[:4], y[:4])
    with pytest.raises(ValueError, match="what must be some of"):
        Recorder(insp, tmp_path / "a", what=("outputs", "activations"))
    with pytest.raises(ValueError, match="keep must be"):
        Recorder(insp, tmp_path / "a", keep=0)
    with pytest.raises(FileNotFoundError, match="no run at"):
        Run(tmp_path / "nothing")
    Recorder(insp, tmp_path / "b", what="outputs").record()
    run = Run(tmp_path / "b")
    with pytest.raises(KeyError, match="did not record weights"):
        run.weights("lstm")
    with pytest.raises(KeyError, match="has no layer"):
        run.outputs("nope")
