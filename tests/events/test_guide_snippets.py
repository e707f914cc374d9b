"""Every python snippet of the original integration guide, run for real against herbx.

Only the import lines are changed (``from events ...`` -> ``from herbx.events ...``). What a
user of the guide supplies around the snippets (``extract_specimen``, ``send_email``,
``requests``, a database connection, ``args``) is defined here with real parts: image files
made by Pillow, a real HTTP server on 127.0.0.1, a real SQLite database. The guide's ``jq``
lines run on the logs these snippets write when ``jq`` is installed.

The guide lives outside the repository (``../shared/spec`` next to it) or wherever
``HERBX_SPEC_DIR`` points; without it these tests are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from herbx.events import ExtractionEvent, HybridEventBus, MetricsConsumer, ValidationConsumer
from herbx.events.log import read_events

REPO = Path(__file__).resolve().parents[2]
GUIDE_NAME = "event-bus-integration-guide.md"


def _guide_path() -> Path | None:
    env = os.environ.get("HERBX_SPEC_DIR")
    candidates = [Path(env) / GUIDE_NAME] if env else []
    candidates.append(REPO.parent / "shared" / "spec" / GUIDE_NAME)
    return next((p for p in candidates if p.is_file()), None)


GUIDE = _guide_path()
pytestmark = pytest.mark.skipif(
    GUIDE is None,
    reason=f"{GUIDE_NAME} not found in ../shared/spec or $HERBX_SPEC_DIR",
)
JQ = shutil.which("jq")
needs_jq = pytest.mark.skipif(JQ is None, reason="jq is not installed")


# -- reading the guide --------------------------------------------------------------------


def _blocks(lang: str) -> list[tuple[str, str]]:
    """``(nearest heading, code)`` for each fenced block of ``lang``, in guide order."""
    assert GUIDE is not None
    text = GUIDE.read_text(encoding="utf-8")
    out = []
    heading = ""
    for m in re.finditer(r"^(#{1,6}) ([^\n]+)$|^```(\w*)\n(.*?)^```", text, re.M | re.S):
        if m.group(1):
            heading = m.group(2).strip()
        elif m.group(3) == lang:
            out.append((heading, m.group(4)))
    return out


def snippet(heading_start: str) -> str:
    """The python block under the heading that starts with ``heading_start``, imports fixed."""
    found = [code for heading, code in _blocks("python") if heading.startswith(heading_start)]
    assert len(found) == 1, f"expected one python block under {heading_start!r}, got {len(found)}"
    return fix_imports(found[0])


def fix_imports(code: str) -> str:
    """The only change allowed: the guide's package ``events`` is ``herbx.events`` here."""
    code = re.sub(
        r"^(\s*)from events\.consumers import",
        r"\1from herbx.events.consumers import",
        code,
        flags=re.M,
    )
    return re.sub(r"^(\s*)from events import", r"\1from herbx.events import", code, flags=re.M)


def jq_commands() -> list[str]:
    """The guide's shell lines that use jq, continuation lines joined."""
    cmds = []
    for _heading, code in _blocks("bash"):
        lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
        current = ""
        for line in joined.splitlines():
            current = f"{current}\n{line}" if current else line.strip()
            if current.count("'") % 2 == 0:  # a quoted jq program may span lines
                if "jq" in current:
                    cmds.append(current)
                current = ""
    return cmds


def guide_result_counts() -> Counter[str]:
    """The ``uniq -c`` result the guide prints under 'Count events by type'."""
    for _heading, code in _blocks("bash"):
        if "uniq -c" in code:
            return Counter(
                {
                    m.group(2): int(m.group(1))
                    for m in re.finditer(r"^#\s+(\d+) ([\w.]+)$", code, re.M)
                }
            )
    raise AssertionError("the guide's event-count example is missing")


def run_jq(cmd: str, cwd: Path) -> str:
    """Run one of the guide's shell lines as written, in ``cwd``."""
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# -- what a user of the guide supplies ---------------------------------------------------


