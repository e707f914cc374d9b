"""Reading ``events.jsonl``: typed events, torn tails, corruption and seq continuity.

Example::

    from herbx.events.log import EventLog

    log = EventLog("runs/demo/events.jsonl")
    for event in log:
        print(event.seq, event.event_type)
    print(log.report.torn_tail, log.report.seq_gaps)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from herbx.events.types import ENVELOPE_VERSION, Event

#: How many skipped lines and seq gaps a report keeps in detail (memory stays bounded).
MAX_REPORTED = 100


class LogError(ValueError):
    """A log cannot be read as asked. ``str()`` is one line naming the file and line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class LogReport:
    """What a reader noticed while reading a log."""

    events: int = 0
    torn_tail: bool = False
    torn_tail_line: int | None = None
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    seq_gaps: list[tuple[int, int, int]] = field(default_factory=list)
    """``(line, expected_seq, found_seq)`` for the first breaks in ``seq`` continuity."""
    seq_gap_count: int = 0
    """All breaks, including those beyond the first ``MAX_REPORTED`` kept in ``seq_gaps``."""
    skipped_count: int = 0
    """All skipped lines, including those beyond the first ``MAX_REPORTED``."""
    upgraded: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing was torn, skipped or out of sequence."""
        return not (self.torn_tail or self.skipped_count or self.seq_gap_count)


def upgrade_envelope(obj: dict[str, Any], line: int) -> dict[str, Any] | None:
    """Bring an envelope of any known version to the current one.

    Version 0 is the original guide's shape (``event_type``, ``timestamp``, ``data`` and no
    ``v``/``seq``): the line number stands in for ``seq``. Returns None when ``obj`` is not an
    event at all.
    """
    if not isinstance(obj.get("event_type"), str) or not isinstance(obj.get("data", {}), dict):
        return None
    v = obj.get("v", 0)
    if v == ENVELOPE_VERSION:
        if not isinstance(obj.get("seq"), int):
            return None
        if "data" not in obj:
            return {**obj, "data": {}}
        return obj
    if v == 0:
        data = obj.get("data") or {}
        return {
            "v": ENVELOPE_VERSION,
            "seq": line,
            "run_id": obj.get("run_id") or data.get("run_id"),
            "event_type": obj["event_type"],
            "timestamp": str(obj.get("timestamp", "")),
            "data": data,
        }
    return None


def event_from_dict(obj: dict[str, Any], line: int | None = None) -> Event:
    """Build an :class:`Event` from an already upgraded envelope."""
    return Event(
        event_type=obj["event_type"],
        data=obj.get("data") or {},
        timestamp=obj.get("timestamp", ""),
        seq=obj["seq"],
        run_id=obj.get("run_id"),
        v=obj.get("v", ENVELOPE_VERSION),
        line=line,
    )


class EventLog:
    """Iterate the events of one log file, in file order.

    - A final line without a newline that does not parse (a writer killed mid-line) is a
      *torn tail*: reported in :attr:`report`, never an error.
    - Any other unreadable line raises :class:`LogError` naming the line, unless
      ``lenient=True``, which records it in ``report.skipped_lines`` and goes on.
    - ``seq`` breaks are recorded in ``report.seq_gaps``. A new ``seq`` of 1 after an
      ``extraction.*`` terminal event is not a gap only if ``allow_restart`` is set.
    """

    def __init__(self, path: str | os.PathLike[str], *, lenient: bool = False) -> None:
        self.path = Path(path)
        self.lenient = lenient
        self.report = LogReport()

    def __iter__(self) -> Iterator[Event]:
        for obj, line in self.iter_dicts():
            yield event_from_dict(obj, line)

    def iter_dicts(self) -> Iterator[tuple[dict[str, Any], int]]:
        """Yield ``(envelope_dict, line_number)``; faster than building events."""
        report = self.report = LogReport()
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed in finally below
        except FileNotFoundError:
            raise LogError(self.path, None, "no such file") from None
        except IsADirectoryError:
            raise LogError(self.path, None, "is a directory, not an event log") from None
        except OSError as exc:
            raise LogError(self.path, None, f"cannot read: {exc.strerror}") from None
        expected: int | None = None
        try:
            line_no = 0
            for raw in fh:
                line_no += 1
                obj, problem = parse_line(raw)
                if obj is None:
                    if problem is TORN_TAIL:
                        report.torn_tail = True
                        report.torn_tail_line = line_no
                        break
                    if problem is not None:
                        self._bad(line_no, problem)
                    continue
                v = obj.get("v")
                if (
                    v != ENVELOPE_VERSION
                    or not isinstance(obj.get("seq"), int)
                    or not isinstance(obj.get("event_type"), str)
                    or not isinstance(obj.get("data"), dict)
                ):
                    upgraded = upgrade_envelope(obj, line_no)
                    if upgraded is None:
                        self._bad(line_no, _why_not_event(obj))
                        continue
                    if upgraded is not obj:
                        report.upgraded += 1
                    obj = upgraded
                seq = obj["seq"]
                if expected is not None and seq != expected:
                    report.seq_gap_count += 1
                    if len(report.seq_gaps) < MAX_REPORTED:
                        report.seq_gaps.append((line_no, expected, seq))
                expected = seq + 1
                report.events += 1
                yield obj, line_no
        finally:
            fh.close()

    def _bad(self, line_no: int, reason: str) -> None:
        if not self.lenient:
            raise LogError(self.path, line_no, f"{reason} (use lenient reading to skip it)")
        self.report.skipped_count += 1
        if len(self.report.skipped_lines) < MAX_REPORTED:
            self.report.skipped_lines.append((line_no, reason))


#: What :func:`parse_line` says of a last line cut short by a killed writer.
TORN_TAIL = "torn tail"


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Parse one raw line of a log: the first step every reader of ``events.jsonl`` takes.

    Returns ``(object, None)`` for a JSON object; ``(None, None)`` for a blank line (skip
    it); ``(None, TORN_TAIL)`` for an unparsable line without its newline (a torn tail:
    stop there); ``(None, why)`` for any other bad line.
    """
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if not raw.strip():
            return None, None
        if not raw.endswith(b"\n"):
            return None, TORN_TAIL
        return None, "not valid JSON"
    if type(obj) is not dict:
        return None, "a JSON value that is not an event object"
    return obj, None


