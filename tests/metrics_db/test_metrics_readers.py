"""Reading metrics databases written by real ``herbx extract`` runs: read-only (no file is
ever created beside a database), the dashboard's history view and /metrics, and
``herbx events summary --history``."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from real_runs import make_images, real_run
from starlette.testclient import TestClient
from typer.testing import CliRunner

from herbx.dashboard.app import create_app
from herbx.extraction import RunResult
from herbx.metrics import DB_NAME, connect, read_history
from herbx.metrics.collect import RunSummaryCache
from herbx.metrics.schema import readonly_uri
from herbx_cli.app import app as cli_app

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def _tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: size, mtime and content hash."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, RunResult]]:
    """Three real runs under one folder: all good, stopped by validation, mixed."""
    base = tmp_path_factory.mktemp("readers")
    images = make_images(base / "images", 8)
    root = base / "runs"
    results = {
        "a-good": real_run(root / "a-good", images, success_rate=1.0),
        "b-broken": real_run(root / "b-broken", images, success_rate=0.0),
        "c-mixed": real_run(root / "c-mixed", images, success_rate=0.8, seed=4),
    }
    return root, results


def test_runs_are_real_and_recorded(runs: tuple[Path, dict[str, RunResult]]) -> None:
    root, results = runs
    assert results["a-good"].status == "completed"
    assert results["b-broken"].status == "stopped"
    for name in results:
        assert (root / name / DB_NAME).is_file()
        assert not (root / name / f"{DB_NAME}-wal").exists()  # the writer closed cleanly


def test_readers_create_no_file_beside_a_database(
    runs: tuple[Path, dict[str, RunResult]], tmp_path: Path
) -> None:
    root, _ = runs
    run_dir = tmp_path / "run"
    shutil.copytree(root / "a-good", run_dir)
    db = run_dir / DB_NAME
    before = _tree(run_dir)
    for args in (
        ["metrics", "export", "--prometheus", str(db)],
        ["metrics", "export", "--json", str(run_dir)],
        ["metrics", "history", str(tmp_path)],
        ["events", "summary", "--history", str(db)],
    ):
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, (args, result.output)
    assert _tree(run_dir) == before
    assert readonly_uri(db).endswith("?mode=ro&immutable=1")  # no writer: main file only

    # a writer has the database open: its -wal and -shm exist, and the reader must see the
    # rows committed to the WAL (so it cannot be immutable), still creating nothing
    writer = connect(db)
    writer.execute("INSERT INTO runs (run_id, status) VALUES ('live-one', 'running')")
    writer.commit()
    with_writer = sorted(p.name for p in run_dir.iterdir())
    assert f"{DB_NAME}-wal" in with_writer and f"{DB_NAME}-shm" in with_writer
    assert readonly_uri(db).endswith("?mode=ro")
    assert "live-one" in [r.run_id for r in read_history(db)]
    assert sorted(p.name for p in run_dir.iterdir()) == with_writer
    writer.close()
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(before)


def test_metrics_scrape_is_the_same_from_databases_and_logs(
    runs: tuple[Path, dict[str, RunResult]], tmp_path: Path
) -> None:
    root, results = runs
    logs_only = tmp_path / "logs-only"
    shutil.copytree(root, logs_only, ignore=shutil.ignore_patterns(DB_NAME))
    from_db = TestClient(create_app(root)).get("/metrics")
    from_logs = TestClient(create_app(logs_only)).get("/metrics")
    assert from_db.status_code == from_logs.status_code == 200
    assert from_db.text == from_logs.text
    families = {f.name: f for f in text_string_to_metric_families(from_db.text)}
    counts = {
        (s.labels["run_id"], s.labels["outcome"]): s.value
        for s in families["herbx_specimens"].samples
    }
    for name, result in results.items():
        assert counts[(name, "completed")] == result.counts["succeeded"]
        assert counts[(name, "failed")] == result.counts["failed"]

    cache = RunSummaryCache()
    first = cache.summaries(root / "c-mixed")
    assert cache.source_of(root / "c-mixed") == DB_NAME
    assert cache.summaries(root / "c-mixed") is first  # unchanged files: nothing re-read
    cache.summaries(logs_only / "c-mixed")
    assert cache.source_of(logs_only / "c-mixed") == "events.jsonl"
    # a run whose log grew is read again
    log = logs_only / "c-mixed" / "events.jsonl"
    again = cache.summaries(logs_only / "c-mixed")
    log.write_bytes(log.read_bytes() + b"\n")
    assert cache.summaries(logs_only / "c-mixed") is not again


def test_history_endpoint_from_run_directories(
    runs: tuple[Path, dict[str, RunResult]],
) -> None:
    root, results = runs
    before = _tree(root)
    client = TestClient(create_app(root))
    body = client.get("/api/history").json()
    assert body["source"] == "run directories"
    assert [r["run_id"] for r in body["runs"]] == ["a-good", "b-broken", "c-mixed"]
    for item in body["runs"]:
        result = results[item["run_id"]]
        assert item["path"] == item["run_id"]
        assert item["status"] == result.status
        assert (item["successful"], item["failed"]) == (
            result.counts["succeeded"],
            result.counts["failed"],
        )
        assert item["processed"] == item["successful"] + item["failed"]
        assert item["success_rate"] == pytest.approx(item["successful"] / item["processed"])
        assert item["engine"] == "simulate" and item["total_specimens"] == 8
        assert item["duration_s"] is not None
    assert client.get("/api/history", params={"limit": "1"}).json()["runs"][0]["run_id"] == (
        "c-mixed"
    )
    assert client.get("/api/history", params={"limit": "x"}).status_code == 400
    client.get("/metrics")
    assert _tree(root) == before


def test_history_endpoint_from_a_shared_database(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 6)
    root, shared = tmp_path / "runs", tmp_path / "shared.sqlite"
    results = {
        name: real_run(root / name, images, success_rate=rate, shared_db=shared)
        for name, rate in (("x", 1.0), ("y", 0.0))
    }
    assert not any(root.rglob(DB_NAME))
    before = _tree(tmp_path)
    client = TestClient(create_app(root, db=shared))
    body = client.get("/api/history").json()
    assert body["source"] == str(shared.resolve())
    got = {r["run_id"]: (r["status"], r["successful"], r["failed"], r["path"])
           for r in body["runs"]}  # fmt: skip
    assert got == {
        name: (r.status, r.counts["succeeded"], r.counts["failed"], name)
        for name, r in results.items()
    }
    # /metrics still answers: these run directories have only their logs
    assert "herbx_run_info" in client.get("/metrics").text
    assert _tree(tmp_path) == before

    missing = TestClient(create_app(root, db=tmp_path / "none.sqlite")).get("/api/history")
    assert missing.status_code == 200
    assert missing.json()["runs"] == [] and "none.sqlite" in missing.json()["note"]
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database" * 100)
    bad = TestClient(create_app(root, db=junk)).get("/api/history")
    assert bad.status_code == 503 and "junk.sqlite" in bad.json()["error"]


def test_dashboard_cli_refuses_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    result = runner.invoke(cli_app, ["dashboard", str(tmp_path), "--db", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"herbx: error: --db {missing}: no such metrics database"


def test_events_summary_history(runs: tuple[Path, dict[str, RunResult]]) -> None:
    root, results = runs
    table = runner.invoke(cli_app, ["events", "summary", "--history", str(root)], env=WIDE)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == f"runs in {root}"
    rows = {line.split()[2]: line.split() for line in lines if line.startswith("20")}
    assert set(rows) == set(results)
    for name, result in results.items():
        row = rows[name]
        assert row[3] == result.status
        assert row[4] == f"{result.counts['succeeded'] + result.counts['failed']}/8"
        assert (int(row[5]), int(row[6])) == (result.counts["succeeded"], result.counts["failed"])
        assert row[-1] == "simulate"

    as_json = runner.invoke(cli_app, ["events", "summary", "--history", str(root), "--json"])
    assert as_json.exit_code == 0, as_json.output
    history: list[dict[str, Any]] = json.loads(as_json.stdout)
    exported = runner.invoke(cli_app, ["metrics", "export", "--json", str(root)])
    assert history == json.loads(exported.stdout)
    assert [r["run_id"] for r in history] == ["a-good", "b-broken", "c-mixed"]

    log = root / "b-broken" / "events.jsonl"
    both = runner.invoke(cli_app, ["events", "summary", str(log), "--history", str(root), "--json"])
    assert both.exit_code == 0, both.output
    combined = json.loads(both.stdout)
    assert combined["summary"]["path"] == str(log)
    assert combined["summary"]["status"] == "stopped"
    assert combined["history"] == history
    text = runner.invoke(cli_app, ["events", "summary", str(log), "--history", str(root)], env=WIDE)
    assert text.exit_code == 0 and f"runs in {root}" in text.stdout


def test_events_summary_history_bad_input(tmp_path: Path) -> None:
    nothing = runner.invoke(cli_app, ["events", "summary"])
    assert nothing.exit_code == 2
    assert nothing.stderr.strip() == "herbx: error: give one or more LOG files, or --history SOURCE"
    missing = runner.invoke(cli_app, ["events", "summary", "--history", str(tmp_path / "no")])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        f"herbx: error: --history {tmp_path / 'no'}: no such file or folder"
    )


def test_history_and_metrics_follow_a_live_run(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 30)
    root = tmp_path / "runs"
    root.mkdir()
    client = TestClient(create_app(root))
    done: dict[str, RunResult] = {}
    overrides: dict[str, Any] = {
        "run": {"engine": "simulate", "workers": 1},
        "engines": {"simulate": {"success_rate": 1.0, "latency_ms": 40.0}},
        "metrics_db": {"enabled": True, "path": "", "flush_interval_s": 0.05},
        "notify": {"urls": []},
    }

    def run() -> None:
        from herbx.extraction import run_extraction

        done["r"] = run_extraction(images, root / "live", overrides=overrides)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    seen_live: list[tuple[str, int]] = []
    deadline = time.monotonic() + 20
    while thread.is_alive() and time.monotonic() < deadline:
        if (root / "live" / f"{DB_NAME}-wal").exists():
            runs_now = client.get("/api/history").json()["runs"]
            if runs_now and runs_now[0]["status"] == "running":
                seen_live.append(("history", runs_now[0]["processed"]))
            if 'status="running"' in client.get("/metrics").text:
                seen_live.append(("metrics", 0))
        time.sleep(0.05)
    thread.join(20)
    assert done["r"].status == "completed"
    # read while the run was writing (mode=ro through its -wal), and the count grew
    live_counts = [n for kind, n in seen_live if kind == "history"]
    assert live_counts and max(live_counts) > min(live_counts)
    assert ("metrics", 0) in seen_live
    (final,) = client.get("/api/history").json()["runs"]
    assert (final["status"], final["processed"]) == ("completed", 30)


def test_dashboard_reads_the_shared_path_from_the_config(tmp_path: Path) -> None:
    """A real ``herbx dashboard`` process takes [metrics_db] path as its history source."""
    images = make_images(tmp_path / "images", 6)
    root, shared = tmp_path / "runs", tmp_path / "shared.sqlite"
    real_run(root / "z", images, shared_db=shared)
    config = tmp_path / "herbx.toml"
    config.write_text(f'[metrics_db]\npath = "{shared.as_posix()}"\n', encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    herbx = Path(sys.executable).with_name("herbx")
    proc = subprocess.Popen(
        [str(herbx), "dashboard", str(root), "--port", str(port), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        deadline = time.monotonic() + 20
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/history") as r:
                    body = json.loads(r.read())
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.1)
        assert body is not None, "the dashboard did not answer"
        assert body["source"] == str(shared.resolve())
        assert [(r["run_id"], r["status"], r["path"]) for r in body["runs"]] == [
            ("z", "completed", "z")
        ]
    finally:
        proc.terminate()
        proc.wait(10)
