"""Rich renderings of log summaries, comparisons, replays and the follow panel."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from herbx.analysis.replay import ReplayResult
from herbx.analysis.summary import LogSummary
from herbx.analysis.timeline import sparkline


def pct(value: float | None) -> str:
    """``92.0%`` or ``-``."""
    return "-" if value is None else f"{value:.1%}"


def dur(seconds: float | None) -> str:
    """``1h02m03s``, ``3m05s``, ``12.3s`` or ``-``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"
    return f"{s // 60}m{s % 60:02d}s"


def ms(value: float | None) -> str:
    """Milliseconds, shortened."""
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def _status(s: LogSummary) -> Text:
    colour = {
        "completed": "green",
        "stopped": "red",
        "failed": "red",
        "interrupted": "yellow",
        "running": "cyan",
    }.get(s.status, "")
    text = Text(s.status, style=f"bold {colour}".strip())
    why = s.message or s.reason
    if why:
        text.append(f" - {why}")
    if s.status == "running":
        text.append(" (no end event: still being written, or the writer died)")
    return text


def _kv_table() -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    return t


def summary_renderable(s: LogSummary) -> RenderableType:
    """Everything about one log, as tables for people."""
    parts: list[RenderableType] = []
    ident = s.identity
    head = _kv_table()
    head.add_row("log", s.path)
    head.add_row("run", str(ident["run_id"] or "-"))
    head.add_row("engine / model", f"{ident['engine'] or '-'} / {ident['model'] or '-'}")
    head.add_row("config hash", (ident["config_hash"] or "-")[:16])
    head.add_row("herbx version", str(ident["herbx_version"] or "-"))
    head.add_row("start", s.started_at or "-")
    head.add_row("end", s.ended_at or "-")
    head.add_row("duration", dur(s.duration_s))
    head.add_row("status", _status(s))
    if len(s.segments) > 1:
        head.add_row(
            "runs in log",
            f"{len(s.segments)} ("
            + ", ".join(f"{g.status}{' resumed' if g.resumed else ''}" for g in s.segments)
            + ")",
        )
    parts.append(Panel(head, title="run", expand=False))

    res = _kv_table()
    res.add_row("succeeded", f"{s.succeeded:,}")
    res.add_row("failed", f"{s.failed:,}")
    res.add_row("skipped", f"{s.skipped:,}")
    res.add_row("not reached", "-" if s.not_reached is None else f"{s.not_reached:,}")
    res.add_row("success rate", pct(s.success_rate))
    res.add_row(
        "throughput",
        "-" if s.specimens_per_minute is None else f"{s.specimens_per_minute:,.1f} specimens/min",
    )
    lat = s.latency_ms
    res.add_row(
        "latency",
        f"p50 {ms(lat.get('p50'))}  p90 {ms(lat.get('p90'))}  "
        f"p99 {ms(lat.get('p99'))}  max {ms(lat.get('max'))}",
    )
    if s.tokens:
        res.add_row("tokens", ", ".join(f"{k} {v:,}" for k, v in s.tokens.items()))
    if s.cost_usd is not None:
        res.add_row("cost", f"${s.cost_usd:,.4f}")
    if s.retries:
        res.add_row("engine retries", f"{s.retries:,}")
    if s.consumer_errors:
        res.add_row("consumer errors", f"{s.consumer_errors:,}")
    parts.append(Panel(res, title="outcome", expand=False))

    counts = Table(title="events by type", title_justify="left")
    counts.add_column("count", justify="right")
    counts.add_column("event_type")
    for et, n in s.counts.items():
        counts.add_row(f"{n:,}", et)
    parts.append(counts)

    if s.failure_reasons:
        reasons = Table(title="failure reasons", title_justify="left")
        reasons.add_column("count", justify="right")
        reasons.add_column("share", justify="right")
        reasons.add_column("reason")
        reasons.add_column("example")
        for r in s.failure_reasons:
            example = r["example_specimen"] or "-"
            if r["example_message"]:
                example += f": {r['example_message']}"
            reasons.add_row(f"{r['count']:,}", pct(r["share"]), r["reason"], example)
        parts.append(reasons)

    if s.field_coverage:
        cov = Table(title="field coverage (of succeeded records)", title_justify="left")
        cov.add_column("term")
        cov.add_column("filled", justify="right")
        for term, frac in sorted(s.field_coverage.items(), key=lambda kv: -kv[1]):
            cov.add_row(term, pct(frac))
        parts.append(cov)

    if s.timeline:
        tl = Text()
        tl.append("success rate over time  ", style="bold")
        tl.append(s.sparkline or sparkline(s.timeline))
        tl.append(f"  (0..100%, {s.timeline_bucket} specimen(s) per step before resampling)")
        parts.append(tl)
        if s.crossings:
            cross = Table(
                title=(
                    f"rolling success rate ({s.warning_window} specimens) crossing "
                    f"{s.warning_threshold:.0%}"
                ),
                title_justify="left",
            )
            for col in ("at specimen", "went", "rolling rate", "specimen", "time"):
                cross.add_column(col)
            for c in s.crossings[:20]:
                cross.add_row(
                    str(c["processed"]),
                    c["direction"],
                    pct(c["rolling_rate"]),
                    c["specimen_id"] or "-",
                    c["timestamp"],
                )
            parts.append(cross)
            if s.crossings_total > 20:
                parts.append(Text(f"... {s.crossings_total - 20} more crossings (see --json)"))
        else:
            parts.append(
                Text(
                    f"rolling success rate ({s.warning_window} specimens) never crossed "
                    f"{s.warning_threshold:.0%}"
                )
            )

    parts.append(_validator_renderable(s))
    parts.append(_read_notes(s))
    return Group(*parts)


