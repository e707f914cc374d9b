"""``herbx extract`` through the real CLI: the guide's two stories, resume, bad usage."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from extract_cli_helpers import guide_counts, jq, make_images
from typer.testing import CliRunner

from herbx_cli.app import app

needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
runner = CliRunner()


@needs_jq
def test_broken_run_stops_at_specimen_5(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 40)
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        ["extract", str(images), "-o", str(out), "--engine", "simulate", "--quiet",
         "--set", "engines.simulate.success_rate=0"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1  # one clear line: why, after how many, what to check, where
    line = lines[0]
    assert "stopped after 5 specimens" in line and "0% success" in line
    assert "check" in line and str(out / "events.jsonl") in line
    events = out / "events.jsonl"
    assert guide_counts(events) == {
        "extraction.started": 1,
        "specimen.processing": 5,
        "specimen.failed": 5,
        "validation.checkpoint": 1,
        "extraction.failed": 1,
    }
    (failed,) = jq('select(.event_type == "extraction.failed") | .data', events, "-c")
    data = orjson.loads(failed)
    assert data["reason"] == "early_validation_failed" and data["processed"] == 5
    assert data["not_reached"] == 35 and data["status"] == "stopped"
    manifest = orjson.loads((out / "run.json").read_bytes())
    assert manifest["status"] == "stopped" and manifest["counts"]["not_reached"] == 35


@needs_jq
def test_healthy_run_completes(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 25)
    out = tmp_path / "run"
    result = runner.invoke(app, ["extract", str(images), "-o", str(out), "--engine", "simulate"])
    assert result.exit_code == 0, result.output
    assert "completed" in result.stdout
    events = out / "events.jsonl"
    counts = guide_counts(events)
    assert counts["extraction.started"] == 1 and counts["extraction.completed"] == 1
    assert counts["specimen.processing"] == 25
    assert counts["specimen.completed"] + counts["specimen.failed"] == 25
    assert counts["validation.checkpoint"] == 1
    series = jq(
        'select(.event_type == "specimen.completed") | '
        "{sequence: .data.sequence, success_rate: .data.metrics.success_rate}",
        events,
        "-c",
    )
    assert len(series) == counts["specimen.completed"]
    first = orjson.loads(series[0])
    assert first["sequence"] >= 1 and 0 < first["success_rate"] <= 1
    reasons = jq('select(.event_type == "specimen.failed") | .data.reason', events, "-r")
    assert len(reasons) == counts["specimen.failed"]
    (start,) = jq('select(.event_type == "extraction.started") | .data', events, "-c")
    assert {"run_id", "total_specimens", "model"} <= set(orjson.loads(start))
    (done,) = jq('select(.event_type == "extraction.completed") | .data', events, "-c")
    assert orjson.loads(done)["total"] == 25


def test_json_summary_and_resume(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 6)
    out = tmp_path / "run"
    args = ["extract", str(images), "-o", str(out), "--engine", "simulate", "--json",
            "--set", "engines.simulate.success_rate=1.0"]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = orjson.loads(first.stdout)
    assert summary["counts"]["succeeded"] == 6 and summary["status"] == "completed"
    second = runner.invoke(app, args)
    assert orjson.loads(second.stdout)["counts"]["skipped"] == 6


def test_changed_settings_exit_2(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 3)
    out = tmp_path / "run"
    base = ["extract", str(images), "-o", str(out), "--engine", "simulate", "-q"]
    assert runner.invoke(app, base).exit_code == 0
    changed = runner.invoke(app, [*base, "--set", "engines.simulate.seed=9"])
    assert changed.exit_code == 2
    assert "--new-settings" in changed.stderr and "Traceback" not in changed.output
    assert (
        runner.invoke(app, [*base, "--set", "engines.simulate.seed=9", "--new-settings"]).exit_code
        == 0
    )


def test_bad_usage_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["extract", str(tmp_path / "nope"), "--engine", "simulate"])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["extract", str(tmp_path / "empty"), "--engine", "simulate"])
    assert empty.exit_code == 2 and "no images" in empty.stderr
    images = make_images(tmp_path / "images", 1)
    unknown = runner.invoke(
        app, ["extract", str(images), "--engine", "nosuch", "-o", str(tmp_path / "r")]
    )
    assert unknown.exit_code == 2 and "unknown engine" in unknown.stderr
    bad_setting = runner.invoke(
        app,
        [
            "extract",
            str(images),
            "--engine",
            "simulate",
            "--set",
            "engines.simulate.success_rate=7",
        ],
    )
    assert bad_setting.exit_code == 2 and "success_rate" in bad_setting.stderr


def test_default_output_under_output_root(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 2)
    root = tmp_path / "runs"
    result = runner.invoke(
        app,
        [
            "extract",
            str(images),
            "--engine",
            "simulate",
            "-q",
            "--set",
            f'run.output_root="{root}"',
        ],
    )
    assert result.exit_code == 0, result.output
    (run_dir,) = root.iterdir()
    assert run_dir.name.split("-")[1] == "simulate" and len(run_dir.name.split("-")[2]) == 4
    assert {p.name for p in run_dir.iterdir()} >= {"raw.jsonl", "events.jsonl", "run.json"}


def test_plain_progress_off_a_terminal(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 4)
    result = runner.invoke(
        app, ["extract", str(images), "--engine", "simulate", "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 0
    assert "herbx: 4/4" in result.stderr  # the final plain progress line
