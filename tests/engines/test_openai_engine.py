"""The openai engine against a real chat-completions server on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import OPENAI_TEST_KEY, FakeOpenAIServer, Reply
from PIL import Image

from herbx.engines.base import (
    EngineError,
    SpecimenImage,
    SystemicEngineError,
    TransientEngineError,
)
from herbx.engines.openai import OpenAIEngine

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05, "backoff_jitter": 0.5}
_built: list[OpenAIEngine] = []


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    while _built:
        _built.pop().close()


def make_engine(server: FakeOpenAIServer, env: dict[str, str], **settings: Any) -> OpenAIEngine:
    opts = {"base_url": server.url, "model": "test/vision-1", **FAST, **settings}
    engine = OpenAIEngine.from_settings(opts, env=env)
    _built.append(engine)
    return engine


def specimen(
    tmp_path: Path, size: tuple[int, int] = (800, 600), retries: list[dict[str, Any]] | None = None
) -> SpecimenImage:
    img = Image.new("RGB", size, (240, 235, 220))
    img.paste((30, 30, 30), (20, 20, 200, 60))
    path = tmp_path / "sheet.jpg"
    img.save(path)
    hook = retries.append if retries is not None else None
    return SpecimenImage(path=path, pixels=img, specimen_id="sheet", sequence=1, on_retry=hook)


def sent_image(request_json: dict[str, Any]) -> tuple[str, Image.Image]:
    parts = request_json["messages"][-1]["content"]
    url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
    head, _, data = url.partition(",")
    return head, Image.open(io.BytesIO(base64.b64decode(data)))


def test_extract_sends_data_url_model_and_key_and_parses_the_answer(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(
        Reply.answer(
            '{"scientificName": "Carex aquatilis Wahlenb.", "recordedBy": "A. J. Breitung",'
            ' "eventDate": "12 July 1957", "locality": null}',
            usage={"prompt_tokens": 1000, "completion_tokens": 200},
        )
    )
    engine = make_engine(openai_server, openai_env, max_image_side=256, jpeg_quality=70)
    result = engine.extract(specimen(tmp_path))
    engine.close()

    [req] = openai_server.chat_requests()
    assert req.headers["Authorization"] == f"Bearer {OPENAI_TEST_KEY}"
    assert req.json["model"] == "test/vision-1"
    assert req.json["response_format"] == {"type": "json_object"}
    assert "Darwin Core" in req.json["messages"][0]["content"]  # the shipped prompt
    head, img = sent_image(req.json)
    assert head == "data:image/jpeg;base64"
    assert img.format == "JPEG" and img.size == (256, 192)

    assert result.terms == {
        "scientificName": "Carex aquatilis Wahlenb.",
        "recordedBy": "A. J. Breitung",
        "eventDate": "12 July 1957",
    }
    assert result.model == "test/vision-1"
    assert result.retries == 0
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (1000, 200)
    assert result.usage.total_tokens == 1200
    # no price for test/vision-1 in the shipped table: cost 0 and flagged unknown
    assert result.usage.cost_usd == 0.0 and result.extra["cost_known"] is False
    assert result.extra["image_size_sent"] == [256, 192]


def test_cost_comes_from_the_price_table_and_can_be_overridden(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    pricing = {"vision-1": {"input": 2.0, "output": 10.0}}  # found without the provider prefix
    engine = make_engine(openai_server, openai_env, pricing=pricing)
    openai_server.queue(
        Reply.answer(
            '{"catalogNumber": "DAO 1"}',
            usage={"prompt_tokens": 500_000, "completion_tokens": 1000},
        )
    )
    result = engine.extract(specimen(tmp_path))
    assert result.usage is not None
    assert result.usage.cost_usd == pytest.approx(1.0 + 0.01)
    assert result.extra["cost_known"] is True


def test_nested_fenced_answer_with_confidence(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    answer = (
        "Sure! Here is the record:\n```json\n"
        '{"record": {"scientificName": {"value": "Salix glauca L.", "confidence": 0.93},'
        ' "recordNumber": {"value": 1302, "confidence": 88}}}\n```\nHope this helps.'
    )
    openai_server.queue(Reply.answer(answer))
    result = make_engine(openai_server, openai_env).extract(specimen(tmp_path))
    assert result.terms == {"scientificName": "Salix glauca L.", "recordNumber": "1302"}
    assert result.confidence == {"scientificName": 0.93, "recordNumber": 0.88}
    assert result.raw_text == answer


def test_429_honours_retry_after_and_reports_the_retry(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.error(429, "rate limited", headers={"Retry-After": "0.3"}))
    retries: list[dict[str, Any]] = []
    engine = make_engine(openai_server, openai_env)
    started = time.monotonic()
    result = engine.extract(specimen(tmp_path, retries=retries))
    assert time.monotonic() - started >= 0.3
    assert result.retries == 1 and result.terms["scientificName"].startswith("Carex")
    assert len(openai_server.chat_requests()) == 2
    [retry] = retries
    assert retry["attempt"] == 1 and retry["max_attempts"] == 6
    assert retry["delay_s"] == 0.3 and retry["status_code"] == 429
    assert "429" in retry["error"] and "rate limited" in retry["error"]


def test_5xx_backoff_then_success(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.error(500, "boom"), Reply.error(502), Reply.error(503))
    retries: list[dict[str, Any]] = []
    result = make_engine(openai_server, openai_env).extract(specimen(tmp_path, retries=retries))
    assert result.retries == 3
    assert [r["attempt"] for r in retries] == [1, 2, 3]
    assert [r["status_code"] for r in retries] == [500, 502, 503]
    # capped exponential backoff with jitter in [1 - 0.5, 1]
    for r, full in zip(retries, (0.01, 0.02, 0.04), strict=True):
        assert full * 0.5 - 1e-9 <= r["delay_s"] <= full + 1e-3


def test_exhausted_retries_fail_the_specimen(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(*[Reply.error(503, "overloaded")] * 3)
    retries: list[dict[str, Any]] = []
    engine = make_engine(openai_server, openai_env, max_retries=2)
    with pytest.raises(TransientEngineError) as info:
        engine.extract(specimen(tmp_path, retries=retries))
    assert info.value.reason == "engine_transient"
    assert "gave up after 3 attempts" in str(info.value) and "503" in str(info.value)
    assert len(openai_server.chat_requests()) == 3 and len(retries) == 2


def test_slow_answer_times_out_then_gives_up_with_reason_timeout(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.answer("{}", delay_s=1.0), Reply.answer("{}", delay_s=1.0))
    retries: list[dict[str, Any]] = []
    engine = make_engine(openai_server, openai_env, timeout_s=0.2, max_retries=1)
    with pytest.raises(TransientEngineError) as info:
        engine.extract(specimen(tmp_path, retries=retries))
    assert info.value.reason == "timeout"
    assert retries[0]["status_code"] is None and "did not answer in time" in retries[0]["error"]


def test_slow_answer_within_timeout_is_fine(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.answer('{"country": "Canada"}', delay_s=0.2))
    result = make_engine(openai_server, openai_env, timeout_s=2).extract(specimen(tmp_path))
    assert result.terms == {"country": "Canada"} and result.retries == 0


def test_connection_reset_and_malformed_body_are_retried(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply(drop=True), Reply(raw=b'{"choices": [{"mess'))
    retries: list[dict[str, Any]] = []
    result = make_engine(openai_server, openai_env).extract(specimen(tmp_path, retries=retries))
    assert result.retries == 2
    assert "connection" in retries[0]["error"]
    assert "not JSON" in retries[1]["error"]


def test_answer_without_json_fails_this_specimen_without_retry(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.answer("I cannot read this label, sorry."))
    with pytest.raises(EngineError) as info:
        make_engine(openai_server, openai_env).extract(specimen(tmp_path))
    assert not isinstance(info.value, TransientEngineError | SystemicEngineError)
    assert info.value.reason == "unparseable_response"
    assert "I cannot read this label" in str(info.value)
    assert len(openai_server.chat_requests()) == 1


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (401, "Incorrect API key provided", "rejected the API key from $HERBX_API_KEY"),
        (402, "Insufficient credits", "out of credit"),
        (403, "Key limit exceeded", "quota"),
        (404, "No endpoints found for test/vision-1", "does not know model 'test/vision-1'"),
    ],
)
def test_systemic_errors_stop_at_once_and_say_what_to_fix(
    openai_server: FakeOpenAIServer,
    openai_env: dict[str, str],
    tmp_path: Path,
    status: int,
    message: str,
    expected: str,
) -> None:
    openai_server.queue(Reply.error(status, f"{message} (key {OPENAI_TEST_KEY})"))
    retries: list[dict[str, Any]] = []
    engine = make_engine(openai_server, openai_env)
    with pytest.raises(SystemicEngineError) as info:
        engine.extract(specimen(tmp_path, retries=retries))
    text = str(info.value)
    assert expected in text and message in text
    assert OPENAI_TEST_KEY not in text  # the server echoed it; we never repeat it
    assert retries == [] and len(openai_server.chat_requests()) == 1


def test_wrong_key_and_missing_key(openai_server: FakeOpenAIServer, tmp_path: Path) -> None:
    engine = make_engine(openai_server, {"OPENROUTER_API_KEY": "sk-wrong-key-xyz"})
    with pytest.raises(
        SystemicEngineError, match=r"rejected the API key from \$OPENROUTER_API_KEY"
    ):
        engine.extract(specimen(tmp_path))
    assert openai_server.chat_requests()[-1].headers["Authorization"] == "Bearer sk-wrong-key-xyz"

    keyless = make_engine(openai_server, {})
    with pytest.raises(SystemicEngineError) as info:
        keyless.extract(specimen(tmp_path))
    assert "needs an API key" in str(info.value)
    assert "$HERBX_API_KEY or $OPENROUTER_API_KEY or $OPENAI_API_KEY" in str(info.value)
    assert "Authorization" not in openai_server.chat_requests()[-1].headers


def test_key_never_appears_in_repr_settings_or_errors(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    engine = make_engine(openai_server, openai_env)
    assert OPENAI_TEST_KEY not in repr(engine)
    assert OPENAI_TEST_KEY not in repr(engine.settings())
    assert OPENAI_TEST_KEY not in repr(engine.__dict__.get("config"))
    assert engine.settings()["model"] == "test/vision-1"
    assert len(engine.settings()["prompt_sha256"]) == 64


def test_response_format_is_dropped_when_the_server_refuses_it(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.error(400, "response_format json_object is not supported"))
    engine = make_engine(openai_server, openai_env)
    first = engine.extract(specimen(tmp_path))
    second = engine.extract(specimen(tmp_path))
    assert first.terms == second.terms
    reqs = openai_server.chat_requests()
    assert "response_format" in reqs[0].json
    assert "response_format" not in reqs[1].json and "response_format" not in reqs[2].json


def test_other_400_fails_the_specimen_with_the_server_message(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply.error(413, "request entity too large"))
    with pytest.raises(EngineError) as info:
        make_engine(openai_server, openai_env).extract(specimen(tmp_path))
    assert info.value.reason == "bad_request"
    assert "too large" in str(info.value) and "max_image_side" in str(info.value)


def test_error_inside_a_200_body_is_classified(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str], tmp_path: Path
) -> None:
    openai_server.queue(Reply(body={"error": {"message": "upstream overloaded", "code": 503}}))
    retries: list[dict[str, Any]] = []
    result = make_engine(openai_server, openai_env).extract(specimen(tmp_path, retries=retries))
    assert result.retries == 1 and retries[0]["status_code"] == 503


def test_check_verifies_model_and_key(
    openai_server: FakeOpenAIServer, openai_env: dict[str, str]
) -> None:
    line = make_engine(openai_server, openai_env).check()
    assert "model listed" in line and "test/vision-1" in line and "$HERBX_API_KEY" in line
    [models, chat, picture] = openai_server.received
    assert models.path == "/v1/models" and chat.json["max_tokens"] == 1
    assert picture.json["messages"][0]["content"][1]["type"] == "image_url"

    with pytest.raises(SystemicEngineError, match=r"close names: .*test/vision-1"):
        make_engine(openai_server, openai_env, model="test/vision-l").check()
    with pytest.raises(SystemicEngineError, match="rejected the API key"):
        make_engine(openai_server, {"HERBX_API_KEY": "nope"}).check()