def _why_not_event(obj: dict[str, Any]) -> str:
    if "event_type" not in obj:
        return "JSON object without an 'event_type' key"
    if not isinstance(obj.get("data", {}), dict):
        return "'data' is not an object"
    v = obj.get("v")
    if isinstance(v, int) and v > ENVELOPE_VERSION:
        return f"envelope version {v} is newer than this herbx reads ({ENVELOPE_VERSION})"
    return "not a herbx event envelope"


def read_events(path: str | os.PathLike[str], *, lenient: bool = False) -> list[Event]:
    """Read a whole log into a list. See :class:`EventLog` for the rules."""
    return list(EventLog(path, lenient=lenient))


@dataclass(frozen=True)
class TailState:
    """Where a log ends: the last complete line's ``seq`` and byte offset."""

    last_seq: int
    end_offset: int
    torn_bytes: int


def scan_tail(path: Path) -> TailState:
    """Find the last complete event line of ``path`` without reading the whole file.

    Returns ``last_seq=0`` for an empty or missing file. ``torn_bytes`` counts bytes after
    the last newline (a line cut short by a killed writer).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return TailState(0, 0, 0)
    if size == 0:
        return TailState(0, 0, 0)
    with open(path, "rb") as fh:
        block = 1 << 16
        pos = size
        buf = b""
        end_offset: int | None = None
        while pos > 0:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            if end_offset is None:
                nl = buf.rfind(b"\n")
                if nl == -1:
                    continue
                end_offset = pos + nl + 1
            # Find the last complete, parseable line before end_offset.
            body = buf[: end_offset - pos]
            lines = body.split(b"\n")
            # lines[-1] is empty (body ends with newline); walk backwards
            for candidate in reversed(lines[:-1] if pos == 0 else lines[1:-1]):
                if not candidate.strip():
                    continue
                try:
                    obj = orjson.loads(candidate)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(obj, dict) and isinstance(obj.get("seq"), int):
                    return TailState(obj["seq"], end_offset, size - end_offset)
                if isinstance(obj, dict) and "event_type" in obj:
                    # a version-0 line: seq is its line number
                    count = _count_lines(path, end_offset)
                    return TailState(count, end_offset, size - end_offset)
            if pos == 0:
                break
        if end_offset is None:
            return TailState(0, 0, size)
        return TailState(0, end_offset, size - end_offset)


def _count_lines(path: Path, upto: int) -> int:
    with open(path, "rb") as fh:
        return fh.read(upto).count(b"\n")
