"""``herbx config show``: the effective configuration, secrets removed."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from herbx.config import ConfigError, load_config, redact
from herbx_cli.commands.extract import parse_set
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode

config_app = typer.Typer(
    help="Inspect herbx's configuration.", no_args_is_help=True, add_completion=False
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if value is None:
        return '""'
    return orjson.dumps(str(value)).decode()  # a JSON string is a valid TOML basic string


def _key(key: str) -> str:
    plain = key.replace("_", "").replace("-", "").isalnum()
    return key if plain else orjson.dumps(key).decode()


def to_toml(cfg: Mapping[str, Any], prefix: str = "") -> str:
    """Render a nested mapping as TOML: scalars first, then one ``[table]`` per sub-mapping."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in cfg.items():
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{_key(str(key))}", value))
        else:
            lines.append(f"{_key(str(key))} = {_toml_value(value)}")
    text = "\n".join(lines)
    for name, table in tables:
        body = to_toml(table, name + ".")
        has_scalars = any(not isinstance(v, Mapping) for v in table.values())
        block = (f"[{name}]\n" if has_scalars else "") + body
        text = (text + "\n\n" if text else "") + block.strip("\n")
    return text + ("\n" if not prefix else "")


@config_app.command("show")
def show(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="User config file (TOML).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a value, e.g. run.workers=4 (repeatable)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of TOML.")] = False,
) -> None:
    """Print the effective configuration.

    Precedence, lowest first: shipped defaults, --config/HERBX_CONFIG, HERBX_* env, --set.

    Secrets (keys, tokens, webhook URLs) are shown as ***.

    Examples:

        herbx config show

        HERBX_WORKERS=8 herbx config show --json

        herbx config show --config my.toml --set engines.simulate.seed=3
    """
    try:
        cfg = redact(load_config(config, overrides=parse_set(set_ or [])))
    except ConfigError as exc:
        out.error(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    if json_out:
        sys.stdout.buffer.write(orjson.dumps(cfg, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        sys.stdout.write(to_toml(cfg))
        sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add the ``config`` group to the app."""
    app.add_typer(config_app, name="config")
