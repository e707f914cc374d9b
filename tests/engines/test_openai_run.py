"""``herbx extract --engine openai`` end to end against a real local server."""

from __future__ import annotations

import json
from pathlib import Path

from fake_openai_server import OPENAI_TEST_KEY, FakeOpenAIServer, Reply
from PIL import Image
from typer.testing import CliRunner

from herbx_cli.app import app

ANSWER = json.dumps(
    {
        "catalogNumber": {"value": "DAO 000123", "confidence": 0.9},
        "scientificName": {"value": "Carex aquatilis Wahlenb.", "confidence": 0.95},
        "recordedBy": {"value": "A. J. Breitung", "confidence": 0.8},
        "recordNumber": {"value": "1302", "confidence": 0.8},
        "eventDate": {"value": "12 July 1957", "confidence": 0.9},
        "country": {"value": "Canada", "confidence": 0.99},
        "stateProvince": {"value": "Saskatchewan", "confidence": 0.99},
        "locality": {"value": "5 km N of Saskatoon", "confidence": 0.7},
    }
)


def images(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        Image.new("RGB", (640, 480), (200, 190 + i, 180)).save(folder / f"sheet{i:02d}.jpg")
    return folder


def extract(server: FakeOpenAIServer, src: Path, out: Path, key: str) -> object:
    args = [
        "extract", str(src), "-o", str(out), "--engine", "openai", "--model", "openai/gpt-4o-mini",
        "--set", f'engines.openai.base_url="{server.url}"',
        "--set", "engines.openai.backoff_base_s=0.01",
        "--set", "engines.openai.max_image_side=320",
    ]  # fmt: skip
    return CliRunner().invoke(app, args, env={"HERBX_API_KEY": key, "NO_COLOR": "1"})


def all_text(run_dir: Path) -> str:
    """Every file of the run directory (metrics.sqlite included), bytes read as latin-1."""
    return "".join(p.read_bytes().decode("latin-1") for p in run_dir.iterdir() if p.is_file())


def test_run_records_retries_usage_and_cost_and_never_the_key(tmp_path: Path) -> None:
    server = FakeOpenAIServer(models=("openai/gpt-4o-mini",), api_key=OPENAI_TEST_KEY)
    server.default_content = ANSWER
    server.queue(Reply.error(429, "slow down", headers={"Retry-After": "0.05"}))
    server.start()
    try:
        result = extract(server, images(tmp_path / "imgs", 3), tmp_path / "run", OPENAI_TEST_KEY)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    run_dir = tmp_path / "run"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [retry] = [e["data"] for e in events if e["event_type"] == "engine.retry"]
    assert retry["status_code"] == 429 and retry["delay_s"] == 0.05 and retry["attempt"] == 1
    rows = [json.loads(line) for line in (run_dir / "raw.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(r["status"] == "succeeded" for r in rows)
    usage = rows[0]["usage"]
    # shipped price of openai/gpt-4o-mini: 0.15 in / 0.60 out per million tokens
    assert usage["prompt_tokens"] == 1200 and usage["completion_tokens"] == 80
    assert abs(usage["cost_usd"] - (1200 * 0.15 + 80 * 0.60) / 1e6) < 1e-12
    assert OPENAI_TEST_KEY not in all_text(run_dir)
    assert OPENAI_TEST_KEY not in result.output  # type: ignore[attr-defined]


def test_bad_key_stops_the_run_at_once(tmp_path: Path) -> None:
    server = FakeOpenAIServer(models=("openai/gpt-4o-mini",), api_key=OPENAI_TEST_KEY).start()
    try:
        result = extract(server, images(tmp_path / "imgs", 6), tmp_path / "run", "sk-revoked-1")
    finally:
        server.stop()
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert len(server.chat_requests()) <= 2  # one in flight per worker at most, no retries
    assert "rejected the API key from $HERBX_API_KEY" in result.output  # type: ignore[attr-defined]
    assert "sk-revoked-1" not in all_text(tmp_path / "run")
