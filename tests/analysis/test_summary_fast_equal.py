"""The fast reader behind summarize() gives exactly what the plain reader gives.

``summarize`` (herbx.analysis.fastscan) and ``summarize_plain`` (EventLog feeding
SummaryBuilder.add) must agree byte for byte on every log, and fail with the same LogError
text on the same line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herbx.analysis.summary import summarize, summarize_plain
from herbx.analysis.synthetic import outcomes_at_rate, write_run_log
from herbx.events.log import LogError


def _outcome(path: Path, lenient: bool, fast: bool) -> bytes:
    fn = summarize if fast else summarize_plain
    try:
        return orjson.dumps(fn(path, lenient=lenient).to_dict())
    except LogError as exc:
        return f"LogError {exc}".encode()


def _assert_same(path: Path) -> list[bytes]:
    results = []
    for lenient in (False, True):
        fast, plain = _outcome(path, lenient, True), _outcome(path, lenient, False)
        assert fast == plain
        results.append(fast)
    return results


def test_same_summary_on_a_healthy_run_with_usage(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = write_run_log(log, outcomes_at_rate(300, 0.85), usage=True, validate=False)
    strict, _ = _assert_same(log)
    summary = orjson.loads(strict)
    assert summary["succeeded"] == run.succeeded and summary["failed"] == run.failed
    assert summary["latency_ms"]["count"] == 300.0
    assert summary["tokens"]["total_tokens"] == run.tokens


def test_same_summary_on_stopped_interrupted_crashed_and_resumed_runs(tmp_path: Path) -> None:
    stopped = tmp_path / "stopped.jsonl"
    write_run_log(stopped, ["ok"] * 5 + ["empty_record"] * 40)
    assert orjson.loads(_assert_same(stopped)[0])["status"] == "stopped"

    interrupted = tmp_path / "interrupted.jsonl"
    write_run_log(interrupted, ["ok"] * 30, ending="interrupted", interrupt_after=12)
    assert orjson.loads(_assert_same(interrupted)[0])["status"] == "interrupted"

    crashed = tmp_path / "crashed.jsonl"
    write_run_log(crashed, ["ok"] * 30, ending="crash", interrupt_after=12)
    assert orjson.loads(_assert_same(crashed)[0])["status"] == "running"

    resumed = tmp_path / "resumed.jsonl"
    write_run_log(resumed, ["ok"] * 10 + ["timeout"] * 10, validate=False)
    write_run_log(resumed, ["skip"] * 10 + ["ok"] * 10, resumed=True, validate=False)
    summary = orjson.loads(_assert_same(resumed)[0])
    assert len(summary["segments"]) == 2 and summary["skipped"] == 10


def test_same_report_on_torn_tail_corrupt_middle_v0_lines_and_gaps(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 8 + ["bad_image"] * 2, validate=False)
    lines = log.read_bytes().splitlines(keepends=True)
    v0 = orjson.dumps(
        {"event_type": "specimen.completed", "timestamp": "", "data": {"specimen_id": "V0"}}
    )
    mangled = [
        *lines[:4],
        *[b"\n", b"   \n", b"[1, 2]\n", v0 + b"\n", b"{not json\n"],
        *lines[6:],  # two lines missing: a seq gap
        lines[-1][:30],  # a torn tail
    ]
    log.write_bytes(b"".join(mangled))
    strict, lenient = _assert_same(log)
    assert strict.startswith(b"LogError ") and b":7: a JSON value" in strict
    summary = orjson.loads(lenient)
    assert summary["torn_tail"] is True and summary["upgraded"] == 1
    assert [line for line, _ in summary["skipped_lines"]] == [7, 9]
    assert summary["seq_gaps"]


def test_same_errors_for_missing_files_and_directories(tmp_path: Path) -> None:
    assert _assert_same(tmp_path / "absent.jsonl")[0].endswith(b"no such file")
    assert b"is a directory" in _assert_same(tmp_path)[0]


_TYPES = st.sampled_from(
    [
        "specimen.processing",
        "specimen.completed",
        "specimen.failed",
        "specimen.skipped",
        "extraction.started",
        "extraction.completed",
        "extraction.failed",
        "validation.warning",
        "x.other",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "S1", "S2", "timeout", "Carex", "Zürich"]),
    # integers orjson keeps (to 2**64 - 1) that the typed reader must not take as int64
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, -(2**63)]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
_DATA = st.fixed_dictionaries(
    {},
    optional={
        "specimen_id": st.sampled_from(["S1", "S2", "S3", 4, None]),
        "sequence": st.one_of(st.integers(0, 4), st.booleans(), st.just(2**64 - 1)),
        "timings": st.one_of(
            st.fixed_dictionaries({"total_ms": st.one_of(st.floats(0, 1e4), st.booleans())}),
            _VALUES,
        ),
        "result": st.one_of(
            st.fixed_dictionaries(
                {"dwc": st.dictionaries(st.sampled_from(["a", "b", "c"]), _SCALARS)},
                optional={"reason": _SCALARS, "usage": _VALUES},
            ),
            _VALUES,
        ),
        "usage": st.one_of(
            st.fixed_dictionaries(
                {"total_tokens": st.one_of(st.integers(0, 99), st.booleans())},
                optional={"cost_usd": st.one_of(st.floats(0, 1), st.integers(0, 2))},
            ),
            _VALUES,
        ),
        "reason": st.one_of(_SCALARS, st.lists(st.just("abcdefghij"), min_size=9, max_size=9)),
        "message": _SCALARS,
        "total_specimens": _SCALARS,
        "status": st.sampled_from(["completed", "stopped", "odd"]),
    },
)
_ENVELOPE = st.fixed_dictionaries(
    {"event_type": _TYPES, "data": _DATA},
    optional={
        "v": st.sampled_from([0, 1, 1, 1, 2, True, 1.0]),
        "seq": st.one_of(st.integers(0, 6), st.booleans(), st.none()),
        "timestamp": st.one_of(
            st.integers(0, 59).map(lambda s: f"2026-11-26T19:03:{s:02d}.250000Z"),
            st.sampled_from(["bad", "", 7]),
        ),
        "run_id": st.sampled_from([None, "r1"]),
    },
)
_LINE = st.one_of(
    _ENVELOPE.map(orjson.dumps),
    _ENVELOPE.map(orjson.dumps),
    # invalid UTF-8 inside a string nobody reads: still a corrupt line
    _ENVELOPE.map(lambda e: orjson.dumps({**e, "sha": "@"}).replace(b'"@"', b'"\xff"')),
    st.sampled_from([b"", b"  ", b"[]", b"3", b"{", b'{"v":1}', b"\xff"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=14), st.booleans())
def test_fast_and_plain_summaries_are_equal_on_generated_logs(
    lines: list[bytes], trailing_newline: bool
) -> None:
    content = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "events.jsonl"
        log.write_bytes(content)
        _assert_same(log)


def test_same_times_for_a_run_without_start_event_or_first_timestamp(tmp_path: Path) -> None:
    def line(seq: int, et: str, ts: str, **data: object) -> bytes:
        env = {"v": 1, "seq": seq, "run_id": None, "event_type": et, "timestamp": ts}
        return orjson.dumps({**env, "data": data}) + b"\n"

    log = tmp_path / "events.jsonl"
    log.write_bytes(
        line(1, "specimen.processing", "", specimen_id="S1")
        + line(2, "specimen.completed", "2026-11-26T19:03:01.000000Z", specimen_id="S1")
        + line(3, "specimen.failed", "2026-11-26T19:03:31.000000Z", reason=["x" * 90])
    )
    summary = orjson.loads(_assert_same(log)[0])
    assert summary["segments"][0]["specimens_per_minute"] == pytest.approx(4.0)
    assert len(summary["failure_reasons"][0]["reason"]) == 80


@pytest.mark.parametrize("window", [1, 5])
def test_same_crossings_with_other_warning_settings(tmp_path: Path, window: int) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, (["ok"] * 6 + ["timeout"] * 6) * 5, validate=False)
    fast = summarize(log, warning_threshold=0.5, warning_window=window).to_dict()
    plain = summarize_plain(log, warning_threshold=0.5, warning_window=window).to_dict()
    assert orjson.dumps(fast) == orjson.dumps(plain)
    assert fast["crossings_total"] > 0
