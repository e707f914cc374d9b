"""herbx demo: the guide's demonstration with real logs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from herbx.demo import run_demo
from herbx.events import read_events
from herbx_cli.app import app


def test_run_demo_healthy_and_broken(tmp_path: Path) -> None:
    healthy, broken = run_demo(tmp_path, seed=3)
    assert healthy.stopped_at is None and healthy.processed == 25
    assert healthy.successful == 23 and round(healthy.success_rate, 2) == 0.92
    assert broken.stopped_at == 5 and broken.successful == 1
    first = read_events(tmp_path / "events.jsonl")[0]
    assert first.event_type == "extraction.started"
    assert first.data["run_id"] == "demo_run_001"
    assert first.data["total_specimens"] == 25 and first.data["model"] == "demo-model"
    counts = Counter(e.event_type for e in read_events(tmp_path / "broken" / "events.jsonl"))
    assert counts == {
        "extraction.started": 1,
        "specimen.processing": 5,
        "specimen.completed": 1,
        "specimen.failed": 4,
        "validation.checkpoint": 1,
        "extraction.failed": 1,
    }


def test_demo_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "Processing specimen 5/25..." in result.output
    assert "demo_run_002: stopped after 5 specimens (20% success)" in result.output
    assert (tmp_path / "d" / "broken" / "events.jsonl").exists()


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.startswith("herbx ")
    assert "Exit codes" in runner.invoke(app, ["--help"]).output
