"""A training job that records a run, started by tests/test_runs.py in a
subprocess (what a user's script does):

    python tests/run_writer.py fit RUN WEIGHTS_DIR   # fit the demo model, Recorder
                                                     # every 2 batches; the weights
                                                     # of each recorded step saved
    python tests/run_writer.py loop RUN              # record() in a loop, the step
                                                     # moved by hand, until killed
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402

from seernn_widgets import Inspector, Recorder  # noqa: E402
from seernn_widgets.demo import make_data, make_model  # noqa: E402

PROBE = 8


def probe():
    """The model and its probe batch; the test builds the same."""
    x, y = make_data(n_samples=48)
    return make_model(), x, y


class SaveRecordedWeights(keras.callbacks.Callback):
    """After the Recorder (listed before this), `save(model, step)` for each
    step it recorded (default: FOLDER/<step>.weights.h5)."""

    def __init__(self, recorder, folder, save=None):
        super().__init__()
        self.recorder, self.seen = recorder, 0
        self.save = save or (lambda model, step: model.save_weights(
            os.path.join(folder, f"{step}.weights.h5")))

    def on_train_batch_end(self, batch, logs=None):
        if self.recorder.recorded > self.seen:
            self.seen = self.recorder.recorded
            self.save(self.model, int(self.recorder.inspector.step))

    def on_train_end(self, logs=None):   # the Recorder records at the end too
        self.on_train_batch_end(None)


def main(mode, path, folder=None):
    model, x, y = probe()
    insp = Inspector(model, x[:PROBE], y[:PROBE])
    recorder = Recorder(insp, path, every_n_batches=2)
    if mode == "fit":
        save = SaveRecordedWeights(recorder, folder)
        for _ in range(3):   # slowly enough for the test to watch the run grow
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[recorder, save])
            time.sleep(0.5)
        return
    while True:   # loop: until killed
        model.optimizer.iterations.assign_add(1)
        model.layers[0].weights[0].assign(model.layers[0].weights[0] * 0.999)
        recorder.record({"loss": float(model.optimizer.iterations.numpy())})


if __name__ == "__main__":
    main(*sys.argv[1:])
