"""`make demo-run`: watch a training job from a browser.

A background process trains the embedded demo model (`seernn_widgets.demo`)
for a few minutes, slowed down to be watchable, while a `Recorder` writes
its inspector's snapshots to a run folder; this process serves the dashboard
over that run (`python -m seernn_widgets.view`: Voila on 127.0.0.1, following
the run) and prints its URL. Ctrl-C stops both; the run folder stays, for
`python -m seernn_widgets.view RUN` later.

    python scripts/run_demo.py [RUN] [--epochs N] [--delay S] [--port P]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

BATCH, SAMPLES = 16, 256     # 16 batches an epoch
RECORD_EVERY = 16            # batches: one snapshot an epoch


def train(path, epochs, delay):
    """The training job: fit the demo model, recording every RECORD_EVERY
    batches (and its untrained state first), `delay` s of sleep a batch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # first: the package loads TensorFlow without its load-time log lines
    from seernn_widgets import Inspector, Recorder
    from seernn_widgets.demo import make_data, make_model
    x, y = make_data(n_samples=SAMPLES)

    import keras
    model = make_model()
    recorder = Recorder(Inspector(model, x[:16], y[:16]), path, every_n_batches=RECORD_EVERY)
    recorder.record()   # step 0: the untrained model

    def report(epoch, logs):
        if (epoch + 1) % 10 == 0:
            print(f"[training] epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}, "
                  f"{recorder.recorded} snapshots", flush=True)

    pace = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(delay),
                                          on_epoch_end=report)
    try:
        model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0,
                  callbacks=[recorder, pace])
    except KeyboardInterrupt:
        return
    print(f"[training] done: {recorder.recorded} snapshots in {path}; the dashboard "
          f"stays until Ctrl-C", flush=True)


def main(argv):
    parser = argparse.ArgumentParser(prog="python scripts/run_demo.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", metavar="RUN",
                        help="the run folder to record into (default: a new temporary one)")
    parser.add_argument("--epochs", type=int, default=100,
                        help="epochs to train (default 100: 4-5 minutes on 2 cores)")
    parser.add_argument("--delay", type=float, default=0.1,
                        help="seconds of sleep after each batch (default 0.1)")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--train", action="store_true", help=argparse.SUPPRESS)  # the job
    args = parser.parse_args(argv)
    path = args.run or os.path.join(tempfile.mkdtemp(prefix="seernn-demo-run-"), "run")
    if args.train:
        try:
            train(path, args.epochs, args.delay)
        except KeyboardInterrupt:   # Ctrl-C while TensorFlow loads
            pass
        return 0

    from seernn_widgets.runs import Run
    from seernn_widgets.view import serve
    job = subprocess.Popen([sys.executable, __file__, path, "--train",
                            f"--epochs={args.epochs}", f"--delay={args.delay}"])
    print(f"training the demo model in process {job.pid}, recording into {path}; the "
          f"dashboard starts with its first snapshot", flush=True)
    try:
        while not os.path.exists(os.path.join(path, "zarr.json")) or not Run(path).steps:
            if job.poll() is not None:
                return f"the training job exited ({job.returncode}) before it recorded"
            time.sleep(0.5)
        return serve(path, args.port, interval_s=1.0)
    except KeyboardInterrupt:
        return 0
    finally:
        if job.poll() is None:
            job.terminate()
        job.wait()
        print(f"\nthe run stays in {path}: python -m seernn_widgets.view {path}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
