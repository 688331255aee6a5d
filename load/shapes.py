"""Load shapes chosen with `--shape`: a step ramp (find the knee), a spike (the scale-up pull storm), a soak.

The classes are not in the locustfile's namespace (Locust would always use them); `make_shape(settings)`
builds the chosen one and the locustfile installs it as `environment.shape_class` at init.
Each shape lasts `--shape-seconds` and peaks at `--shape-users`.
"""

from __future__ import annotations

from locust import LoadTestShape

from load.options import LoadSettings

Tick = tuple[int, float] | None


class _Shape(LoadTestShape):
    abstract = True

    def __init__(self, peak: int, seconds: float) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.peak = peak
        self.seconds = seconds

    def tick(self) -> Tick:
        elapsed: float = self.get_run_time()  # type: ignore[no-untyped-call]
        if elapsed >= self.seconds:
            return None
        return self.at(elapsed)

    def at(self, elapsed: float) -> Tick:
        """Users and spawn rate `elapsed` seconds into the shape."""
        raise NotImplementedError


class StepShape(_Shape):
    """`steps` equal steps up to the peak, each held `seconds / steps`."""

    def __init__(self, peak: int, seconds: float, steps: int) -> None:
        super().__init__(peak, seconds)
        self.steps = max(1, steps)

    def at(self, elapsed: float) -> Tick:
        """The current step's user count, reached within about one second."""
        step = min(self.steps, int(elapsed / (self.seconds / self.steps)) + 1)
        users = max(1, round(self.peak * step / self.steps))
        return users, float(max(1, self.peak))


class SpikeShape(_Shape):
    """A tenth of the peak, then all users at once for 40% of the time, then back down."""

    def at(self, elapsed: float) -> Tick:
        """Baseline for the first and last part, the peak in between, spawned in about a second."""
        baseline = max(1, self.peak // 10)
        fraction = elapsed / self.seconds
        users = self.peak if 0.2 <= fraction < 0.6 else baseline
        return users, float(max(1, self.peak))


class SoakShape(_Shape):
    """Ramp to the peak over the first 10%, then hold it."""

    def at(self, elapsed: float) -> Tick:
        """Steady load after a short ramp."""
        ramp = max(1.0, self.seconds * 0.1)
        return self.peak, max(1.0, self.peak / ramp)


def make_shape(settings: LoadSettings) -> LoadTestShape | None:
    """The shape `--shape` asks for, or None for Locust's own -u/-r/-t."""
    if settings.shape == "step":
        return StepShape(settings.shape_users, settings.shape_seconds, settings.step_count)
    if settings.shape == "spike":
        return SpikeShape(settings.shape_users, settings.shape_seconds)
    if settings.shape == "soak":
        return SoakShape(settings.shape_users, settings.shape_seconds)
    return None
