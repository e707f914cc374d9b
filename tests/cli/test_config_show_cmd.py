"""``herbx config show``: effective config with precedence, secrets redacted."""

from __future__ import annotations

import tomllib
from pathlib import Path

import orjson
from typer.testing import CliRunner

from herbx_cli.app import app

runner = CliRunner()


def test_show_toml_round_trips_with_precedence(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[run]\nworkers = 3\nengine = "simulate"\n[notify]\nurl = "x"\n')
    result = runner.invoke(
        app,
        ["config", "show", "--config", str(user), "--set", 'run.engine="openai"'],
        env={"HERBX_WORKERS": "5"},
    )
    assert result.exit_code == 0, result.output
    cfg = tomllib.loads(result.stdout)
    assert cfg["run"]["workers"] == 5  # env beats the user file
    assert cfg["run"]["engine"] == "openai"  # flags beat env
    assert cfg["validation"]["early_checkpoint"] == 5  # shipped default


def test_show_json_redacts_secrets(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[engines.openai]\napi_key = "sk-secret-123"\n')
    result = runner.invoke(app, ["config", "show", "--config", str(user), "--json"])
    assert result.exit_code == 0
    assert "sk-secret-123" not in result.stdout
    assert orjson.loads(result.stdout)["engines"]["openai"]["api_key"] == "***"


def test_bad_config_file_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n")
    result = runner.invoke(app, ["config", "show", "--config", str(bad)])
    assert result.exit_code == 2 and "bad.toml" in result.stderr
