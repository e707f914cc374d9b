"""Settings of the ``openai`` engine, read from an ``[engines.openai]`` config section."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from herbx.config import ConfigError, shipped_file

DEFAULT_KEY_ENVS: tuple[str, ...] = ("HERBX_API_KEY", "OPENROUTER_API_KEY", "OPENAI_API_KEY")
RESPONSE_FORMATS = ("auto", "json", "off")


@dataclass(frozen=True)
class OpenAISettings:
    """Everything the engine needs except the key, which stays in the environment."""

    base_url: str = "https://openrouter.ai/api/v1"
    model: str = "openai/gpt-4o-mini"
    api_key_env: tuple[str, ...] = DEFAULT_KEY_ENVS
    prompt: str = "dwc-vision"
    max_image_side: int = 2048
    jpeg_quality: int = 85
    temperature: float = 0.0
    max_tokens: int = 1500
    response_format: str = "auto"
    timeout_s: float = 120.0
    connect_timeout_s: float = 10.0
    max_retries: int = 5
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    backoff_jitter: float = 0.5
    retry_after_max_s: float = 300.0
    pricing: Mapping[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any]) -> OpenAISettings:
        """Validate a config section; every problem is a :class:`ConfigError` naming the key."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(
                    f"engines.openai: unknown setting {key!r}; known: {', '.join(sorted(known))}"
                )
            values[key] = raw
        if "api_key_env" in values:
            env = values["api_key_env"]
            names = [env] if isinstance(env, str) else list(env)
            if not names or not all(isinstance(n, str) and n for n in names):
                raise ConfigError("engines.openai.api_key_env: a variable name or a list of names")
            values["api_key_env"] = tuple(names)
        casts: dict[str, type] = {
            "max_image_side": int,
            "jpeg_quality": int,
            "max_tokens": int,
            "max_retries": int,
            "temperature": float,
            "timeout_s": float,
            "connect_timeout_s": float,
            "backoff_base_s": float,
            "backoff_cap_s": float,
            "backoff_jitter": float,
            "retry_after_max_s": float,
        }
        for key, kind in casts.items():
            if key in values:
                try:
                    values[key] = kind(values[key])
                except (TypeError, ValueError):
                    raise ConfigError(
                        f"engines.openai.{key}: expected a number, got {values[key]!r}"
                    ) from None
        settings = cls(**values)
        settings._check()
        return settings

    def _check(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = self.public_base_url
            raise ConfigError(
                f"engines.openai.base_url: expected http(s)://host/..., got {shown!r}"
            )
        if not self.model:
            raise ConfigError("engines.openai.model: name the model to call")
        if self.response_format not in RESPONSE_FORMATS:
            raise ConfigError(
                f"engines.openai.response_format: one of {', '.join(RESPONSE_FORMATS)}, "
                f"not {self.response_format!r}"
            )
        if self.max_image_side < 64:
            raise ConfigError("engines.openai.max_image_side: at least 64 pixels")
        if not 1 <= self.jpeg_quality <= 95:
            raise ConfigError("engines.openai.jpeg_quality: between 1 and 95")
        if self.max_retries < 0 or self.max_tokens < 1:
            raise ConfigError("engines.openai: max_retries >= 0 and max_tokens >= 1")
        if min(self.timeout_s, self.connect_timeout_s) <= 0:
            raise ConfigError("engines.openai: timeouts must be > 0 seconds")
        if self.backoff_base_s < 0 or self.backoff_cap_s < 0 or not 0 <= self.backoff_jitter <= 1:
            raise ConfigError("engines.openai: backoff delays >= 0 and backoff_jitter in 0..1")
        self.prompt_path()  # a missing prompt file is a config error now, not at specimen 1

    @property
    def public_base_url(self) -> str:
        """``base_url`` with any ``user:password@`` removed, safe to show or log."""
        parts = urlsplit(self.base_url)
        if parts.username is None and parts.password is None:
            return self.base_url
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def prompt_path(self) -> Path:
        """The prompt file: a shipped ``config/prompts/<name>.md`` or a path to a file."""
        candidate = Path(self.prompt).expanduser()
        if candidate.suffix and candidate.is_file():
            return candidate
        shipped = shipped_file("prompts", f"{self.prompt}.md")
        if shipped.is_file():
            return shipped
        raise ConfigError(
            f"engines.openai.prompt: no prompt named {self.prompt!r} "
            f"(neither a file nor config/prompts/{self.prompt}.md)"
        )

    def prompt_text(self) -> str:
        """The prompt's text."""
        return self.prompt_path().read_text(encoding="utf-8")

    def prompt_sha256(self) -> str:
        """Hash of the prompt text: part of the resume key, since it changes the output."""
        return hashlib.sha256(self.prompt_text().encode("utf-8")).hexdigest()

    def resolve_api_key(
        self, env: Mapping[str, str] | None = None
    ) -> tuple[str | None, str | None]:
        """``(key, variable name)`` from the first set variable of ``api_key_env``."""
        env = os.environ if env is None else env
        for name in self.api_key_env:
            value = env.get(name, "").strip()
            if value:
                return value, name
        return None, None

    def key_hint(self) -> str:
        """How to set the key, for error messages."""
        names: Sequence[str] = self.api_key_env
        return "set " + " or ".join(f"${n}" for n in names)
