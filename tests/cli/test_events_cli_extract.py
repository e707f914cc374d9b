"""The events tools on logs written by ``herbx extract`` (simulate engine, real JPEGs)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from herbx_cli.app import app

runner = CliRunner()


def _images(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(1, n + 1):
        Image.new("RGB", (48, 32), (i * 9 % 256, 50, 90)).save(folder / f"s{i:03d}.jpg", "JPEG")
    return folder


def _summary(log: Path) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["events", "summary", str(log), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_summary_and_replay_of_a_stopped_extract_run(tmp_path: Path) -> None:
    images = _images(tmp_path / "images", 12)
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "extract", str(images), "-o", str(run), "--engine", "simulate",
            "--set", "engines.simulate.success_rate=0",
        ],
    )  # fmt: skip
    assert res.exit_code == 3, res.output
    s = _summary(run / "events.jsonl")
    assert s["status"] == "stopped" and s["reason"] == "early_validation_failed"
    assert (s["processed"], s["succeeded"], s["not_reached"]) == (5, 0, 7)
    assert s["identity"]["engine"] == "simulate" and len(s["identity"]["config_hash"]) == 64
    assert s["counts"]["specimen.failed"] == 5
    assert sum(r["count"] for r in s["failure_reasons"]) == 5
    # would a checkpoint at 3 have stopped it sooner?
    res = runner.invoke(
        app, ["events", "replay", str(run / "events.jsonl"), "--early-checkpoint", "3", "--json"]
    )
    assert res.exit_code == 0, res.output
    (d,) = json.loads(res.stdout)["decisions"]
    assert (d["reason"], d["processed"], d["saved_specimens"]) == ("early_validation_failed", 3, 2)


def test_summary_of_a_completed_then_resumed_extract_run(tmp_path: Path) -> None:
    images = _images(tmp_path / "images", 8)
    run = tmp_path / "run"
    args = ["extract", str(images), "-o", str(run), "--engine", "simulate"]
    args += ["--set", "engines.simulate.success_rate=1"]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0  # resume: everything already succeeded
    s = _summary(run / "events.jsonl")
    assert [g["status"] for g in s["segments"]] == ["completed", "completed"]
    assert s["segments"][1]["skipped"] == 8 and s["segments"][1]["processed"] == 0
    assert (s["succeeded"], s["failed"], s["skipped"], s["not_reached"]) == (8, 0, 8, 0)
    assert s["seq_gaps"] == [] and s["torn_tail"] is False
