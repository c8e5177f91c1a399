"""A bounded record of what the inspector computed at past training steps."""
from collections import OrderedDict


class History:
    """Snapshots by training step, oldest evicted first once there are
    `size` of them or they hold more than `max_bytes` (the newest is always
    kept). A snapshot is the inspector's cache dict for that step ('pass',
    'weights', 'logs'), kept by reference: what is computed later at the
    same step joins it."""

    def __init__(self, size, max_bytes=2 ** 30):
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"history must be an int >= 0 (snapshots kept), got {size!r}")
        self.size = size
        self.max_bytes = max_bytes
        self._by_step = OrderedDict()

    def record(self, step, snapshot):
        if not self.size or step is None:  # no optimizer, no step to scrub by
            return
        self._by_step[step] = snapshot
        self._by_step.move_to_end(step)
        while len(self._by_step) > self.size or (
                len(self._by_step) > 1 and self.total_bytes() > self.max_bytes):
            self._by_step.popitem(last=False)

    @property
    def steps(self):
        """Recorded training steps, oldest first."""
        return list(self._by_step)

    def get(self, step, key):
        """`key` ('pass', 'weights' or 'logs') of the snapshot at `step`."""
        snapshot = self.snapshot(step)
        if key not in snapshot:
            raise KeyError(f"the snapshot at step {step} has no {key} (recorded: "
                           f"{sorted(k for k in snapshot)})")
        return snapshot[key]

    def snapshot(self, step):
        """The snapshot dict at `step` (what is computed later for that step
        joins it)."""
        if step not in self._by_step:
            raise KeyError(f"no snapshot at step {step!r}; recorded steps: {self.steps}")
        return self._by_step[step]

    def nbytes(self, step):
        """Memory held by the arrays of one snapshot."""
        return _nbytes(self._by_step[step])

    def total_bytes(self):
        return sum(map(_nbytes, self._by_step.values()))


def _nbytes(value):
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    return getattr(value, "nbytes", 0)
