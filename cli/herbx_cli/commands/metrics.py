"""``herbx metrics``: run metrics from SQLite or event logs, for people and for Prometheus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from herbx.metrics import MetricsDBError, connect, ingest_log, open_source, run_summaries
from herbx.metrics.history import find_logs
from herbx.metrics.prometheus import render_prometheus
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode

metrics_app = typer.Typer(
    help="Run metrics kept in SQLite (metrics.sqlite), read across runs.",
    no_args_is_help=True,
)

Source = Annotated[
    Path,
    typer.Argument(
        metavar="SOURCE",
        help="A run directory, a folder of runs, an events.jsonl or a metrics database.",
        show_default=False,
    ),
]


def _bad(message: str) -> typer.Exit:
    out.error(message)
    return typer.Exit(ExitCode.BAD_INPUT)


@metrics_app.command("export")
def export(
    source: Source,
    prometheus: Annotated[
        bool, typer.Option("--prometheus", help="Prometheus text exposition format.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per run.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Export the metrics of one run or many.

    Examples:

        herbx metrics export --prometheus runs/

        herbx metrics export --prometheus runs/2026-11-26T1903-ocr -o herbx.prom

        herbx metrics export --json shared-metrics.sqlite
    """
    if prometheus == as_json:
        raise _bad("choose one format: --prometheus or --json")
    try:
        with open_source(source) as conn:
            if prometheus:
                text = render_prometheus(conn)
            else:
                text = json.dumps([r.to_dict() for r in run_summaries(conn)], indent=2) + "\n"
    except MetricsDBError as exc:
        raise _bad(str(exc)) from None
    if output is None:
        out.print_plain(text.rstrip("\n"))
    else:
        output.write_text(text, encoding="utf-8")


@metrics_app.command("history")
def history(
    source: Source,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List runs with status, counts and success rate, oldest first.

    Examples:

        herbx metrics history runs/

        herbx metrics history shared-metrics.sqlite --json
    """
    try:
        with open_source(source) as conn:
            runs = run_summaries(conn)
    except MetricsDBError as exc:
        raise _bad(str(exc)) from None
    if as_json:
        out.print_plain(json.dumps([r.to_dict() for r in runs], indent=2))
        return
    if not runs:
        out.print_plain("no runs")
        return
    out.print_plain(f"{'run':<32} {'status':<11} {'processed':>9} {'ok':>7} {'rate':>6}  reasons")
    for r in runs:
        reasons = ", ".join(f"{k} {v}" for k, v in list(r.failure_reasons.items())[:3])
        out.print_plain(
            f"{r.run_id:<32} {r.status:<11} {r.processed:>9} {r.successful:>7} "
            f"{r.success_rate:>6.1%}  {reasons}"
        )


@metrics_app.command("ingest")
def ingest(
    runs: Annotated[
        Path,
        typer.Argument(
            metavar="RUNS", help="A run directory or a folder of runs.", show_default=False
        ),
    ],
    db: Annotated[Path, typer.Option("--db", help="Metrics database to add them to.")],
) -> None:
    """Record existing runs' event logs into a (shared) metrics database. Safe to repeat.

    Example:

        herbx metrics ingest runs/ --db shared-metrics.sqlite
    """
    logs = find_logs(runs) if runs.is_dir() else []
    if not logs:
        raise _bad(f"{runs}: no events.jsonl found here")
    try:
        conn = connect(db)
    except MetricsDBError as exc:
        raise _bad(str(exc)) from None
    try:
        for log in logs:
            n = ingest_log(conn, log)
            out.print_plain(f"{log}: {n} events")
    finally:
        conn.close()


def register(app: typer.Typer) -> None:
    """Add the ``metrics`` group to the app."""
    app.add_typer(metrics_app, name="metrics")
