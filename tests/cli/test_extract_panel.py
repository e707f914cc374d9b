"""The live panel and plain progress render what the events say, throttled."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from herbx.events import HybridEventBus
from herbx_cli.panel import LivePanel, PlainProgress, sparkline


def feed(bus: HybridEventBus, outcomes: list[bool]) -> None:
    bus.emit("extraction.started", {"run_id": "r1", "total_specimens": 10, "model": "m"})
    for i, ok in enumerate(outcomes, start=1):
        data = {
            "specimen_id": f"S{i}",
            "sequence": i,
            "result": {"dwc": {"scientificName": "Carex nigra"}},
        }
        if not ok:
            data |= {"reason": "empty_record", "message": "no terms"}
        bus.emit("specimen.completed" if ok else "specimen.failed", data)


def test_live_panel_shows_counts_rates_reasons_validator_recent(tmp_path: Path) -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120, color_system=None)
    with HybridEventBus(tmp_path / "e.jsonl") as bus:
        state = {"closeness": 0.5, "stopped": None}
        panel = LivePanel(bus, lambda: state, console=console)
        feed(bus, [True, True, False, True])
        panel.tick()
        panel.close()
    text = buf.getvalue()
    assert "4/10" in text and "ok 3" in text and "failed 1" in text
    assert "75% overall" in text and "empty_record 1" in text
    assert "50% of the way to a stop" in text
    assert "S4" in text and "Carex nigra" in text


def test_panel_redraws_at_most_four_times_a_second(tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with HybridEventBus() as bus:
        panel = LivePanel(bus, console=console)
        renders = 0
        original = panel.render

        def counting():  # type: ignore[no-untyped-def]
            nonlocal renders
            renders += 1
            return original()

        panel.render = counting  # type: ignore[method-assign]
        feed(bus, [True] * 8)
        for _ in range(200):
            panel.tick()
        panel.live.stop()
    assert renders <= 2  # events alone never draw; 200 quick ticks draw once


def test_plain_progress_lines() -> None:
    out = io.StringIO()
    with HybridEventBus() as bus:
        view = PlainProgress(bus, stream=out, interval=0.0)
        feed(bus, [True, False])
        view.tick()
        view.close()
    (line,) = out.getvalue().splitlines()
    assert line.startswith("herbx: 2/10 (1 ok, 1 failed, 0 skipped), success 50%")


def test_sparkline() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"


def test_live_panel_on_a_real_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from extract_cli_helpers import make_images

    images = make_images(tmp_path / "images", 6)
    herbx = str(Path(sys.executable).parent / "herbx")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [herbx, "extract", str(images), "-o", str(tmp_path / "run"), "--engine", "simulate",
         "--set", "engines.simulate.latency_ms=60"],
        stdout=subprocess.PIPE, stderr=slave, env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=30) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "herbx extract run (simulate)" in screen
    assert "6/6" in screen and "of the way to a stop" in screen
