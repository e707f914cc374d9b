"""The ``openai`` engine: a specimen photo to a vision model, its JSON answer to DwC terms."""

from __future__ import annotations

import base64
import difflib
import time
from collections.abc import Mapping
from typing import Any

from PIL import Image

from herbx.config import ConfigError
from herbx.engines.base import EngineError, EngineResult, SpecimenImage, Usage
from herbx.engines.openai.client import ChatClient, HttpSystemicError, RequestRefusedError
from herbx.engines.openai.imaging import to_jpeg
from herbx.engines.openai.parsing import AnswerParseError, parse_answer
from herbx.engines.openai.pricing import cost_usd, price_for, shipped_pricing
from herbx.engines.openai.settings import OpenAISettings

USER_TEXT = (
    "Transcribe the labels on this herbarium specimen image into the JSON object "
    "described above. Answer with JSON only."
)


class OpenAIEngine:
    """Any OpenAI-compatible chat completions endpoint with a vision model.

    Build it from a config section with :meth:`from_settings`; the API key is read from
    the environment variables named by ``api_key_env`` and is never stored anywhere else
    than in the request header.

    Example::

        engine = OpenAIEngine.from_settings({"base_url": "http://localhost:11434/v1",
                                             "model": "qwen2.5vl:7b"})
        engine.check()   # 'http://localhost:11434/v1: model qwen2.5vl:7b answered ...'
    """

    name = "openai"
    kind = "io"
    description = "Any OpenAI-compatible vision model (OpenRouter, OpenAI, Ollama, vLLM)."

    def __init__(
        self, settings: OpenAISettings | None = None, *, env: Mapping[str, str] | None = None
    ) -> None:
        self.config = settings or OpenAISettings.from_mapping({})
        key, key_env = self.config.resolve_api_key(env)
        self.key_env = key_env
        self._client = ChatClient(self.config, key, key_env)
        self._prompt = self.config.prompt_text()
        self._prompt_sha256 = self.config.prompt_sha256()
        pricing = self.config.pricing if self.config.pricing is not None else shipped_pricing()
        self._pricing: Mapping[str, Any] = pricing
        # "auto" asks for JSON mode until the server says it does not support it.
        self._json_mode = self.config.response_format in ("auto", "json")

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], *, env: Mapping[str, str] | None = None
    ) -> OpenAIEngine:
        """Build from an ``[engines.openai]`` section (plus optional ``pricing`` table)."""
        pricing = settings.get("pricing")
        if pricing is not None and not isinstance(pricing, Mapping):
            raise ConfigError("engines.openai.pricing: expected a table of models")
        return cls(OpenAISettings.from_mapping(settings), env=env)

    def __repr__(self) -> str:
        return (
            f"OpenAIEngine(base_url={self.config.public_base_url!r}, "
            f"model={self.config.model!r}, key_env={self.key_env!r})"
        )

    def settings(self) -> dict[str, Any]:
        """What changes the answer: endpoint, model, prompt (by hash), image and sampling."""
        c = self.config
        return {
            "base_url": c.public_base_url,
            "model": c.model,
            "prompt": c.prompt,
            "prompt_sha256": self._prompt_sha256,
            "max_image_side": c.max_image_side,
            "jpeg_quality": c.jpeg_quality,
            "temperature": c.temperature,
            "max_tokens": c.max_tokens,
            "response_format": c.response_format,
        }

    def _payload(self, data_url: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": [
                {"role": "system", "content": self._prompt},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": USER_TEXT},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                },
            ],
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self._json_mode:
            payload["response_format"] = {"type": "json_object"}
        return payload

    def _send(self, image: SpecimenImage, data_url: str) -> tuple[dict[str, Any], int]:
        try:
            return self._client.chat(self._payload(data_url), on_retry=image.on_retry)
        except RequestRefusedError as exc:
            refused_json = "response_format" in exc.server_message or "json" in (
                exc.server_message.lower()
            )
            if self.config.response_format == "auto" and self._json_mode and refused_json:
                self._json_mode = False
                return self._client.chat(self._payload(data_url), on_retry=image.on_retry)
            raise

    def _usage(self, body: Mapping[str, Any], answered_model: str | None) -> tuple[Usage, bool]:
        raw = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
        assert isinstance(raw, Mapping)
        prompt = int(raw.get("prompt_tokens") or 0)
        completion = int(raw.get("completion_tokens") or 0)
        total = int(raw.get("total_tokens") or prompt + completion)
        price = price_for(self._pricing, self.config.model, answered_model)
        if price is not None:
            return Usage(prompt, completion, total, cost_usd(price, prompt, completion)), True
        reported = raw.get("cost")  # OpenRouter reports the charge itself
        if isinstance(reported, int | float) and not isinstance(reported, bool):
            return Usage(prompt, completion, total, float(reported)), True
        return Usage(prompt, completion, total, 0.0), False

    def extract(self, image: SpecimenImage) -> EngineResult:
        """Send the image, parse the JSON answer into terms, count tokens and cost."""
        jpeg, sent_size = to_jpeg(
            image.pixels, max_side=self.config.max_image_side, quality=self.config.jpeg_quality
        )
        data_url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        started = time.perf_counter()
        body, retries = self._send(image, data_url)
        elapsed = time.perf_counter() - started
        content, finish = _answer_text(body)
        answered_model = body.get("model") if isinstance(body.get("model"), str) else None
        usage, cost_known = self._usage(body, answered_model)
        if content is None:
            raise EngineError(
                f"{self._client.host} answered without a message (finish_reason={finish!r})",
                reason="bad_response",
            )
        try:
            parsed = parse_answer(content)
        except AnswerParseError:
            snippet = " ".join(content.split())[:160]
            cut = " (cut off: raise engines.openai.max_tokens)" if finish == "length" else ""
            raise EngineError(
                f"the model's answer holds no JSON object{cut}: {snippet!r}",
                reason="unparseable_response",
            ) from None
        return EngineResult(
            terms=parsed.terms,
            confidence=parsed.confidence,
            raw_text=content,
            usage=usage,
            model=answered_model or self.config.model,
            retries=retries,
            extra={
                "finish_reason": finish,
                "cost_known": cost_known,
                "image_size_sent": list(sent_size),
                "image_bytes_sent": len(jpeg),
                "request_seconds": round(elapsed, 3),
                "unknown_keys": parsed.unknown_keys,
            },
        )

    def check(self) -> str:
        """A cheap call that proves the key and the model work; one line on success.

        Lists the server's models (when it offers a listing) to confirm the model exists,
        then asks for a one-token completion. Raises an :class:`EngineError` (systemic for
        key, credit and model problems) with a message that says what to fix.
        """
        c = self.config
        started = time.perf_counter()
        models = self._client.list_models()
        if models is not None and c.model not in models:
            close = difflib.get_close_matches(c.model, models, n=5, cutoff=0.5)
            hint = f"; close names: {', '.join(close)}" if close else ""
            raise HttpSystemicError(
                f"{self._client.host} does not offer model {c.model!r} "
                f"({len(models)} models listed){hint}: fix engines.openai.model",
                status_code=404,
            )
        payload = {
            "model": c.model,
            "messages": [{"role": "user", "content": "Reply with the word OK."}],
            "max_tokens": 1,
            "temperature": 0,
        }
        body, _ = self._client.request("POST", "chat/completions", payload, max_retries=1)
        # The same with a small picture: a text-only model answers the first and refuses
        # this one, which every specimen of a run would meet.
        probe = {**payload, "messages": [{"role": "user", "content": _probe_content()}]}
        try:
            self._client.request("POST", "chat/completions", probe, max_retries=1)
        except RequestRefusedError as exc:
            said = f"; server said: {exc.server_message}" if exc.server_message else ""
            raise HttpSystemicError(
                f"model {c.model!r} at {self._client.host} answers text but refused an image "
                f"(HTTP {exc.status_code}{said}): herbx sends each specimen as a picture, so "
                "set engines.openai.model to a vision model",
                status_code=exc.status_code,
            ) from None
        seconds = time.perf_counter() - started
        key = f"key from ${self.key_env}" if self.key_env else "no API key"
        listed = "model listed, " if models is not None else ""
        answered = body.get("model") or c.model
        return (
            f"{c.public_base_url}: {listed}model {answered} answered and took an image "
            f"in {seconds:.1f} s ({key})"
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def _probe_content() -> list[dict[str, Any]]:
    """A one-line question with a 16 x 16 white JPEG: the cheapest picture a model can get."""
    data, _ = to_jpeg(Image.new("RGB", (16, 16), "white"), max_side=16, quality=80)
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    return [
        {"type": "text", "text": "Reply with the word OK."},
        {"type": "image_url", "image_url": {"url": url}},
    ]


def _answer_text(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The assistant's text and finish_reason from a chat completion body."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        return None, None
    choice = choices[0]
    finish = choice.get("finish_reason")
    message = choice.get("message")
    content = message.get("content") if isinstance(message, Mapping) else choice.get("text")
    if isinstance(content, list):  # content parts
        texts = [p.get("text", "") for p in content if isinstance(p, Mapping)]
        content = "".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str) or not content.strip():
        return None, finish if isinstance(finish, str) else None
    return content, finish if isinstance(finish, str) else None
