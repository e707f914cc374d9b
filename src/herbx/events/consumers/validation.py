"""The validator: stops a dead run within a handful of specimens, and explains why."""

from __future__ import annotations

from collections import deque
from typing import Any

from herbx.events.errors import EarlyValidationError, SystemicErrorStop
from herbx.events.sequential import DetectorSettings, RunMonitor
from herbx.events.types import Event, ExtractionEvent

#: ``reason`` values of ``specimen.failed`` that mean no further specimen can succeed.
SYSTEMIC_REASONS = frozenset({"engine_systemic", "auth", "quota", "unknown_model"})


class ValidationConsumer:
    """Watches every processed specimen and raises :class:`EarlyValidationError` to stop.

    It counts ``specimen.completed`` and ``specimen.failed`` alike, from the latest
    ``extraction.started`` (so a resumed run is checked like a fresh one), and:

    - at ``early_checkpoint`` specimens emits ``validation.checkpoint`` (passed or not, with
      the numbers); when the success rate is below ``early_threshold`` it emits
      ``extraction.failed`` and raises;
    - after every specimen runs the sequential test, the change detector and the
      consecutive-failure guard of :mod:`herbx.events.sequential`;
    - stops at once when a ``specimen.failed`` carries ``"systemic": true``;
    - with ``emit_failure=False`` it leaves emitting ``extraction.failed`` to the caller
      (the runner does, once in-flight work is accounted for) and only raises;
    - every ``warning_interval`` specimens emits ``validation.warning`` when the rolling
      success rate (over the last ``warning_interval`` specimens) is below
      ``warning_threshold``.

    Example::

        validator = ValidationConsumer(bus, early_checkpoint=5, early_threshold=0.5)
    """

    def __init__(
        self,
        event_bus: Any,
        early_checkpoint: int = 5,
        early_threshold: float = 0.5,
        warning_threshold: float = 0.7,
        warning_interval: int = 50,
        *,
        detectors: DetectorSettings | None = None,
        p0: float | None = None,
        p1: float | None = None,
        alpha: float | None = None,
        cusum_threshold: float | None = None,
        max_consecutive_failures: int | None = None,
        stop_on_systemic: bool = True,
        emit_failure: bool = True,
    ) -> None:
        if early_checkpoint < 0:
            raise ValueError("early_checkpoint must be 0 (off) or a positive count")
        if warning_interval < 1:
            raise ValueError("warning_interval must be at least 1")
        for name, value in (
            ("early_threshold", early_threshold),
            ("warning_threshold", warning_threshold),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        base = detectors or DetectorSettings()
        overrides = {
            k: v
            for k, v in {
                "p0": p0,
                "p1": p1,
                "alpha": alpha,
                "cusum_threshold": cusum_threshold,
                "max_consecutive_failures": max_consecutive_failures,
            }.items()
            if v is not None
        }
        if overrides:
            base = DetectorSettings(**{**base.__dict__, **overrides})
        self.bus = event_bus
        self.early_checkpoint = early_checkpoint
        self.early_threshold = early_threshold
        self.warning_threshold = warning_threshold
        self.warning_interval = warning_interval
        self.stop_on_systemic = stop_on_systemic
        self.emit_failure = emit_failure
        self.monitor = RunMonitor(base)
        self._window: deque[bool] = deque(maxlen=warning_interval)
        self.run_id: str | None = None
        self.stopped: dict[str, Any] | None = None
        self.checkpoint: dict[str, Any] | None = None
        self.warnings = 0
        event_bus.subscribe(ExtractionEvent.STARTED, self.on_started)
        event_bus.subscribe(ExtractionEvent.SPECIMEN_COMPLETED, self.on_completed)
        event_bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, self.on_failed)

    # -- handlers -----------------------------------------------------------------------

    def on_started(self, event: Event) -> None:
        """A (new or resumed) run starts: count from zero."""
        self.monitor.reset()
        self._window.clear()
        self.stopped = None
        self.checkpoint = None
        self.warnings = 0
        self.run_id = event.data.get("run_id", event.run_id)

    def on_completed(self, event: Event) -> None:
        """A specimen succeeded."""
        self._observe(True, event)

    def on_failed(self, event: Event) -> None:
        """A specimen failed; a systemic failure stops the run at once."""
        if (
            self.stopped is None
            and self.stop_on_systemic
            and (event.data.get("systemic") or event.data.get("reason") in SYSTEMIC_REASONS)
        ):
            self.monitor.update(False)
            self._window.append(False)
            message = event.data.get("error") or event.data.get("message") or "engine error"
            self._stop(
                "systemic_engine_error",
                f"the engine reported an error no retry can fix: {message}",
                {**self._counts(), "specimen_id": event.data.get("specimen_id")},
                SystemicErrorStop,
            )
        self._observe(False, event)

    # -- logic --------------------------------------------------------------------------

    def _observe(self, success: bool, event: Event) -> None:
        if self.stopped is not None:
            return  # in-flight results after a stop are counted by metrics, not re-judged
        monitor = self.monitor
        decision = monitor.update(success)
        self._window.append(success)
        n = monitor.processed
        if n == self.early_checkpoint:  # 0 (off) never equals a count of processed
            rate = self.monitor.rate
            passed = rate >= self.early_threshold
            self.checkpoint = {
                "run_id": self.run_id,
                "checkpoint": self.early_checkpoint,
                "passed": passed,
                "threshold": self.early_threshold,
                **self._counts(),
                **self.monitor.state(),
            }
            self.bus.emit(ExtractionEvent.VALIDATION_CHECKPOINT, self.checkpoint)
            if not passed:
                self._stop(
                    "early_validation_failed",
                    f"Early validation failed: {rate:.0%} success rate after {n} specimens "
                    f"(needed {self.early_threshold:.0%})",
                    {
                        **self._counts(),
                        "checkpoint": self.early_checkpoint,
                        "threshold": self.early_threshold,
                    },
                )
        if decision is not None:
            self._stop(
                decision.detector,
                f"Early validation failed: {decision.message}",
                decision.numbers,
            )
        if n % self.warning_interval == 0:
            rolling = sum(self._window) / len(self._window)
            if rolling < self.warning_threshold:
                self.warnings += 1
                self.bus.emit(
                    ExtractionEvent.VALIDATION_WARNING,
                    {
                        "run_id": self.run_id,
                        "success_rate": rolling,
                        "overall_success_rate": self.monitor.rate,
                        "window": len(self._window),
                        "threshold": self.warning_threshold,
                        "processed": n,
                        **self.monitor.state(),
                    },
                )

    def _counts(self) -> dict[str, Any]:
        m = self.monitor
        return {
            "processed": m.processed,
            "success_count": m.successes,
            "failed_count": m.processed - m.successes,
            "success_rate": m.rate,
        }

    def _stop(
        self,
        reason: str,
        message: str,
        numbers: dict[str, Any],
        exc_type: type[EarlyValidationError] = EarlyValidationError,
    ) -> None:
        self.stopped = {"run_id": self.run_id, "reason": reason, "message": message, **numbers}
        if self.emit_failure:
            self.bus.emit(ExtractionEvent.EXTRACTION_FAILED, self.stopped)
        raise exc_type(message, reason=reason, details=self.stopped)

    def state(self) -> dict[str, Any]:
        """Live state for panels: counts, detectors, closeness to a stop, stop if any."""
        return {
            **self._counts(),
            **self.monitor.state(),
            "checkpoint": self.checkpoint,
            "stopped": self.stopped,
            "warnings": self.warnings,
        }
