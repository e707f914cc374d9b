"""``herbx engines check`` against a real chat-completions server on 127.0.0.1."""

from __future__ import annotations

import json

from fake_openai_server import OPENAI_TEST_KEY, FakeOpenAIServer, Reply
from typer.testing import CliRunner

from herbx_cli.app import app

CLEAN = {"HERBX_API_KEY": None, "OPENROUTER_API_KEY": None, "OPENAI_API_KEY": None}


def run(args: list[str], **env: str | None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["engines", "check", *args], env={**CLEAN, **env})


def test_check_ok(openai_server: FakeOpenAIServer) -> None:
    result = run(
        ["-e", "openai", "--base-url", openai_server.url, "--model", "test/vision-2"],
        OPENROUTER_API_KEY=OPENAI_TEST_KEY,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: openai: ")
    assert "test/vision-2" in result.stdout and "$OPENROUTER_API_KEY" in result.stdout
    assert OPENAI_TEST_KEY not in result.output


def test_check_json(openai_server: FakeOpenAIServer) -> None:
    result = run(
        ["-e", "openai", "--base-url", openai_server.url, "--model", "test/vision-1", "--json"],
        HERBX_API_KEY=OPENAI_TEST_KEY,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is True and doc["settings"]["model"] == "test/vision-1"
    assert OPENAI_TEST_KEY not in result.stdout


def test_wrong_key_costs_seconds_and_one_line(openai_server: FakeOpenAIServer) -> None:
    result = run(
        ["-e", "openai", "--base-url", openai_server.url, "--model", "test/vision-1"],
        HERBX_API_KEY="sk-expired-key",
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "rejected the API key from $HERBX_API_KEY" in lines[0]
    assert "sk-expired-key" not in result.output
    assert len(openai_server.chat_requests()) == 0  # the model listing already said no


def test_unknown_model_and_missing_key(openai_server: FakeOpenAIServer) -> None:
    args = ["-e", "openai", "--base-url", openai_server.url]
    bad_model = run([*args, "--model", "gpt-17"], HERBX_API_KEY=OPENAI_TEST_KEY)
    assert bad_model.exit_code == 2 and "does not offer model 'gpt-17'" in bad_model.stderr
    no_key = run([*args, "--model", "test/vision-1"])
    assert no_key.exit_code == 2 and "needs an API key" in no_key.stderr


def test_server_without_model_listing_still_checks_the_model(
    openai_server: FakeOpenAIServer,
) -> None:
    openai_server.model_replies.append(Reply.error(404, "not found"))
    result = run(
        ["-e", "openai", "--base-url", openai_server.url, "--model", "test/vision-1"],
        HERBX_API_KEY=OPENAI_TEST_KEY,
    )
    assert result.exit_code == 0, result.output
    assert "model listed" not in result.stdout
    assert openai_server.chat_requests()[0].json["max_tokens"] == 1


def test_unknown_engine_and_bad_setting() -> None:
    result = run(["-e", "tesseract"])
    assert result.exit_code == 2 and "available engines: ocr, openai, simulate" in result.stderr
    bad = run(["-e", "openai", "--base-url", "localhost:11434"])
    assert bad.exit_code == 2 and "engines.openai.base_url" in bad.stderr
    assert "Traceback" not in bad.output


def test_simulate_check_is_ok() -> None:
    result = run(["-e", "simulate"])
    assert result.exit_code == 0 and "simulate" in result.stdout


def test_check_sends_a_picture_and_a_text_only_model_fails_it() -> None:
    server = FakeOpenAIServer(
        models=("test/vision-1", "test/text-1"), text_only=("test/text-1",), api_key=OPENAI_TEST_KEY
    ).start()
    try:
        args = ["-e", "openai", "--base-url", server.url]
        good = run([*args, "--model", "test/vision-1"], HERBX_API_KEY=OPENAI_TEST_KEY)
        assert good.exit_code == 0, good.output
        assert "took an image" in good.stdout
        probe = server.chat_requests()[-1].json
        parts = probe["messages"][0]["content"]
        assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
        assert probe["max_tokens"] == 1

        text_only = run([*args, "--model", "test/text-1"], HERBX_API_KEY=OPENAI_TEST_KEY)
        assert text_only.exit_code == 2
        lines = text_only.stderr.strip().splitlines()
        assert len(lines) == 1 and "refused an image (HTTP 400" in lines[0]
        assert "does not support image input" in lines[0] and "vision model" in lines[0]
        assert OPENAI_TEST_KEY not in text_only.output
    finally:
        server.stop()