def make_images(folder: Path, n: int) -> list[Path]:
    """Real JPEG files, one per specimen."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"SPEC{i + 1:04d}.jpg"
        Image.new("RGB", (32, 24), (40 + i, 120, 200 - i)).save(p, "JPEG")
        paths.append(p)
    return paths


def extractor(ok: Callable[[int], bool]) -> Callable[[Path], dict[str, Any]]:
    """An ``extract_specimen`` that opens the image and succeeds when ``ok(n)`` (1-based)."""
    calls: list[str] = []

    def extract_specimen(image_path: Path) -> dict[str, Any]:
        with Image.open(image_path) as im:
            width, height = im.size
        calls.append(image_path.stem)
        if not ok(len(calls)):
            return {"image": image_path.name, "dwc": {}}
        return {
            "image": image_path.name,
            "dwc": {
                "catalogNumber": image_path.stem,
                "scientificName": "Carex aquatilis",
                "verbatimCoordinates": f"{width}x{height}",
            },
        }

    extract_specimen.calls = calls  # type: ignore[attr-defined]
    return extract_specimen


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(  # type: ignore[attr-defined]
            {"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)}
        )
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 recording the JSON bodies posted to it."""
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def requests_module() -> Any:
    """The real ``requests`` when installed; otherwise the same ``post`` from httpx."""
    try:
        import requests

        return requests
    except ImportError:  # pragma: no cover - depends on the environment
        import httpx

        return SimpleNamespace(post=httpx.post)


def exec_snippets(*codes: str, **env: Any) -> dict[str, Any]:
    """Execute snippets in one namespace, as if pasted into one script file."""
    ns: dict[str, Any] = {"__name__": "guide_script", **env}
    saved = list(sys.path)
    try:
        for code in codes:
            exec(compile(code, str(GUIDE), "exec"), ns)
    finally:
        sys.path[:] = saved  # Step 1's sys.path line must not leak into other tests
    return ns


def counts(log: Path) -> Counter[str]:
    return Counter(e.event_type for e in read_events(log))


# -- Steps 1-3 ------------------------------------------------------------------------------


def test_guide_has_the_snippets_this_file_runs() -> None:
    headings = [h for h, _ in _blocks("python")]
    assert headings == [
        "Step 1: Import Event System",
        "Step 2: Initialize Event Bus",
        "Step 3: Emit Events During Extraction",
        "Before (Current Implementation)",
        "After (With Event Bus)",
        "Email Alerting Consumer",
        "Slack Notification Consumer",
        "Database Metrics Consumer",
    ]


def steps_1_to_3(tmp_path: Path, ok: Callable[[int], bool]) -> dict[str, Any]:
    fake_file = tmp_path / "scripts" / "extract.py"
    return exec_snippets(
        snippet("Step 1"),
        snippet("Step 2"),
        snippet("Step 3"),
        __file__=str(fake_file),
        extract_specimen=extractor(ok),
    )


def test_steps_1_to_3_all_failing_run_stops_at_specimen_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    make_images(tmp_path / "images", 30)
    ns = steps_1_to_3(tmp_path, lambda n: False)
    with pytest.raises(SystemExit) as exc:
        ns["main"]()
    assert exc.value.code == 1
    assert len(ns["extract_specimen"].calls) == 5
    assert "Early validation failed: 0% success rate after 5 specimens" in capsys.readouterr().out
    events = read_events(tmp_path / "extraction_output" / "events.jsonl")
    c = Counter(e.event_type for e in events)
    assert c["specimen.processing"] == 5 and c["specimen.failed"] == 5
    assert c["validation.checkpoint"] == 1 and c["extraction.completed"] == 0
    # the validator's own extraction.failed, then the one Step 3's except emits
    failed = [e.data for e in events if e.event_type == "extraction.failed"]
    assert [f["reason"] for f in failed] == ["early_validation_failed", "early_validation_failed"]
    assert failed[1] == {
        "run_id": "extraction_001",
        "reason": "early_validation_failed",
        "processed": 5,
        "success_rate": 0.0,
    }


