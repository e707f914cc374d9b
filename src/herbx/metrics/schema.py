"""The metrics database: schema, opening it, and turning events into rows.

One SQLite file holds any number of runs (``metrics.sqlite`` in a run directory by default,
or one shared file). Writes are idempotent: rows are keyed by ``(run_id, seq)``, so the
same log can be recorded live and ingested again without double counting. The schema is
documented in ``docs/alerts.md``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from herbx.events.clock import parse_timestamp
from herbx.events.types import Event

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    run_dir TEXT,
    engine TEXT,
    model TEXT,
    total_specimens INTEGER,
    started_at TEXT,
    started_ts REAL,
    ended_at TEXT,
    ended_ts REAL,
    status TEXT NOT NULL DEFAULT 'running',
    stop_reason TEXT,
    message TEXT,
    duration_s REAL,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_ts);
CREATE TABLE IF NOT EXISTS specimens (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    specimen_id TEXT,
    sequence INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    timestamp TEXT NOT NULL,
    ts REAL NOT NULL,
    image TEXT,
    total_ms REAL,
    engine_ms REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost_usd REAL,
    terms_filled INTEGER,
    success_rate REAL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS specimens_by_outcome ON specimens (run_id, status, reason);
CREATE INDEX IF NOT EXISTS specimens_by_time ON specimens (run_id, ts);
CREATE INDEX IF NOT EXISTS specimens_by_specimen ON specimens (specimen_id);
CREATE TABLE IF NOT EXISTS checkpoints (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    ts REAL NOT NULL,
    processed INTEGER,
    success_rate REAL,
    passed INTEGER,
    reason TEXT,
    closeness REAL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS checkpoints_by_kind ON checkpoints (run_id, kind, ts);
"""

#: File name of the database inside a run directory.
DB_NAME = "metrics.sqlite"

_OUTCOMES = {
    "specimen.completed": "completed",
    "specimen.failed": "failed",
    "specimen.skipped": "skipped",
}
_CHECKPOINT_KINDS = {
    "validation.checkpoint": "checkpoint",
    "validation.warning": "warning",
    "extraction.failed": "stop",
}
_END_STATUS = {
    "extraction.completed": "completed",
    "extraction.failed": "stopped",
    "extraction.interrupted": "interrupted",
}


class MetricsDBError(ValueError):
    """A metrics database cannot be opened or read. ``str()`` names the file."""


def readonly_uri(path: Path) -> str:
    """The URI that opens ``path`` for reading without creating any file beside it.

    A WAL database opened with plain ``mode=ro`` gets a ``-shm`` and a ``-wal`` file when
    they do not exist (SQLite needs them to coordinate with writers), and a read-only
    connection cannot remove them again. So:

    - a WAL database whose ``-wal`` and ``-shm`` both exist (a writer has it open, or left
      them) is opened ``mode=ro``: it reads the committed rows in the WAL and creates nothing;
    - a WAL database without them has no writer: it is opened ``immutable=1`` (no locks, no
      side files), which reads the main file as it is. A ``-wal`` left without its ``-shm``
      by a crash is not read until a writer opens the database again;
    - any other file (rollback journal mode, or not SQLite at all) is opened ``mode=ro``,
      which never creates a file in that mode.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with open(path, "rb") as fh:
            header = fh.read(20)
    except OSError:
        return uri
    is_wal = header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"
    side_files = all(path.with_name(path.name + s).exists() for s in ("-wal", "-shm"))
    return f"{uri}&immutable=1" if is_wal and not side_files else uri


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """Open (and create, unless ``readonly``) a metrics database in WAL mode.

    ``readonly=True`` never writes and never creates a file next to the database (see
    :func:`readonly_uri`), so it is safe on another process's run directory.

    Example::

        conn = connect("runs/r1/metrics.sqlite")
        conn.execute("SELECT count(*) FROM specimens").fetchone()
    """
    p = Path(path)
    try:
        if readonly:
            if not p.is_file():
                raise MetricsDBError(f"{p}: no such metrics database")
            conn = sqlite3.connect(readonly_uri(p), uri=True, check_same_thread=False)
            _check_schema(conn, p)
            return conn
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(p, check_same_thread=False, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        conn.commit()
        return conn
    except sqlite3.DatabaseError as exc:
        raise MetricsDBError(f"{p}: not a usable metrics database ({exc})") from None


def memory_db() -> sqlite3.Connection:
    """An empty in-memory metrics database (for reading a log without writing a file)."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(SCHEMA)
    return conn


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        raise MetricsDBError(f"{path}: not a herbx metrics database") from None
    if row is None or int(row[0]) > SCHEMA_VERSION:
        conn.close()
        raise MetricsDBError(
            f"{path}: metrics schema version {row[0] if row else '?'} is not one this herbx reads"
        )


