"""The typed fast path of the summary readers.

``decode_hot`` may only accept a line that orjson accepts, and must read the same values;
anything unusual is left to the general reader.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from herbx.analysis.hotlines import HotLine, decode_hot
from herbx.events.consumers.metrics import count_into

_OUTCOME = {
    "v": 1,
    "seq": 3,
    "run_id": "r1",
    "event_type": "specimen.completed",
    "timestamp": "2026-11-26T19:03:03.534560Z",
    "data": {
        "specimen_id": "S1",
        "sequence": 1,
        "sha256": "9b81",
        "result": {
            "dwc": {"scientificName": "Carex alpina", "locality": "", "country": None},
            "confidence": {"scientificName": 0.9},
            "flags": [],
        },
        "timings": {"load_ms": 12.0, "total_ms": 2524},
        "usage": {"prompt_tokens": 1257, "total_tokens": 1424, "cost_usd": 0.0003},
    },
}


def _line(**changes: Any) -> bytes:
    obj = orjson.loads(orjson.dumps(_OUTCOME))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = obj
        for key in parents:
            target = target[key]
        target[last] = value
    return orjson.dumps(obj) + b"\n"


def _agrees(line: HotLine, obj: dict[str, Any]) -> None:
    """Every value the typed line holds is the one orjson read."""
    assert (line.v, line.seq, line.event_type) == (obj["v"], obj["seq"], obj["event_type"])
    assert line.timestamp == obj.get("timestamp", "")
    data = obj["data"]
    assert line.data.specimen_id == data["specimen_id"]
    assert line.data.sequence == data.get("sequence")
    assert line.data.reason == data.get("reason") and line.data.message == data.get("message")
    timings = data.get("timings")
    if line.data.timings is None:
        assert timings is None
    else:
        total = timings.get("total_ms")
        assert line.data.timings.total_ms == (None if total is None else float(total))
    result = data.get("result")
    if line.data.result is None:
        assert result is None
    else:
        assert line.data.result.dwc == result.get("dwc")
        assert line.data.result.reason == result.get("reason")


def test_a_usual_outcome_line_is_read_typed() -> None:
    line = decode_hot(_line())
    assert line is not None
    _agrees(line, _OUTCOME)
    assert line.data.timings is not None and line.data.timings.total_ms == 2524.0
    assert line.data.usage is not None and line.data.usage.completion_tokens is None
    assert line.data.usage.cost_usd == 0.0003


def test_unusual_lines_are_left_to_the_general_reader() -> None:
    cases = {
        "invalid UTF-8 in a skipped string": _line().replace(b'"9b81"', b'"9b\xff81"'),
        "seq wider than orjson's integers": _line(seq=2**64 - 1),
        "seq a boolean": _line(seq=True),
        "version 2": _line(v=2),
        "version 1.0": _line(v=1.0),
        "specimen_id a number": _line(data__specimen_id=4),
        "a Darwin Core value that is a number": _line(data__result__dwc={"year": 1987}),
        "total_ms a boolean": _line(data__timings={"total_ms": True}),
        "tokens a float": _line(data__usage={"total_tokens": 1.5}),
        "reason a list": _line(data__reason=["x"]),
        "a torn line": _line()[:-40],
        "not an object": b"[1, 2]\n",
        "another event type's data": orjson.dumps(
            {"v": 1, "seq": 1, "event_type": "extraction.started", "data": {"engine": "ocr"}}
        ),
    }
    for why, raw in cases.items():
        assert decode_hot(raw) is None, why


def test_non_ascii_lines_are_checked_and_read() -> None:
    raw = _line(data__result__dwc={"locality": "Zürich, Üetliberg"})
    line = decode_hot(raw)
    assert line is not None and line.data.result is not None
    assert line.data.result.dwc == {"locality": "Zürich, Üetliberg"}


_BYTE_EDITS = st.lists(
    st.tuples(st.integers(0, 400), st.sampled_from([b"", b"\xff", b"}", b'"', b",", b"1", b"\\"])),
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(_BYTE_EDITS, st.integers(0, 40))
def test_typed_acceptance_implies_orjson_acceptance(
    edits: list[tuple[int, bytes]], cut: int
) -> None:
    raw = _line()
    for at, insert in edits:
        at = min(at, len(raw))
        raw = raw[:at] + insert + raw[at + (1 if insert == b"" else 0) :]
    if cut:
        raw = raw[:-cut]
    line = decode_hot(raw)
    if line is None:
        return
    obj = orjson.loads(raw)  # must not raise: the typed reader accepted the line
    _agrees(line, obj)


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=5), max_size=20))
def test_count_into_counts_like_counter_update(batches: list[list[str]]) -> None:
    from collections import Counter

    mine: Counter[str] = Counter()
    theirs: Counter[str] = Counter()
    for batch in batches:
        count_into(mine, batch)
        theirs.update(batch)
    assert mine == theirs and list(mine) == list(theirs)


def test_the_one_known_difference_from_orjson_is_a_huge_unread_number() -> None:
    """Documented in the module: a number no double can hold, in a field nobody reads."""
    raw = _line().replace(b'"sha256":"9b81"', b'"sha256":1e400')
    assert decode_hot(raw) is not None  # not evaluated: skipped
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    else:  # pragma: no cover - would mean orjson changed; then the docs should too
        raise AssertionError("orjson now reads 1e400")
    # where the summary does read a number, the typed reader refuses it too
    assert decode_hot(_line(data__timings={"total_ms": 1}).replace(b":1}", b":1e400}")) is None
