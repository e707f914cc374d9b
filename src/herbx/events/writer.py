"""The single appending writer of ``events.jsonl``, with its durability policy."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import orjson

from herbx.events.log import scan_tail

FsyncPolicy = Literal["interval", "always", "never"]

_monotonic = time.monotonic
_write = os.write
_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def find_unserializable(value: Any, path: str = "data") -> tuple[str, Any] | None:
    """Return ``(key_path, offending_value)`` for the first value orjson cannot write."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = find_unserializable(item, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_unserializable(item, f"{path}[{i}]")
            if found:
                return found
        return None
    try:
        orjson.dumps(value, option=_ORJSON_OPTS)
    except TypeError:
        return path, value
    return None


def dumps_event(envelope: dict[str, Any]) -> bytes:
    """Serialize one envelope as a JSON line, naming the key of any bad value.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent; the message names the key.
    """
    try:
        # Plain options first: numpy values and non-string keys are rare, and asking orjson
        # to look for them costs more than the rest of the serialization.
        return orjson.dumps(envelope, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        pass
    try:
        return orjson.dumps(envelope, option=_ORJSON_OPTS | orjson.OPT_APPEND_NEWLINE)
    except TypeError as exc:
        found = find_unserializable(envelope.get("data"))
        if found is None:
            raise TypeError(
                f"event {envelope.get('event_type')!r} cannot be written as JSON: {exc}"
            ) from None
        key, bad = found
        raise TypeError(
            f"event {envelope.get('event_type')!r}: value at {key!r} is not JSON-serializable "
            f"({type(bad).__name__}: {bad!r:.80}); convert it to str, number, list or dict"
        ) from None


class LogWriter:
    """Appends event lines to one file: each line handed to the kernel at once, fsynced per policy.

    Lines go straight to an ``O_APPEND`` file descriptor with one ``write`` system call each:
    no user-space buffer to flush, so a killed process loses nothing already written.

    Opening an existing log continues after its last complete line. A torn final line (a
    writer killed mid-write) is copied to ``<name>.torn-<unix time>`` and cut off before
    anything is appended, so the file stays valid JSONL.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fsync: FsyncPolicy = "interval",
        fsync_interval: float = 1.0,
    ) -> None:
        if fsync not in ("interval", "always", "never"):
            raise ValueError(f"fsync must be 'interval', 'always' or 'never', not {fsync!r}")
        self.path = Path(path)
        self.fsync_policy: FsyncPolicy = fsync
        self.fsync_interval = float(fsync_interval)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tail = scan_tail(self.path)
        self.repaired_from: Path | None = None
        if tail.torn_bytes:
            self.repaired_from = self._repair(tail.end_offset)
        self.last_seq = tail.last_seq
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        self.fd = os.open(self.path, flags, 0o644)
        self.last_sync = time.monotonic()
        self.closed = False
        #: Set after each write under the interval policy; a background timer fsyncs the
        #: file within ``fsync_interval`` seconds of it, also when no further event comes.
        self.dirty = False
        self._stop_syncer = threading.Event()
        self._syncer: threading.Thread | None = None
        if fsync == "interval":
            self._syncer = threading.Thread(
                target=self._sync_periodically, name="herbx-log-fsync", daemon=True
            )
            self._syncer.start()

    def _sync_periodically(self) -> None:
        while not self._stop_syncer.wait(self.fsync_interval):
            if self.dirty:
                self.dirty = False
                try:
                    os.fsync(self.fd)
                except OSError:  # pragma: no cover - the disk failed; close() will say so
                    return
                self.last_sync = _monotonic()

    def _repair(self, end_offset: int) -> Path:
        backup = self.path.with_name(f"{self.path.name}.torn-{int(time.time())}")
        shutil.copy2(self.path, backup)
        with open(self.path, "r+b") as fh:
            fh.truncate(end_offset)
            fh.flush()
            os.fsync(fh.fileno())
        return backup

    def finish_short_write(self, line: bytes, written: int) -> None:
        """Write the rest of a line the kernel took only part of (a signal, a nearly full disk)."""
        while written < len(line):
            written += _write(self.fd, line[written:])

    def after_write(self, durable: bool) -> None:
        """Fsync now if the policy (or a durable event) says so, else leave it to the timer."""
        policy = self.fsync_policy
        if policy == "always" or durable:
            os.fsync(self.fd)
            self.last_sync = _monotonic()
            self.dirty = False
        elif policy == "interval":
            self.dirty = True

    def sync(self) -> None:
        """Fsync now (lines are never held in a user-space buffer)."""
        if not self.closed:
            os.fsync(self.fd)
            self.last_sync = time.monotonic()

    def close(self) -> None:
        """Flush, fsync and close; calling it again does nothing."""
        if self.closed:
            return
        if self._syncer is not None:
            self._stop_syncer.set()
            self._syncer.join()
        try:
            self.sync()
        finally:
            os.close(self.fd)
            self.closed = True
