"""Run discovery and live run state for the dashboard, built by following ``events.jsonl``.

Nothing here imports Starlette: a :class:`RunFollower` reads the complete lines appended to
a log since the last call (parsing them with :mod:`herbx.events.log`) and folds them into a
:class:`RunView`, whose :meth:`RunView.snapshot` is what the page draws.

Example::

    follower = RunFollower("runs/r1/events.jsonl")
    follower.poll()
    follower.view.snapshot()["processed"]
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from herbx.events.clock import parse_timestamp
from herbx.events.log import event_from_dict, upgrade_envelope
from herbx.events.types import Event

EVENTS_NAME = "events.jsonl"
MAX_POINTS = 600
RECENT = 24
_END = {
    "extraction.completed": "completed",
    "extraction.failed": "stopped",
    "extraction.interrupted": "interrupted",
}


class PathRefused(ValueError):
    """A requested run path is outside the served root or not a run."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def resolve_run(root: Path, rel: str) -> Path:
    """The run directory ``rel`` under ``root``, refusing anything that leaves ``root``.

    Raises:
        PathRefused: status 403 for an absolute path, ``..`` or a link out of ``root``;
            404 when the folder holds no ``events.jsonl``.
    """
    rel = rel.strip("/")
    pure = PurePosixPath(rel)
    if "\\" in rel or "\x00" in rel or pure.is_absolute() or ".." in pure.parts:
        raise PathRefused(f"{rel!r}: outside the served folder", status=403)
    base = root.resolve()
    target = (base / pure).resolve()
    if target != base and not target.is_relative_to(base):
        raise PathRefused(f"{rel!r}: outside the served folder", status=403)
    if not (target / EVENTS_NAME).is_file():
        raise PathRefused(f"{rel!r}: not a run (no {EVENTS_NAME})", status=404)
    return target


def discover_runs(root: Path, *, max_depth: int = 3) -> list[Path]:
    """Run directories (folders with ``events.jsonl``) in ``root``, up to ``max_depth`` deep.

    Symbolic links are not followed, so discovery never leaves ``root``.
    """
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        if (folder / EVENTS_NAME).is_file():
            found.append(folder)
        if depth >= max_depth:
            return
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return
        for child in children:
            if not child.name.startswith("."):
                walk(child, depth + 1)

    walk(root, 0)
    return found


def _seconds(timestamp: str) -> float | None:
    try:
        return parse_timestamp(timestamp).timestamp()
    except (ValueError, AttributeError):
        return None


