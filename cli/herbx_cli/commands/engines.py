"""``herbx engines list|check``: what can extract, and does it work before a long run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from herbx.config import ConfigError, load_config
from herbx.engines.base import EngineError
from herbx.engines.registry import (
    UnknownEngineError,
    available_engines,
    create_engine,
)
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode

engines_app = typer.Typer(
    help="List the extraction engines and check one before a long run.",
    no_args_is_help=True,
)


@engines_app.command("list")
def list_engines(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Show every engine: built-ins and plugins from the ``herbx.engines`` entry points.

    Examples:

        herbx engines list

        herbx engines list --json | jq -r '.[].name'
    """
    # A skipped plugin is reported once on stderr by the registry's logger.
    engines = available_engines()
    if as_json:
        rows = [info.to_dict() for info in engines.values()]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    width = max(len(name) for name in engines)
    origin_width = max(len(info.origin) for info in engines.values())
    for info in engines.values():
        out.print_plain(
            f"{info.name:<{width}}  {info.kind:<3}  {info.origin:<{origin_width}}  "
            f"{info.description}"
        )


@engines_app.command("check")
def check(
    engine: Annotated[
        str | None,
        typer.Option("--engine", "-e", help="Engine to check (default: run.engine of the config)."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model to check (openai).")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Endpoint to check (openai).")
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", "-c", help="User config file (TOML).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Verify that an engine can work: for ``openai``, the key, the endpoint and the model.

    A cheap call (the model list and a one-token answer), so a wrong key costs seconds,
    not a day. Exit 0 when the engine is ready, 2 with one line saying what to fix.

    Examples:

        herbx engines check --engine openai

        OPENROUTER_API_KEY=... herbx engines check -e openai --model google/gemini-2.5-flash

        herbx engines check -e openai --base-url http://localhost:11434/v1 --model qwen2.5vl:7b
    """
    try:
        cfg = load_config(config_file)
        name = engine or str(cfg.get("run", {}).get("engine", "ocr"))
        settings: dict[str, Any] = dict(cfg.get("engines", {}).get(name, {}))
        if model is not None:
            settings["model"] = model
        if base_url is not None:
            settings["base_url"] = base_url
        built = create_engine(name, settings, config=cfg)
    except (ConfigError, UnknownEngineError) as exc:
        out.error(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except ImportError as exc:
        out.error(f"engine {name!r} cannot be loaded: {exc}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    try:
        probe = getattr(built, "check", None)
        detail = str(probe()) if callable(probe) else f"engine {name!r} loaded"
    except EngineError as exc:
        out.error(f"engine {name!r} is not ready: {exc}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    finally:
        built.close()
    if as_json:
        doc = {"engine": name, "ok": True, "detail": detail, "settings": built.settings()}
        sys.stdout.write(orjson.dumps(doc).decode() + "\n")
    else:
        out.print_plain(f"ok: {name}: {detail}")


def register(app: typer.Typer) -> None:
    """Add the ``engines`` group to the app."""
    app.add_typer(engines_app, name="engines")
