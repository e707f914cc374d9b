"""Write a filtered copy of an event log that is itself a valid log.

Kept events get ``seq`` renumbered from 1 and version-1 envelopes (older lines are
upgraded); timestamps, ``run_id`` and payloads are kept as recorded.

Example::

    from herbx.analysis.filtered import LogFilter, write_filtered

    f = LogFilter(types=("specimen.failed",), since="2026-11-26T19:05:00Z")
    write_filtered("runs/r1/events.jsonl", "failed.jsonl", f).written
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from herbx.events.clock import parse_timestamp
from herbx.events.log import EventLog, LogError, LogReport
from herbx.events.types import ENVELOPE_VERSION
from herbx.events.writer import dumps_event


def _matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


def parse_when(value: str | datetime) -> datetime:
    """An aware datetime from ISO 8601 (``Z`` or offset; a naive time is taken as UTC)."""
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = parse_timestamp(value.strip())
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 time (like 2026-11-26T19:05:00Z)"
            ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


@dataclass
class LogFilter:
    """Which events to keep. Every given criterion must hold.

    - ``types``: exact types or prefix wildcards (``specimen.*``); when empty, any type.
    - ``specimens``: keep events about these specimen ids, plus the run's ``extraction.*``
      events so the copy still reads as a run.
    - ``since`` / ``until``: inclusive time window on the recorded timestamps.
    """

    types: Collection[str] = ()
    specimens: Collection[str] = ()
    since: str | datetime | None = None
    until: str | datetime | None = None
    _since: datetime | None = field(init=False, default=None, repr=False)
    _until: datetime | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self._since = parse_when(self.since) if self.since is not None else None
        self._until = parse_when(self.until) if self.until is not None else None
        self.specimens = frozenset(self.specimens)

    def keep(self, obj: dict[str, Any]) -> bool:
        """True when the envelope passes every criterion."""
        et = obj.get("event_type")
        if not isinstance(et, str):
            return False
        if self.types and not any(_matches(p, et) for p in self.types):
            return False
        if self.specimens and not et.startswith("extraction."):
            data = obj.get("data")
            sid = data.get("specimen_id") if isinstance(data, dict) else None
            if sid not in self.specimens:
                return False
        if self._since is not None or self._until is not None:
            try:
                when = parse_timestamp(str(obj.get("timestamp", "")))
            except ValueError:
                return False
            if when.tzinfo is None:
                return False
            if self._since is not None and when < self._since:
                return False
            if self._until is not None and when > self._until:
                return False
        return True


@dataclass
class FilterResult:
    """How many events were read and written, and what the reader noticed."""

    source: Path
    dest: Path
    read: int
    written: int
    report: LogReport


def write_filtered(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    log_filter: LogFilter,
    *,
    lenient: bool = False,
    overwrite: bool = False,
) -> FilterResult:
    """Copy the events of ``source`` that ``log_filter`` keeps to ``dest`` (a new log).

    The copy is written to a temporary file beside ``dest`` and renamed into place, so a
    failure never leaves half a log behind.

    Raises:
        LogError: ``source`` cannot be read, or ``dest`` exists (without ``overwrite``) or
            is ``source`` itself.
    """
    src, out = Path(source), Path(dest)
    if out.exists() and src.exists() and out.resolve() == src.resolve():
        raise LogError(out, None, "the filtered copy cannot overwrite the log it reads")
    if out.exists() and not overwrite:
        raise LogError(out, None, "already exists (choose another file or allow overwriting)")
    out.parent.mkdir(parents=True, exist_ok=True)
    log = EventLog(src, lenient=lenient)
    read = written = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            for obj, _line in log.iter_dicts():
                read += 1
                if not log_filter.keep(obj):
                    continue
                written += 1
                fh.write(
                    dumps_event(
                        {
                            "v": ENVELOPE_VERSION,
                            "seq": written,
                            "run_id": obj.get("run_id"),
                            "event_type": obj["event_type"],
                            "timestamp": obj.get("timestamp", ""),
                            "data": obj.get("data") if isinstance(obj.get("data"), dict) else {},
                        }
                    )
                )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return FilterResult(src, out, read, written, log.report)
