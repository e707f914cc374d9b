"""Reading metrics history: runs, outcomes and failure reasons across runs.

A source is a metrics database (``metrics.sqlite`` or a shared file), a run directory
(its ``metrics.sqlite`` when there is one, else its ``events.jsonl``), an ``events.jsonl``
file, or a folder of run directories. Logs are read into an in-memory database, so every
reader works on the same schema.

Example::

    from herbx.metrics.history import open_source, run_summaries

    with open_source("runs/") as conn:
        for run in run_summaries(conn):
            print(run.run_id, run.status, f"{run.success_rate:.0%}")
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from herbx.events.log import EventLog
from herbx.metrics.schema import DB_NAME, MetricsDBError, MetricsWriter, connect, memory_db

EVENTS_NAME = "events.jsonl"


@dataclass
class RunSummary:
    """One run as the metrics database knows it."""

    run_id: str
    run_dir: str | None
    engine: str | None
    model: str | None
    status: str
    total_specimens: int | None
    processed: int
    successful: int
    failed: int
    skipped: int
    started_at: str | None
    ended_at: str | None
    duration_s: float | None
    stop_reason: str | None
    message: str | None
    last_event_ts: float | None
    latency_ms_sum: float
    latency_count: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    closeness: float | None
    failure_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        """Successful / processed (0 before the first specimen)."""
        return self.successful / self.processed if self.processed else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready), with ``success_rate``."""
        return {**asdict(self), "success_rate": self.success_rate}


def ingest_log(
    conn: sqlite3.Connection,
    events_path: str | os.PathLike[str],
    *,
    run_dir: str | None = None,
    batch_size: int = 5000,
) -> int:
    """Record every event of a log into ``conn``; returns the number of events read.

    Idempotent (rows are keyed by run and ``seq``). The log is read leniently: a torn
    final line or a corrupt line is skipped, as a summary would.
    """
    path = Path(events_path)
    writer = MetricsWriter(conn, run_dir=run_dir if run_dir is not None else str(path.parent))
    count = 0
    for event in EventLog(path, lenient=True):
        writer.add(event)
        count += 1
        if writer.pending >= batch_size:
            writer.flush()
    writer.flush()
    return count


def find_logs(root: str | os.PathLike[str], *, max_depth: int = 3) -> list[Path]:
    """``events.jsonl`` files in ``root`` and its sub-folders (up to ``max_depth`` deep)."""
    base = Path(root)
    found: list[Path] = []
    if (base / EVENTS_NAME).is_file():
        found.append(base / EVENTS_NAME)

    def walk(folder: Path, depth: int) -> None:
        if depth > max_depth:
            return
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return
        for child in children:
            if child.name.startswith("."):
                continue
            if (child / EVENTS_NAME).is_file():
                found.append(child / EVENTS_NAME)
            walk(child, depth + 1)

    walk(base, 1)
    return found


