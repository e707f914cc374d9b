"""SQLiteMetricsConsumer and the history readers on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from herbx.events import EarlyValidationError, HybridEventBus, ValidationConsumer
from herbx.events.consumers.sqlite_metrics import SQLiteMetricsConsumer
from herbx.metrics import MetricsDBError, connect, ingest_log, open_source, run_summaries
from herbx.metrics.history import success_series


def _emit_specimen(bus: HybridEventBus, n: int, ok: bool) -> None:
    data: dict[str, Any] = {
        "specimen_id": f"S{n:04d}",
        "sequence": n,
        "image": f"img/S{n:04d}.jpg",
        "timings": {"total_ms": 100.0 + n, "engine_ms": 90.0},
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.001},
    }
    if ok:
        data["result"] = {"dwc": {"scientificName": "Poa alpina", "country": "Norway", "x": ""}}
    else:
        data.update(reason="no_scientific_name" if n % 2 else "bad_image", result={"dwc": {}})
    bus.emit("specimen.completed" if ok else "specimen.failed", data)


def test_consumer_writes_specimens_checkpoints_and_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "r1"
    bus = HybridEventBus(run_dir / "events.jsonl")
    ValidationConsumer(bus, warning_interval=10)
    consumer = SQLiteMetricsConsumer(bus, batch_size=7)
    bus.emit("extraction.started", {"run_id": "r1", "total_specimens": 30, "engine": "simulate",
                                    "model": "sim-1"})  # fmt: skip
    for n in range(1, 21):
        _emit_specimen(bus, n, ok=n % 4 != 0)
    bus.emit("extraction.completed", {"run_id": "r1", "total": 30, "total_processed": 20,
                                      "duration_s": 12.5, "status": "completed"})  # fmt: skip
    bus.close()
    consumer.close()

    db = run_dir / "metrics.sqlite"
    assert db.is_file()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"specimens_by_outcome", "specimens_by_time", "checkpoints_by_kind"} <= indexes
    rows = conn.execute(
        "SELECT specimen_id, status, reason, image, total_ms, terms_filled FROM specimens"
        " WHERE run_id = 'r1' ORDER BY seq"
    ).fetchall()
    assert len(rows) == 20
    assert rows[0] == ("S0001", "completed", None, "img/S0001.jpg", 101.0, 2)
    assert rows[3] == ("S0004", "failed", "bad_image", "img/S0004.jpg", 104.0, 0)
    kinds = [r[0] for r in conn.execute("SELECT kind FROM checkpoints ORDER BY seq")]
    assert kinds[0] == "checkpoint"
    conn.close()

    with open_source(db) as ro:
        (run,) = run_summaries(ro)
    assert (run.run_id, run.status, run.engine, run.model) == ("r1", "completed", "simulate",
                                                               "sim-1")  # fmt: skip
    assert (run.processed, run.successful, run.failed) == (20, 15, 5)
    assert run.failure_reasons == {"bad_image": 5}
    assert run.total_specimens == 30 and run.duration_s == 12.5
    assert run.prompt_tokens == 200 and run.completion_tokens == 100
    assert run.cost_usd == pytest.approx(0.02)
    assert run.run_dir == str(run_dir)


def test_validation_stop_is_recorded(tmp_path: Path) -> None:
    bus = HybridEventBus(tmp_path / "r2" / "events.jsonl")
    ValidationConsumer(bus)
    consumer = SQLiteMetricsConsumer(bus)
    bus.emit("extraction.started", {"run_id": "r2", "total_specimens": 50})
    with pytest.raises(EarlyValidationError):
        for n in range(1, 51):
            _emit_specimen(bus, n, ok=False)
    bus.close()
    consumer.close()
    with open_source(tmp_path / "r2" / "metrics.sqlite") as conn:
        (run,) = run_summaries(conn)
        stop = conn.execute("SELECT processed, reason FROM checkpoints WHERE kind = 'stop'")
        assert stop.fetchall() == [(5, "early_validation_failed")]
    assert (run.status, run.stop_reason, run.processed) == ("stopped", "early_validation_failed",
                                                            5)  # fmt: skip


def test_shared_database_across_runs_and_ingest_is_idempotent(
    tmp_path: Path, make_run: Any
) -> None:
    logs = [make_run("healthy", [True] * 9 + [False]), make_run("broken", [False] * 10)]
    shared = tmp_path / "all.sqlite"
    conn = connect(shared)
    for log in logs:
        assert ingest_log(conn, log) > 0
    ingest_log(conn, logs[0])  # again: nothing is counted twice
    runs = {r.run_id: r for r in run_summaries(conn)}
    conn.close()
    assert set(runs) == {"healthy", "broken"}
    assert (runs["healthy"].processed, runs["healthy"].successful) == (10, 9)
    assert runs["healthy"].status == "completed"
    assert runs["broken"].status == "stopped" and runs["broken"].processed == 5
    assert runs["broken"].failure_reasons == {"empty_record": 5}


def test_live_consumer_into_shared_file(tmp_path: Path) -> None:
    shared = tmp_path / "shared.sqlite"
    for rid in ("a", "b"):
        bus = HybridEventBus(tmp_path / rid / "events.jsonl")
        consumer = SQLiteMetricsConsumer(bus, shared)
        bus.emit("extraction.started", {"run_id": rid, "total_specimens": 3})
        for n in (1, 2, 3):
            _emit_specimen(bus, n, ok=True)
        bus.close()
        consumer.close()
    with open_source(shared) as conn:
        runs = run_summaries(conn)
    assert [(r.run_id, r.processed, r.status) for r in runs] == [
        ("a", 3, "running"),
        ("b", 3, "running"),
    ]


def test_folder_of_runs_and_success_series(tmp_path: Path, make_run: Any) -> None:
    make_run("one", [True, True, False, True] * 5)
    make_run("two", [True] * 8)
    with open_source(tmp_path / "runs") as conn:
        assert [r.run_id for r in run_summaries(conn)] == ["one", "two"]
        series = success_series(conn, "one", window=4, points=5)
    assert series[-1]["processed"] == 20
    assert series[-1]["success_rate"] == pytest.approx(0.75)
    assert series[-1]["rolling_success_rate"] == pytest.approx(0.75)
    assert series[0]["processed"] == 4 and len(series) == 5


def test_bad_sources_name_the_path(tmp_path: Path) -> None:
    with (
        pytest.raises(MetricsDBError, match="no such file or folder"),
        open_source(tmp_path / "missing"),
    ):
        pass
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(MetricsDBError, match=r"junk\.sqlite"), open_source(junk):
        pass
    (tmp_path / "empty").mkdir()
    with (
        pytest.raises(MetricsDBError, match=r"no metrics\.sqlite and no events\.jsonl"),
        open_source(tmp_path / "empty"),
    ):
        pass
