"""The fast reading loop behind :func:`herbx.analysis.summarize`.

It gives exactly what ``EventLog(path).iter_dicts()`` fed into ``SummaryBuilder.add`` gives
(the same numbers, the same torn-tail, corrupt-line and lenient rules, the same
:class:`~herbx.events.log.LogError` texts; the single exception, a number no double can
hold in a field nobody reads, is described in :mod:`herbx.analysis.hotlines`), with less
work per line:

- the lines that make up almost every log (``specimen.processing`` and the outcomes, in
  their usual shape) are decoded typed by :mod:`herbx.analysis.hotlines` (only the fields
  a summary reads) and accounted for inline, without the generator, the per-event method
  calls and the helper calls of the general path;
- any other line (other event types, older envelope versions, unusual values, anything
  msgspec rejects) is parsed by orjson and goes through the general code:
  :func:`~herbx.events.log.upgrade_envelope` and ``SummaryBuilder.add``.

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

from herbx.analysis.hotlines import decode_hot
from herbx.analysis.timeline import Crossing
from herbx.events.consumers.metrics import count_into
from herbx.events.log import (
    MAX_REPORTED,
    TORN_TAIL,
    LogError,
    LogReport,
    _why_not_event,
    parse_line,
    upgrade_envelope,
)

if TYPE_CHECKING:
    from herbx.analysis.summary import SummaryBuilder


_COMPLETED = "specimen.completed"
_FAILED = "specimen.failed"
_PROCESSING = "specimen.processing"
_NOT_ENVELOPE = "not a herbx event envelope (use lenient reading to skip it)"


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
            line = decode_hot(raw)  # typed when a specimen event of the usual shape
            if line is None or (
                (et := line.event_type) != _PROCESSING and et != _COMPLETED and et != _FAILED
            ):
                # -- the general path: orjson, the envelope rules, SummaryBuilder.add ------
                obj, problem = parse_line(raw)
                if obj is None:
                    if problem is TORN_TAIL:
                        report.torn_tail = True
                        report.torn_tail_line = line_no
                        break
                    if problem is not None:
                        bad(line_no, problem)
                    continue
                upgraded = upgrade_envelope(obj, line_no)
                if upgraded is None:
                    bad(line_no, _why_not_event(obj))
                    continue
                if upgraded is not obj:
                    report.upgraded += 1
                seq = upgraded["seq"]
            else:
                upgraded = None
                seq = line.seq
            if expected is not None and seq != expected:
                report.seq_gap_count += 1
                if len(report.seq_gaps) < MAX_REPORTED:
                    report.seq_gaps.append((line_no, expected, seq))
            expected = seq + 1
            events += 1
            if upgraded is not None:
                # hand the state kept in locals back, then take it again
                builder.first_outcome, builder.last_outcome = first_outcome, last_outcome
                builder.processed_in_seg, builder.last_event_at = processed, last_event_at
                builder.cost = cost_total
                try:
                    add(upgraded, line_no)
                except ValueError:
                    if not lenient:
                        raise LogError(p, line_no, _NOT_ENVELOPE) from None
                    report.skipped_lines.append((line_no, "not a herbx event envelope"))
                seg, processed = builder.seg, builder.processed_in_seg
                first_outcome, last_outcome = builder.first_outcome, builder.last_outcome
                last_event_at, cost_total = builder.last_event_at, builder.cost
                continue
            # -- the typed path: SummaryBuilder.add for the hot types ------------------------
            assert line is not None
            hot += 1
            ts = line.timestamp
            data = line.data
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
            key = data.specimen_id
            if et == _PROCESSING:
                if len(in_flight) < _MAX_IN_FLIGHT:
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
                crossings[-1] = replace(
                    crossings[-1], specimen_id=key, sequence=data.sequence, timestamp=ts
                )
            began = in_flight.pop(key, None)
            timings = data.timings
            total_ms = timings.total_ms if timings is not None else None
            if total_ms is not None and total_ms == total_ms:
                latency_add(total_ms)
            elif began:
                start_s, end_s = _seconds(began), _seconds(ts)
                if start_s is not None and end_s is not None:
                    latency_add((end_s - start_s) * 1000.0)
            result = data.result
            if ok:
                seg.succeeded += 1
                dwc = result.dwc if result is not None else None
                if dwc is not None:
                    if len(coverage) + len(dwc) <= _MAX_KEYS:
                        # no bound can be reached: count in C (values are str or None here,
                        # so a value is empty exactly when it is falsy)
                        count_into(coverage, filter(dwc.get, dwc))
                    else:
                        for term, value in dwc.items():
                            if value and (term in coverage or len(coverage) < _MAX_KEYS):
                                coverage[term] += 1
            else:
                seg.failed += 1
                reason = data.failure_reason()
                if reason not in reasons and len(reasons) >= _MAX_KEYS:
                    reason = "(other reasons)"
                reasons[reason] += 1
                if reason not in reason_example:
                    reason_example[reason] = (key, data.message_excerpt())
            usage = data.any_usage()
            if usage is not None:
                usage.count_tokens(tokens)
                cost = usage.cost_usd
                if cost is not None and cost == cost:
                    cost_total = (cost_total or 0.0) + cost
    builder.first_outcome, builder.last_outcome = first_outcome, last_outcome
    builder.processed_in_seg, builder.last_event_at = processed, last_event_at
    builder.cost = cost_total
    builder.events += hot
    report.events += events
    return line_no, expected
