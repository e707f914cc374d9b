"""The statistics that decide when a run is dead.

Three detectors share one step per processed specimen (Wald's log-likelihood ratio of
"broken" against "acceptable"):

- a one-sided sequential probability ratio test (SPRT), summed from the start of the run:
  it never forgets a good start, so it is the test for runs that are bad from the outset;
- the same steps summed CUSUM-style (floored at zero) against a higher threshold: it notices
  a run that breaks part-way, however good its start was;
- a consecutive-failure guard.

With the defaults (p0 = 0.6 acceptable, p1 = 0.2 broken, alpha = 0.05) a failure adds
ln 2, a success subtracts ln 3 and the SPRT stops at ln 20: five straight failures.

Example::

    from herbx.events.sequential import DetectorSettings, RunMonitor

    monitor = RunMonitor(DetectorSettings())
    for ok in [False] * 5:
        decision = monitor.update(ok)
    print(decision.detector)  # "sequential_test"
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DetectorSettings:
    """Parameters of the detectors. See ``docs/validation.md`` for how the defaults were tuned."""

    p0: float = 0.6
    """Success rate still considered acceptable."""
    p1: float = 0.2
    """Success rate of a broken run."""
    alpha: float = 0.05
    """Tolerated chance that the SPRT stops a run that is exactly at ``p0``."""
    cusum_threshold: float = 6.5
    """Threshold of the change detector, in the same log-likelihood units."""
    max_consecutive_failures: int = 12
    """Stop after this many failures in a row (0 disables)."""
    sequential: bool = True
    """Run the SPRT at all."""
    change_detection: bool = True
    """Run the CUSUM change detector at all."""

    def __post_init__(self) -> None:
        if not 0.0 < self.p1 < self.p0 < 1.0:
            raise ValueError(f"need 0 < p1 < p0 < 1, got p0={self.p0}, p1={self.p1}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")
        if self.cusum_threshold <= 0:
            raise ValueError(f"cusum_threshold must be positive, got {self.cusum_threshold}")
        if self.max_consecutive_failures < 0:
            raise ValueError("max_consecutive_failures must be 0 (off) or more")

    @property
    def failure_step(self) -> float:
        """What one failure adds: ln((1 - p1) / (1 - p0))."""
        return math.log((1 - self.p1) / (1 - self.p0))

    @property
    def success_step(self) -> float:
        """What one success adds (negative): ln(p1 / p0)."""
        return math.log(self.p1 / self.p0)

    @property
    def sprt_threshold(self) -> float:
        """Wald's upper boundary ln(1 / alpha)."""
        return math.log(1 / self.alpha)


@dataclass(frozen=True)
class Decision:
    """Why a detector wants the run stopped, with the numbers behind it."""

    detector: str
    """``sequential_test``, ``change_detected`` or ``consecutive_failures``."""
    message: str
    numbers: dict[str, Any]


class RunMonitor:
    """Feeds each specimen's outcome to the detectors; returns a :class:`Decision` to stop."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = s = settings or DetectorSettings()
        self._fail = s.failure_step
        self._succ = s.success_step
        # the stop levels, worked out once (a detector that is off never reaches its level)
        self._sprt_stop = s.sprt_threshold if s.sequential else math.inf
        self._cusum_stop = s.cusum_threshold if s.change_detection else math.inf
        self._max_failures = s.max_consecutive_failures or math.inf
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new run)."""
        self.processed = 0
        self.successes = 0
        self.sprt = 0.0
        self.cusum = 0.0
        self.consecutive_failures = 0

    def update(self, success: bool) -> Decision | None:
        """Record one outcome; return a decision when a detector crosses its threshold."""
        self.processed += 1
        if success:
            self.successes += 1
            step = self._succ
            self.consecutive_failures = 0
        else:
            step = self._fail
            self.consecutive_failures += 1
        sprt = self.sprt = self.sprt + step
        cusum = self.cusum + step
        cusum = self.cusum = cusum if cusum > 0.0 else 0.0
        if sprt >= self._sprt_stop:
            s = self.settings
            return self._decide(
                "sequential_test",
                f"success rate {self.rate:.0%} over {self.processed} specimens is far more "
                f"likely under a broken run ({s.p1:.0%}) than an acceptable one ({s.p0:.0%})",
            )
        if cusum >= self._cusum_stop:
            s = self.settings
            return self._decide(
                "change_detected",
                f"the run broke recently: the recent outcomes fit a {s.p1:.0%} success rate, "
                f"not {s.p0:.0%} (overall {self.rate:.0%} over {self.processed})",
            )
        if self.consecutive_failures >= self._max_failures:
            return self._decide(
                "consecutive_failures",
                f"{self.consecutive_failures} specimens failed in a row",
            )
        return None

    @property
    def rate(self) -> float:
        """Success rate so far (0.0 before any specimen)."""
        return self.successes / self.processed if self.processed else 0.0

    def state(self) -> dict[str, Any]:
        """Each detector's value, threshold and how close it is to a stop (0..1)."""
        s = self.settings
        return {
            "sprt": round(self.sprt, 4),
            "sprt_threshold": round(s.sprt_threshold, 4),
            "cusum": round(self.cusum, 4),
            "cusum_threshold": s.cusum_threshold,
            "consecutive_failures": self.consecutive_failures,
            "max_consecutive_failures": s.max_consecutive_failures,
            "closeness": round(self.closeness(), 4),
        }

    def closeness(self) -> float:
        """The largest fraction of a threshold any detector has reached (1.0 means stop)."""
        s = self.settings
        parts = [max(self.sprt, 0.0) / s.sprt_threshold, self.cusum / s.cusum_threshold]
        if s.max_consecutive_failures:
            parts.append(self.consecutive_failures / s.max_consecutive_failures)
        return min(max(parts), 1.0)

    def _decide(self, detector: str, message: str) -> Decision:
        numbers = {
            "processed": self.processed,
            "success_count": self.successes,
            "failed_count": self.processed - self.successes,
            "success_rate": self.rate,
            **self.state(),
            "settings": asdict(self.settings),
        }
        return Decision(detector, message, numbers)
