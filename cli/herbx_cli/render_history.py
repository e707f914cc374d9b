"""The history of runs from a metrics source, as a rich table (``events summary --history``)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from herbx.metrics import RunSummary
from herbx_cli.render_summary import dur, pct

_STATUS_COLOUR = {"completed": "green", "stopped": "red", "interrupted": "yellow"}


def _started(value: str | None) -> str:
    # 2026-11-26T20:40:12.345+00:00 -> 2026-11-26 20:40
    return "-" if not value else value[:16].replace("T", " ")


def history_table(runs: list[RunSummary], source: Path | str) -> Table:
    """One row per run, oldest first: start, run, status, processed (of total), succeeded,
    failed, success rate, duration, engine (and model when it differs)."""
    t = Table(title=f"runs in {source}", title_justify="left", box=None, pad_edge=False)
    t.add_column("started", no_wrap=True)
    t.add_column("run", overflow="fold")
    t.add_column("status")
    for col in ("done", "ok", "failed", "rate", "time"):
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("engine/model", overflow="fold")
    for r in runs:
        total = f"/{r.total_specimens:,}" if r.total_specimens is not None else ""
        model = f"/{r.model}" if r.model and r.model != r.engine else ""
        t.add_row(
            _started(r.started_at),
            r.run_id,
            Text(r.status, style=_STATUS_COLOUR.get(r.status, "")),
            f"{r.processed:,}{total}",
            f"{r.successful:,}",
            f"{r.failed:,}",
            pct(r.success_rate) if r.processed else "-",
            dur(r.duration_s),
            f"{r.engine or '-'}{model}",
        )
    return t
