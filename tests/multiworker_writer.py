"""One worker of a two-worker `MultiWorkerMirroredStrategy` job that records
a run, started twice by tests/test_runs_multiworker.py:

    python tests/multiworker_writer.py INDEX PORT0 PORT1 RUN_DIR FIT

Worker INDEX of the cluster {worker: [127.0.0.1:PORT0, 127.0.0.1:PORT1]}
(no chief: worker 0 is it) builds the demo model in the strategy's scope and
fits it, `model.fit` called outside the scope (FIT 'outside', as TensorFlow's
multi-worker tutorial does) or inside it ('inside'), with a `Recorder`
(every 2 batches) to RUN_DIR/worker<INDEX>. The worker that records saves
the weights of each step it recorded to RUN_DIR/weights<INDEX>/<step>.npz,
for the test to recompute; every worker saves its final weights there
(final.npz) and prints a JSON line {index, replicas, step, recorded, seconds}.
Weights are saved as `model.weights` read one by one (each worker's own
copy), not with `save_weights`, which inside the scope runs collectives that
every worker would have to join.
"""
import json
import os
import sys
import time

INDEX, PORTS, RUN_DIR, FIT = int(sys.argv[1]), sys.argv[2:4], sys.argv[4], sys.argv[5]
# before TensorFlow starts: the strategy reads the cluster from TF_CONFIG
os.environ["TF_CONFIG"] = json.dumps({
    "cluster": {"worker": [f"127.0.0.1:{port}" for port in PORTS]},
    "task": {"type": "worker", "index": INDEX}})
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import contextlib  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

strategy = tf.distribute.MultiWorkerMirroredStrategy()   # first: before other TF ops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_writer  # noqa: E402
from seernn_widgets import Inspector, Recorder  # noqa: E402

EPOCHS, BATCH = 2, 8   # 48 samples: 6 global batches an epoch, 12 in all


def symbolic_build_per_replica(model):
    """Work around keras-team/keras#20585 (open; Keras 3.15): under
    MultiWorkerMirroredStrategy, `fit` starts with `_maybe_symbolic_build`,
    which passes the first batch, an (x, y) tuple of PerReplica values, whole
    to `strategy.reduce`; the collective reduce takes one value, not a tuple:
    "ValueError: Attempt to convert a value (PerReplica:{...}) with an
    unsupported type". It only needs the batch's shapes: build from this
    worker's own part of it (the same on every worker, no collective)."""
    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: strategy.experimental_local_results(v)[0], next(it))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)
    model._maybe_symbolic_build = build


def reduce_scalar_logs():
    """Work around tensorflow/tensorflow#72388 (closed as a Keras 3 bug;
    Keras 3.15): under MultiWorkerMirroredStrategy every train step's logs
    go through `reduce_per_replica`, which reduces "MEAN" along axis 0; the
    logs are scalars: "ValueError: Invalid reduction dimension 0 for input
    with 0 dimensions". Scalars: the mean over the workers (axis None)."""
    from keras.src.backend.tensorflow import trainer

    keras_reduce = trainer.reduce_per_replica

    def rank(value):
        return strategy.experimental_local_results(value)[0].shape.rank

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(
                strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=0 if rank(v) else None), values)
        return keras_reduce(values, strategy, reduction)
    trainer.reduce_per_replica = reduce_per_replica


def save(model, path):
    np.savez(path, *[v.numpy() for v in model.weights])


def main():
    started = time.monotonic()
    with strategy.scope():
        model, x, y = run_writer.probe()
    symbolic_build_per_replica(model)
    reduce_scalar_logs()
    insp = Inspector(model, x[:run_writer.PROBE], y[:run_writer.PROBE])
    recorder = Recorder(insp, os.path.join(RUN_DIR, f"worker{INDEX}"), every_n_batches=2)
    folder = os.path.join(RUN_DIR, f"weights{INDEX}")
    os.makedirs(folder, exist_ok=True)
    saved = run_writer.SaveRecordedWeights(
        recorder, folder, lambda model, step: save(model, os.path.join(folder, f"{step}.npz")))
    with strategy.scope() if FIT == "inside" else contextlib.nullcontext():
        model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
                  callbacks=[recorder, saved])
    save(model, os.path.join(folder, "final.npz"))   # every worker: still in sync?
    print(json.dumps({"index": INDEX, "replicas": strategy.num_replicas_in_sync,
                      "step": insp.step, "recorded": recorder.recorded,
                      "seconds": round(time.monotonic() - started, 1)}), flush=True)


if __name__ == "__main__":
    if FIT not in ("inside", "outside"):
        sys.exit(f"FIT must be 'inside' or 'outside', got {FIT!r}")
    main()
