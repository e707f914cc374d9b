"""Per-specimen and per-checkpoint metrics written to SQLite, off the hot path.

Example::

    from herbx.events import HybridEventBus
    from herbx.events.consumers.sqlite_metrics import SQLiteMetricsConsumer

    with HybridEventBus("runs/r1/events.jsonl") as bus:
        metrics_db = SQLiteMetricsConsumer(bus)          # runs/r1/metrics.sqlite
        ...                                              # run the extraction
    metrics_db.close()                                   # commit what is left
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from herbx.events.types import Event
from herbx.metrics.schema import DB_NAME, MetricsWriter, connect


class SQLiteMetricsConsumer:
    """Records every processed specimen, checkpoint, warning and stop in a metrics database.

    Subscribed asynchronously to every event (``emit()`` only queues it); rows are committed
    in batches of ``batch_size`` or every ``flush_interval_s`` seconds, whichever comes first,
    and at once on ``extraction.started`` and at the end of a run. The database is in WAL
    mode, so the dashboard and ``herbx metrics`` can read it while the run writes.

    Args:
        event_bus: the bus to subscribe to.
        path: database file. Default: ``metrics.sqlite`` beside the bus's ``events.jsonl``.
            A shared file across runs works too (rows are keyed by run).
        batch_size: rows per transaction at most.
        flush_interval_s: longest time a row waits in the buffer while events keep coming.
    """

    def __init__(
        self,
        event_bus: Any,
        path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 1.0,
        queue_size: int = 100_000,
    ) -> None:
        log_path = getattr(event_bus, "event_log_path", None)
        if path is None:
            if log_path is None:
                raise ValueError("give a database path: this bus writes no events.jsonl")
            path = Path(log_path).parent / DB_NAME
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.path = Path(path)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._conn = connect(self.path)
        self._writer = MetricsWriter(
            self._conn, run_dir=str(Path(log_path).parent) if log_path is not None else None
        )
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.closed = False
        self.subscription = event_bus.subscribe(
            "*", self.on_event, asynchronous=True, queue_size=queue_size,
            name="SQLiteMetricsConsumer",
        )  # fmt: skip

    def on_event(self, event: Event) -> None:
        """Buffer the rows of ``event``; commit when the batch is full or old enough."""
        with self._lock:
            if self.closed:
                return
            if self._writer.add(event):
                self._last_flush = time.monotonic()
                return
            now = time.monotonic()
            if (
                self._writer.pending >= self.batch_size
                or now - self._last_flush >= self.flush_interval_s
            ):
                self._writer.flush()
                self._last_flush = now

    def flush(self) -> None:
        """Commit buffered rows now (events still queued on the bus are not waited for)."""
        with self._lock:
            if not self.closed:
                self._writer.flush()
                self._last_flush = time.monotonic()

    @property
    def rows_written(self) -> int:
        """Rows committed so far."""
        return self._writer.rows_written

    def close(self) -> None:
        """Wait for queued events, commit them and close the database. Idempotent.

        Call it after the bus is closed (or flushed) so every event has been delivered.
        """
        self.subscription.unsubscribe()  # drains the queue on the consumer thread
        with self._lock:
            if self.closed:
                return
            self._writer.flush()
            self._conn.close()
            self.closed = True
