"""herbx.testing: the helpers users import in their own tests."""

from __future__ import annotations

from pathlib import Path

from herbx.events import ExtractionEvent, read_events
from herbx.testing import RecordingConsumer, capture_events


def test_capture_events_in_memory() -> None:
    with capture_events() as (bus, rec):
        bus.emit(ExtractionEvent.STARTED, {"run_id": "t"})
        bus.emit(ExtractionEvent.SPECIMEN_FAILED, {"reason": "bad_image"})
    assert rec.types() == ["extraction.started", "specimen.failed"]
    assert rec.data("specimen.failed") == [{"reason": "bad_image"}]
    assert bus.closed
    rec.clear()
    assert rec.events == []


def test_capture_events_with_a_log(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    with capture_events(log) as (bus, rec):
        only_failed = RecordingConsumer(bus, "specimen.failed")
        bus.emit("specimen.completed", {})
        bus.emit("specimen.failed", {})
    assert len(rec.events) == 2 and len(only_failed.events) == 1
    assert len(read_events(log)) == 2
