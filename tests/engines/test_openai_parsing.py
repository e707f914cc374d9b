"""Reading model answers, prices, backoff and settings of the openai engine (no server)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from PIL import Image

from herbx.config import ConfigError, shipped_file
from herbx.dwc.terms import EXTRACTED_TERMS
from herbx.engines.openai.imaging import to_jpeg
from herbx.engines.openai.parsing import AnswerParseError, parse_answer
from herbx.engines.openai.pricing import cost_usd, price_for, shipped_pricing
from herbx.engines.openai.retry import backoff_delay, parse_retry_after
from herbx.engines.openai.settings import OpenAISettings


def test_flat_answer() -> None:
    parsed = parse_answer('{"scientificName": "Poa alpina L.", "Country": "Canada", "foo": 1}')
    assert parsed.terms == {"scientificName": "Poa alpina L.", "country": "Canada"}
    assert parsed.confidence == {} and parsed.unknown_keys == ["foo"]


def test_nested_answer_with_side_confidence_table_and_prefixes() -> None:
    parsed = parse_answer(
        '{"dwc:recordedBy": {"value": "B. Boivin", "confidence": 0.7},'
        ' "recordNumber": "1302", "confidence": {"recordNumber": 0.5, "recordedBy": 0.1}}'
    )
    assert parsed.terms == {"recordedBy": "B. Boivin", "recordNumber": "1302"}
    # the per-term value wins over the side table
    assert parsed.confidence == {"recordedBy": 0.7, "recordNumber": 0.5}


def test_fences_prose_nulls_lists_and_out_of_range_confidence() -> None:
    text = (
        'Here it is.\n```\n{"recordedBy": ["J. Smith", "K. Lee"], "habitat": "N/A",'
        ' "locality": {"value": "  near Regina ", "confidence": 140}, "county": "",'
        ' "eventDate": null}\n```'
    )
    parsed = parse_answer(text)
    assert parsed.terms == {"recordedBy": "J. Smith; K. Lee", "locality": "near Regina"}
    assert parsed.confidence == {}


def test_json_after_prose_with_braces_before_it() -> None:
    parsed = parse_answer('Label {unclear}. Result: {"catalogNumber": "DAO 000123"} done')
    assert parsed.terms == {"catalogNumber": "DAO 000123"}


def test_no_json_raises() -> None:
    with pytest.raises(AnswerParseError):
        parse_answer("The label is illegible.")
    with pytest.raises(AnswerParseError):
        parse_answer("[1, 2, 3]")


def test_shipped_prompt_names_every_term() -> None:
    prompt = shipped_file("prompts", "dwc-vision.md").read_text(encoding="utf-8")
    missing = [t for t in EXTRACTED_TERMS if t not in prompt]
    assert missing == []


def test_prices() -> None:
    table = shipped_pricing()
    assert price_for(table, "openai/gpt-4o-mini") == (0.15, 0.60)
    assert price_for({"gpt-4o": {"input": 2.5, "output": 10}}, "openai/gpt-4o") == (2.5, 10.0)
    assert price_for(table, "local/llava", None) is None
    assert price_for(table, "local/llava", "gpt-4o") == (2.5, 10.0)  # the model that answered
    assert cost_usd((2.5, 10.0), 2_000_000, 100_000) == pytest.approx(6.0)


def test_backoff_grows_caps_and_jitters() -> None:
    assert [backoff_delay(n, base_s=1, cap_s=5, jitter=0) for n in (1, 2, 3, 4, 5)] == [
        1,
        2,
        4,
        5,
        5,
    ]
    rng = random.Random(3)
    delays = [backoff_delay(3, base_s=1, cap_s=60, jitter=0.5, rng=rng) for _ in range(200)]
    assert min(delays) >= 2.0 and max(delays) <= 4.0 and len(set(delays)) > 100


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == 30.0


def test_downscale_keeps_aspect_and_flattens_alpha() -> None:
    img = Image.new("RGBA", (3000, 1000), (0, 0, 0, 0))
    data, size = to_jpeg(img, max_side=600, quality=80)
    assert size == (600, 200) and data[:2] == b"\xff\xd8"
    assert img.size == (3000, 1000)  # the caller's pixels are untouched
    small = Image.new("L", (100, 50), 128)
    assert to_jpeg(small, max_side=600, quality=80)[1] == (100, 50)


def test_settings_validation_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("engines.openai: unknown setting 'modle'")):
        OpenAISettings.from_mapping({"modle": "x"})
    with pytest.raises(ConfigError, match=re.escape("openai.max_retries: expected a number")):
        OpenAISettings.from_mapping({"max_retries": "many"})
    with pytest.raises(ConfigError, match=re.escape("engines.openai.response_format")):
        OpenAISettings.from_mapping({"response_format": "xml"})
    with pytest.raises(ConfigError, match=re.escape("engines.openai.base_url")):
        OpenAISettings.from_mapping({"base_url": "localhost:11434"})
    with pytest.raises(ConfigError, match="no prompt named 'nope'"):
        OpenAISettings.from_mapping({"prompt": "nope"})
    own = tmp_path / "my-prompt.md"
    own.write_text("Return JSON.", encoding="utf-8")
    assert OpenAISettings.from_mapping({"prompt": str(own)}).prompt_text() == "Return JSON."


def test_api_key_lookup_order_and_credentials_in_url_are_hidden() -> None:
    s = OpenAISettings.from_mapping({})
    env = {"OPENAI_API_KEY": "c", "OPENROUTER_API_KEY": "b"}
    assert s.resolve_api_key(env) == ("b", "OPENROUTER_API_KEY")
    assert s.resolve_api_key({"HERBX_API_KEY": " a ", **env}) == ("a", "HERBX_API_KEY")
    assert s.resolve_api_key({}) == (None, None)
    one = OpenAISettings.from_mapping({"api_key_env": "MY_KEY"})
    assert one.resolve_api_key({"MY_KEY": "k", "HERBX_API_KEY": "a"}) == ("k", "MY_KEY")
    creds = OpenAISettings.from_mapping({"base_url": "https://user:tok3n@proxy.example:8443/v1"})
    assert creds.public_base_url == "https://proxy.example:8443/v1"