def test_steps_1_to_3_healthy_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_images(tmp_path / "images", 25)
    ns = steps_1_to_3(tmp_path, lambda n: n not in (9, 17))  # 23 of 25 = 92 %
    ns["main"]()
    events = read_events(tmp_path / "extraction_output" / "events.jsonl")
    c = Counter(e.event_type for e in events)
    assert c["specimen.completed"] == 23 and c["specimen.failed"] == 2
    assert c["extraction.failed"] == 0
    done = [e.data for e in events if e.event_type == "extraction.completed"]
    assert done == [
        {
            "run_id": "extraction_001",
            "total_processed": 25,
            "successful": 23,
            "failed": 2,
            "success_rate": 0.92,
        }
    ]
    checkpoint = next(e.data for e in events if e.event_type == "validation.checkpoint")
    assert checkpoint["passed"] is True and checkpoint["processed"] == 5


# -- Before / After ------------------------------------------------------------------------


def after_example(tmp_path: Path, ok: Callable[[int], bool], n_images: int) -> dict[str, Any]:
    import tqdm as tqdm_module

    make_images(tmp_path / "scans", n_images)
    args = SimpleNamespace(input=tmp_path / "scans", output=tmp_path / "extraction")
    args.output.mkdir()
    return exec_snippets(
        snippet("After"),
        args=args,
        model_id="test-vision-model",
        extract_specimen=extractor(ok),
        tqdm=tqdm_module.tqdm,
        json=json,
        sys=sys,
    )


def test_after_example_all_failing_counts_exactly_what_the_guide_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = after_example(tmp_path, lambda n: False, 40)
    with pytest.raises(SystemExit) as exc:
        ns["main"]()
    assert exc.value.code == 1
    assert len(ns["extract_specimen"].calls) == 5
    assert "Extraction stopped: Early validation failed: 0% success rate after 5 specimens" in (
        capsys.readouterr().out
    )
    log = tmp_path / "extraction" / "events.jsonl"
    expected = guide_result_counts()
    assert expected == Counter(
        {
            "extraction.started": 1,
            "specimen.processing": 5,
            "specimen.failed": 5,
            "validation.checkpoint": 1,
            "extraction.failed": 1,
        }
    )
    assert counts(log) == expected
    # raw.jsonl got the five results the run paid for, streamed as they came
    raw = (tmp_path / "extraction" / "raw.jsonl").read_text().splitlines()
    calls = ns["extract_specimen"].calls
    assert [json.loads(line)["image"] for line in raw] == [f"{stem}.jpg" for stem in calls]


@needs_jq
def test_after_example_log_with_the_guides_count_jq_line(tmp_path: Path) -> None:
    ns = after_example(tmp_path, lambda n: False, 12)
    with pytest.raises(SystemExit):
        ns["main"]()
    count_cmd = next(c for c in jq_commands() if "uniq -c" in c)
    assert count_cmd.startswith("cat extraction/events.jsonl")
    out = run_jq(count_cmd, tmp_path)
    got = Counter({line.split()[1]: int(line.split()[0]) for line in out.splitlines()})
    assert got == guide_result_counts()


@needs_jq
def test_success_rate_jq_line_on_a_healthy_after_run(tmp_path: Path) -> None:
    # fails every third specimen after the checkpoint: 67 % overall, it completes
    ns = after_example(tmp_path, lambda n: n <= 5 or n % 3 != 0, 30)
    ns["main"]()
    log = tmp_path / "extraction" / "events.jsonl"
    c = counts(log)
    assert c["extraction.completed"] == 1 and c["extraction.failed"] == 0
    rate_cmd = next(c for c in jq_commands() if "success_rate" in c)
    out = run_jq(rate_cmd, tmp_path)
    objs = [json.loads(chunk) for chunk in re.findall(r"\{.*?\}", out, re.S)]
    expected = [
        {"sequence": e.data["sequence"], "success_rate": e.data["metrics"]["success_rate"]}
        for e in read_events(log)
        if e.event_type == "specimen.completed"
    ]
    assert objs == expected and len(objs) == 21
    assert objs[0] == {"sequence": 1, "success_rate": 1.0}
    assert objs[-1]["sequence"] == 29 and objs[-1]["success_rate"] == pytest.approx(21 / 29)


