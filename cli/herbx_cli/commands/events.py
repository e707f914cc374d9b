"""``herbx events summary | replay | tail``: read, explain and re-run event logs."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.live import Live

from herbx.analysis.filtered import LogFilter, write_filtered
from herbx.analysis.replay import replay as run_replay
from herbx.analysis.summary import LogSummary, SummaryBuilder, summarize
from herbx.analysis.tail import LogFollower, TailLine, TailNotice
from herbx.config import ConfigError, load_config
from herbx.events.log import LogError
from herbx.events.types import Event
from herbx.metrics import MetricsDBError, RunSummary, read_history
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode
from herbx_cli.render_history import history_table
from herbx_cli.render_summary import (
    comparison_legend,
    comparison_table,
    live_panel,
    plain_line,
    replay_renderable,
    summary_renderable,
)

events_app = typer.Typer(
    name="events",
    help="Read, explain and re-run event logs (events.jsonl).",
    no_args_is_help=True,
)

Lenient = Annotated[
    bool, typer.Option("--lenient", help="Skip unreadable lines in the middle instead of failing.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


def _fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> typer.Exit:
    out.error(message)
    return typer.Exit(int(code))


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


@events_app.command("summary")
def summary(
    logs: Annotated[
        list[Path] | None,
        typer.Argument(metavar="LOG", help="One or more events.jsonl files."),
    ] = None,
    as_json: AsJson = False,
    lenient: Lenient = False,
    warning_threshold: Annotated[
        float, typer.Option(help="Threshold for the crossing points of the rolling rate.")
    ] = 0.7,
    warning_window: Annotated[
        int, typer.Option(min=1, help="Specimens in the rolling success rate.")
    ] = 50,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            metavar="SOURCE",
            help="Also list the runs a metrics database, run directory or folder of runs "
            "knows, across time (alone or with LOGs).",
        ),
    ] = None,
) -> None:
    """What a run did, how well, how it evolved and what the validator decided.

    Several logs give a comparison table. A torn last line is reported, not fatal; a
    corrupt line in the middle is an error naming the file and line (exit 2) unless
    --lenient. --history SOURCE lists the runs across time from the metrics database(s).

    Examples:

        herbx events summary runs/r1/events.jsonl

        herbx events summary runs/*/events.jsonl

        herbx events summary runs/r1/events.jsonl --json | jq .success_rate

        herbx events summary --history runs/
    """
    if not 0.0 <= warning_threshold <= 1.0:
        raise _fail(f"--warning-threshold must be between 0 and 1, got {warning_threshold}")
    # --history: runs across time, read by herbx.metrics (rendered by render_history)
    logs = logs or []
    if not logs and history is None:
        raise _fail("give one or more LOG files, or --history SOURCE")
    runs: list[RunSummary] | None = None
    if history is not None:
        try:
            runs = read_history(history)
        except MetricsDBError as exc:
            raise _fail(f"--history {exc}") from None
    # end of --history reading
    results: list[LogSummary] = []
    for path in logs:
        try:
            results.append(
                summarize(
                    path,
                    lenient=lenient,
                    warning_threshold=warning_threshold,
                    warning_window=warning_window,
                )
            )
        except LogError as exc:
            raise _fail(str(exc)) from None
    if as_json:
        summaries: Any = (
            results[0].to_dict() if len(results) == 1 else [s.to_dict() for s in results]
        )
        if runs is None:
            _print_json(summaries)
        elif not results:
            _print_json([r.to_dict() for r in runs])
        else:
            _print_json({"summary": summaries, "history": [r.to_dict() for r in runs]})
        return
    console = out.console
    if len(results) == 1:
        console.print(summary_renderable(results[0]))
    elif results:
        console.print(comparison_table(results))
        for i, s in enumerate(results, 1):
            console.print(comparison_legend(i, s), highlight=False)
    if runs is not None:
        console.print(history_table(runs, history or ""))


def _parse_speed(value: str) -> float:
    text = value.strip().lower().removesuffix("x")
    try:
        speed = float(text)
    except ValueError:
        raise _fail(f"--speed {value!r}: expected a factor like 50x") from None
    if not speed > 0:
        raise _fail(f"--speed {value!r}: must be more than 0")
    return speed


def _validation_defaults() -> dict[str, Any]:
    try:
        section = load_config().get("validation", {})
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    return section if isinstance(section, dict) else {}


@events_app.command("replay")
def replay(
    log: Annotated[Path, typer.Argument(metavar="LOG", help="The events.jsonl to replay.")],
    early_checkpoint: Annotated[
        int | None, typer.Option(min=0, help="Check after this many specimens (0 = off).")
    ] = None,
    early_threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Needed success rate there.")
    ] = None,
    warning_threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Warn below this rolling rate.")
    ] = None,
    warning_interval: Annotated[
        int | None, typer.Option(min=1, help="Check the rolling rate every this many.")
    ] = None,
    p0: Annotated[float | None, typer.Option(help="Acceptable success rate.")] = None,
    p1: Annotated[float | None, typer.Option(help="Success rate of a broken run.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Sequential test's false-stop rate.")] = None,
    cusum_threshold: Annotated[
        float | None, typer.Option(help="Change detector threshold.")
    ] = None,
    max_consecutive_failures: Annotated[
        int | None, typer.Option(min=0, help="Stop after this many failures in a row (0 = off).")
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="Re-render the live panel.")] = False,
    speed: Annotated[str, typer.Option(help="Replay speed for --live, e.g. 50x.")] = "50x",
    to: Annotated[
        Path | None, typer.Option("--to", help="Write a filtered copy here (a valid log).")
    ] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="With --to: keep these types (repeat).")
    ] = None,
    specimens: Annotated[
        list[str] | None,
        typer.Option("--specimen", help="With --to: keep these specimens (repeat)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="With --to: from this time (ISO 8601).")] = None,
    until: Annotated[
        str | None, typer.Option(help="With --to: up to this time (ISO 8601).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --to: overwrite.")] = False,
    as_json: AsJson = False,
    lenient: Lenient = False,
) -> None:
    """Would these validator settings have stopped this run, and at which specimen?

    Unset settings come from the configuration (herbx.toml, HERBX_VALIDATION__*). With
    --to, writes a filtered copy instead (seq renumbered; itself a valid log).

    Examples:

        herbx events replay runs/r1/events.jsonl --early-checkpoint 10 --early-threshold 0.6

        herbx events replay runs/r1/events.jsonl --live --speed 50x

        herbx events replay runs/r1/events.jsonl --to failed.jsonl --type specimen.failed
    """
    if to is not None:
        try:
            result = write_filtered(
                log,
                to,
                LogFilter(types=types or (), specimens=specimens or (), since=since, until=until),
                lenient=lenient,
                overwrite=force,
            )
        except (LogError, ValueError) as exc:
            raise _fail(str(exc)) from None
        if as_json:
            _print_json(
                {"source": str(log), "to": str(to), "read": result.read, "written": result.written}
            )
        else:
            out.print_plain(f"wrote {result.written:,} of {result.read:,} events to {to}")
        return
    if types or specimens or since or until:
        raise _fail("--type, --specimen, --since and --until filter a copy: add --to FILE")
    cfg = _validation_defaults()

    def pick(value: Any, key: str) -> Any:
        return value if value is not None else cfg.get(key)

    options: dict[str, Any] = {
        "early_checkpoint": pick(early_checkpoint, "early_checkpoint"),
        "early_threshold": pick(early_threshold, "early_threshold"),
        "warning_threshold": pick(warning_threshold, "warning_threshold"),
        "warning_interval": pick(warning_interval, "warning_interval"),
        "p0": pick(p0, "p0"),
        "p1": pick(p1, "p1"),
        "alpha": pick(alpha, "alpha"),
        "cusum_threshold": pick(cusum_threshold, "cusum_threshold"),
        "max_consecutive_failures": pick(max_consecutive_failures, "max_consecutive_failures"),
    }
    options = {k: v for k, v in options.items() if v is not None}
    factor = _parse_speed(speed) if live else None
    try:
        if live and factor is not None:
            result_r = _replay_live(log, factor, lenient, options)
        else:
            result_r = run_replay(log, lenient=lenient, **options)
    except LogError as exc:
        raise _fail(str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise _fail(f"validator settings: {exc}") from None
    if as_json:
        _print_json(result_r.to_dict())
    else:
        out.console.print(replay_renderable(result_r))


def _replay_live(log: Path, speed: float, lenient: bool, options: dict[str, Any]) -> Any:
    builder = SummaryBuilder(str(log))
    console = out.console
    last_draw = 0.0
    with Live(console=console, auto_refresh=False, transient=False) as view:

        def on_event(event: Event) -> None:
            nonlocal last_draw
            builder.add(event.to_dict(), event.line or 0)
            now = time.monotonic()
            if now - last_draw >= 0.1:
                last_draw = now
                view.update(live_panel(builder.result(), f"replay x{speed:g}"), refresh=True)

        result = run_replay(log, lenient=lenient, speed=speed, on_event=on_event, **options)
        view.update(live_panel(builder.result(), f"replay x{speed:g}"), refresh=True)
    return result


@events_app.command("tail")
def tail(
    log: Annotated[
        Path, typer.Argument(metavar="LOG", help="The events.jsonl another process is writing.")
    ],
    raw: Annotated[bool, typer.Option("--raw", help="Print the lines instead of a panel.")] = False,
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, help="With --raw: earlier lines to show first.")
    ] = 10,
    poll: Annotated[
        float, typer.Option(min=0.01, help="Seconds between looks at the file.")
    ] = 0.25,
    timeout: Annotated[
        float | None, typer.Option(help="Give up after this many seconds (default: never).")
    ] = None,
) -> None:
    """Follow a log being written; stops when the run ends (Ctrl-C exits 130).

    Waits for a log that does not exist yet, survives the writer restarting (a resumed run
    appends to the same file) and a torn line being repaired.

    Examples:

        herbx events tail runs/r1/events.jsonl

        herbx events tail runs/r1/events.jsonl --raw -n 0
    """
    follower = LogFollower(log)
    builder = SummaryBuilder(str(log))
    backlog: list[bytes] = []
    interactive = out.console.is_terminal and not raw
    try:
        if interactive:
            with Live(console=out.console, auto_refresh=False) as view:
                for item in follower.follow(poll_interval=poll, timeout=timeout):
                    _take(item, builder, view)
                    view.update(live_panel(builder.result(), f"tail {log}"), refresh=True)
        else:
            last = ""
            for item in follower.follow(poll_interval=poll, timeout=timeout):
                if isinstance(item, TailNotice):
                    sys.stderr.write(f"herbx: {item.message}\n")
                    continue
                if raw:
                    if item.backlog:
                        backlog.append(item.raw)
                        if len(backlog) > lines:
                            backlog.pop(0)
                        continue
                    for b in backlog:
                        out.print_plain(b.decode("utf-8", "replace"))
                    backlog.clear()
                    out.print_plain(item.raw.decode("utf-8", "replace"))
                    continue
                _take(item, builder, None)
                if not item.backlog:
                    line = plain_line(builder.result())
                    if line != last:
                        out.print_plain(line)
                        last = line
            for b in backlog:
                out.print_plain(b.decode("utf-8", "replace"))
            if not raw:
                final = plain_line(builder.result())
                if final != last:
                    out.print_plain(final)
    except KeyboardInterrupt:
        out.error("interrupted")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    if timeout is not None and not follower.run_ended:
        raise _fail(f"{log}: the run did not end within {timeout:g}s", ExitCode.FAILURE)


def _take(item: TailLine | TailNotice, builder: SummaryBuilder, view: Live | None) -> None:
    if isinstance(item, TailNotice):
        if view is not None:
            view.console.print(f"[yellow]{item.message}[/yellow]")
        return
    if item.event is not None:
        builder.add(item.event, item.line)
    elif view is not None:
        view.console.print(f"[yellow]line {item.line}: {item.problem}[/yellow]")
    else:
        sys.stderr.write(f"herbx: {builder.path}:{item.line}: {item.problem}\n")


def register(app: typer.Typer) -> None:
    """Add the ``events`` group to the app."""
    app.add_typer(events_app, name="events")
