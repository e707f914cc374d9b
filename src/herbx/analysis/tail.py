"""Follow an event log another process is writing.

Polls (no platform-specific notification APIs), so it works the same on Linux and macOS
and over network file systems. Handles a log that does not exist yet, lines still being
written, a writer that restarts and appends a resumed run, a torn line the next writer
repairs, and a file truncated or replaced underneath.

Example::

    from herbx.analysis.tail import LogFollower

    for item in LogFollower("runs/r1/events.jsonl").follow(until_run_ends=True):
        print(item)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from herbx.events.log import upgrade_envelope
from herbx.events.types import TERMINAL_EVENTS


@dataclass(frozen=True)
class TailLine:
    """One complete line of the log.

    ``event`` is the upgraded envelope, or None when the line is not an event (then
    ``problem`` says why). ``backlog`` is true for lines already in the file when following
    began.
    """

    line: int
    raw: bytes
    event: dict[str, Any] | None
    backlog: bool
    problem: str | None = None


@dataclass(frozen=True)
class TailNotice:
    """Something happened to the file itself: ``waiting``, ``appeared``, ``torn``,
    ``truncated``, ``replaced`` or ``removed``."""

    kind: str
    message: str


TailItem = TailLine | TailNotice


class LogFollower:
    """Reads what is new in a log each time :meth:`poll` is called."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh: IO[bytes] | None = None
        self._ino: int | None = None
        self._offset = 0
        self._partial = b""
        self._line = 0
        self._backlog_end = 0
        self._announced_wait = False
        self.last_event_type: str | None = None

    def close(self) -> None:
        """Close the file (following can start again with :meth:`poll`)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _open(self, items: list[TailItem], *, from_start_notice: str | None = None) -> bool:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - kept open across polls; see close()
        except (FileNotFoundError, NotADirectoryError):
            if not self._announced_wait:
                items.append(TailNotice("waiting", f"waiting for {self.path} to appear"))
                self._announced_wait = True
            return False
        st = os.fstat(fh.fileno())
        if self._announced_wait:
            items.append(TailNotice("appeared", f"{self.path} appeared"))
            self._announced_wait = False
        if from_start_notice:
            items.append(TailNotice("replaced", from_start_notice))
        first_open = self._ino is None
        self._fh, self._ino = fh, st.st_ino
        self._offset, self._partial, self._line = 0, b"", 0
        if first_open:
            self._backlog_end = st.st_size
        else:
            self._backlog_end = 0
        return True

    def poll(self) -> list[TailItem]:
        """Read what is new since the last poll (never blocks)."""
        items: list[TailItem] = []
        if self._fh is None and not self._open(items):
            return items
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            self.close()
            self._ino = -1
            items.append(TailNotice("removed", f"{self.path} was removed; waiting for it"))
            self._announced_wait = True
            return items
        if st.st_ino != self._ino:
            self.close()
            if not self._open(items, from_start_notice=f"{self.path} was replaced; reading it"):
                return items
        fh = self._fh
        assert fh is not None
        size = os.fstat(fh.fileno()).st_size
        if size < self._offset:
            items.append(
                TailNotice("truncated", f"{self.path} was truncated; reading from the start")
            )
            self._offset, self._partial, self._line, self._backlog_end = 0, b"", 0, 0
        fh.seek(self._offset)
        data = fh.read()
        if self._partial and not data.startswith(self._partial):
            items.append(
                TailNotice("torn", "an unfinished line was cut off by the writer (log repaired)")
            )
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            self._offset += len(raw) + 1
            self._line += 1
            if not raw.strip():
                continue
            event, problem = _parse(raw, self._line)
            if event is not None:
                et = event["event_type"]
                self.last_event_type = et if isinstance(et, str) else None
            backlog = self._offset <= self._backlog_end
            items.append(TailLine(self._line, raw, event, backlog, problem))
        return items

    @property
    def run_ended(self) -> bool:
        """True when the last event read ends a run (and nothing came after it)."""
        return self.last_event_type in TERMINAL_EVENTS

    def follow(
        self,
        *,
        until_run_ends: bool = True,
        poll_interval: float = 0.2,
        timeout: float | None = None,
        stop: Callable[[], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Iterator[TailItem]:
        """Yield lines and notices as they come; poll every ``poll_interval`` seconds.

        Ends when a run-ending event is the newest line (``until_run_ends``), when
        ``stop()`` returns true, or after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                yield from self.poll()
                if until_run_ends and self.run_ended and not self._partial:
                    return
                if stop is not None and stop():
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    return
                sleep(poll_interval)
        finally:
            self.close()


def _parse(raw: bytes, line: int) -> tuple[dict[str, Any] | None, str | None]:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, "not valid JSON"
    if not isinstance(obj, dict):
        return None, "a JSON value that is not an event object"
    upgraded = upgrade_envelope(obj, line)
    if upgraded is None or not isinstance(upgraded.get("data"), dict):
        return None, "not a herbx event envelope"
    return upgraded, None
