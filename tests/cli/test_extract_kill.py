"""A real ``herbx extract`` process killed mid-run: resume finishes the job, nothing rewritten."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from extract_cli_helpers import make_images

from herbx.events import read_events

HERBX = str(Path(sys.executable).parent / "herbx")


def start(images: Path, out: Path, latency_ms: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HERBX, "extract", str(images), "-o", str(out), "--engine", "simulate", "-q",
         "--set", f"engines.simulate.latency_ms={latency_ms}",
         "--set", "engines.simulate.success_rate=1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {n} lines")


def test_sigkill_then_resume_ends_with_one_success_per_image(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 30)
    out = tmp_path / "run"
    proc = start(images, out, latency_ms=40)
    wait_for_lines(out / "raw.jsonl", 6, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    before = (out / "raw.jsonl").read_bytes()
    assert before  # some results survived the kill

    done = subprocess.run(
        [HERBX, "extract", str(images), "-o", str(out), "--engine", "simulate", "-q",
         "--set", "engines.simulate.latency_ms=40", "--set", "engines.simulate.success_rate=1.0"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = (out / "raw.jsonl").read_bytes()
    assert after.startswith(before)  # no earlier byte changed
    records = [orjson.loads(line) for line in after.splitlines() if line.strip().startswith(b"{")]
    per_image = Counter(r["sha256"] for r in records if r["status"] == "succeeded")
    assert len(per_image) == 30 and set(per_image.values()) == {1}
    events = read_events(out / "events.jsonl")
    starts = [e.data for e in events if e.event_type == "extraction.started"]
    assert [s["resumed"] for s in starts] == [False, True]
    assert events[-1].event_type == "extraction.completed"
    assert orjson.loads((out / "run.json").read_bytes())["status"] == "completed"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_are_an_interrupt_exit_130(sig: signal.Signals, tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 30)
    out = tmp_path / "run"
    proc = start(images, out, latency_ms=40)
    wait_for_lines(out / "raw.jsonl", 3, proc)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert b"resume" in err
    events = read_events(out / "events.jsonl")
    end = events[-1]
    assert end.event_type == "extraction.interrupted"
    c = end.data
    assert c["successful"] + c["failed"] + c["skipped"] + c["not_reached"] == c["total"] == 30
    assert orjson.loads((out / "run.json").read_bytes())["status"] == "interrupted"


def _start_slow(images: Path, out: Path, latency_ms: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HERBX, "extract", str(images), "-o", str(out), "--engine", "simulate", "-q",
         "--workers", "4", "--set", f"engines.simulate.latency_ms={latency_ms}",
         "--set", "engines.simulate.success_rate=1.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def _started_and_recorded(out: Path) -> tuple[set[str], set[str]]:
    events = read_events(out / "events.jsonl")
    started = {e.data["specimen_id"] for e in events if e.event_type == "specimen.processing"}
    raw = (out / "raw.jsonl").read_bytes().splitlines() if (out / "raw.jsonl").exists() else []
    return started, {orjson.loads(line)["specimen_id"] for line in raw}


def test_first_ctrl_c_finishes_the_specimens_in_flight(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 40)
    out = tmp_path / "run"
    proc = _start_slow(images, out, latency_ms=1500)
    wait_for_lines(out / "events.jsonl", 5, proc)  # started + 4 specimens handed out
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"finishing the 4 specimen(s) in flight" in err
    started, recorded = _started_and_recorded(out)
    assert recorded == started and len(started) == 4  # the paid-for work was kept
    end = read_events(out / "events.jsonl")[-1]
    assert end.event_type == "extraction.interrupted"
    assert end.data["successful"] == 4 and end.data["not_reached"] == 36


def test_second_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", 40)
    out = tmp_path / "run"
    proc = _start_slow(images, out, latency_ms=8000)
    wait_for_lines(out / "events.jsonl", 5, proc)
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 6.0  # did not wait for the 8-second specimens
    started, recorded = _started_and_recorded(out)
    assert len(started) == 4 and not recorded  # abandoned, redone on resume
    end = read_events(out / "events.jsonl")[-1]
    assert end.event_type == "extraction.interrupted" and end.data["not_reached"] == 40


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(p) for p in text.split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_second_ctrl_c_leaves_no_ocr_worker_process_behind(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "images"
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [HERBX, "extract", str(examples), "-o", str(out), "--workers", "2", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_lines(out / "events.jsonl", 3, proc, timeout=120)  # two sheets handed out
    workers = _children(proc.pid)
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 10
    lines = err.decode().strip().splitlines()
    assert len(lines) == 2 and "abandoned" in lines[1]  # no warnings, no traceback
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