def _validator_renderable(s: LogSummary) -> RenderableType:
    t = Table(title="validator decisions", title_justify="left")
    t.add_column("decision")
    t.add_column("numbers")
    for c in s.checkpoints:
        t.add_row(
            f"checkpoint {'passed' if c.get('passed') else 'FAILED'}",
            f"{c.get('success_count', '?')}/{c.get('processed', '?')} = "
            f"{pct(_f(c.get('success_rate')))} (threshold {pct(_f(c.get('threshold')))}), "
            f"closeness {_fmt(c.get('closeness'))}",
        )
    for w in s.warnings[:10]:
        t.add_row(
            "warning",
            f"rolling {pct(_f(w.get('success_rate')))} over {w.get('window', '?')} "
            f"< {pct(_f(w.get('threshold')))} at specimen {w.get('processed', '?')}",
        )
    if s.warnings_total > 10:
        t.add_row("warning", f"... {s.warnings_total - 10} more")
    if s.stop:
        st = s.stop
        detail = ", ".join(
            f"{k} {_fmt(st[k])}"
            for k in ("sprt", "sprt_threshold", "cusum", "cusum_threshold", "consecutive_failures")
            if k in st
        )
        t.add_row(
            f"stop: {st.get('reason', '?')}",
            f"{st.get('message', '')} (after {st.get('processed', '?')} specimens"
            + (f"; {detail}" if detail else "")
            + ")",
        )
    if not t.rows:
        t.add_row("none", "no checkpoint, warning or stop in this log")
    return t


def _read_notes(s: LogSummary) -> RenderableType:
    notes = Text()
    if s.torn_tail:
        notes.append(
            f"note: line {s.torn_tail_line} is an unfinished last line (torn tail); skipped\n",
            style="yellow",
        )
    for line, why in s.skipped_lines[:10]:
        notes.append(f"note: line {line} skipped: {why}\n", style="yellow")
    if s.seq_gaps:
        line, expected, found = s.seq_gaps[0]
        notes.append(
            f"note: {len(s.seq_gaps)} break(s) in seq; first at line {line} "
            f"(expected {expected}, found {found})\n",
            style="yellow",
        )
    return notes


