"""Run metrics in the Prometheus text exposition format (version 0.0.4).

Example::

    from herbx.metrics.history import open_source
    from herbx.metrics.prometheus import render_prometheus

    with open_source("runs/") as conn:
        print(render_prometheus(conn))
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable

from herbx.metrics.history import RunSummary, run_summaries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str | None) -> str:
    inner = ",".join(f'{k}="{_escape(v or "")}"' for k, v in labels.items())
    return "{" + inner + "}"


def _value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name, self.kind, self.help = name, kind, help_text
        self.samples: list[str] = []

    def add(self, value: float, suffix: str = "", **labels: str | None) -> None:
        self.samples.append(f"{self.name}{suffix}{_labels(**labels)} {_value(value)}")

    def lines(self) -> list[str]:
        if not self.samples:
            return []
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}",
                *self.samples]  # fmt: skip


def render_runs(runs: Iterable[RunSummary]) -> str:
    """The exposition text for ``runs`` (one labelled series per run)."""
    info = _Family("herbx_run_info", "gauge", "A run: engine, model and status (value 1).")
    specimens = _Family("herbx_specimens_total", "counter", "Specimens by outcome.")
    reasons = _Family("herbx_specimen_failures_total", "counter", "Failed specimens by reason.")
    rate = _Family("herbx_run_success_ratio", "gauge", "Successful / processed specimens.")
    total = _Family("herbx_run_specimens", "gauge", "Images discovered for the run.")
    duration = _Family("herbx_run_duration_seconds", "gauge", "Run time so far or in all.")
    latency = _Family("herbx_specimen_duration_seconds", "summary", "Time per specimen.")
    tokens = _Family("herbx_tokens_total", "counter", "Model tokens used, by kind.")
    cost = _Family("herbx_cost_usd_total", "counter", "Model cost reported by the engine.")
    last = _Family("herbx_run_last_event_timestamp_seconds", "gauge", "Time of the last event.")
    close = _Family(
        "herbx_validation_closeness", "gauge", "How near the validator is to a stop (0..1)."
    )
    for r in runs:
        rid = r.run_id
        info.add(1, run_id=rid, engine=r.engine, model=r.model, status=r.status)
        for outcome, n in (("completed", r.successful), ("failed", r.failed),
                           ("skipped", r.skipped)):  # fmt: skip
            specimens.add(n, run_id=rid, outcome=outcome)
        for reason, n in r.failure_reasons.items():
            reasons.add(n, run_id=rid, reason=reason)
        rate.add(r.success_rate, run_id=rid)
        if r.total_specimens is not None:
            total.add(r.total_specimens, run_id=rid)
        if r.duration_s is not None:
            duration.add(r.duration_s, run_id=rid)
        latency.add(r.latency_ms_sum / 1000.0, "_sum", run_id=rid)
        latency.add(r.latency_count, "_count", run_id=rid)
        if r.prompt_tokens or r.completion_tokens:
            tokens.add(r.prompt_tokens, run_id=rid, kind="prompt")
            tokens.add(r.completion_tokens, run_id=rid, kind="completion")
        if r.cost_usd:
            cost.add(r.cost_usd, run_id=rid)
        if r.last_event_ts:
            last.add(r.last_event_ts, run_id=rid)
        if r.closeness is not None:
            close.add(r.closeness, run_id=rid)
    lines: list[str] = []
    for family in (info, specimens, reasons, rate, total, duration, latency, tokens, cost,
                   last, close):  # fmt: skip
        lines += family.lines()
    return "\n".join(lines) + "\n" if lines else ""


def render_prometheus(conn: sqlite3.Connection) -> str:
    """The exposition text for every run in a metrics database."""
    return render_runs(run_summaries(conn))
