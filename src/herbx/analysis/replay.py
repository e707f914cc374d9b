"""Feed a recorded log back through consumers, in order, with the original timestamps.

The main question it answers: *would these validator settings have stopped this run, and
at which specimen?* Every validator knob can be changed; the answer comes in specimens and
in wall time, so thresholds are tuned on real runs instead of guesses.

Example::

    from herbx.analysis import replay

    r = replay("runs/r1/events.jsonl", early_checkpoint=10, early_threshold=0.6)
    for d in r.decisions:
        print(d.reason, d.processed, d.after_s)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from herbx.events.bus import HybridEventBus
from herbx.events.clock import parse_timestamp
from herbx.events.consumers.metrics import MetricsConsumer, MetricsSnapshot
from herbx.events.consumers.validation import ValidationConsumer
from herbx.events.errors import StopRun
from herbx.events.log import EventLog, LogError, LogReport, event_from_dict
from herbx.events.sequential import DetectorSettings
from herbx.events.types import Event


class _ReplayClock:
    """Stands in for the bus clock: events a consumer emits get the replayed time."""

    def __init__(self) -> None:
        self.current = ""

    def now(self) -> str:
        return self.current


class ReplayBus(HybridEventBus):
    """An in-memory bus that delivers recorded events unchanged.

    :meth:`feed` hands a recorded event to the subscribed consumers (original timestamp
    and ``seq``). Events the consumers emit themselves (a validator's checkpoint) are
    delivered too, stamped with the replayed time, and kept in :attr:`emitted`.
    """

    def __init__(self) -> None:
        self._replay_clock = _ReplayClock()
        super().__init__(None, clock=self._replay_clock)
        self.emitted: list[Event] = []

    def feed(self, event: Event) -> StopRun | None:
        """Deliver one recorded event; return the stop a consumer raised, if any."""
        self._replay_clock.current = event.timestamp
        with self._lock:
            self._seq = event.seq
            self.run_id = event.run_id
        try:
            self._dispatch(event)  # outside the lock: consumers emit events of their own
        except StopRun as stop:
            return stop
        return None

    def emit(self, event_type: str, data: dict[str, Any] | None = None) -> Event:
        """A consumer's own event: delivered like any other and remembered."""
        event = super().emit(event_type, data)
        self.emitted.append(event)
        return event


@dataclass
class StopDecision:
    """Where the replayed validator would have stopped a run segment."""

    segment: int
    run_id: str | None
    reason: str
    message: str
    processed: int
    """Specimens processed in that run when it would have stopped."""
    sequence: int | None
    specimen_id: str | None
    timestamp: str
    after_s: float | None
    """Wall time from the run's start to the stop."""
    run_processed: int = 0
    """Specimens the recorded run actually processed."""
    run_duration_s: float | None = None
    """The recorded run's wall time (start to its last event)."""
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def saved_specimens(self) -> int:
        """Specimens the recorded run processed after this point."""
        return max(self.run_processed - self.processed, 0)

    @property
    def saved_s(self) -> float | None:
        """Wall time the recorded run spent after this point."""
        if self.run_duration_s is None or self.after_s is None:
            return None
        return max(self.run_duration_s - self.after_s, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, with the savings."""
        d = asdict(self)
        d["saved_specimens"] = self.saved_specimens
        d["saved_s"] = self.saved_s
        return d


@dataclass
class RecordedRun:
    """One run segment as the log recorded it."""

    segment: int
    run_id: str | None
    started_at: str
    processed: int = 0
    last_event_at: str = ""
    duration_s: float | None = None
    status: str = "running"
    stop_reason: str | None = None
    stop_processed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return asdict(self)


@dataclass
class ReplayResult:
    """What a replay found. ``decisions`` holds one entry per segment the settings stop."""

    path: str
    events: int
    validator: dict[str, Any]
    decisions: list[StopDecision]
    runs: list[RecordedRun]
    checkpoints: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    metrics: MetricsSnapshot
    report: LogReport
    consumers: list[Any] = field(default_factory=list)

    @property
    def would_stop(self) -> bool:
        """True when the settings stop at least one run in the log."""
        return bool(self.decisions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (consumers omitted)."""
        return {
            "path": self.path,
            "events": self.events,
            "validator": self.validator,
            "would_stop": self.would_stop,
            "decisions": [d.to_dict() for d in self.decisions],
            "runs": [r.to_dict() for r in self.runs],
            "checkpoints": self.checkpoints,
            "warnings": self.warnings,
            "metrics": self.metrics.to_dict(),
            "torn_tail": self.report.torn_tail,
            "skipped_lines": [list(x) for x in self.report.skipped_lines],
            "seq_gaps": [list(x) for x in self.report.seq_gaps],
        }


def _seconds(ts: str) -> float | None:
    try:
        return parse_timestamp(ts).timestamp()
    except (ValueError, TypeError, OverflowError):
        return None


def _elapsed(start: str, end: str) -> float | None:
    a, b = _seconds(start), _seconds(end)
    return round(b - a, 6) if a is not None and b is not None else None


def _summary_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in data.items()
        if isinstance(k, str) and (v is None or isinstance(v, bool | int | float | str))
    }


def replay(
    path: str | os.PathLike[str],
    *,
    early_checkpoint: int = 5,
    early_threshold: float = 0.5,
    warning_threshold: float = 0.7,
    warning_interval: int = 50,
    p0: float | None = None,
    p1: float | None = None,
    alpha: float | None = None,
    cusum_threshold: float | None = None,
    max_consecutive_failures: int | None = None,
    detectors: DetectorSettings | None = None,
    consumers: Iterable[Callable[[HybridEventBus], Any]] = (),
    lenient: bool = False,
    speed: float | None = None,
    max_gap_s: float = 2.0,
    on_event: Callable[[Event], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplayResult:
    """Replay ``path`` through a fresh validator (with these settings), metrics and ``consumers``.

    Each entry of ``consumers`` is called with the replay bus (like a consumer class:
    ``consumers=[MyConsumer]``) before the first event; the objects are returned in
    ``result.consumers``. With ``speed`` set the replay is paced: the gap between two
    events is their recorded gap divided by ``speed`` (at most ``max_gap_s``).
    ``on_event`` is called after each recorded event has been delivered.

    Raises:
        LogError: the log cannot be read (a corrupt line, unless ``lenient``).
        ValueError: a validator setting is out of range.
    """
    bus = ReplayBus()
    validator = ValidationConsumer(
        bus,
        early_checkpoint=early_checkpoint,
        early_threshold=early_threshold,
        warning_threshold=warning_threshold,
        warning_interval=warning_interval,
        detectors=detectors,
        p0=p0,
        p1=p1,
        alpha=alpha,
        cusum_threshold=cusum_threshold,
        max_consecutive_failures=max_consecutive_failures,
        emit_failure=False,
    )
    metrics = MetricsConsumer(bus, rolling_window=warning_interval)
    extra = [factory(bus) for factory in consumers]
    settings = {
        "early_checkpoint": early_checkpoint,
        "early_threshold": early_threshold,
        "warning_threshold": warning_threshold,
        "warning_interval": warning_interval,
        **asdict(validator.monitor.settings),
    }
    log = EventLog(path, lenient=lenient)
    decisions: list[StopDecision] = []
    runs: list[RecordedRun] = []
    run: RecordedRun | None = None
    events = 0
    last_ts: float | None = None
    for obj, line in log.iter_dicts():
        if not isinstance(obj.get("event_type"), str) or not isinstance(obj.get("data"), dict):
            if not lenient:
                raise LogError(
                    path, line, "not a herbx event envelope (use lenient reading to skip it)"
                )
            log.report.skipped_lines.append((line, "not a herbx event envelope"))
            continue
        if not isinstance(obj.get("timestamp"), str):
            obj = {**obj, "timestamp": ""}
        event = event_from_dict(obj, line)
        events += 1
        et = event.event_type
        if speed:
            now_ts = _seconds(event.timestamp)
            if now_ts is not None and last_ts is not None and now_ts > last_ts:
                sleep(min((now_ts - last_ts) / speed, max_gap_s))
            if now_ts is not None:
                last_ts = now_ts
        if et == "extraction.started" or run is None:
            run = RecordedRun(len(runs) + 1, event.run_id, event.timestamp)
            runs.append(run)
        if et in ("specimen.completed", "specimen.failed"):
            run.processed += 1
        elif et in ("extraction.completed", "extraction.failed", "extraction.interrupted"):
            run.status = et.split(".", 1)[1]
            if et == "extraction.failed":
                reason = event.data.get("reason")
                run.stop_reason = reason if isinstance(reason, str) else None
                run.status = "stopped"
                run.stop_processed = run.processed
        run.last_event_at = event.timestamp
        stop = bus.feed(event)
        if stop is not None:
            data = event.data
            specimen_id = data.get("specimen_id")
            sequence = data.get("sequence")
            decisions.append(
                StopDecision(
                    segment=run.segment,
                    run_id=run.run_id,
                    reason=stop.reason,
                    message=str(stop),
                    processed=validator.monitor.processed,
                    sequence=sequence if isinstance(sequence, int) else None,
                    specimen_id=specimen_id if isinstance(specimen_id, str) else None,
                    timestamp=event.timestamp,
                    after_s=_elapsed(run.started_at, event.timestamp),
                    numbers=_summary_keys(stop.details),
                )
            )
        if on_event is not None:
            on_event(event)
    for r in runs:
        r.duration_s = _elapsed(r.started_at, r.last_event_at)
    for d in decisions:
        recorded = runs[d.segment - 1]
        d.run_processed = recorded.processed
        d.run_duration_s = recorded.duration_s
    checkpoints = [
        {"timestamp": e.timestamp, **_summary_keys(e.data)}
        for e in bus.emitted
        if e.event_type == "validation.checkpoint"
    ]
    warnings = [
        {"timestamp": e.timestamp, **_summary_keys(e.data)}
        for e in bus.emitted
        if e.event_type == "validation.warning"
    ]
    return ReplayResult(
        path=str(Path(path)),
        events=events,
        validator=settings,
        decisions=decisions,
        runs=runs,
        checkpoints=checkpoints,
        warnings=warnings,
        metrics=metrics.snapshot(),
        report=log.report,
        consumers=extra,
    )
