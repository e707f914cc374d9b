"""The fast reading loop behind :func:`herbx.analysis.summarize`.

It gives exactly what ``EventLog(path).iter_dicts()`` fed into ``SummaryBuilder.add`` gives
(the same numbers, the same torn-tail, corrupt-line and lenient rules, the same
:class:`~herbx.events.log.LogError` texts), with less work per line:


- every line is still parsed by orjson (so validity never depends on a guess about its
  shape), but the envelope checks and the bookkeeping of the two types that make up almost
  every log (``specimen.processing`` and the outcomes) run inline, without the generator,
  the per-event method calls and the helper calls of the general path;
- any other line (other event types, older envelope versions, anything odd) goes through
  the general code: :func:`~herbx.events.log.upgrade_envelope` and ``SummaryBuilder.add``.

Example::

    from herbx.analysis.fastscan import scan_into
    from herbx.analysis.summary import SummaryBuilder
    from herbx.events.log import LogReport

    builder, report = SummaryBuilder("events.jsonl"), LogReport()
    scan_into("events.jsonl", builder, report)
    summary = builder.result(report)
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from herbx.analysis.timeline import Crossing
from herbx.events.log import MAX_REPORTED, LogError, LogReport, _why_not_event, upgrade_envelope
from herbx.events.types import ENVELOPE_VERSION

if TYPE_CHECKING:
    from herbx.analysis.summary import SummaryBuilder


_COMPLETED = "specimen.completed"
_FAILED = "specimen.failed"
_PROCESSING = "specimen.processing"
_EMPTY: tuple[Any, ...] = (None, "", [], {})
_NOT_ENVELOPE = "not a herbx event envelope (use lenient reading to skip it)"
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


class _Window(io.RawIOBase):
    """The bytes ``[start, end)`` of an open file, as a raw stream."""

    def __init__(self, raw: Any, start: int, end: int | None) -> None:
        super().__init__()
        raw.seek(start)
        self._raw = raw
        self._left = None if end is None else max(end - start, 0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._left is not None:
            if self._left <= 0:
                return 0
            view = view[: self._left]
        n: int = self._raw.readinto(view) or 0
        if self._left is not None:
            self._left -= n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_window(path: Path, start: int = 0, end: int | None = None) -> BinaryIO:
    """Open ``path`` for buffered reading of the bytes from ``start`` to ``end`` (or EOF).

    Raises :class:`~herbx.events.log.LogError` (no such file, a directory, unreadable).
    """
    try:
        raw = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with the reader
    except FileNotFoundError:
        raise LogError(path, None, "no such file") from None
    except IsADirectoryError:
        raise LogError(path, None, "is a directory, not an event log") from None
    except OSError as exc:
        raise LogError(path, None, f"cannot read: {exc.strerror}") from None
    if start == 0 and end is None:
        return io.BufferedReader(raw, 1 << 16)
    return io.BufferedReader(_Window(raw, start, end), 1 << 16)


def crossing_at(crossing: Crossing, data: dict[str, Any], ts: str) -> Crossing:
    """``crossing`` with the specimen, sequence and time of the outcome ``data`` at ``ts``."""
    specimen_id = data.get("specimen_id")
    if not isinstance(specimen_id, str):
        specimen_id = None if specimen_id is None else str(specimen_id)
    sequence = data.get("sequence")
    if not isinstance(sequence, int) or isinstance(sequence, bool):
        sequence = None
    return replace(crossing, specimen_id=specimen_id, sequence=sequence, timestamp=ts)


def scan_into(
    path: str | os.PathLike[str],
    builder: SummaryBuilder,
    report: LogReport,
    *,
    lenient: bool = False,
    end: int | None = None,
) -> tuple[int, int | None]:
    """Read the log at ``path`` into ``builder``, noting what it finds in ``report``.

    With ``end``, only the bytes before it are read (``end`` must follow a newline).
    Returns the number of lines read and the ``seq`` expected next (None before any event).
    Raises :class:`~herbx.events.log.LogError` exactly where the general reader would.
    """
    from herbx.analysis.summary import _MAX_IN_FLIGHT, _MAX_KEYS, _seconds

    p = Path(path)
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    version = ENVELOPE_VERSION
    counts = builder.counts
    in_flight = builder.in_flight
    timeline_add = builder.timeline.add
    crossing_add = builder.crossing.add
    crossings = builder.crossing.crossings
    latency_add = builder.latency.add
    coverage = builder.coverage
    reasons = builder.reasons
    reason_example = builder.reason_example
    tokens = builder.tokens
    add = builder.add
    start = builder._start
    empty = _EMPTY
    usage_keys = _USAGE_KEYS
    expected: int | None = None
    line_no = 0
    events = hot = 0
    # builder state kept in locals on the hot path (handed back around the general path)
    seg = builder.seg
    first_outcome, last_outcome = builder.first_outcome, builder.last_outcome
    processed, last_event_at = builder.processed_in_seg, builder.last_event_at
    cost_total = builder.cost

    def bad(line: int, reason: str) -> None:
        if not lenient:
            raise LogError(p, line, f"{reason} (use lenient reading to skip it)")
        report.skipped_count += 1
        if len(report.skipped_lines) < MAX_REPORTED:
            report.skipped_lines.append((line, reason))

    with open_window(p, 0, end) as fh:
        for raw in fh:
            line_no += 1
            try:
                obj = loads(raw)
            except decode_error:
                if not raw.strip():
                    continue
                if not raw.endswith(b"\n"):
                    report.torn_tail = True
                    report.torn_tail_line = line_no
                    break
                bad(line_no, "not valid JSON")
                continue
            if type(obj) is not dict:
                bad(line_no, "a JSON value that is not an event object")
                continue
            et = obj.get("event_type")
            data: Any = obj.get("data")
            seq = obj.get("seq")
            if (
                obj.get("v") != version
                or not isinstance(seq, int)
                or type(et) is not str
                or type(data) is not dict
            ):
                upgraded = upgrade_envelope(obj, line_no)
                if upgraded is None:
                    bad(line_no, _why_not_event(obj))
                    continue
                if upgraded is not obj:
                    report.upgraded += 1
                obj = upgraded
                seq = obj["seq"]
                et = None  # the general path below
            if expected is not None and seq != expected:
                report.seq_gap_count += 1
                if len(report.seq_gaps) < MAX_REPORTED:
                    report.seq_gaps.append((line_no, expected, seq))
            expected = seq + 1
            events += 1
            if et is None or (et != _PROCESSING and et != _COMPLETED and et != _FAILED):
                # the general path: hand the state kept in locals back, then take it again
                builder.first_outcome, builder.last_outcome = first_outcome, last_outcome
                builder.processed_in_seg, builder.last_event_at = processed, last_event_at
                builder.cost = cost_total
                try:
                    add(obj, line_no)
                except ValueError:
                    if not lenient:
                        raise LogError(
                            p,
                            line_no,
                            "not a herbx event envelope (use lenient reading to skip it)",
                        ) from None
                    report.skipped_lines.append((line_no, "not a herbx event envelope"))
                seg, processed = builder.seg, builder.processed_in_seg
                first_outcome, last_outcome = builder.first_outcome, builder.last_outcome
                last_event_at, cost_total = builder.last_event_at, builder.cost
                continue
            # -- the inline path: SummaryBuilder.add for the hot types ------------------
            ts = obj.get("timestamp")
            if type(ts) is not str:
                ts = ""
            hot += 1
            if et in counts or len(counts) < _MAX_KEYS:
                counts[et] += 1
            else:
                counts["(other types)"] += 1
            if ts:
                last_event_at = ts
            if seg is None:
                start({}, ts, line_no, implicit=True)
                seg, processed = builder.seg, builder.processed_in_seg
                first_outcome, last_outcome = builder.first_outcome, builder.last_outcome
            if et == _PROCESSING:
                key = data.get("specimen_id", data.get("sequence"))
                if len(in_flight) < _MAX_IN_FLIGHT and isinstance(key, (str, int)):
                    in_flight[key] = ts
                continue
            # -- SummaryBuilder._outcome -----------------------------------------------
            ok = et == _COMPLETED
            assert seg is not None
            if first_outcome is None:
                first_outcome = ts
            last_outcome = ts
            processed += 1
            timeline_add(ok)
            # where it happened is only kept for a crossing: filled in when there is one
            kept = len(crossings)
            crossing_add(ok, processed)
            if len(crossings) != kept:
                crossings[-1] = crossing_at(crossings[-1], data, ts)
            key = data.get("specimen_id", data.get("sequence"))
            began = in_flight.pop(key, None) if isinstance(key, (str, int)) else None
            timings = data.get("timings")
            total_ms = timings.get("total_ms") if isinstance(timings, dict) else None
            if (
                isinstance(total_ms, (int, float))
                and not isinstance(total_ms, bool)
                and total_ms == total_ms
            ):
                latency_add(float(total_ms))
            elif began:
                start_s, end_s = _seconds(began), _seconds(ts)
                if start_s is not None and end_s is not None:
                    latency_add((end_s - start_s) * 1000.0)
            result = data.get("result")
            if not isinstance(result, dict):
                result = {}
            if ok:
                seg.succeeded += 1
                dwc = result.get("dwc")
                if isinstance(dwc, dict):
                    if len(coverage) + len(dwc) <= _MAX_KEYS:
                        # no bound can be reached: count in C (a str is empty only if "")
                        coverage.update(
                            [
                                t
                                for t, v in dwc.items()
                                if (v if type(v) is str else v not in empty)
                            ],
                        )
                    else:
                        for term, value in dwc.items():
                            if value not in empty and (
                                term in coverage or len(coverage) < _MAX_KEYS
                            ):
                                coverage[term] += 1
            else:
                seg.failed += 1
                reason = data.get("reason") or result.get("reason") or "unknown"
                if not isinstance(reason, str):
                    reason = str(reason)[:80]
                if reason not in reasons and len(reasons) >= _MAX_KEYS:
                    reason = "(other reasons)"
                reasons[reason] += 1
                if reason not in reason_example:
                    specimen_id = data.get("specimen_id")
                    if type(specimen_id) is not str:
                        specimen_id = None if specimen_id is None else str(specimen_id)
                    message = data.get("message")
                    reason_example[reason] = (
                        specimen_id,
                        message[:300] if isinstance(message, str) else None,
                    )
            usage = data.get("usage")
            if not isinstance(usage, dict):
                usage = result.get("usage")
            if isinstance(usage, dict):
                for ukey in usage_keys:
                    value = usage.get(ukey)
                    if isinstance(value, int) and not isinstance(value, bool):
                        tokens[ukey] += value
                cost = usage.get("cost_usd")
                if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost == cost:
                    cost_total = (cost_total or 0.0) + float(cost)
    builder.first_outcome, builder.last_outcome = first_outcome, last_outcome
    builder.processed_in_seg, builder.last_event_at = processed, last_event_at
    builder.cost = cost_total
    builder.events += hot
    report.events += events
    return line_no, expected
