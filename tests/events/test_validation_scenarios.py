"""Whole-run scenarios for the validator, including the defects of the system herbx replaces.

Each test drives a real bus writing a real log, the way an extraction loop does, and checks
both what the caller sees (the exception, where it came out) and what the log says.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from herbx.events import (
    EarlyValidationError,
    Event,
    ExtractionEvent,
    HybridEventBus,
    MetricsConsumer,
    StopRun,
    SystemicErrorStop,
    ValidationConsumer,
)
from herbx.events.log import EventLog, read_events


def specimen(bus: HybridEventBus, n: int, ok: bool, **extra: Any) -> None:
    """One specimen as a runner reports it: processing, then completed or failed."""
    sid = f"S{n:05d}"
    bus.emit(ExtractionEvent.SPECIMEN_PROCESSING, {"specimen_id": sid, "sequence": n})
    data: dict[str, Any] = {"specimen_id": sid, "sequence": n, **extra}
    if not ok:
        data.setdefault("reason", "empty_record")
    bus.emit(ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED, data)


def run(
    log: Path,
    outcomes: list[bool],
    *,
    run_id: str = "run-1",
    first_sequence: int = 1,
    **validator: Any,
) -> tuple[int, EarlyValidationError | None]:
    """Feed ``outcomes`` through a fresh bus on ``log``; return (specimens processed, stop)."""
    with HybridEventBus(event_log_path=log) as bus:
        ValidationConsumer(bus, **validator)
        MetricsConsumer(bus)
        bus.emit(ExtractionEvent.STARTED, {"run_id": run_id, "total_specimens": len(outcomes)})
        for i, ok in enumerate(outcomes):
            try:
                specimen(bus, first_sequence + i, ok)
            except EarlyValidationError as stop:
                return i + 1, stop
        bus.emit(ExtractionEvent.EXTRACTION_COMPLETED, {"run_id": run_id})
    return len(outcomes), None


def types(log: Path) -> Counter[str]:
    return Counter(e.event_type for e in read_events(log))


@pytest.mark.parametrize("phase", range(5))
def test_one_in_five_run_stops_at_the_checkpoint(tmp_path: Path, phase: int) -> None:
    log = tmp_path / "events.jsonl"
    processed, stop = run(log, [i % 5 == phase for i in range(200)])
    assert processed == 5 and stop is not None
    assert stop.reason == "early_validation_failed"
    assert stop.details["success_rate"] == 0.2 and stop.details["processed"] == 5
    events = read_events(log)
    checkpoint = next(e.data for e in events if e.event_type == "validation.checkpoint")
    assert checkpoint["passed"] is False and checkpoint["success_count"] == 1
    assert events[-1].event_type == "extraction.failed"
    assert events[-1].data["reason"] == "early_validation_failed"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_run_that_breaks_at_300_stops_within_15(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    outcomes = [rng.random() < 0.85 for _ in range(300)] + [False] * 200
    processed, stop = run(tmp_path / "events.jsonl", outcomes)
    assert stop is not None
    assert 300 < processed <= 315, f"seed {seed}: stopped at {processed}"
    assert stop.reason in {"change_detected", "consecutive_failures"}
    assert stop.details["processed"] == processed


def test_run_that_breaks_to_20_percent_is_stopped_too(tmp_path: Path) -> None:
    # not a clean break: one label in five still reads after the key expires
    rng = random.Random(11)
    outcomes = [rng.random() < 0.85 for _ in range(300)] + [rng.random() < 0.2 for _ in range(300)]
    processed, stop = run(tmp_path / "events.jsonl", outcomes)
    assert stop is not None and 300 < processed <= 400
    assert stop.reason == "change_detected"


def test_healthy_run_of_2000_is_not_stopped(tmp_path: Path) -> None:
    rng = random.Random(3)
    outcomes = [True] * 5 + [rng.random() < 0.85 for _ in range(1995)]
    processed, stop = run(tmp_path / "events.jsonl", outcomes)
    assert stop is None and processed == 2000
    assert types(tmp_path / "events.jsonl")["extraction.completed"] == 1


def test_resumed_run_in_the_same_log_is_checked_again(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    # the first session: 40 good specimens, then the process is killed (no terminal event)
    with HybridEventBus(event_log_path=log) as bus:
        ValidationConsumer(bus)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "run-1", "total_specimens": 100})
        for n in range(1, 41):
            specimen(bus, n, True)
    # the resumed session appends to the same log; its sequence numbers continue at 41
    # (the old system's checkpoint fired on sequence == 5 and so never on a resumed run)
    processed, stop = run(log, [False] * 60, first_sequence=41)
    assert processed == 5 and stop is not None
    assert stop.reason == "early_validation_failed" and stop.details["processed"] == 5
    log_reader = EventLog(log)
    events = list(log_reader)
    assert log_reader.report.clean  # seq continued across both sessions
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    starts = [i for i, e in enumerate(events) if e.event_type == "extraction.started"]
    assert len(starts) == 2
    resumed = Counter(e.event_type for e in events[starts[1] :])
    assert resumed["specimen.failed"] == 5 and resumed["validation.checkpoint"] == 1
    checkpoints = [e.data for e in events if e.event_type == "validation.checkpoint"]
    assert [c["passed"] for c in checkpoints] == [True, False]


def test_second_started_on_the_same_bus_resets_the_count() -> None:
    with HybridEventBus() as bus:
        v = ValidationConsumer(bus)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "a"})
        for n in range(1, 31):
            specimen(bus, n, True)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "a", "resumed": True})
        assert v.monitor.processed == 0 and v.checkpoint is None
        with pytest.raises(EarlyValidationError):
            for n in range(31, 40):
                specimen(bus, n, False)
        assert v.stopped is not None and v.stopped["processed"] == 5


@pytest.mark.parametrize("reason", ["auth", "quota", "unknown_model"])
def test_systemic_error_stops_at_once_even_after_a_good_start(tmp_path: Path, reason: str) -> None:
    log = tmp_path / "events.jsonl"
    with HybridEventBus(event_log_path=log) as bus:
        ValidationConsumer(bus)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r"})
        for n in range(1, 31):
            specimen(bus, n, True)
        with pytest.raises(SystemicErrorStop) as info:
            specimen(bus, 31, False, reason=reason, message="401 invalid API key")
    assert info.value.reason == "systemic_engine_error"
    assert info.value.details["processed"] == 31
    assert info.value.details["specimen_id"] == "S00031"
    last = read_events(log)[-1]
    assert last.event_type == "extraction.failed" and last.data["reason"] == "systemic_engine_error"


def test_systemic_flag_stops_on_the_first_specimen(tmp_path: Path) -> None:
    processed_before = []
    with HybridEventBus(event_log_path=tmp_path / "events.jsonl") as bus:
        ValidationConsumer(bus)
        bus.subscribe("specimen.failed", lambda e: processed_before.append(e.data["sequence"]))
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r"})
        with pytest.raises(SystemicErrorStop):
            specimen(bus, 1, False, reason="engine_error", systemic=True, error="no credit")
    assert processed_before == [1]  # handlers after the validator still saw the event


def test_warnings_every_interval_whether_that_specimen_succeeded_or_not(tmp_path: Path) -> None:
    # two in three succeed (67 %, under the 70 % warning line, far from any stop); specimen
    # 50 succeeds and specimen 150 fails: both positions must warn (the old system only
    # looked when a specimen completed)
    outcomes = [n % 3 != 0 for n in range(1, 221)]
    assert outcomes[49] is True and outcomes[149] is False
    log = tmp_path / "events.jsonl"
    processed, stop = run(log, outcomes)
    assert stop is None and processed == 220
    warnings = [e.data for e in read_events(log) if e.event_type == "validation.warning"]
    assert [w["processed"] for w in warnings] == [50, 100, 150, 200]
    assert all(0.6 < w["success_rate"] < 0.7 and w["window"] == 50 for w in warnings)
    assert all(w["threshold"] == 0.7 for w in warnings)


def test_no_warning_when_the_rolling_rate_is_fine(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    processed, stop = run(log, [n % 10 != 0 for n in range(1, 201)])  # 90 %
    assert processed == 200
    assert stop is None
    assert types(log)["validation.warning"] == 0


def test_stop_propagates_out_of_emit_after_the_event_is_logged(tmp_path: Path) -> None:
    # defect 1 of the old system: its bus caught the validator's exception per handler
    log = tmp_path / "events.jsonl"
    seen_after: list[int] = []

    def broken_dashboard(event: Event) -> None:
        raise ConnectionError("dashboard is down")

    with HybridEventBus(event_log_path=log) as bus:
        bus.subscribe("*", broken_dashboard)  # an ordinary failure before the validator
        ValidationConsumer(bus)
        bus.subscribe("specimen.failed", lambda e: seen_after.append(e.data["sequence"]))
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r"})
        with pytest.raises(EarlyValidationError) as info:
            for n in range(1, 50):
                specimen(bus, n, False)
        # when the exception reaches the caller, the triggering event is already on disk
        on_disk = read_events(log)
        assert any(e.event_type == "specimen.failed" and e.data["sequence"] == 5 for e in on_disk)
    assert info.value.details["processed"] == 5
    assert seen_after == [1, 2, 3, 4, 5]  # every handler of that event still ran
    assert bus.consumer_errors[0]["consumer"].endswith("broken_dashboard")
    assert isinstance(info.value, StopRun)


def test_a_consumers_own_stoprun_propagates(tmp_path: Path) -> None:
    class BudgetExceeded(StopRun):
        pass

    def budget_guard(event: Event) -> None:
        if event.data["sequence"] == 3:
            raise BudgetExceeded("spent the budget", reason="budget")

    log = tmp_path / "events.jsonl"
    with HybridEventBus(event_log_path=log) as bus:
        ValidationConsumer(bus)
        bus.subscribe("specimen.completed", budget_guard)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r"})
        with pytest.raises(BudgetExceeded):
            for n in range(1, 10):
                specimen(bus, n, True)
    assert types(log)["specimen.completed"] == 3
    assert types(log)["consumer.error"] == 0


@pytest.mark.parametrize("checkpoint", [5, 0])
def test_failed_only_run_trips_the_validator(tmp_path: Path, checkpoint: int) -> None:
    # defect 2 of the old system: it listened to specimen.completed only, so a run that
    # emits nothing but specimen.failed was never stopped; with the checkpoint off the
    # sequential test alone stops it at the same specimen
    log = tmp_path / "events.jsonl"
    processed, stop = run(log, [False] * 100, early_checkpoint=checkpoint)
    assert processed == 5 and stop is not None
    assert stop.reason == ("early_validation_failed" if checkpoint else "sequential_test")
    c = types(log)
    assert c["specimen.completed"] == 0 and c["specimen.failed"] == 5
    assert c["extraction.failed"] == 1
