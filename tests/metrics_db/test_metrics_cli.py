"""``herbx metrics`` through Typer's CliRunner, and the Prometheus text through a real parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from herbx_cli.app import app

runner = CliRunner()


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_export_prometheus_for_a_folder_of_runs(tmp_path: Path, make_run: Any) -> None:
    make_run("healthy", [True] * 9 + [False])
    make_run("broken", [False] * 10)
    result = runner.invoke(app, ["metrics", "export", "--prometheus", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    families = _families(result.stdout)
    specimens = {
        (s.labels["run_id"], s.labels["outcome"]): s.value
        for s in families["herbx_specimens"].samples
    }
    assert specimens[("healthy", "completed")] == 9
    assert specimens[("healthy", "failed")] == 1
    assert specimens[("broken", "failed")] == 5
    info = {s.labels["run_id"]: s.labels["status"] for s in families["herbx_run_info"].samples}
    assert info == {"healthy": "completed", "broken": "stopped"}
    ratio = {s.labels["run_id"]: s.value for s in families["herbx_run_success_ratio"].samples}
    assert ratio == {"healthy": 0.9, "broken": 0.0}
    failures = families["herbx_specimen_failures"].samples
    assert {(s.labels["run_id"], s.labels["reason"], s.value) for s in failures} == {
        ("healthy", "empty_record", 1.0),
        ("broken", "empty_record", 5.0),
    }
    assert families["herbx_run_info"].type == "gauge"
    assert families["herbx_specimens"].type == "counter"


def test_export_json_and_history_from_a_shared_db(tmp_path: Path, make_run: Any) -> None:
    make_run("a", [True, False, True, True])
    db = tmp_path / "shared.sqlite"
    ingest = runner.invoke(app, ["metrics", "ingest", str(tmp_path / "runs"), "--db", str(db)])
    assert ingest.exit_code == 0, ingest.output
    assert "events" in ingest.stdout
    exported = runner.invoke(app, ["metrics", "export", "--json", str(db)])
    assert exported.exit_code == 0, exported.output
    (run,) = json.loads(exported.stdout)
    assert (run["run_id"], run["processed"], run["successful"]) == ("a", 4, 3)
    assert run["success_rate"] == 0.75
    hist = runner.invoke(app, ["metrics", "history", str(db)])
    assert hist.exit_code == 0
    assert "a" in hist.stdout and "completed" in hist.stdout and "75.0%" in hist.stdout


def test_export_to_file_matches_label_escaping(tmp_path: Path, make_run: Any) -> None:
    make_run('odd "name"\\x', [True])
    target = tmp_path / "out.prom"
    result = runner.invoke(
        app, ["metrics", "export", "--prometheus", str(tmp_path / "runs"), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    families = _families(target.read_text())
    (sample,) = families["herbx_run_info"].samples
    assert sample.labels["run_id"] == 'odd "name"\\x'


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["metrics", "export", "--prometheus", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"herbx: error: {tmp_path / 'nope'}: no such file or folder"
    both = runner.invoke(app, ["metrics", "export", str(tmp_path)])
    assert both.exit_code == 2
    assert "choose one format" in both.stderr
