"""``herbx dashboard``: serve a live, read-only web page over a folder of runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from herbx.config import ConfigError, load_config
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode


def dashboard(
    runs: Annotated[
        Path,
        typer.Argument(metavar="[RUNS]", help="Folder of run directories (or one run directory)."),
    ] = Path("runs"),
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on. Default 127.0.0.1 (this machine only)."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from [dashboard] port).")] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Shared metrics database for the history of runs (default: [metrics_db] "
            "path, else each run's metrics.sqlite).",
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config file.")] = None,
) -> None:
    """Serve a live page: runs with status, success rate over time, throughput, ETA,
    validator state, failure reasons and recent specimens with thumbnails.

    Read-only: it never writes into the runs folder. It listens on 127.0.0.1 unless
    --host says otherwise. Also serves Prometheus metrics at /metrics and the history of
    runs (success rate and counts over time) from the metrics databases.

    Examples:

        herbx dashboard runs/

        herbx dashboard runs/ --port 9000

        herbx dashboard /data/runs --host 0.0.0.0

        herbx dashboard runs/ --db shared-metrics.sqlite
    """
    try:
        full = load_config(config)
    except ConfigError as exc:
        out.error(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    cfg = full.get("dashboard", {})
    if not runs.is_dir():
        out.error(f"{runs}: not a folder")
        raise typer.Exit(ExitCode.BAD_INPUT)
    if db is not None and not db.is_file():
        out.error(f"--db {db}: no such metrics database")
        raise typer.Exit(ExitCode.BAD_INPUT)
    if db is None:
        shared = str(full.get("metrics_db", {}).get("path") or "")
        db = Path(shared).expanduser() if shared else None
    host = host or str(cfg.get("host", "127.0.0.1"))
    port = int(port if port is not None else cfg.get("port", 8765))
    if not 0 <= port <= 65535:
        out.error(f"--port {port}: not a port number (0-65535)")
        raise typer.Exit(ExitCode.BAD_INPUT)

    import uvicorn

    from herbx.dashboard.app import create_app

    app = create_app(runs, poll_interval=float(cfg.get("poll_interval", 0.5)), db=db)
    shown = f"[{host}]" if ":" in host else host
    out.print_plain(
        f"herbx dashboard for {runs.resolve()} on http://{shown}:{port}/ (Ctrl-C stops)"
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
    except OSError as exc:
        out.error(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(ExitCode.FAILURE) from None


def register(app: typer.Typer) -> None:
    """Add ``dashboard`` to the app."""
    app.command("dashboard")(dashboard)