def test_before_example_runs_unchanged_and_stops_itself(tmp_path: Path) -> None:
    # no herbx import in it: it shows the hand-written checkpoint the bus replaces
    import tqdm as tqdm_module

    make_images(tmp_path / "scans", 12)
    args = SimpleNamespace(input=tmp_path / "scans", output=tmp_path / "out")
    args.output.mkdir()
    ns = exec_snippets(
        snippet("Before"),
        args=args,
        extract_specimen=extractor(lambda n: n == 3),
        tqdm=tqdm_module.tqdm,
        json=json,
        sys=sys,
    )
    with pytest.raises(SystemExit) as exc:
        ns["main"]()
    assert exc.value.code == 1
    assert len((args.output / "raw.jsonl").read_text().splitlines()) == 5


# -- custom consumers ---------------------------------------------------------------------


def consumers_ns(**env: Any) -> dict[str, Any]:
    return exec_snippets(
        snippet("Step 1"),
        snippet("Step 3"),
        snippet("Email Alerting Consumer"),
        snippet("Slack Notification Consumer"),
        snippet("Database Metrics Consumer"),
        __file__="guide_script.py",
        **env,
    )


def metrics_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE extraction_metrics (timestamp TEXT, success_rate REAL, throughput REAL)"
    )
    return db


def test_custom_consumers_on_a_broken_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: HTTPServer
) -> None:
    monkeypatch.chdir(tmp_path)
    make_images(tmp_path / "images", 20)
    emails: list[dict[str, str]] = []
    ns = consumers_ns(
        send_email=lambda **kw: emails.append(kw),
        requests=requests_module(),
        extract_specimen=extractor(lambda n: n == 2),  # 1 success in 5
    )
    url = f"http://127.0.0.1:{webhook.server_port}/services/T000/B000/hook"
    db = metrics_db(tmp_path / "metrics.sqlite")
    with HybridEventBus(event_log_path=tmp_path / "out" / "events.jsonl") as bus:
        ValidationConsumer(bus, early_checkpoint=5)
        MetricsConsumer(bus)
        ns["EmailAlertConsumer"](bus, "curator@example.org")
        ns["SlackConsumer"](bus, url)
        ns["DatabaseMetricsConsumer"](bus, db)
        with pytest.raises(SystemExit):
            ns["run_extraction"](bus, tmp_path / "out")
    # the validator's extraction.failed and Step 3's own: two emails, both with the numbers
    # (the guide's emoji arrived garbled in its text; the words are what matter)
    assert [e["subject"][-17:] for e in emails] == ["Extraction Failed"] * 2
    assert all(e["to"] == "curator@example.org" for e in emails)
    assert "'success_rate': 0.2" in emails[0]["body"]
    # Slack's checkpoint message went out for real, even though the checkpoint failed
    checkpoint_text = webhook.received[0]["json"]["text"]
    assert checkpoint_text.endswith(" Early validation passed: 20% success")
    assert webhook.received == [
        {
            "path": "/services/T000/B000/hook",
            "type": "application/json",
            "json": {"text": checkpoint_text},
        }
    ]
    rows = db.execute(
        "SELECT timestamp, success_rate, throughput FROM extraction_metrics"
    ).fetchall()
    assert len(rows) == 1 and rows[0][1] == 0.5 and rows[0][2] == 0  # specimen 2: 1 of 2
    assert rows[0][0].endswith("Z")
    db.close()


