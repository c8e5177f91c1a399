"""`LiveRefresh`: redraw the widgets from inside `model.fit`."""
import time

import keras


class LiveRefresh(keras.callbacks.Callback):
    """Refresh an `Inspector`, and with it every widget that shares it, while
    a model trains.

    One refresh is one inspector pass, however many widgets are shown. It
    happens every `every_n_batches` training batches and/or at the end of
    every `every_n_epochs` epochs (with the epoch's logs, validation metrics
    included), but never twice within `min_interval_s` seconds, so a fast
    loop does not spend its time drawing; training's end always refreshes.

    Args:
        inspector: the `Inspector` the widgets were made with.
        every_n_batches: refresh every this many batches (None: not by batch).
        every_n_epochs: refresh every this many epochs (None: not by epoch).
            With both None, every epoch.
        min_interval_s: least time between two refreshes, in seconds.

    Example:
        live = LiveRefresh(insp, every_n_batches=10)
        model.fit(x, y, epochs=5, callbacks=[live])

        # a hand-written loop: call `tick` after each step
        for x_batch, y_batch in data:
            train_step(x_batch, y_batch)
            live.tick({"loss": float(loss)})
    """

    def __init__(self, inspector, every_n_batches=None, every_n_epochs=None,
                 min_interval_s=0.5):
        super().__init__()
        for name, value in (("every_n_batches", every_n_batches),
                            ("every_n_epochs", every_n_epochs)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ValueError(f"{name} must be None or an int >= 1, got {value!r}")
        if every_n_batches is None and every_n_epochs is None:
            every_n_epochs = 1
        self.inspector = inspector
        self.every_n_batches = every_n_batches
        self.every_n_epochs = every_n_epochs
        self.min_interval_s = float(min_interval_s)
        self.refreshes = 0          # refreshes done
        self.skipped = 0            # refreshes due but too soon after the last
        self._batches = 0
        self._last = -float("inf")
        self._stale = False         # trained since the last refresh

    def tick(self, logs=None):
        """One training batch done (for hand-written loops)."""
        self._batches += 1
        self._stale = True
        if self.every_n_batches and self._batches % self.every_n_batches == 0:
            self.refresh(logs)

    def refresh(self, logs=None, force=False):
        """Refresh now, unless the last refresh was under `min_interval_s` ago."""
        now = time.monotonic()
        if not force and now - self._last < self.min_interval_s:
            self.skipped += 1
            return False
        self._act(logs)
        self._last = time.monotonic()
        self._stale = False
        self.refreshes += 1
        return True

    def _act(self, logs):
        """What a due refresh does (`Recorder` records instead)."""
        self.inspector.refresh(logs)

    def on_train_batch_end(self, batch, logs=None):
        self.tick(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.every_n_epochs and (epoch + 1) % self.every_n_epochs == 0:
            self.refresh(logs)

    def on_train_end(self, logs=None):
        if self._stale:
            self.refresh(logs, force=True)
