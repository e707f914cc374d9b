"""Property: no file makes summarize() or replay() fail other than with a clean LogError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herbx.analysis import summarize
from herbx.analysis.replay import replay
from herbx.events.log import LogError

_TYPES = st.sampled_from(
    [
        "extraction.started",
        "specimen.processing",
        "specimen.completed",
        "specimen.failed",
        "specimen.skipped",
        "validation.checkpoint",
        "validation.warning",
        "extraction.completed",
        "extraction.failed",
        "extraction.interrupted",
        "x.unknown",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "run_id",
        "total_specimens",
        "specimen_id",
        "sequence",
        "result",
        "reason",
        "timings",
        "usage",
        "status",
        "message",
        "systemic",
        "not_reached",
        "passed",
    ]
)
_DATA = st.dictionaries(_KEYS, _VALUES, max_size=6)
_ENVELOPE = st.fixed_dictionaries(
    {
        "event_type": _TYPES,
        "data": _DATA,
    },
    optional={
        "v": st.sampled_from([0, 1, 2, "1", True]),
        "seq": st.one_of(st.integers(0, 50), st.text(max_size=3)),
        "timestamp": st.one_of(
            st.sampled_from(["2026-11-26T19:03:01.000000Z", "2026-11-26T19:04:01Z", "bad", ""]),
            st.integers(-(2**40), 2**40),
        ),
        "run_id": st.one_of(st.none(), st.text(max_size=5)),
    },
)
_LINE = st.one_of(
    _ENVELOPE.map(orjson.dumps),
    st.binary(max_size=40),
    _VALUES.map(orjson.dumps),
)


def _check(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "events.jsonl"
        log.write_bytes(content)
        for lenient in (False, True):
            try:
                summarize(log, lenient=lenient)
            except LogError as exc:
                assert exc.path == str(log) and str(exc)
            try:
                replay(log, lenient=lenient)
            except LogError as exc:
                assert exc.path == str(log) and str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=12), st.booleans())
def test_no_log_crashes_summary_or_replay(lines: list[bytes], trailing_newline: bool) -> None:
    content = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    _check(content)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_no_bytes_crash_summary_or_replay(content: bytes) -> None:
    _check(content)
