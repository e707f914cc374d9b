"""Configuration precedence, errors and secret redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from herbx.config import ConfigError, env_overrides, load_config, redact, shipped_config_dir


def test_shipped_defaults() -> None:
    cfg = load_config(env={})
    assert cfg["validation"]["early_checkpoint"] == 5
    assert (shipped_config_dir() / "herbx.toml").is_file()


def test_precedence_file_env_flags(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text(
        '[run]\nengine = "simulate"\nworkers = 3\n[validation]\nearly_threshold = 0.8\n'
    )
    env = {"HERBX_CONFIG": str(user), "HERBX_WORKERS": "5", "HERBX_VALIDATION__ALPHA": "0.01"}
    cfg = load_config(env=env, overrides={"run": {"workers": 8}})
    assert cfg["run"]["engine"] == "simulate"  # file
    assert cfg["validation"]["early_threshold"] == 0.8  # file
    assert cfg["validation"]["alpha"] == 0.01  # env, parsed as a number
    assert cfg["run"]["workers"] == 8  # flag beats env
    assert load_config(user, env={})["run"]["workers"] == 3


def test_bad_user_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nengine = 1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(bad, env={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml", env={})


def test_env_overrides_shape() -> None:
    assert env_overrides({"HERBX_ENGINE": "openai", "HERBX_X__Y": "true", "PATH": "/bin"}) == {
        "run": {"engine": "openai"},
        "x": {"y": True},
    }


def test_redact_secrets() -> None:
    cfg = {
        "engines": {
            "openai": {"api_key": "sk-live-123", "api_key_env": "HERBX_API_KEY", "model": "m"}
        },
        "notify": {"urls": ["slack://T000/B000/XXXX", "json://localhost/hook"]},
        "webhook_url": "https://hooks.example/abc?token=zzz",
    }
    red = redact(cfg)
    text = repr(red)
    assert "sk-live-123" not in text and "XXXX" not in text and "zzz" not in text
    assert red["engines"]["openai"]["api_key_env"] == "HERBX_API_KEY"
    assert red["engines"]["openai"]["model"] == "m"
    assert red["notify"]["urls"] == ["slack://***", "json://***"]


def test_secret_key_words() -> None:
    from herbx.config import is_secret_key

    for key in ("api_key", "API-KEY", "token", "access_token", "webhook_url", "notify", "password"):
        assert is_secret_key(key), key
    for key in ("max_tokens", "api_key_env", "model", "tokens_per_minute", "keyboard", "monkey"):
        assert not is_secret_key(key), key
