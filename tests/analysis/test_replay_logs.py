"""replay() and write_filtered() on real logs: where settings would stop, and valid copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from herbx.analysis import summarize
from herbx.analysis.filtered import LogFilter, write_filtered
from herbx.analysis.replay import replay
from herbx.analysis.synthetic import write_run_log
from herbx.events import Event, EventLog, HybridEventBus, LogError


def _broken_late(tmp_path: Path) -> Path:
    log = tmp_path / "events.jsonl"
    # healthy for 40 specimens, then every specimen fails: the recorded validator (default
    # settings) is switched off so the whole run is recorded
    write_run_log(
        log, ["ok"] * 40 + ["empty_record"] * 20, validate=False, seconds_per_specimen=3.0
    )
    return log


def test_replay_finds_where_settings_stop_in_specimens_and_time(tmp_path: Path) -> None:
    log = _broken_late(tmp_path)
    r = replay(log)
    assert r.would_stop
    (d,) = r.decisions
    # defaults: CUSUM adds ln 2 per failure from 0 -> crosses 6.5 at the 10th failure
    assert d.reason == "change_detected"
    assert d.processed == 50 and d.specimen_id == "SIM000050"
    assert d.run_processed == 60 and d.saved_specimens == 10
    # ~3 s per specimen (+-50 %): the stop comes ~150 s in, the run lasted ~180 s
    assert d.after_s is not None and 75 < d.after_s < 225
    assert d.saved_s is not None and 0 < d.saved_s < d.after_s
    assert r.runs[0].status == "completed" and r.runs[0].processed == 60
    assert r.metrics.processed == 60 and r.metrics.succeeded == 40
    assert r.checkpoints[0]["passed"] is True and r.checkpoints[0]["processed"] == 5


def test_replay_with_tighter_consecutive_guard_stops_earlier(tmp_path: Path) -> None:
    log = _broken_late(tmp_path)
    r = replay(log, max_consecutive_failures=3)
    assert [(d.reason, d.processed) for d in r.decisions] == [("consecutive_failures", 43)]
    loose = replay(log, cusum_threshold=50.0, max_consecutive_failures=0)
    assert not loose.would_stop


def test_replay_checkpoint_threshold_and_original_timestamps(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok", "timeout"] * 10, validate=False)
    seen: list[Event] = []

    class Recorder:
        def __init__(self, bus: HybridEventBus) -> None:
            bus.subscribe("*", seen.append)

    r = replay(log, early_checkpoint=10, early_threshold=0.6, consumers=[Recorder])
    (d,) = r.decisions
    assert d.reason == "early_validation_failed" and d.processed == 10
    recorded = list(EventLog(log))
    replayed = [e for e in seen if e.event_type != "validation.checkpoint"]
    assert [e.timestamp for e in replayed] == [e.timestamp for e in recorded]
    assert [e.seq for e in replayed] == [e.seq for e in recorded]
    assert isinstance(r.consumers[0], Recorder)


def test_replay_resumed_log_judges_each_run(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 20, ending="interrupted", interrupt_after=8)
    write_run_log(log, ["skip"] * 8 + ["bad_image"] * 12, resumed=True, validate=False)
    r = replay(log)
    assert [run.status for run in r.runs] == ["interrupted", "completed"]
    assert [(d.segment, d.reason, d.processed) for d in r.decisions] == [
        (2, "early_validation_failed", 5)
    ]


def test_replay_paces_by_recorded_gaps(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 3, seconds_per_specimen=10.0, validate=False)
    sleeps: list[float] = []
    replay(log, speed=50.0, sleep=sleeps.append, max_gap_s=0.15)
    assert sleeps and max(sleeps) <= 0.15
    # engine time 5..15 s at 50x -> 0.1..0.3 s, capped at 0.15
    assert any(s >= 0.1 for s in sleeps)


def test_replay_bad_settings_and_bad_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 3)
    with pytest.raises(ValueError, match="p1 < p0"):
        replay(log, p0=0.1, p1=0.5)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n")
    with pytest.raises(LogError):
        replay(bad)


def test_filtered_copy_is_a_valid_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = write_run_log(log, ["ok", "empty_record", "ok", "timeout"] * 5)
    out = tmp_path / "failed.jsonl"
    res = write_filtered(log, out, LogFilter(types=["specimen.failed", "extraction.*"]))
    assert res.read == run.events and res.written == 10 + 2
    events = list(EventLog(out))
    assert [e.seq for e in events] == list(range(1, 13))
    assert all(e.v == 1 for e in events)
    s = summarize(out)
    assert (s.failed, s.succeeded, s.status) == (10, 0, "completed")
    with pytest.raises(LogError, match="already exists"):
        write_filtered(log, out, LogFilter())
    with pytest.raises(LogError, match="cannot overwrite"):
        write_filtered(log, log, LogFilter(), overwrite=True)


def test_filter_by_specimen_and_time(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 10, validate=False)
    events = list(EventLog(log))
    out = tmp_path / "one.jsonl"
    write_filtered(log, out, LogFilter(specimens=["SIM000003"]))
    kept = list(EventLog(out))
    assert [e.event_type for e in kept] == [
        "extraction.started",
        "specimen.processing",
        "specimen.completed",
        "extraction.completed",
    ]
    window = tmp_path / "window.jsonl"
    since, until = events[3].timestamp, events[6].timestamp
    res = write_filtered(log, window, LogFilter(since=since, until=until))
    assert res.written == 4
    assert [e.timestamp for e in EventLog(window)] == [e.timestamp for e in events[3:7]]
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        LogFilter(since="yesterday")


def test_replay_is_importable_from_the_package() -> None:
    import herbx.analysis as analysis
    from herbx.analysis import replay as package_replay

    assert package_replay is replay
    assert analysis.replay is replay
