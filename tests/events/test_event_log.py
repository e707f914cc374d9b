"""Reading and repairing logs: torn tails, mid-file corruption, seq gaps, old envelopes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from herbx.events import EventLog, HybridEventBus, LogError, read_events
from herbx.events.log import scan_tail


def write_log(path: Path, n: int) -> None:
    with HybridEventBus(path) as bus:
        for i in range(n):
            bus.emit("specimen.completed", {"sequence": i + 1})


def test_torn_tail_is_reported_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    write_log(log, 3)
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"seq":4,"event_ty')
    reader = EventLog(log)
    events = list(reader)
    assert [e.seq for e in events] == [1, 2, 3]
    assert reader.report.torn_tail and reader.report.torn_tail_line == 4
    assert not reader.report.clean


def test_corrupt_middle_line_names_the_line(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    write_log(log, 3)
    data = log.read_bytes().splitlines(keepends=True)
    data.insert(1, b"this is not json\n")
    log.write_bytes(b"".join(data))
    with pytest.raises(LogError) as info:
        read_events(log)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{log}:2: not valid JSON")
    lenient = EventLog(log, lenient=True)
    assert [e.seq for e in lenient] == [1, 2, 3]
    assert lenient.report.skipped_lines == [(2, "not valid JSON")]


def test_json_that_is_not_an_event(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    log.write_bytes(b'[1, 2]\n{"hello": "world"}\n')
    with pytest.raises(LogError, match=":1: a JSON value that is not an event"):
        read_events(log)
    reader = EventLog(log, lenient=True)
    assert list(reader) == []
    assert [line for line, _ in reader.report.skipped_lines] == [1, 2]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no such file"):
        read_events(tmp_path / "nope.jsonl")
    with pytest.raises(LogError, match="directory"):
        read_events(tmp_path)


def test_seq_gaps_are_detected(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    write_log(log, 4)
    kept = [x for x in log.read_bytes().splitlines(keepends=True) if b'"seq":3,' not in x]
    log.write_bytes(b"".join(kept))
    reader = EventLog(log)
    assert [e.seq for e in reader] == [1, 2, 4]
    assert reader.report.seq_gaps == [(3, 3, 4)]


def test_version_zero_lines_are_upgraded(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    log.write_bytes(
        b'{"event_type": "extraction.started", "timestamp": "2025-10-10T12:00:00.000Z",'
        b' "data": {"run_id": "demo_run_001", "total_specimens": 25}}\n'
        b'{"event_type": "specimen.failed", "timestamp": "2025-10-10T12:00:01.000Z",'
        b' "data": {"specimen_id": "a", "sequence": 1}}\n'
    )
    reader = EventLog(log)
    events = list(reader)
    assert [(e.v, e.seq, e.run_id) for e in events] == [(1, 1, "demo_run_001"), (1, 2, None)]
    assert reader.report.upgraded == 2
    # a writer appending to an old log continues after its last line
    with HybridEventBus(log) as bus:
        assert bus.seq == 2
        bus.emit("extraction.completed", {})
    assert [e.seq for e in read_events(log)] == [1, 2, 3]


def test_newer_envelope_version_is_a_clear_error(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    log.write_bytes(b'{"v": 9, "seq": 1, "event_type": "x", "data": {}}\n')
    with pytest.raises(LogError, match="newer than this herbx reads"):
        read_events(log)


def test_unknown_event_types_are_kept(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    with HybridEventBus(log) as bus:
        bus.emit("plugin.custom_thing", {"x": 1})
    assert read_events(log)[0].event_type == "plugin.custom_thing"


def test_writer_repairs_torn_tail_with_backup(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    write_log(log, 2)
    intact = log.read_bytes()
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"seq":3,"run')
    torn = log.read_bytes()
    with HybridEventBus(log) as bus:
        assert bus.seq == 2
        bus.emit("specimen.completed", {"sequence": 3})
    backups = list(tmp_path.glob("e.jsonl.torn-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == torn
    data = log.read_bytes()
    assert data.startswith(intact), "lines before the tear are untouched"
    reader = EventLog(log)
    assert [e.seq for e in reader] == [1, 2, 3]
    assert reader.report.clean


def test_scan_tail_with_long_lines(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    with HybridEventBus(log) as bus:
        for i in range(3):
            bus.emit("x", {"blob": "y" * 200_000, "i": i})
    tail = scan_tail(log)
    assert tail.last_seq == 3 and tail.torn_bytes == 0 and tail.end_offset == log.stat().st_size


def test_killed_writer_leaves_a_readable_log(tmp_path: Path) -> None:
    """A process killed with SIGKILL mid-stream: everything flushed is there and readable."""
    log = tmp_path / "e.jsonl"
    script = (
        "import sys, time\n"
        "from herbx.events import HybridEventBus\n"
        "bus = HybridEventBus(sys.argv[1], fsync='never')\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    bus.emit('specimen.completed', {'sequence': i, 'pad': 'x' * 500})\n"
        "    if i == 200: print('ready', flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(log)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader = EventLog(log)
    events = list(reader)
    assert len(events) >= 200
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert not reader.report.seq_gaps
    # and a new writer continues cleanly whether or not the kill tore the last line
    with HybridEventBus(log) as bus:
        bus.emit("extraction.interrupted", {})
    again = EventLog(log)
    assert [e.seq for e in again][-1] == len(events) + 1
    assert again.report.clean
    assert orjson.loads(log.read_bytes().splitlines()[-1])["event_type"] == "extraction.interrupted"


def test_v1_line_without_event_type_or_with_bad_data_is_rejected(tmp_path: Path) -> None:
    log = tmp_path / "e.jsonl"
    log.write_bytes(
        b'{"v": 1, "seq": 1, "data": {}}\n'
        b'{"v": 1, "seq": 2, "event_type": "x", "data": [1]}\n'
        b'{"v": 1, "seq": 3, "event_type": "y"}\n'
    )
    with pytest.raises(LogError, match=":1: JSON object without an 'event_type' key"):
        read_events(log)
    reader = EventLog(log, lenient=True)
    events = list(reader)
    assert [(e.seq, e.event_type, e.data) for e in events] == [(3, "y", {})]
    assert reader.report.skipped_lines == [
        (1, "JSON object without an 'event_type' key"),
        (2, "'data' is not an object"),
    ]


def test_reports_stay_bounded_on_pathological_logs(tmp_path: Path) -> None:
    from herbx.events.log import MAX_REPORTED

    log = tmp_path / "e.jsonl"
    log.write_bytes(
        b"".join(
            b'{"v":1,"seq":%d,"event_type":"x","data":{}}\nnot json\n' % (i * 2) for i in range(500)
        )
    )
    reader = EventLog(log, lenient=True)
    assert len(list(reader)) == 500
    assert reader.report.seq_gap_count == 499 and len(reader.report.seq_gaps) == MAX_REPORTED
    assert reader.report.skipped_count == 500 and len(reader.report.skipped_lines) == MAX_REPORTED
    assert not reader.report.clean


def test_short_write_is_completed(tmp_path: Path) -> None:
    """A line the kernel took only part of is finished, not lost or duplicated."""
    import os as _os

    from herbx.events.writer import LogWriter

    writer = LogWriter(tmp_path / "e.jsonl")
    line = b'{"v":1,"seq":1,"run_id":null,"event_type":"x","timestamp":"t","data":{}}\n'
    written = _os.write(writer.fd, line[:7])  # what a short write leaves
    writer.finish_short_write(line, written)
    writer.close()
    assert (tmp_path / "e.jsonl").read_bytes() == line
    assert [e.seq for e in read_events(tmp_path / "e.jsonl")] == [1]


def test_interval_policy_fsyncs_without_a_further_event(tmp_path: Path) -> None:
    """The last event before a silence is fsynced by the timer, not only by the next event."""
    import time as _time

    bus = HybridEventBus(tmp_path / "e.jsonl", fsync_interval=0.05)
    writer = bus._writer
    assert writer is not None
    bus.emit("specimen.completed", {})
    assert writer.dirty
    deadline = _time.monotonic() + 5
    while writer.dirty and _time.monotonic() < deadline:
        _time.sleep(0.01)
    assert not writer.dirty, "the timer fsynced the written line"
    bus.close()
    assert writer._syncer is not None and not writer._syncer.is_alive()
    with HybridEventBus(tmp_path / "a.jsonl", fsync="always") as other:
        assert other._writer is not None and other._writer._syncer is None