@contextmanager
def open_source(source: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """Open a metrics source read-only (see the module docstring) and close it after.

    Raises:
        MetricsDBError: the path does not exist or holds neither a database nor a log.
    """
    path = Path(source)
    if path.is_file():
        if path.suffix == ".jsonl":
            conn = memory_db()
            ingest_log(conn, path)
        else:
            conn = connect(path, readonly=True)
    elif path.is_dir():
        if (path / DB_NAME).is_file() and not (path / EVENTS_NAME).is_file():
            conn = connect(path / DB_NAME, readonly=True)
        else:
            logs = find_logs(path)
            if not logs:
                raise MetricsDBError(f"{path}: no {DB_NAME} and no {EVENTS_NAME} found here")
            conn = memory_db()
            for log in logs:
                db = log.parent / DB_NAME
                # a finished run's database is complete and faster to read than its log;
                # a live one may lag a batch behind the log, which is then the truth
                if db.is_file() and _copy_db_if_finished(db, conn):
                    continue
                ingest_log(conn, log)
    else:
        raise MetricsDBError(f"{path}: no such file or folder")
    try:
        yield conn
    finally:
        conn.close()


def _copy_db_if_finished(db: Path, into: sqlite3.Connection) -> bool:
    try:
        src = connect(db, readonly=True)
    except MetricsDBError:
        return False
    try:
        statuses = [r[0] for r in src.execute("SELECT status FROM runs").fetchall()]
        if not statuses or "running" in statuses:
            return False
        for table in ("runs", "specimens", "checkpoints"):
            rows = src.execute(f"SELECT * FROM {table}").fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                into.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", rows)
        into.commit()
        return True
    finally:
        src.close()


def run_summaries(conn: sqlite3.Connection, run_id: str | None = None) -> list[RunSummary]:
    """Every run (or one), oldest first, with its outcome counts and failure reasons."""
    where, args = ("WHERE r.run_id = ?", (run_id,)) if run_id is not None else ("", ())
    rows = conn.execute(
        f"""
        SELECT r.run_id, r.run_dir, r.engine, r.model, r.status, r.total_specimens,
               r.started_at, r.ended_at, r.duration_s, r.stop_reason, r.message, r.ended_ts,
               r.started_ts
        FROM runs r {where} ORDER BY r.started_ts, r.run_id
        """,
        args,
    ).fetchall()
    out = []
    for (rid, run_dir, engine, model, status, total, started_at, ended_at, duration,
         stop_reason, message, ended_ts, started_ts) in rows:  # fmt: skip
        counts = dict(
            conn.execute(
                "SELECT status, count(*) FROM specimens WHERE run_id = ? GROUP BY status", (rid,)
            ).fetchall()
        )
        agg = conn.execute(
            "SELECT max(ts), coalesce(sum(total_ms), 0), count(total_ms),"
            " coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),"
            " coalesce(sum(cost_usd), 0) FROM specimens WHERE run_id = ?",
            (rid,),
        ).fetchone()
        reasons = dict(
            conn.execute(
                "SELECT coalesce(reason, 'unknown'), count(*) FROM specimens"
                " WHERE run_id = ? AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1",
                (rid,),
            ).fetchall()
        )
        closeness = conn.execute(
            "SELECT closeness FROM checkpoints WHERE run_id = ? AND closeness IS NOT NULL"
            " ORDER BY seq DESC LIMIT 1",
            (rid,),
        ).fetchone()
        last_ts = max(x for x in (agg[0], ended_ts, started_ts, 0.0) if x is not None)
        if duration is None and started_ts is not None and last_ts:
            duration = max(last_ts - started_ts, 0.0)
        completed, failed = counts.get("completed", 0), counts.get("failed", 0)
        out.append(
            RunSummary(
                run_id=rid, run_dir=run_dir, engine=engine, model=model, status=status,
                total_specimens=total, processed=completed + failed, successful=completed,
                failed=failed, skipped=counts.get("skipped", 0), started_at=started_at,
                ended_at=ended_at, duration_s=duration, stop_reason=stop_reason,
                message=message, last_event_ts=last_ts or None, latency_ms_sum=float(agg[1]),
                latency_count=int(agg[2]), prompt_tokens=int(agg[3]),
                completion_tokens=int(agg[4]), cost_usd=float(agg[5]),
                closeness=closeness[0] if closeness else None, failure_reasons=reasons,
            )
        )  # fmt: skip
    return out


def success_series(
    conn: sqlite3.Connection, run_id: str, *, window: int = 50, points: int = 200
) -> list[dict[str, float]]:
    """Success rate over a run: ``processed``, ``ts``, overall and rolling rate per point.

    At most ``points`` points, evenly spaced over the processed specimens.
    """
    rows = conn.execute(
        "SELECT ts, status = 'completed' FROM specimens"
        " WHERE run_id = ? AND status != 'skipped' ORDER BY seq",
        (run_id,),
    ).fetchall()
    n = len(rows)
    if not n:
        return []
    step = max(1, n // points)
    out = []
    ok = 0
    recent: deque[int] = deque(maxlen=window)
    for i, (ts, good) in enumerate(rows, start=1):
        ok += good
        recent.append(good)
        if i % step == 0 or i == n:
            out.append({"processed": float(i), "ts": ts, "success_rate": ok / i,
                        "rolling_success_rate": sum(recent) / len(recent)})  # fmt: skip
    return out


def read_history(source: str | os.PathLike[str]) -> list[RunSummary]:
    """Every run a metrics source knows (see :func:`open_source`), oldest start first.

    Raises:
        MetricsDBError: the source is missing, unreadable or holds neither a database nor a log.
    """
    with open_source(source) as conn:
        try:
            return run_summaries(conn)
        except sqlite3.DatabaseError as exc:
            raise MetricsDBError(f"{source}: cannot be read ({exc})") from None
