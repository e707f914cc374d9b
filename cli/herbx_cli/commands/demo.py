"""``herbx demo``: the event bus at work in ten seconds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from herbx.demo import run_demo
from herbx_cli.console import out


def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the demo's event logs.")
    ] = Path("demo_event_output"),
    seed: Annotated[int, typer.Option(help="Seed for the simulated outcomes.")] = 42,
    delay: Annotated[
        float, typer.Option(help="Seconds to pause per specimen, to watch it happen.")
    ] = 0.0,
) -> None:
    """Run two simulated extractions: a healthy one and a broken one stopped at specimen 5.

    Examples:

        herbx demo

        herbx demo -o /tmp/demo --delay 0.1

        herbx events summary demo_event_output/broken/events.jsonl
    """
    results = run_demo(output, seed=seed, delay=delay, echo=out.print_plain)
    out.print_plain("")
    for r in results:
        if r.stopped_at is None:
            out.print_plain(
                f"{r.run_id}: completed, {r.successful}/{r.processed} succeeded "
                f"({r.success_rate:.0%}); log {r.log_path}"
            )
        else:
            out.print_plain(
                f"{r.run_id}: stopped after {r.stopped_at} specimens "
                f"({r.success_rate:.0%} success); log {r.log_path}"
            )
    out.print_plain("Read a log with: herbx events summary " + str(results[-1].log_path))


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo")(demo)
