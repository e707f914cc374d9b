"""``herbx`` loads only the module of the command it runs, and every command still works."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from herbx_cli.app import COMMANDS, build_app, command_named


def _names(app: typer.Typer) -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_the_command_is_found_only_in_first_place() -> None:
    assert command_named(["events", "summary", "x.jsonl"]) == "events"
    assert command_named(["extract", "images"]) == "extract"
    assert command_named(["--version"]) is None
    assert command_named(["--help"]) is None
    assert command_named([]) is None
    assert command_named(["nonsense"]) is None


def test_one_command_or_all() -> None:
    assert _names(build_app("events")) == {"events"}
    assert _names(build_app()) == set(COMMANDS)
    from herbx_cli.app import app

    assert _names(app) == set(COMMANDS)


def _herbx(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from herbx_cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_the_entry_point_runs_one_command_and_lists_all() -> None:
    listed = _herbx("--help")
    assert listed.returncode == 0
    for name in COMMANDS:
        assert name in listed.stdout
    events_help = _herbx("events", "--help")
    assert events_help.returncode == 0 and "summary" in events_help.stdout
    unknown = _herbx("nonsense")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
    assert _herbx("--version").stdout.startswith("herbx ")
