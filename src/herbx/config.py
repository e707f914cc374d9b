"""Effective configuration: shipped defaults, a user file, environment, then flags.

Example::

    from herbx.config import load_config

    cfg = load_config(overrides={"run": {"engine": "simulate"}})
    cfg["validation"]["early_checkpoint"]  # 5
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

#: Words that make a config key secret (matched against the key's ``_``/``-`` separated parts).
SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "webhook",
        "notify",
        "authorization",
        "auth",
        "credentials",
        "dsn",
    }
)
REDACTED = "***"


class ConfigError(ValueError):
    """A configuration file or value is unusable. ``str()`` names the file or key."""


def shipped_config_dir() -> Path:
    """The folder holding ``herbx.toml`` and ``prompts/`` as shipped with herbx.

    Inside an installed wheel it is ``herbx/_config``; in a source checkout (editable
    install) it is the repository's top-level ``config/``.
    """
    packaged = resources.files("herbx") / "_config"
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "config"
    if source.is_dir():
        return source
    raise ConfigError("herbx's shipped configuration is missing; reinstall herbx")


def shipped_file(*parts: str) -> Path:
    """Path of a file shipped in the config folder, e.g. ``shipped_file("prompts", "x.md")``."""
    return shipped_config_dir().joinpath(*parts)


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file, turning every failure into one clear :class:`ConfigError`."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; nested tables merge, other values replace."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        elif value is not None:
            out[key] = copy.deepcopy(value)
    return out


def env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """``HERBX_SECTION__KEY=value`` becomes ``{"section": {"key": value}}``.

    Values are parsed as TOML scalars when they can be (numbers, booleans), else kept as
    strings. ``HERBX_ENGINE`` and ``HERBX_WORKERS`` are short forms for the run section.
    """
    out: dict[str, Any] = {}
    shortcuts = {"HERBX_ENGINE": ("run", "engine"), "HERBX_WORKERS": ("run", "workers")}
    for name, raw in env.items():
        if name in shortcuts:
            section, key = shortcuts[name]
        elif name.startswith("HERBX_") and "__" in name:
            section, _, key = name[len("HERBX_") :].partition("__")
            section, key = section.lower(), key.lower()
        else:
            continue
        out.setdefault(section, {})[key] = _parse_scalar(raw)
    return out


def _parse_scalar(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def load_config(
    user_file: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the effective configuration.

    Order of precedence, lowest first: the shipped ``herbx.toml``; the user file
    (``user_file`` or ``$HERBX_CONFIG``); ``HERBX_*`` environment variables; ``overrides``
    (what the command line sets).
    """
    env = os.environ if env is None else env
    cfg = read_toml(shipped_file("herbx.toml"))
    path = user_file or env.get("HERBX_CONFIG")
    if path:
        cfg = deep_merge(cfg, read_toml(path))
    cfg = deep_merge(cfg, env_overrides(env))
    if overrides:
        cfg = deep_merge(cfg, overrides)
    return cfg


def is_secret_key(key: str) -> bool:
    """True for keys whose values must never be written or shown."""
    parts = re.split(r"[_\-.\s]+", key.lower())
    if parts[-1] == "env":  # names an environment variable; the name is not a secret
        return False
    return any(part in SECRET_WORDS for part in parts)


def redact(value: Any, secret: bool = False) -> Any:
    """A copy of ``value`` with the values of secret-looking keys replaced by ``***``.

    Everything below a secret key is masked (``[notify] urls = [...]``). URLs keep their
    scheme only (``slack://***``), so a reader still sees which service was configured.
    """
    if isinstance(value, Mapping):
        return {k: redact(v, secret or is_secret_key(str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secret) for v in value]
    if secret and value not in (None, "", [], {}):
        if isinstance(value, str) and "://" in value:
            return value.split("://", 1)[0] + "://" + REDACTED
        return REDACTED
    return value