def test_custom_consumers_on_a_healthy_run_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: HTTPServer
) -> None:
    monkeypatch.chdir(tmp_path)
    make_images(tmp_path / "images", 60)
    emails: list[dict[str, str]] = []
    # five good ones, then every other one fails: 56 % over the first 50, never a stop
    ns = consumers_ns(
        send_email=lambda **kw: emails.append(kw),
        requests=requests_module(),
        extract_specimen=extractor(lambda n: n <= 5 or n % 2 == 0),
    )
    url = f"http://127.0.0.1:{webhook.server_port}/hook"
    db = metrics_db(tmp_path / "metrics.sqlite")
    with HybridEventBus(event_log_path=tmp_path / "out" / "events.jsonl") as bus:
        ValidationConsumer(bus)
        MetricsConsumer(bus)
        ns["EmailAlertConsumer"](bus, "curator@example.org")
        ns["SlackConsumer"](bus, url)
        ns["DatabaseMetricsConsumer"](bus, db)
        ns["run_extraction"](bus, tmp_path / "out")
        # Step 3's completion event names its total "total_processed"; the Slack snippet
        # reads "total" (as the After example writes it): that consumer error is isolated
        assert [e["consumer"] for e in bus.consumer_errors] == ["SlackConsumer.on_complete"]
        bus.emit(
            ExtractionEvent.EXTRACTION_COMPLETED,
            {"run_id": "extraction_001", "total": 60, "successful": 33},
        )
    assert [e["subject"][-16:] for e in emails] == ["Low Success Rate"]
    assert emails[0]["body"] == "Success rate dropped to 56%"
    texts = [r["json"]["text"] for r in webhook.received]
    assert len(texts) == 2
    assert texts[0].endswith(" Early validation passed: 100% success")
    assert texts[1].endswith(" Extraction completed: 33/60")
    log_events = read_events(tmp_path / "out" / "events.jsonl")
    completed = [e for e in log_events if e.event_type == "specimen.completed"]
    rows = db.execute("SELECT timestamp, success_rate FROM extraction_metrics").fetchall()
    assert rows == [(e.timestamp, e.data["metrics"]["success_rate"]) for e in completed]
    assert len(rows) == 33
    errors = [e.data for e in log_events if e.event_type == "consumer.error"]
    assert errors[0]["consumer"] == "SlackConsumer.on_complete"
    assert errors[0]["error_type"] == "KeyError"
    db.close()


# -- the demo the guide promises ----------------------------------------------------------


def run_demo_script(cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(REPO / "examples" / "event_bus_demo.py")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_demo_script_writes_a_healthy_and_a_stopped_run(tmp_path: Path) -> None:
    out = run_demo_script(tmp_path)
    healthy = read_events(tmp_path / "demo_event_output" / "events.jsonl")
    broken = read_events(tmp_path / "demo_event_output" / "broken" / "events.jsonl")
    h = Counter(e.event_type for e in healthy)
    assert h["specimen.completed"] == 23 and h["specimen.failed"] == 2
    assert h["extraction.completed"] == 1 and h["extraction.failed"] == 0
    b = Counter(e.event_type for e in broken)
    assert b == Counter(
        {
            "extraction.started": 1,
            "specimen.processing": 5,
            "specimen.completed": 1,
            "specimen.failed": 4,
            "validation.checkpoint": 1,
            "extraction.failed": 1,
        }
    )
    checkpoint = next(e.data for e in broken if e.event_type == "validation.checkpoint")
    assert checkpoint["passed"] is False and checkpoint["success_rate"] == 0.2
    assert "20% success rate after 5 specimens" in out
    # a second run starts the logs afresh instead of appending to the first
    run_demo_script(tmp_path)
    assert len(read_events(tmp_path / "demo_event_output" / "events.jsonl")) == len(healthy)


@needs_jq
def test_demo_log_with_the_guides_first_event_jq_line(tmp_path: Path) -> None:
    run_demo_script(tmp_path)
    cmd = next(c for c in jq_commands() if "head -1" in c)
    first = json.loads(run_jq(cmd, tmp_path))
    assert first["event_type"] == "extraction.started"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first["timestamp"])
    assert first["data"] == {"run_id": "demo_run_001", "total_specimens": 25, "model": "demo-model"}


def test_every_jq_line_of_the_guide_is_exercised() -> None:
    cmds = jq_commands()
    assert len(cmds) == 3
    assert [("uniq -c" in c, "success_rate" in c, "head -1" in c) for c in cmds] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
