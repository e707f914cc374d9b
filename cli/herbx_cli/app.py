"""The ``herbx`` Typer application.

``main()`` is the console-script entry point. Command groups live in
``herbx_cli.commands.*``; each module's ``register(app)`` adds its commands.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from herbx import __version__
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode

#: Each command (or command group) and the module whose ``register(app)`` adds it.
COMMANDS: dict[str, str] = {
    "demo": "herbx_cli.commands.demo",
    "export": "herbx_cli.commands.export",
    "eval": "herbx_cli.commands.eval",
    "events": "herbx_cli.commands.events",
    "engines": "herbx_cli.commands.engines",
    "extract": "herbx_cli.commands.extract",
    "config": "herbx_cli.commands.config_cmd",
    "metrics": "herbx_cli.commands.metrics",
    "dashboard": "herbx_cli.commands.dashboard",
}

_HELP = (
    "Extract Darwin Core records from herbarium specimen images, and watch every run.\n\n"
    "Exit codes: 0 ok, 1 failure, 2 bad usage or input, 3 stopped by validation, "
    "130 interrupted."
)


def _version(value: bool) -> None:
    if value:
        out.print_plain(f"herbx {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """herbx command line."""


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with just the command named ``only``.

    Loading one command's module instead of all of them saves about a quarter of a second
    of start-up (``herbx events summary`` on a big log is timed against jq).
    """
    app = typer.Typer(
        name="herbx",
        help=_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(app)
    return app


def command_named(argv: list[str]) -> str | None:
    """The command ``argv`` runs when it names one first (before any option), else None."""
    if argv and argv[0] in COMMANDS:
        return argv[0]
    return None


def __getattr__(name: str) -> typer.Typer:
    """``from herbx_cli.app import app``: the app with every command, built once."""
    if name == "app":
        built = build_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point: run the app, map stray errors to one line and exit 1."""
    logging.basicConfig(level=logging.WARNING, format="herbx: %(message)s")
    try:
        build_app(command_named(sys.argv[1:]))()
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    main()
