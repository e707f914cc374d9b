"""Run summaries of many run directories, read again and again cheaply (dashboard scrapes).

Each run directory is read from its ``metrics.sqlite`` when it has a usable one (a few
indexed queries) and from its ``events.jsonl`` otherwise (the whole log, into an in-memory
database). Either way the result is remembered with the size, time and inode of the files
it came from, so a run whose files did not change costs three ``stat()`` calls: a folder
of a thousand finished runs is read once, not on every request.

Example::

    from herbx.metrics.collect import RunSummaryCache

    cache = RunSummaryCache()
    for run_dir, run in cache.collect([Path("runs/r1"), Path("runs/r2")]):
        print(run_dir, run.status, run.success_rate, cache.source_of(run_dir))
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from herbx.metrics.history import (
    EVENTS_NAME,
    RunSummary,
    ingest_log,
    read_history,
    run_summaries,
)
from herbx.metrics.schema import DB_NAME, MetricsDBError, memory_db

_Stat = tuple[int, int, int] | None


def _stat(path: Path) -> _Stat:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _signature(*paths: Path) -> tuple[_Stat, ...]:
    return tuple(_stat(p) for p in paths)


def read_database(db: Path) -> list[RunSummary]:
    """Every run in a metrics database, opened read-only (nothing is created beside it).

    Raises:
        MetricsDBError: the file is missing, not a metrics database, or unreadable.
    """
    if not db.is_file():
        raise MetricsDBError(f"{db}: no such metrics database")
    return read_history(db)


def read_log(log: Path, run_dir: Path | None = None) -> list[RunSummary]:
    """The runs of one ``events.jsonl`` (read leniently into an in-memory database)."""
    conn = memory_db()
    try:
        ingest_log(conn, log, run_dir=str(run_dir if run_dir is not None else log.parent))
        return run_summaries(conn)
    finally:
        conn.close()


@dataclass
class _Entry:
    signature: tuple[_Stat, ...]
    source: str
    runs: list[RunSummary]


class RunSummaryCache:
    """Run summaries per run directory (or per shared database), re-read only on change.

    Thread-safe; holds one small entry per run directory or database seen in the last
    :meth:`collect` (entries of folders that disappeared are dropped).
    """

    def __init__(self) -> None:
        self._runs: dict[Path, _Entry] = {}
        self._databases: dict[Path, _Entry] = {}
        self._lock = threading.Lock()

    def summaries(self, run_dir: Path) -> list[RunSummary]:
        """The runs recorded in ``run_dir``: its ``metrics.sqlite`` if usable, else its log.

        A database that cannot be opened, cannot be read or holds no run falls back to the
        log. A live run's database trails its log by at most one batch
        (``[metrics_db] flush_interval_s``); a finished run's gives the same numbers.
        """
        db, log = run_dir / DB_NAME, run_dir / EVENTS_NAME
        sig = _signature(db, db.with_name(DB_NAME + "-wal"), log)
        with self._lock:
            entry = self._runs.get(run_dir)
        if entry is not None and entry.signature == sig:
            return entry.runs
        source, runs = EVENTS_NAME, []
        if sig[0] is not None:
            try:
                runs = read_database(db)
                source = DB_NAME
            except MetricsDBError:
                runs = []
        if not runs:
            source = EVENTS_NAME
            runs = read_log(log, run_dir) if sig[2] is not None else []
        with self._lock:
            self._runs[run_dir] = _Entry(sig, source, runs)
        return runs

    def source_of(self, run_dir: Path) -> str | None:
        """``metrics.sqlite`` or ``events.jsonl``: where ``run_dir`` was last read from."""
        with self._lock:
            entry = self._runs.get(run_dir)
        return entry.source if entry is not None else None

    def collect(self, run_dirs: Iterable[Path]) -> list[tuple[Path, RunSummary]]:
        """``(run_dir, run)`` for every run in ``run_dirs``, oldest start first.

        A run id seen in two folders (a copied run directory) is listed once, from the
        first folder, so exported series stay unique.
        """
        seen_dirs: set[Path] = set()
        seen_ids: set[str] = set()
        out: list[tuple[Path, RunSummary]] = []
        for run_dir in run_dirs:
            seen_dirs.add(run_dir)
            for run in self.summaries(run_dir):
                if run.run_id not in seen_ids:
                    seen_ids.add(run.run_id)
                    out.append((run_dir, run))
        with self._lock:
            for gone in set(self._runs) - seen_dirs:
                del self._runs[gone]
        out.sort(key=lambda pair: (pair[1].started_at or "", pair[1].run_id))
        return out

    def database(self, db: Path) -> list[RunSummary]:
        """Every run of a (shared) metrics database, re-read only when it changed.

        Raises:
            MetricsDBError: the file is missing, not a metrics database, or unreadable.
        """
        sig = _signature(db, db.with_name(db.name + "-wal"))
        with self._lock:
            entry = self._databases.get(db)
        if entry is not None and entry.signature == sig:
            return entry.runs
        runs = read_database(db)
        with self._lock:
            self._databases[db] = _Entry(sig, DB_NAME, runs)
        return runs
