"""The bus: envelope, ordering, wildcards, isolation, stop propagation, async consumers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
import pytest

from herbx.events import (
    BusClosedError,
    EarlyValidationError,
    ExtractionEvent,
    HybridEventBus,
    StopRun,
    read_events,
)


def lines(path: Path) -> list[dict]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_envelope_is_written_before_consumers_see_it(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    seen_on_disk: list[int] = []
    with HybridEventBus(event_log_path=log) as bus:
        bus.subscribe("*", lambda e: seen_on_disk.append(len(log.read_bytes().splitlines())))
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r1", "total_specimens": 2})
        bus.emit(ExtractionEvent.SPECIMEN_PROCESSING, {"specimen_id": "a", "sequence": 1})
    assert seen_on_disk == [1, 2]
    first, second = lines(log)
    assert first["v"] == 1 and first["seq"] == 1 and second["seq"] == 2
    assert first["run_id"] == "r1" and second["run_id"] == "r1"
    assert first["event_type"] == "extraction.started"
    assert first["timestamp"].endswith("Z") and "T" in first["timestamp"]
    assert first["data"] == {"run_id": "r1", "total_specimens": 2}


def test_handlers_run_in_registration_order_with_wildcards(tmp_path: Path) -> None:
    calls: list[str] = []
    with HybridEventBus(tmp_path / "e.jsonl") as bus:
        bus.subscribe("specimen.*", lambda e: calls.append("prefix:" + e.event_type))
        bus.subscribe("*", lambda e: calls.append("all:" + e.event_type))
        bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, lambda e: calls.append("exact"))
        bus.emit(ExtractionEvent.SPECIMEN_FAILED, {})
        bus.emit(ExtractionEvent.STARTED, {})
        bus.emit("specimenX.other", {})
    assert calls == [
        "prefix:specimen.failed",
        "all:specimen.failed",
        "exact",
        "all:extraction.started",
        "all:specimenX.other",
    ]


def test_unsubscribe_handle(tmp_path: Path) -> None:
    got: list[int] = []
    with HybridEventBus(tmp_path / "e.jsonl") as bus:
        sub = bus.subscribe("*", lambda e: got.append(e.seq))
        bus.emit("a.b", {})
        sub()
        sub.unsubscribe()  # twice is fine
        bus.emit("a.b", {})
    assert got == [1]


def test_ordinary_consumer_error_is_isolated_and_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "e.jsonl"
    after: list[int] = []

    def broken(event):  # type: ignore[no-untyped-def]
        raise KeyError("metrics")

    with HybridEventBus(log) as bus:
        bus.subscribe(ExtractionEvent.SPECIMEN_COMPLETED, broken)
        bus.subscribe(ExtractionEvent.SPECIMEN_COMPLETED, lambda e: after.append(e.seq))
        bus.emit(ExtractionEvent.SPECIMEN_COMPLETED, {"specimen_id": "x"})
        bus.emit(ExtractionEvent.SPECIMEN_COMPLETED, {"specimen_id": "y"})
    assert after == [1, 3], "the second consumer still ran, after the error event was logged"
    events = read_events(log)
    errors = [e for e in events if e.event_type == "consumer.error"]
    assert len(errors) == 2
    assert errors[0].data["consumer"].endswith("broken")
    assert errors[0].data["event_type"] == "specimen.completed"
    assert errors[0].data["event_seq"] == 1
    assert errors[0].data["error_type"] == "KeyError"
    assert "metrics" in errors[0].data["message"]
    assert len(bus.consumer_errors) == 2
    assert "consumer" in caplog.text and "broken" in caplog.text


def test_error_in_consumer_of_consumer_error_does_not_loop(tmp_path: Path) -> None:
    def broken(event):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    with HybridEventBus(tmp_path / "e.jsonl") as bus:
        bus.subscribe("*", broken)
        bus.emit("x.y", {})
    types = [e.event_type for e in read_events(tmp_path / "e.jsonl")]
    assert types == ["x.y", "consumer.error"]


def test_stop_run_propagates_after_event_is_logged_and_other_handlers_ran(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    later: list[str] = []

    def stopper(event):  # type: ignore[no-untyped-def]
        raise EarlyValidationError("dead run", reason="test")

    with HybridEventBus(log) as bus:
        bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, stopper)
        bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, lambda e: later.append(e.event_type))
        with pytest.raises(EarlyValidationError) as info:
            bus.emit(ExtractionEvent.SPECIMEN_FAILED, {"specimen_id": "s1"})
    assert info.value.reason == "test"
    assert later == ["specimen.failed"]
    assert [e.event_type for e in read_events(log)] == ["specimen.failed"]


def test_custom_stoprun_subclass_propagates(tmp_path: Path) -> None:
    class BudgetExceeded(StopRun):
        pass

    def guard(event):  # type: ignore[no-untyped-def]
        raise BudgetExceeded("over budget", reason="budget")

    with HybridEventBus(tmp_path / "e.jsonl") as bus:
        bus.subscribe("*", guard)
        with pytest.raises(BudgetExceeded):
            bus.emit("specimen.completed", {})


def test_unserializable_data_raises_type_error_naming_the_key(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    with HybridEventBus(log) as bus:
        bus.emit("ok", {})
        with pytest.raises(TypeError, match=r"data\.result\.image") as info:
            bus.emit("specimen.completed", {"result": {"image": Path("/x.jpg")}})
        assert "PosixPath" in str(info.value) or "Path" in str(info.value)
        bus.emit("ok", {})
    events = read_events(log)
    assert [e.seq for e in events] == [1, 2], "nothing written for the bad event, seq unbroken"


def test_unserializable_data_raises_without_a_log_too() -> None:
    with HybridEventBus() as bus, pytest.raises(TypeError, match=r"data\.when"):
        bus.emit("x", {"when": object()})


def test_emit_after_close_is_a_clear_error_and_close_is_idempotent(tmp_path: Path) -> None:
    bus = HybridEventBus(tmp_path / "e.jsonl")
    bus.emit("a", {})
    bus.close()
    bus.close()
    with pytest.raises(BusClosedError, match="closed"):
        bus.emit("b", {})


def test_reopen_continues_seq_and_run_id_comes_from_started(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    with HybridEventBus(log) as bus:
        bus.emit(ExtractionEvent.STARTED, {"run_id": "first"})
        bus.emit("specimen.completed", {})
    with HybridEventBus(log) as bus:
        assert bus.seq == 2
        bus.emit(ExtractionEvent.STARTED, {"run_id": "second"})
    events = read_events(log)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.run_id for e in events] == ["first", "first", "second"]


def test_explicit_run_id_wins(tmp_path: Path) -> None:
    with HybridEventBus(tmp_path / "e.jsonl", run_id="fixed") as bus:
        event = bus.emit(ExtractionEvent.STARTED, {"run_id": "other"})
    assert event.run_id == "fixed"


def test_async_consumer_never_blocks_emit_and_is_drained_on_close(tmp_path: Path) -> None:
    release = threading.Event()
    got: list[int] = []

    def slow(event):  # type: ignore[no-untyped-def]
        release.wait(5)
        got.append(event.seq)

    bus = HybridEventBus(tmp_path / "e.jsonl")
    bus.subscribe("*", slow, asynchronous=True, queue_size=100)
    start = time.perf_counter()
    for _ in range(50):
        bus.emit("specimen.completed", {})
    assert time.perf_counter() - start < 2.0, "emit waited for the slow consumer"
    assert got == []
    release.set()
    bus.close()
    assert got == list(range(1, 51))


def test_async_consumer_drops_when_full_and_reports_it(tmp_path: Path) -> None:
    release = threading.Event()
    got: list[int] = []

    def slow(event):  # type: ignore[no-untyped-def]
        release.wait(5)
        got.append(event.seq)

    log = tmp_path / "e.jsonl"
    bus = HybridEventBus(log)
    sub = bus.subscribe("specimen.*", slow, asynchronous=True, queue_size=3, name="slow-db")
    for _ in range(10):
        bus.emit("specimen.completed", {})
    # one event may be in the handler already, 3 queued; the rest dropped
    assert sub.dropped >= 6
    assert bus.stats()["dropped"] == {"slow-db": sub.dropped}
    release.set()
    bus.close()
    assert len(got) == 10 - sub.dropped
    dropped = [e for e in read_events(log) if e.event_type == "consumer.dropped"]
    assert len(dropped) == 1
    assert dropped[0].data == {"consumer": "slow-db", "dropped": sub.dropped, "queue_size": 3}


def test_async_consumer_errors_become_consumer_error_events(tmp_path: Path) -> None:
    def broken(event):  # type: ignore[no-untyped-def]
        raise ValueError("smtp down")

    log = tmp_path / "e.jsonl"
    with HybridEventBus(log) as bus:
        bus.subscribe("extraction.*", broken, asynchronous=True, name="mailer")
        bus.emit(ExtractionEvent.EXTRACTION_FAILED, {"reason": "x"})
        bus.flush()
        bus.emit(ExtractionEvent.EXTRACTION_COMPLETED, {})
    errors = [e for e in read_events(log) if e.event_type == "consumer.error"]
    assert [e.data["consumer"] for e in errors] == ["mailer", "mailer"]
    assert errors[0].data["message"] == "smtp down"
    assert errors[0].data["event_seq"] == 1


def test_fsync_policy_validation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fsync"):
        HybridEventBus(tmp_path / "e.jsonl", fsync="sometimes")  # type: ignore[arg-type]
    with HybridEventBus(tmp_path / "a.jsonl", fsync="always") as bus:
        bus.emit("x", {})
    assert len(read_events(tmp_path / "a.jsonl")) == 1


def test_in_memory_bus_delivers_without_a_file() -> None:
    got = []
    with HybridEventBus() as bus:
        bus.subscribe("*", got.append)
        bus.emit("a", {"n": 1})
    assert got[0].data == {"n": 1} and got[0].seq == 1


def test_a_given_clock_stamps_every_event(tmp_path: Path) -> None:
    class Fixed:
        def now(self) -> str:
            return "2026-11-26T19:03:12.000001Z"

    log = tmp_path / "events.jsonl"
    with HybridEventBus(event_log_path=log, clock=Fixed()) as bus:
        event = bus.emit("specimen.processing", {"specimen_id": "S1"})
    assert event.timestamp == "2026-11-26T19:03:12.000001Z"
    line = orjson.loads(log.read_bytes().splitlines()[0])
    assert line["timestamp"] == "2026-11-26T19:03:12.000001Z"
