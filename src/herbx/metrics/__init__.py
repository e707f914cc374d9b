"""Run metrics kept in SQLite, read back across runs, and exported for Prometheus.

- :mod:`herbx.metrics.schema`: the database schema and the event-to-row writer;
- :mod:`herbx.metrics.history`: open a database, a run directory or a log; run summaries;
- :mod:`herbx.metrics.collect`: summaries of many run directories, re-read only on change;
- :mod:`herbx.metrics.prometheus`: the Prometheus text exposition format.

The live consumer is :class:`herbx.events.consumers.sqlite_metrics.SQLiteMetricsConsumer`.
"""

from herbx.metrics.history import (
    RunSummary,
    ingest_log,
    open_source,
    read_history,
    run_summaries,
)
from herbx.metrics.prometheus import render_prometheus
from herbx.metrics.schema import DB_NAME, MetricsDBError, connect

__all__ = [
    "DB_NAME",
    "MetricsDBError",
    "RunSummary",
    "connect",
    "ingest_log",
    "open_source",
    "read_history",
    "render_prometheus",
    "run_summaries",
]
