"""`herbx extract --notify` and the metrics database, wired through the real command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from herbx_cli.app import app


def make_images(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (64, 48), (i * 20 % 256, 90, 160)).save(folder / f"sheet_{i:03d}.jpg")
    return folder


def test_broken_run_notifies_and_records_metrics(tmp_path: Path, inbox) -> None:  # type: ignore[no-untyped-def]
    box, port = inbox
    url = f"json://127.0.0.1:{port}/hook?secret_token=abc123"
    images = make_images(tmp_path / "images", 12)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "extract",
            str(images),
            "-o",
            str(out),
            "--engine",
            "simulate",
            "--quiet",
            "--set",
            "engines.simulate.success_rate=0",
            "--notify",
            url,
        ],
    )
    assert result.exit_code == 3, result.output
    posts = box.wait_for(1)
    assert any("stopped" in (p.get("title", "") + p.get("message", "")).lower() for p in posts), (
        posts
    )
    body = " ".join(p.get("message", "") for p in posts)
    assert str(out.name) in body and "5" in body
    # the URL's secret never reaches the run directory or the screen
    for name in ("run.json", "events.jsonl", "raw.jsonl"):
        assert "abc123" not in (out / name).read_text(encoding="utf-8"), name
    assert "abc123" not in result.output
    # metrics.sqlite holds the run, every processed specimen and the checkpoint
    with sqlite3.connect(out / "metrics.sqlite") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        assert tables, "metrics database is empty"
        spec_table = next(t for t in tables if "specimen" in t)
        assert db.execute(f"select count(*) from {spec_table}").fetchone()[0] == 5


def test_bad_notify_url_is_exit_2_without_showing_it(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 2)
    result = CliRunner().invoke(
        app,
        [
            "extract",
            str(images),
            "-o",
            str(tmp_path / "r"),
            "--engine",
            "simulate",
            "--notify",
            "nosuchscheme://user:hunter2@example.org/x",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "hunter2" not in result.output
    assert "notification URL" in result.output
    assert not (tmp_path / "r").exists(), "nothing was started"


def test_metrics_db_can_be_switched_off(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 3)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "extract",
            str(images),
            "-o",
            str(out),
            "--engine",
            "simulate",
            "--quiet",
            "--set",
            "metrics_db.enabled=false",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not (out / "metrics.sqlite").exists()