class RunView:
    """Everything the page shows about one run, updated one event at a time.

    Memory stays bounded however long the run: the success-rate series is thinned to at
    most :data:`MAX_POINTS` points, and only the last :data:`RECENT` specimens are kept.
    """

    def __init__(self, rolling_window: int = 50) -> None:
        self.rolling_window = rolling_window
        self.run_id: str | None = None
        self.status = "unknown"
        self.engine: str | None = None
        self.model: str | None = None
        self.input: str | None = None
        self.total: int | None = None
        self.started_at: str | None = None
        self.start_ts: float | None = None
        self.last_ts: float | None = None
        self.ended_at: str | None = None
        self.processed = self.successful = self.failed = self.skipped = 0
        self.consumer_errors = 0
        self.reasons: Counter[str] = Counter()
        self._window: deque[bool] = deque(maxlen=rolling_window)
        self._recent_ts: deque[float] = deque(maxlen=100)
        self.series: list[list[float]] = []  # [processed, ts, overall, rolling]
        self._step = 1
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.checkpoint: dict[str, Any] | None = None
        self.warning: dict[str, Any] | None = None
        self.warnings = 0
        self.stop: dict[str, Any] | None = None
        self.events = 0
        self.last_seq = 0

    def apply(self, event: Event) -> None:
        """Fold one event into the view."""
        et, d = event.event_type, event.data
        self.events += 1
        self.last_seq = event.seq
        ts = _seconds(event.timestamp)
        if ts is not None:
            self.last_ts = ts
        if et == "extraction.started":
            self.run_id = str(d.get("run_id") or event.run_id or "")
            self.status = "running"
            self.engine, self.model = d.get("engine"), d.get("model")
            self.input = d.get("input") if isinstance(d.get("input"), str) else self.input
            total = d.get("total_specimens")
            self.total = int(total) if isinstance(total, int | float) else self.total
            if self.started_at is None:
                self.started_at, self.start_ts = event.timestamp, ts
            self.ended_at, self.stop = None, None
            self._recent_ts.clear()
        elif et in ("specimen.completed", "specimen.failed"):
            self._outcome(event, ok=et == "specimen.completed", ts=ts)
        elif et == "specimen.skipped":
            self.skipped += 1
        elif et == "validation.checkpoint":
            self.checkpoint = dict(d)
        elif et == "validation.warning":
            self.warning = dict(d)
            self.warnings += 1
        elif et in _END:
            self.status = _END[et]
            self.ended_at = event.timestamp
            if et != "extraction.completed":
                self.stop = dict(d)
        elif et == "consumer.error":
            self.consumer_errors += 1
        if self.run_id is None and event.run_id:
            self.run_id = event.run_id

    def _outcome(self, event: Event, *, ok: bool, ts: float | None) -> None:
        d = event.data
        self.processed += 1
        if ok:
            self.successful += 1
        else:
            self.failed += 1
            self.reasons[str(d.get("reason") or "unknown")] += 1
        self._window.append(ok)
        if ts is not None:
            self._recent_ts.append(ts)
        if self.status == "unknown":
            self.status = "running"
        n = self.processed
        if n % self._step == 0:
            self.series.append([n, ts or 0.0, self.successful / n,
                                sum(self._window) / len(self._window)])  # fmt: skip
            if len(self.series) > MAX_POINTS:
                self.series = self.series[1::2]
                self._step *= 2
        result = d.get("result")
        dwc = result.get("dwc") if isinstance(result, dict) else None
        if not isinstance(dwc, dict):
            dwc = {}
        self.recent.append(
            {
                "seq": event.seq,
                "specimen_id": d.get("specimen_id"),
                "sequence": d.get("sequence"),
                "ok": ok,
                "reason": d.get("reason"),
                "message": d.get("message"),
                "image": d.get("image") if isinstance(d.get("image"), str) else None,
                "fields": {k: v for k, v in dwc.items() if v not in (None, "", [], {})},
                "timestamp": event.timestamp,
            }
        )

    def throughput(self) -> tuple[float, float]:
        """Specimens per minute: over the whole run, and over the last 100 specimens."""
        overall = 0.0
        if self.start_ts is not None and self.last_ts and self.last_ts > self.start_ts:
            overall = self.processed / (self.last_ts - self.start_ts) * 60.0
        recent = overall
        r = self._recent_ts
        if len(r) >= 2 and r[-1] > r[0]:
            recent = (len(r) - 1) / (r[-1] - r[0]) * 60.0
        return overall, recent

    def summary(self) -> dict[str, Any]:
        """The few numbers a run list shows."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "processed": self.processed,
            "successful": self.successful,
            "failed": self.failed,
            "skipped": self.skipped,
            "total_specimens": self.total,
            "success_rate": self.successful / self.processed if self.processed else None,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "engine": self.engine,
            "model": self.model,
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything the run page draws (JSON-ready)."""
        overall, recent = self.throughput()
        eta = None
        if self.status == "running" and self.total is not None and recent > 0:
            remaining = max(self.total - self.processed - self.skipped, 0)
            eta = remaining / recent * 60.0
        window = list(self._window)
        return {
            **self.summary(),
            "rolling_success_rate": sum(window) / len(window) if window else None,
            "rolling_window": self.rolling_window,
            "per_minute": overall,
            "per_minute_recent": recent,
            "eta_seconds": eta,
            "elapsed_seconds": (self.last_ts - self.start_ts)
            if self.start_ts is not None and self.last_ts is not None
            else None,
            "series": self.series,
            "failure_reasons": dict(self.reasons.most_common()),
            "validator": {
                "checkpoint": self.checkpoint,
                "warning": self.warning,
                "warnings": self.warnings,
                "stop": self.stop,
            },
            "recent": list(reversed(self.recent)),
            "consumer_errors": self.consumer_errors,
            "events": self.events,
            "last_seq": self.last_seq,
        }


class RunFollower:
    """Follows one ``events.jsonl``: each :meth:`poll` reads the lines appended since the last.

    Only complete lines are read (a line still being written waits for the next poll). A
    file that shrank or was replaced is read again from the start. Unreadable lines are
    counted in :attr:`bad_lines` and skipped, as a lenient reader would.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.view = RunView()
        self.offset = 0
        self.line_no = 0
        self.bad_lines = 0
        self.version = 0
        self._ino: int | None = None
        self._lock = threading.Lock()
        self.last_poll = 0.0

    def poll(self) -> bool:
        """Read new complete lines; True when the view changed."""
        with self._lock:
            self.last_poll = time.monotonic()
            try:
                st = self.path.stat()
            except OSError:
                return False
            if st.st_size < self.offset or (self._ino is not None and st.st_ino != self._ino):
                self.view, self.offset, self.line_no, self.bad_lines = RunView(), 0, 0, 0
            self._ino = st.st_ino
            if st.st_size == self.offset:
                return False
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(st.st_size - self.offset)
            end = chunk.rfind(b"\n")
            if end == -1:
                return False
            changed = False
            for raw in chunk[: end + 1].split(b"\n")[:-1]:
                self.line_no += 1
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.bad_lines += 1
                    continue
                env = upgrade_envelope(obj, self.line_no) if isinstance(obj, dict) else None
                if env is None:
                    self.bad_lines += 1
                    continue
                self.view.apply(event_from_dict(env, self.line_no))
                changed = True
            self.offset += end + 1
            if changed:
                self.version += 1
            return changed
