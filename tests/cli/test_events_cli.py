"""``herbx events summary | replay | tail`` through the real app: numbers and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from herbx.analysis.synthetic import write_run_log
from herbx.demo import run_demo
from herbx.events import EventLog, HybridEventBus
from herbx_cli.app import app

runner = CliRunner()


def test_summary_json_numbers_of_the_demo(tmp_path: Path) -> None:
    run_demo(tmp_path)
    res = runner.invoke(app, ["events", "summary", str(tmp_path / "events.jsonl"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "completed"
    assert (data["succeeded"], data["failed"], data["processed"]) == (23, 2, 25)
    assert data["success_rate"] == 0.92
    assert data["counts"]["specimen.processing"] == 25
    assert data["identity"]["run_id"] == "demo_run_001"


def test_summary_table_names_status_reason_and_counts(tmp_path: Path) -> None:
    run_demo(tmp_path)
    res = runner.invoke(
        app,
        ["events", "summary", str(tmp_path / "broken" / "events.jsonl")],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "stopped" in out and "20% success rate after 5 specimens" in out
    assert "specimen.failed" in out and "empty_record" in out
    assert "checkpoint FAILED" in out


def test_summary_of_several_logs_is_a_comparison(tmp_path: Path) -> None:
    run_demo(tmp_path)
    logs = [str(tmp_path / "events.jsonl"), str(tmp_path / "broken" / "events.jsonl")]
    res = runner.invoke(app, ["events", "summary", *logs])
    assert res.exit_code == 0, res.output
    assert "runs compared" in res.stdout
    assert "#1 " in res.stdout and "#2 " in res.stdout and "early_validation_failed" in res.stdout
    res = runner.invoke(app, ["events", "summary", *logs, "--json"])
    assert [d["status"] for d in json.loads(res.stdout)] == ["completed", "stopped"]


def test_corrupt_middle_line_exit_2_unless_lenient(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 6)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[4] = b"garbage\n"
    log.write_bytes(b"".join(lines))
    res = runner.invoke(app, ["events", "summary", str(log)])
    assert res.exit_code == 2
    assert f"{log}:5: not valid JSON" in res.stderr
    assert "Traceback" not in res.output + res.stderr
    res = runner.invoke(app, ["events", "summary", str(log), "--lenient", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["skipped_lines"] == [[5, "not valid JSON"]]


def test_torn_tail_is_a_note_not_an_error(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 3, ending="crash", interrupt_after=2)
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"seq":6,')
    res = runner.invoke(app, ["events", "summary", str(log)])
    assert res.exit_code == 0, res.output
    assert "line 6 is an unfinished last line" in res.stdout


def test_replay_says_where_settings_stop(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 40 + ["empty_record"] * 20, validate=False)
    res = runner.invoke(
        app, ["events", "replay", str(log), "--max-consecutive-failures", "3", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["would_stop"] is True
    d = data["decisions"][0]
    assert (d["reason"], d["processed"], d["saved_specimens"]) == ("consecutive_failures", 43, 17)
    res = runner.invoke(
        app,
        ["events", "replay", str(log), "--max-consecutive-failures", "3"],
        env={"COLUMNS": "200"},
    )
    assert "would stop at specimen 43" in res.stdout


def test_replay_bad_settings_exit_2(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 3)
    res = runner.invoke(app, ["events", "replay", str(log), "--p0", "0.1", "--p1", "0.5"])
    assert res.exit_code == 2 and "p1 < p0" in res.stderr
    res = runner.invoke(app, ["events", "replay", str(log), "--live", "--speed", "fast"])
    assert res.exit_code == 2 and "--speed 'fast'" in res.stderr
    res = runner.invoke(app, ["events", "replay", str(log), "--type", "specimen.failed"])
    assert res.exit_code == 2 and "add --to FILE" in res.stderr


def test_replay_live_renders_and_answers(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 6, seconds_per_specimen=0.05)
    res = runner.invoke(app, ["events", "replay", str(log), "--live", "--speed", "1000x"])
    assert res.exit_code == 0, res.output
    assert "replay x1e+03" in res.stdout or "replay x1000" in res.stdout
    assert "would not stop" in res.stdout


def test_replay_to_writes_a_filtered_valid_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok", "timeout"] * 4, validate=False)
    dest = tmp_path / "failed.jsonl"
    args = ["events", "replay", str(log), "--to", str(dest), "--type", "specimen.failed"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "wrote 4 of 18 events" in res.stdout
    assert [e.seq for e in EventLog(dest)] == [1, 2, 3, 4]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "already exists" in res.stderr


def test_tail_raw_follows_a_writer_from_a_subprocess(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"

    def writer() -> None:
        time.sleep(0.3)
        with HybridEventBus(log) as bus:
            bus.emit("extraction.started", {"run_id": "t", "total_specimens": 3})
            for i in range(3):
                time.sleep(0.05)
                bus.emit("specimen.completed", {"specimen_id": f"s{i}", "sequence": i + 1})
            bus.emit("extraction.completed", {"run_id": "t", "status": "completed"})

    t = threading.Thread(target=writer)
    t.start()
    herbx = str(Path(sys.executable).with_name("herbx"))
    proc = subprocess.run(
        [herbx, "events", "tail", str(log), "--raw", "--poll", "0.02", "--timeout", "20"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    t.join()
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["event_type"] for x in lines] == [
        "extraction.started",
        *["specimen.completed"] * 3,
        "extraction.completed",
    ]


def test_tail_panel_off_a_terminal_prints_progress_lines(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_run_log(log, ["ok"] * 4 + ["timeout"])
    res = runner.invoke(app, ["events", "tail", str(log), "--timeout", "5"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == (
        "completed: 5 processed (4 ok, 1 failed, 0 skipped), success 80.0%"
    )


def test_tail_gives_up_after_timeout_with_exit_1(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["events", "tail", str(tmp_path / "never.jsonl"), "--timeout", "0.1", "--poll", "0.02"]
    )
    assert res.exit_code == 1
    assert "did not end within" in res.stderr
