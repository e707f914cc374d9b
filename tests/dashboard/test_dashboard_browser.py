"""End to end: a simulated run written live, the dashboard served by uvicorn, watched in a
real headless Chromium (Debian's, driven by Playwright; no browser is ever downloaded).

Set HERBX_SKIP_BROWSER=1 to skip it. Without Debian's chromium it is skipped on a developer's
machine (the README's test command must pass on a fresh one) and fails in CI (CI=true), whose
script installs the browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_helpers import simulated_run

CHROMIUM = os.environ.get("HERBX_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if os.environ.get("HERBX_SKIP_BROWSER") == "1":
    pytest.skip("HERBX_SKIP_BROWSER=1: browser test skipped on request", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    import uvicorn

    from herbx.dashboard.app import create_app

    root = tmp_path / "runs"
    root.mkdir()
    port = _free_port()
    config = uvicorn.Config(
        create_app(root, poll_interval=0.2), host="127.0.0.1", port=port,
        log_level="warning", timeout_graceful_shutdown=1,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}/", root
    finally:
        server.should_exit = True
        thread.join(10)


def test_live_run_in_a_real_browser(dashboard_server: tuple[str, Path], tmp_path: Path) -> None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        if os.environ.get("CI", "").lower() not in ("true", "1", "yes"):
            pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium to run this test)")
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) "
            "or set HERBX_SKIP_BROWSER=1 to skip this test locally"
        )
    from playwright.sync_api import sync_playwright

    url, root = dashboard_server
    run_dir = root / "live-run"
    images = tmp_path / "images"
    from dashboard_helpers import make_images

    make_images(images, 40)  # made before the run starts, so the run itself is paced only
    outcome: dict[str, str] = {}
    # healthy for a while, then broken: the change detector stops it part-way
    outcomes = [True] * 14 + [False] * 26
    writer = threading.Thread(
        target=lambda: outcome.update(end=simulated_run(run_dir, images, outcomes, delay=0.25)),
        daemon=True,
    )
    writer.start()
    deadline = time.monotonic() + 10
    while not (run_dir / "events.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path / "chromium-profile"
    with sync_playwright() as pw:
        # a fresh profile per test (Playwright passes it as --user-data-dir)
        browser = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS,
            viewport={"width": 1280, "height": 1000},
        )  # fmt: skip
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("a[href='#/run/live-run']", timeout=10_000)
            page.click("a[href='#/run/live-run']")
            page.wait_for_function(
                "Number(document.getElementById('processed').textContent) >= 2", timeout=15_000
            )
            first = int(page.text_content("#processed") or "0")
            assert page.text_content("#status") == "running"
            assert page.is_visible("#live")
            # the count goes up without reloading the page (server-sent events)
            page.wait_for_function(
                f"Number(document.getElementById('processed').textContent) >= {first + 3}",
                timeout=15_000,
            )
            # what the page shows at one instant agrees with the run's known outcomes
            shown = page.evaluate(
                "[document.getElementById('processed').textContent,"
                " document.getElementById('success-rate').textContent]"
            )
            n = int(shown[0])
            assert shown[1] == f"{min(n, 14) / n * 100:.1f}%"
            # then the run breaks: the rate falls and the stop appears
            page.wait_for_function(
                "document.getElementById('status').textContent === 'stopped'", timeout=30_000
            )
            assert page.is_visible("#stop-banner")
            assert "Stopped by validation" in (page.text_content("#stop-title") or "")
            stopped_at = int(page.text_content("#processed") or "0")
            assert 14 < stopped_at < 40
            rate = float((page.text_content("#success-rate") or "0%").rstrip("%"))
            assert rate == pytest.approx(14 / stopped_at * 100, abs=0.06)
            assert page.is_hidden("#live")
            assert "no_scientific_name" in (page.text_content("#reasons") or "")
            assert page.locator("#chart path.overall").count() == 1
            page.wait_for_function(
                "[...document.querySelectorAll('#recent img')].some(i => i.naturalWidth > 0)",
                timeout=10_000,
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard-live-run.png"), full_page=True)
            # the run list's history section shows the run with the same rate
            page.click("a.brand")
            page.wait_for_selector("#history-body tr[data-run='live-run']", timeout=10_000)
            row = page.locator("#history-body tr[data-run='live-run']")
            assert row.locator("td.rate").text_content() == f"{14 / stopped_at * 100:.1f}%"
            assert page.locator("#history-chart circle").count() == 1
            page.screenshot(path=str(ARTIFACTS / "dashboard-history.png"), full_page=True)
        finally:
            browser.close()
    writer.join(30)
    assert outcome == {"end": "stopped"}