def _f(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def comparison_table(summaries: list[LogSummary]) -> Table:
    """One row per log, for ``herbx events summary runs/*/events.jsonl``.

    Narrow enough for 80 columns; :func:`comparison_legend` names each row's log.
    """
    t = Table(title="runs compared", title_justify="left")
    for col in ("#", "status", "ok", "failed", "skipped", "left", "success", "/min", "p50"):
        t.add_column(col, justify="left" if col == "status" else "right")
    t.add_column("duration", justify="right")
    for i, s in enumerate(summaries, 1):
        t.add_row(
            str(i),
            s.status,
            f"{s.succeeded:,}",
            f"{s.failed:,}",
            f"{s.skipped:,}",
            "-" if s.not_reached is None else f"{s.not_reached:,}",
            pct(s.success_rate),
            "-" if s.specimens_per_minute is None else f"{s.specimens_per_minute:,.1f}",
            ms(s.latency_ms.get("p50")),
            dur(s.duration_s),
        )
    return t


def comparison_legend(index: int, s: LogSummary) -> str:
    """One line naming row ``index``: log, run, engine/model, why it ended, top failure."""
    ident = s.identity
    parts = [
        f"#{index} {s.path}",
        f"run {ident['run_id'] or '-'}",
        f"{ident['engine'] or '-'}/{ident['model'] or '-'}",
    ]
    if s.reason:
        parts.append(f"ended: {s.reason}")
    if s.failure_reasons:
        top = s.failure_reasons[0]
        parts.append(f"top failure: {top['reason']} ({top['count']:,})")
    if s.cost_usd is not None:
        parts.append(f"cost ${s.cost_usd:,.4f}")
    if s.torn_tail:
        parts.append(f"torn last line {s.torn_tail_line} skipped")
    return "; ".join(parts)


def _status_word(s: LogSummary) -> str:
    return f"{s.status} ({s.reason})" if s.reason else s.status


def replay_renderable(r: ReplayResult) -> RenderableType:
    """The replay's answer: would these settings have stopped the run, where and when."""
    parts: list[RenderableType] = []
    v = r.validator
    settings = Text(
        f"validator: checkpoint {v['early_checkpoint']} at {v['early_threshold']:.0%}, "
        f"warning {v['warning_threshold']:.0%} every {v['warning_interval']}, "
        f"p0 {v['p0']} p1 {v['p1']} alpha {v['alpha']}, cusum {v['cusum_threshold']}, "
        f"max consecutive failures {v['max_consecutive_failures']}"
    )
    parts.append(settings)
    t = Table(title=f"replay of {r.path} ({r.events:,} events)", title_justify="left")
    for col in ("run", "recorded", "with these settings"):
        t.add_column(col)
    by_segment = {d.segment: d for d in r.decisions}
    for run in r.runs:
        recorded = f"{run.status}"
        if run.stop_reason:
            recorded += f" ({run.stop_reason})"
        recorded += f" after {run.processed:,} specimens, {dur(run.duration_s)}"
        d = by_segment.get(run.segment)
        if d is None:
            verdict = Text(
                f"would not stop within the {run.processed:,} recorded specimens", style="green"
            )
        else:
            verdict = Text(
                f"would stop at specimen {d.processed:,}"
                + (f" ({d.specimen_id})" if d.specimen_id else "")
                + f" after {dur(d.after_s)}: {d.reason}",
                style="red",
            )
            if d.saved_specimens:
                verdict.append(
                    f"; saves {d.saved_specimens:,} specimens and {dur(d.saved_s)}", style="red"
                )
            verdict.append(f"\n{d.message}")
        t.add_row(f"{run.segment}: {run.run_id or '-'}", recorded, verdict)
    parts.append(t)
    if r.checkpoints:
        c = r.checkpoints[0]
        parts.append(
            Text(
                f"checkpoint at {c.get('checkpoint')}: "
                f"{'passed' if c.get('passed') else 'FAILED'} with {pct(_f(c.get('success_rate')))}"
            )
        )
    if r.warnings:
        parts.append(Text(f"{len(r.warnings)} warning(s) would have been raised"))
    if r.report.torn_tail:
        parts.append(Text("note: the log ends in an unfinished (torn) line; skipped"))
    return Group(*parts)


def live_panel(s: LogSummary, title: str) -> Panel:
    """A compact panel for ``tail`` and ``replay --live``."""
    t = _kv_table()
    ident = s.identity
    t.add_row("run", f"{ident['run_id'] or '-'} ({ident['engine'] or '-'}/{ident['model'] or '-'})")
    t.add_row("status", _status(s))
    total = s.segments[-1].total_specimens if s.segments else None
    done = s.processed + s.skipped
    t.add_row(
        "progress",
        f"{done:,}" + (f" / {total:,}" if total else "") + f"  (ok {s.succeeded:,}, "
        f"failed {s.failed:,}, skipped {s.skipped:,})",
    )
    t.add_row("success", pct(s.success_rate))
    t.add_row("timeline", s.sparkline or "-")
    t.add_row(
        "throughput",
        "-" if s.specimens_per_minute is None else f"{s.specimens_per_minute:,.1f}/min",
    )
    t.add_row("latency p50/p90", f"{ms(s.latency_ms.get('p50'))} / {ms(s.latency_ms.get('p90'))}")
    if s.failure_reasons:
        t.add_row(
            "top failures",
            ", ".join(f"{r['reason']} {r['count']}" for r in s.failure_reasons[:3]),
        )
    if s.checkpoints:
        c = s.checkpoints[-1]
        t.add_row("checkpoint", "passed" if c.get("passed") else "FAILED")
    if s.warnings_total:
        t.add_row("warnings", str(s.warnings_total))
    if s.cost_usd is not None:
        t.add_row("cost", f"${s.cost_usd:,.4f}")
    return Panel(t, title=title, expand=False)


def plain_line(s: LogSummary) -> str:
    """One line of progress for logs and pipes."""
    return (
        f"{s.status}: {s.processed:,} processed ({s.succeeded:,} ok, {s.failed:,} failed, "
        f"{s.skipped:,} skipped), success {pct(s.success_rate)}"
        + (f", {s.reason}" if s.reason else "")
    )
