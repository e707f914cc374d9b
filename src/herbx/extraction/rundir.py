"""The run directory: ``raw.jsonl`` (append only), ``events.jsonl`` and ``run.json``.

``raw.jsonl`` gets one line per processed specimen, appended and flushed as each finishes;
it is never opened for rewriting, so the bytes an earlier run wrote never change. A line
cut short by a killed process is left in place and fenced off with a newline; readers skip
it. ``run.json`` is replaced atomically (temporary file, fsync, rename).

Example::

    rd = RunDirectory("runs/batch3")
    index = rd.resume_index()
    with rd.raw_appender() as raw:
        raw.append({"v": 1, "specimen_id": "A1", "status": "succeeded", ...})
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

RAW_VERSION = 1


class RunDirectoryError(ValueError):
    """The run directory cannot be used (not a folder, unreadable manifest...)."""


class RawAppender:
    """Appends result lines to ``raw.jsonl``: one write and one flush per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fenced_torn_tail = False
        self._fh = open(path, "ab")  # noqa: SIM115 - closed by close()
        if self._fh.tell() > 0:
            with open(path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    self._fh.write(b"\n")  # fence a torn line off; earlier bytes untouched
                    self._fh.flush()
                    self.fenced_torn_tail = True
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as a JSON line and flush it to the operating system."""
        self._fh.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        self._fh.flush()
        self.written += 1

    def close(self) -> None:
        """Flush, fsync and close (idempotent)."""
        if self._fh.closed:
            return
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        finally:
            self._fh.close()

    def __enter__(self) -> RawAppender:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class ResumeIndex:
    """What earlier runs in a directory achieved, keyed by ``(sha256, settings_hash)``."""

    succeeded: set[tuple[str, str]] = field(default_factory=set)
    failed: set[tuple[str, str]] = field(default_factory=set)
    settings_hashes: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    bad_lines: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no earlier result exists."""
        return self.lines == 0

    def is_done(self, sha256: str, settings_hash: str) -> bool:
        """True when this image already succeeded with these settings."""
        return (sha256, settings_hash) in self.succeeded

    def other_settings(self, settings_hash: str) -> list[str]:
        """Settings hashes of earlier results that differ from ``settings_hash``."""
        return [h for h in self.settings_hashes if h != settings_hash]

    @classmethod
    def load(cls, path: Path) -> ResumeIndex:
        """Read ``raw.jsonl`` (missing file: empty index); torn or bad lines are listed."""
        index = cls()
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return index
        with fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = orjson.loads(line)
                    key = (str(rec["sha256"]), str(rec["settings_hash"]))
                    status = rec["status"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    index.bad_lines.append(number)
                    continue
                index.lines += 1
                index.settings_hashes[key[1]] += 1
                if status == "succeeded":
                    index.succeeded.add(key)
                else:
                    index.failed.add(key)
        index.failed -= index.succeeded
        return index


def write_json_atomic(path: Path, value: Any) -> None:
    """Replace ``path`` with ``value`` as indented JSON: temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class RunDirectory:
    """Paths and helpers of one run directory."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise RunDirectoryError(f"{self.path}: exists and is not a folder")
        self.raw_path = self.path / "raw.jsonl"
        self.events_path = self.path / "events.jsonl"
        self.manifest_path = self.path / "run.json"

    @property
    def has_results(self) -> bool:
        """True when an earlier run left results here."""
        return self.raw_path.exists() and self.raw_path.stat().st_size > 0

    def resume_index(self) -> ResumeIndex:
        """Index of the results already in ``raw.jsonl``."""
        return ResumeIndex.load(self.raw_path)

    def raw_appender(self) -> RawAppender:
        """An appender for ``raw.jsonl`` (creates the folder)."""
        return RawAppender(self.raw_path)

    def read_manifest(self) -> dict[str, Any] | None:
        """The current ``run.json``, or None when there is none.

        Raises:
            RunDirectoryError: the file exists but is not valid JSON.
        """
        try:
            data = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RunDirectoryError(f"{self.manifest_path}: not valid JSON: {exc}") from None
        return value if isinstance(value, dict) else None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace ``run.json`` atomically."""
        write_json_atomic(self.manifest_path, manifest)