def _ts(timestamp: str) -> float:
    try:
        return parse_timestamp(timestamp).timestamp()
    except (ValueError, AttributeError):
        return 0.0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class MetricsWriter:
    """Turns events into rows of one database, buffering them for batched commits.

    Specimen and checkpoint rows wait in a buffer until :meth:`flush` (called by the
    owner every ``batch_size`` rows or so); run rows (start, end) are written at once
    with whatever is buffered, so a run's status is never older than its specimens.
    """

    def __init__(self, conn: sqlite3.Connection, *, run_dir: str | None = None) -> None:
        self.conn = conn
        self.run_dir = run_dir
        self._specimens: list[tuple[Any, ...]] = []
        self._checkpoints: list[tuple[Any, ...]] = []
        self.rows_written = 0

    @property
    def pending(self) -> int:
        """Rows waiting in the buffer."""
        return len(self._specimens) + len(self._checkpoints)

    def add(self, event: Event) -> bool:
        """Record ``event``; True when it changed a run row (and so was committed)."""
        et, d = event.event_type, event.data
        run_id = str(event.run_id or d.get("run_id") or "unknown")
        outcome = _OUTCOMES.get(et)
        if outcome is not None:
            result = _as_dict(d.get("result"))
            dwc = _as_dict(result.get("dwc"))
            timings = _as_dict(d.get("timings"))
            usage = _as_dict(d.get("usage") or result.get("usage"))
            metrics = _as_dict(d.get("metrics"))
            filled = sum(1 for v in dwc.values() if v not in (None, "", [], {}))
            self._specimens.append((
                run_id, event.seq, _str(d.get("specimen_id")), _int(d.get("sequence")), outcome,
                _str(d.get("reason")),
                event.timestamp, _ts(event.timestamp), _str(d.get("image")),
                _num(timings.get("total_ms")), _num(timings.get("engine_ms")),
                _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
                _num(usage.get("cost_usd")), filled if outcome != "skipped" else None,
                _num(metrics.get("success_rate")),
            ))  # fmt: skip
        kind = _CHECKPOINT_KINDS.get(et)
        if kind is not None:
            passed = d.get("passed")
            self._checkpoints.append((
                run_id, event.seq, kind, event.timestamp, _ts(event.timestamp),
                _int(d.get("processed", d.get("total_processed"))),
                _num(d.get("success_rate")),
                None if passed is None else int(bool(passed)),
                _str(d.get("reason")), _num(d.get("closeness")),
                orjson.dumps(d, option=orjson.OPT_NON_STR_KEYS).decode(),
            ))  # fmt: skip
        if et == "extraction.started":
            self.flush()
            self._started(run_id, event)
            return True
        if et in _END_STATUS:
            self.flush()
            self._ended(run_id, event, _END_STATUS[et])
            return True
        return False

    def _started(self, run_id: str, event: Event) -> None:
        d = event.data
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO runs (run_id, run_dir, started_at, started_ts) "
                "VALUES (?, ?, ?, ?)",
                (run_id, self.run_dir, event.timestamp, _ts(event.timestamp)),
            )
            self.conn.execute(
                "UPDATE runs SET engine = ?, model = ?, total_specimens = ?, status = 'running',"
                " run_dir = coalesce(?, run_dir), ended_at = NULL, ended_ts = NULL,"
                " stop_reason = NULL, message = NULL, last_seq = ?"
                " WHERE run_id = ? AND last_seq < ?",
                (_str(d.get("engine")), _str(d.get("model")), _int(d.get("total_specimens")),
                 self.run_dir, event.seq, run_id, event.seq),
            )  # fmt: skip
        self.rows_written += 1

    def _ended(self, run_id: str, event: Event, status: str) -> None:
        d = event.data
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO runs (run_id, run_dir) VALUES (?, ?)",
                (run_id, self.run_dir),
            )
            self.conn.execute(
                "UPDATE runs SET status = ?, ended_at = ?, ended_ts = ?, stop_reason = ?,"
                " message = ?, duration_s = ?, last_seq = ?,"
                " total_specimens = coalesce(total_specimens, ?)"
                " WHERE run_id = ? AND last_seq < ?",
                (status, event.timestamp, _ts(event.timestamp),
                 _str(d.get("reason")) if status == "stopped" else None,
                 _str(d.get("message")), _num(d.get("duration_s")), event.seq,
                 _int(d.get("total_specimens", d.get("total"))), run_id, event.seq),
            )  # fmt: skip
        self.rows_written += 1

    def flush(self) -> None:
        """Commit the buffered rows in one transaction."""
        if not (self._specimens or self._checkpoints):
            return
        specimens, self._specimens = self._specimens, []
        checkpoints, self._checkpoints = self._checkpoints, []
        with self.conn:
            self.conn.executemany(
                "INSERT OR IGNORE INTO specimens VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                specimens,
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                checkpoints,
            )
        self.rows_written += len(specimens) + len(checkpoints)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
