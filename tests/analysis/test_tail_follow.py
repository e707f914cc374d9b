"""LogFollower against a real writer: missing file, partial lines, resume, repair, truncation."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from herbx.analysis.synthetic import write_run_log
from herbx.analysis.tail import LogFollower, TailLine, TailNotice
from herbx.events import HybridEventBus


def _lines(items: list[TailLine | TailNotice]) -> list[TailLine]:
    return [i for i in items if isinstance(i, TailLine)]


def test_waits_for_file_then_reads_partial_lines(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    f = LogFollower(log)
    first = f.poll()
    assert [n.kind for n in first if isinstance(n, TailNotice)] == ["waiting"]
    assert f.poll() == []  # announced once
    log.write_bytes(b'{"v":1,"seq":1,"run_id":"r","event_type":"extraction.started",')
    items = f.poll()
    assert [n.kind for n in items if isinstance(n, TailNotice)] == ["appeared"]
    assert _lines(items) == []  # the line is not finished yet
    with open(log, "ab") as fh:
        fh.write(b'"timestamp":"2026-11-26T19:03:01.000000Z","data":{"run_id":"r"}}\n')
    (line,) = _lines(f.poll())
    assert line.event is not None and line.event["event_type"] == "extraction.started"
    assert line.line == 1 and not line.backlog
    f.close()


def test_torn_line_repaired_by_resumed_writer(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 4, ending="crash", interrupt_after=3)
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"seq":8,"run_id":"x","event_type":"specim')
    f = LogFollower(log)
    backlog = _lines(f.poll())
    assert len(backlog) == 7 and all(x.backlog for x in backlog)
    assert not f.run_ended
    # the next writer repairs the torn tail and appends a resumed run
    write_run_log(log, ["skip"] * 3 + ["ok"], resumed=True)
    items = f.poll()
    assert [n.kind for n in items if isinstance(n, TailNotice)] == ["torn"]
    new = _lines(items)
    assert all(x.event is not None for x in new)
    assert new[0].event is not None and new[0].event["event_type"] == "extraction.started"
    assert new[0].event["seq"] == 8  # continues after the last complete line (seq 7)
    assert f.run_ended
    f.close()


def test_truncation_and_replacement_restart_from_the_top(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 3)
    f = LogFollower(log)
    assert len(_lines(f.poll())) == 8
    log.write_bytes(b"")
    log.write_bytes(b"")
    assert [n.kind for n in f.poll() if isinstance(n, TailNotice)] == ["truncated"]
    other = tmp_path / "other.jsonl"
    write_run_log(other, ["ok"])
    other.replace(log)
    items = f.poll()
    assert [n.kind for n in items if isinstance(n, TailNotice)] == ["replaced"]
    assert len(_lines(items)) == 4
    f.close()


def test_follow_a_writer_in_another_thread_until_the_run_ends(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"

    def writer() -> None:
        time.sleep(0.05)
        with HybridEventBus(log) as bus:
            bus.emit("extraction.started", {"run_id": "live", "total_specimens": 5})
            for i in range(5):
                time.sleep(0.01)
                bus.emit("specimen.completed", {"specimen_id": f"s{i}", "sequence": i + 1})
            bus.emit("extraction.completed", {"run_id": "live", "status": "completed"})

    t = threading.Thread(target=writer)
    t.start()
    got = list(LogFollower(log).follow(poll_interval=0.01, timeout=10))
    t.join()
    events = [i.event["event_type"] for i in got if isinstance(i, TailLine) and i.event]
    assert events[0] == "extraction.started" and events[-1] == "extraction.completed"
    assert events.count("specimen.completed") == 5
