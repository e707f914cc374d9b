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

COMMAND_MODULES = [
    "herbx_cli.commands.demo",
    "herbx_cli.commands.export",
    "herbx_cli.commands.eval",
    "herbx_cli.commands.events",
    "herbx_cli.commands.engines",
    "herbx_cli.commands.extract",
    "herbx_cli.commands.config_cmd",
    "herbx_cli.commands.metrics",
    "herbx_cli.commands.dashboard",
]

app = typer.Typer(
    name="herbx",
    help=(
        "Extract Darwin Core records from herbarium specimen images, and watch every run.\n\n"
        "Exit codes: 0 ok, 1 failure, 2 bad usage or input, 3 stopped by validation, "
        "130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        out.print_plain(f"herbx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """herbx command line."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry point: run the app, map stray errors to one line and exit 1."""
    logging.basicConfig(level=logging.WARNING, format="herbx: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    main()
