"""Cost of one scrape of the dashboard's /metrics as finished runs pile up.

Usage: python benchmarks/metrics_scrape_bench.py [RUNS] [SPECIMENS]   (default 200 x 500)

Writes RUNS simulated runs of SPECIMENS specimens each (through the real bus, with the
validator) into a temporary folder, records each run's metrics.sqlite from its log, then
times rendering the Prometheus text for the whole folder:

- every log read again (what /metrics did before it used the databases);
- the dashboard's reader, first scrape (each metrics.sqlite opened once);
- the dashboard's reader, later scrapes (nothing changed: one stat() per file);
- the same folder without databases, later scrapes (logs read once, then cached).
"""

from __future__ import annotations

import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from herbx.dashboard.app import Dashboard
from herbx.dashboard.runs import discover_runs
from herbx.demo import demo_run
from herbx.metrics import DB_NAME, connect, ingest_log
from herbx.metrics.prometheus import render_prometheus
from herbx.metrics.schema import memory_db


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _every_log(root: Path) -> str:
    conn = memory_db()
    try:
        for run_dir in discover_runs(root):
            ingest_log(conn, run_dir / "events.jsonl")
        return render_prometheus(conn)
    finally:
        conn.close()


def main(runs: int, specimens: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with_db, logs_only = Path(tmp) / "with-db", Path(tmp) / "logs-only"
        rng = random.Random(7)
        t0 = time.perf_counter()
        for i in range(runs):
            outcomes = [rng.random() < 0.9 for _ in range(specimens)]
            log = with_db / f"run-{i:04d}" / "events.jsonl"
            demo_run(log, run_id=f"run-{i:04d}", outcomes=outcomes, rng=random.Random(i))
            conn = connect(log.parent / DB_NAME)
            ingest_log(conn, log)
            conn.close()
        shutil.copytree(with_db, logs_only, ignore=shutil.ignore_patterns(DB_NAME))
        made = time.perf_counter() - t0

        old = _median_s(lambda: _every_log(with_db), 3)
        dash = Dashboard(with_db)
        t0 = time.perf_counter()
        first_text = dash.prometheus()
        first = time.perf_counter() - t0
        warm = _median_s(dash.prometheus, 7)
        logs_dash = Dashboard(logs_only)
        logs_first_text = logs_dash.prometheus()
        logs_warm = _median_s(logs_dash.prometheus, 7)
        assert first_text == logs_first_text == _every_log(logs_only)

    print(f"python {platform.python_version()}, {platform.machine()}, {runs} runs x "
          f"{specimens} specimens (made in {made:.1f}s)")  # fmt: skip
    print(f"every log read again (before):      {old * 1000:8.1f} ms per scrape")
    print(f"metrics.sqlite, first scrape:       {first * 1000:8.1f} ms")
    print(f"metrics.sqlite, later scrapes:      {warm * 1000:8.1f} ms")
    print(f"logs only, later scrapes (cached):  {logs_warm * 1000:8.1f} ms")
    print("all four texts are identical")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [200, 500][len(args) :]))
