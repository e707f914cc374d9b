"""Two-process summaries equal the single-pass summary, wherever the file is cut.

``summarize`` only uses two processes for logs of 64 MiB and more; these tests call
``summarize_in_two`` directly on small logs, cut in the middle and at other line starts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herbx.analysis.summary import SummaryBuilder, summarize_plain
from herbx.analysis.summary_parallel import split_point, summarize_in_two
from herbx.analysis.synthetic import outcomes_at_rate, write_run_log
from herbx.events.log import LogError, LogReport


def _two(path: Path, lenient: bool, split: int | None = None) -> tuple[bool, bytes]:
    """(joined in two, summary JSON or 'LogError ...')."""
    if split is None:
        split = split_point(path, path.stat().st_size)
        assert split is not None
    builder, report = SummaryBuilder(str(path)), LogReport()
    try:
        joined = summarize_in_two(path, builder, report, lenient=lenient, split=split)
    except LogError as exc:
        return True, f"LogError {exc}".encode()
    return joined, orjson.dumps(builder.result(report).to_dict())


def _plain(path: Path, lenient: bool) -> bytes:
    try:
        return orjson.dumps(summarize_plain(path, lenient=lenient).to_dict())
    except LogError as exc:
        return f"LogError {exc}".encode()


def _assert_joined_and_equal(path: Path, split: int | None = None) -> list[bytes]:
    out = []
    for lenient in (False, True):
        joined, two = _two(path, lenient, split)
        assert joined, "the halves were not joined"
        assert two == _plain(path, lenient)
        out.append(two)
    return out


def test_a_healthy_run_cut_in_the_middle(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = write_run_log(log, outcomes_at_rate(400, 0.8), usage=True, validate=False)
    summary = orjson.loads(_assert_joined_and_equal(log)[0])
    assert summary["succeeded"] == run.succeeded and summary["failed"] == run.failed
    assert summary["latency_ms"]["count"] == 400.0 and summary["cost_usd"] > 0
    assert summary["crossings_total"] > 0 and summary["status"] == "completed"


def test_runs_cut_at_every_kind_of_line(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 20 + ["timeout"] * 30 + ["ok"] * 10, validate=False)
    write_run_log(log, ["skip"] * 20 + ["ok"] * 40, resumed=True, validate=False, usage=True)
    write_run_log(log, ["ok"] * 10 + ["empty_record"] * 40)  # stopped by the validator
    data = log.read_bytes()
    starts = [i + 1 for i, byte in enumerate(data) if byte == 0x0A][:-1]
    for split in starts[::7]:
        _assert_joined_and_equal(log, split)


def test_torn_tail_corrupt_lines_and_a_gap_in_the_second_half(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 30 + ["bad_image"] * 5, validate=False)
    lines = log.read_bytes().splitlines(keepends=True)
    mangled = [*lines[:50], b"{broken\n", b"\n", b"[3]\n", *lines[52:], lines[-1][:25]]
    log.write_bytes(b"".join(mangled))
    split = sum(len(x) for x in mangled[:20])
    strict, lenient = _assert_joined_and_equal(log, split)
    assert strict == f"LogError {log}:51: not valid JSON (use lenient reading to skip it)".encode()
    summary = orjson.loads(lenient)
    assert [line for line, _ in summary["skipped_lines"]] == [51, 53]
    assert summary["torn_tail"] is True and summary["torn_tail_line"] == len(mangled)
    assert summary["seq_gaps"] == [[54, 51, 53]]


def test_a_corrupt_line_in_the_first_half_wins(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 30, validate=False)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([*lines[:5], b"nope\n", *lines[5:40], b"nope\n", *lines[40:]]))
    _, two = _two(log, lenient=False)
    assert two == _plain(log, lenient=False) and b":6: not valid JSON" in two


def test_logs_it_cannot_join_exactly_are_left_to_one_pass(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 30, validate=False)
    lines = log.read_bytes().splitlines(keepends=True)
    v0 = orjson.dumps({"event_type": "specimen.processing", "timestamp": "", "data": {}})
    log.write_bytes(b"".join([*lines, v0 + b"\n"]))  # seq of a v0 line is its line number
    assert _two(log, lenient=True)[0] is False
    no_timings = tmp_path / "no-timings.jsonl"
    line = {"v": 1, "seq": 1, "run_id": None, "event_type": "specimen.completed"}
    no_timings.write_bytes(
        b"".join(
            orjson.dumps({**line, "seq": i, "timestamp": "", "data": {"specimen_id": str(i)}})
            + b"\n"
            for i in range(1, 40)
        )
    )
    assert _two(no_timings, lenient=False)[0] is False


_TYPES = st.sampled_from(
    [
        "specimen.processing",
        "specimen.completed",
        "specimen.failed",
        "specimen.skipped",
        "extraction.started",
        "extraction.completed",
        "validation.warning",
        "x.other",
    ]
)
_DATA = st.fixed_dictionaries(
    {"timings": st.fixed_dictionaries({"total_ms": st.floats(0, 1e4)})},
    optional={
        "specimen_id": st.sampled_from(["S1", "S2", 3, None]),
        "sequence": st.one_of(st.integers(0, 4), st.booleans()),
        "result": st.fixed_dictionaries(
            {"dwc": st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(["", "x", 0]))}
        ),
        "usage": st.fixed_dictionaries(
            {"total_tokens": st.integers(0, 99)},
            optional={"cost_usd": st.floats(0, 1)},
        ),
        "reason": st.sampled_from(["timeout", "", None, 7]),
        "total_specimens": st.integers(0, 30),
    },
)
_ENVELOPE = st.fixed_dictionaries(
    {
        "v": st.just(1),
        "seq": st.integers(1, 4),
        "event_type": _TYPES,
        "data": _DATA,
        "timestamp": st.one_of(
            st.integers(0, 59).map(lambda s: f"2026-11-26T19:03:{s:02d}.250000Z"),
            st.sampled_from(["", "bad"]),
        ),
    }
)
_LINE = st.one_of(
    _ENVELOPE.map(orjson.dumps),
    _ENVELOPE.map(orjson.dumps),
    _ENVELOPE.map(orjson.dumps),
    st.sampled_from([b"", b"{", b"[1]", b'{"v":1}']),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_LINE, min_size=2, max_size=30),
    st.booleans(),
    st.floats(0.0, 1.0),
    st.booleans(),
)
def test_two_processes_equal_one_pass_on_generated_logs(
    lines: list[bytes], trailing_newline: bool, where: float, lenient: bool
) -> None:
    content = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    starts = [i + 1 for i, byte in enumerate(content) if byte == 0x0A and i + 1 < len(content)]
    if not starts:
        return
    split = starts[min(int(where * len(starts)), len(starts) - 1)]
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "events.jsonl"
        log.write_bytes(content)
        joined, two = _two(log, lenient, split)
        if joined:
            assert two == _plain(log, lenient)


@pytest.mark.parametrize("size", [0, 1])
def test_no_cut_in_tiny_files(tmp_path: Path, size: int) -> None:
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"\n" * size)
    assert split_point(log, size) is None


def test_a_seq_gap_right_at_the_cut(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 20, validate=False)
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([*lines[:19], *lines[21:]]))
    strict, _ = _assert_joined_and_equal(log, sum(len(x) for x in lines[:19]))
    assert orjson.loads(strict)["seq_gaps"] == [[20, 20, 22]]


def test_records_replayed_in_many_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import herbx.analysis.summary_parallel as parallel

    monkeypatch.setattr(parallel, "_FLUSH", 7)  # the replay reads 7 records at a time
    log = tmp_path / "events.jsonl"
    write_run_log(log, outcomes_at_rate(120, 0.7), usage=True, validate=False)
    summary = orjson.loads(_assert_joined_and_equal(log)[0])
    assert summary["cost_usd"] > 0 and summary["latency_ms"]["count"] == 120.0
