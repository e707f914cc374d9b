"""summarize() on real logs written by the bus: the numbers, not only that it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from herbx.analysis import summarize
from herbx.analysis.synthetic import write_run_log
from herbx.demo import run_demo
from herbx.events.log import LogError


def test_healthy_run_numbers(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    outcomes = ["ok"] * 40 + ["empty_record", "timeout", "empty_record"] + ["ok"] * 7
    run = write_run_log(log, outcomes, usage=True, seconds_per_specimen=2.0)
    s = summarize(log)
    assert s.status == "completed"
    assert (s.succeeded, s.failed, s.skipped, s.not_reached) == (47, 3, 0, 0)
    assert s.success_rate == pytest.approx(47 / 50)
    assert s.counts["specimen.processing"] == 50
    assert s.counts["specimen.completed"] == 47
    assert s.counts["specimen.failed"] == 3
    assert s.counts["extraction.started"] == 1
    assert s.counts["validation.checkpoint"] == 1
    assert s.events == run.events
    ident = s.identity
    assert ident["run_id"] == run.run_id and ident["engine"] == "simulate"
    assert ident["model"] == "sim-1" and len(ident["config_hash"]) == 64
    assert s.failure_reasons[0] == {
        "reason": "empty_record",
        "count": 2,
        "share": pytest.approx(2 / 3),
        "example_specimen": "SIM000041",
        "example_message": "simulated failure: empty_record",
    }
    assert s.failure_reasons[1]["reason"] == "timeout"
    assert s.field_coverage["scientificName"] == 1.0
    # eventDate is filled on odd specimen numbers only
    odd_ok = sum(1 for i, o in enumerate(outcomes, 1) if o == "ok" and i % 2)
    assert s.field_coverage["eventDate"] == pytest.approx(odd_ok / 47)
    assert s.tokens["total_tokens"] == run.tokens
    assert s.cost_usd == pytest.approx(run.cost_usd)
    # engine time is 2 s +-50 %: latency percentiles and throughput must be in that range
    assert 1000 <= s.latency_ms["p50"] <= 3000
    assert s.latency_ms["count"] == 50
    assert 20 <= s.specimens_per_minute <= 60
    assert s.duration_s is not None and 50 <= s.duration_s <= 150
    assert not s.torn_tail and not s.skipped_lines and not s.seq_gaps


def test_broken_demo_run_is_stopped_at_five_with_reason(tmp_path: Path) -> None:
    run_demo(tmp_path)
    s = summarize(tmp_path / "broken" / "events.jsonl")
    assert s.status == "stopped"
    assert s.reason == "early_validation_failed"
    assert "20% success rate after 5 specimens" in (s.message or "")
    assert (s.succeeded, s.failed) == (1, 4)
    assert s.counts == {
        "specimen.processing": 5,
        "specimen.failed": 4,
        "extraction.started": 1,
        "specimen.completed": 1,
        "validation.checkpoint": 1,
        "extraction.failed": 1,
    }
    assert s.checkpoints[0]["passed"] is False and s.checkpoints[0]["processed"] == 5
    assert s.stop is not None and s.stop["reason"] == "early_validation_failed"


def test_run_that_breaks_is_stopped_by_change_detector(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = write_run_log(log, ["ok"] * 10 + ["empty_record"] * 30)
    s = summarize(log)
    assert run.status == "stopped"
    assert s.status == "stopped" and s.reason == run.stop_reason == "change_detected"
    # CUSUM starts at 0 after ten successes; each failure adds ln 2; 10 x ln 2 > 6.5
    assert s.processed == run.stopped_at == 20
    assert s.not_reached == 40 - 20
    assert s.stop is not None and s.stop["cusum"] == pytest.approx(10 * 0.6931, abs=1e-3)
    # the rolling rate over 5 outcomes drops below 70 % at specimen 12 (3 failures of 5)
    summ = summarize(log, warning_window=5)
    assert summ.crossings[0]["direction"] == "below"
    assert summ.crossings[0]["processed"] == 12
    assert summ.crossings[0]["specimen_id"] == "SIM000012"


def test_interrupted_and_resumed_run(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    first = write_run_log(log, ["ok"] * 30, ending="interrupted", interrupt_after=12)
    assert first.status == "interrupted"
    s1 = summarize(log)
    assert s1.status == "interrupted" and s1.succeeded == 12 and s1.not_reached == 18
    second = write_run_log(log, ["skip"] * 12 + ["ok"] * 17 + ["timeout"], resumed=True)
    s = summarize(log)
    assert [seg.status for seg in s.segments] == ["interrupted", "completed"]
    assert s.segments[1].resumed is True
    assert (s.segments[1].skipped, s.segments[1].succeeded, s.segments[1].failed) == (12, 17, 1)
    assert (s.succeeded, s.failed, s.skipped, s.not_reached) == (29, 1, 12, 0)
    assert s.status == "completed"
    assert s.counts["extraction.started"] == 2
    assert s.events == first.events + second.events
    assert s.seq_gaps == []  # the resumed writer continued seq


def test_crashed_run_with_torn_tail_is_reported_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 20, ending="crash", interrupt_after=9)
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"seq":99,"run_id":"x","event_ty')
    s = summarize(log)
    assert s.torn_tail is True
    # start + 9 x (processing, completed) + checkpoint = 20 complete lines, then the torn one
    assert s.torn_tail_line == 21 and s.events == 20
    assert s.status == "running"
    assert s.succeeded == 9 and s.not_reached == 11


def test_corrupt_middle_line_names_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 5)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[3] = b'{"v":1,"seq":4, this is not json\n'
    log.write_bytes(b"".join(lines))
    with pytest.raises(LogError) as err:
        summarize(log)
    assert err.value.line == 4 and str(log) in str(err.value)
    s = summarize(log, lenient=True)
    assert s.skipped_lines == [(4, "not valid JSON")]
    # line 4 was specimen 2's processing event (start, p1, c1, p2, c2, ...)
    assert s.succeeded == 5 and s.counts["specimen.processing"] == 4
    assert s.seq_gaps == [(5, 4, 5)]
    assert s.events == sum(1 for _ in lines) - 1


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"hello, this is a text file\nsecond\n", 1, "not valid JSON"),
        (b'{"name": "not an event"}\n', 1, "without an 'event_type'"),
        (b"[1, 2, 3]\n", 1, "not an event object"),
        (b'{"v":1,"seq":1}\n', 1, "without an 'event_type'"),
    ],
)
def test_files_that_are_not_logs(tmp_path: Path, content: bytes, line: int, words: str) -> None:
    log = tmp_path / "x.jsonl"
    log.write_bytes(content)
    with pytest.raises(LogError) as err:
        summarize(log)
    assert err.value.line == line and words in str(err.value)


def test_empty_file_and_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    s = summarize(empty)
    assert s.status == "empty" and s.events == 0 and s.success_rate is None
    with pytest.raises(LogError, match="no such file"):
        summarize(tmp_path / "missing.jsonl")


def test_guide_shaped_version_0_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(
        '{"event_type": "extraction.started", "timestamp": "2025-10-10T12:00:00.000Z",'
        ' "data": {"run_id": "demo_run_001", "total_specimens": 2, "model": "demo-model"}}\n'
        '{"event_type": "specimen.completed", "timestamp": "2025-10-10T12:00:30.000Z",'
        ' "data": {"specimen_id": "a", "sequence": 1, "result": {"dwc": {"x": "y"}}}}\n'
        '{"event_type": "specimen.failed", "timestamp": "2025-10-10T12:01:00.000Z",'
        ' "data": {"specimen_id": "b", "sequence": 2, "result": {}}}\n'
    )
    s = summarize(log)
    assert s.upgraded == 3
    assert (s.succeeded, s.failed, s.status, s.not_reached) == (1, 1, "running", 0)
    assert s.identity["model"] == "demo-model"
    assert s.specimens_per_minute == pytest.approx(2.0)
    assert s.failure_reasons[0]["reason"] == "unknown"
