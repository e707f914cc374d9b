"""ValidationConsumer unit behaviour (scenario tests live in test_validation_scenarios)."""

from __future__ import annotations

import math

import pytest

from herbx.events import (
    DetectorSettings,
    EarlyValidationError,
    ExtractionEvent,
    HybridEventBus,
    RunMonitor,
    SystemicErrorStop,
    ValidationConsumer,
)
from herbx.testing import RecordingConsumer


def feed(bus: HybridEventBus, outcomes: list[bool]) -> int:
    for i, ok in enumerate(outcomes):
        bus.emit(
            ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED,
            {"specimen_id": f"s{i}", "sequence": i + 1},
        )
    return len(outcomes)


def test_defaults_are_the_guides() -> None:
    with HybridEventBus() as bus:
        v = ValidationConsumer(bus)
    assert (v.early_checkpoint, v.early_threshold, v.warning_threshold, v.warning_interval) == (
        5,
        0.5,
        0.7,
        50,
    )
    s = v.monitor.settings
    assert s.failure_step == pytest.approx(math.log(2))
    assert s.success_step == pytest.approx(-math.log(3))
    assert s.sprt_threshold == pytest.approx(math.log(20))


def test_checkpoint_pass_is_an_event_with_numbers() -> None:
    with HybridEventBus() as bus:
        rec = RecordingConsumer(bus)
        ValidationConsumer(bus)
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r"})
        feed(bus, [True, True, False, True, True])
    (cp,) = rec.data("validation.checkpoint")
    assert cp["passed"] is True and cp["processed"] == 5 and cp["success_rate"] == 0.8
    assert cp["run_id"] == "r" and "sprt" in cp and "closeness" in cp


def test_emit_failure_false_only_raises() -> None:
    with HybridEventBus() as bus:
        rec = RecordingConsumer(bus)
        ValidationConsumer(bus, emit_failure=False)
        with pytest.raises(EarlyValidationError) as info:
            feed(bus, [False] * 5)
    assert rec.of_type("extraction.failed") == []
    assert info.value.reason == "early_validation_failed"
    assert info.value.details["processed"] == 5


def test_checkpoint_off_leaves_the_sequential_test() -> None:
    with HybridEventBus() as bus:
        rec = RecordingConsumer(bus)
        ValidationConsumer(bus, early_checkpoint=0)
        with pytest.raises(EarlyValidationError) as info:
            feed(bus, [False] * 10)
    assert info.value.reason == "sequential_test"
    assert info.value.details["processed"] == 5
    assert rec.of_type("validation.checkpoint") == []
    (failed,) = rec.data("extraction.failed")
    assert failed["reason"] == "sequential_test" and failed["sprt"] >= failed["sprt_threshold"]


def test_systemic_failure_stops_at_once() -> None:
    with HybridEventBus() as bus:
        rec = RecordingConsumer(bus)
        ValidationConsumer(bus)
        feed(bus, [True, True])
        with pytest.raises(SystemicErrorStop) as info:
            bus.emit(
                ExtractionEvent.SPECIMEN_FAILED,
                {
                    "specimen_id": "s3",
                    "reason": "engine_systemic",
                    "systemic": True,
                    "message": "401 Unauthorized: check HERBX_API_KEY",
                },
            )
    assert info.value.reason == "systemic_engine_error"
    assert "HERBX_API_KEY" in str(info.value)
    assert rec.data("extraction.failed")[0]["processed"] == 3


def test_results_after_a_stop_are_not_judged_again() -> None:
    with HybridEventBus() as bus:
        rec = RecordingConsumer(bus)
        ValidationConsumer(bus)
        with pytest.raises(EarlyValidationError):
            feed(bus, [False] * 5)
        feed(bus, [False] * 20)  # in-flight results arriving after the stop
    assert len(rec.of_type("extraction.failed")) == 1


def test_overrides_and_bad_settings() -> None:
    with HybridEventBus() as bus:
        v = ValidationConsumer(bus, p0=0.7, cusum_threshold=9.0, max_consecutive_failures=0)
        assert v.monitor.settings.p0 == 0.7 and v.monitor.settings.cusum_threshold == 9.0
        with pytest.raises(ValueError, match="p1 < p0"):
            ValidationConsumer(bus, p0=0.1)
        with pytest.raises(ValueError, match="early_threshold"):
            ValidationConsumer(bus, early_threshold=1.5)
    with pytest.raises(ValueError):
        DetectorSettings(alpha=0)


def test_consecutive_failure_guard_after_a_good_start() -> None:
    m = RunMonitor(DetectorSettings(change_detection=False))
    for _ in range(500):
        assert m.update(True) is None
    decisions = [m.update(False) for _ in range(12)]
    assert decisions[:-1] == [None] * 11
    assert decisions[-1] is not None and decisions[-1].detector == "consecutive_failures"


def test_state_reports_closeness() -> None:
    m = RunMonitor()
    m.update(False)
    m.update(False)
    state = m.state()
    assert 0 < state["closeness"] < 1
    assert state["consecutive_failures"] == 2
