"""``herbx extract``: run an engine over a folder of specimen images."""

from __future__ import annotations

import os
import sys
import threading
import tomllib
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from herbx.config import ConfigError, deep_merge, load_config
from herbx.events import HybridEventBus
from herbx.extraction import ExtractionError, ExtractionRun, RunResult
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode
from herbx_cli.panel import LivePanel, PlainProgress, RunView


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["engines.simulate.success_rate=0"]`` -> nested overrides (values read as TOML)."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        parts = [p for p in key.strip().split(".") if p]
        if not sep or not parts:
            raise typer.BadParameter(
                f"{item!r}: expected KEY=VALUE, e.g. run.workers=4", param_hint="--set"
            )
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "run_dir": str(result.run_dir),
        "status": result.status,
        "counts": result.counts,
        "success_rate": result.success_rate,
        "duration_s": round(result.duration_s, 3),
        "reason": result.reason,
        "message": result.message,
        "failure_reasons": result.failure_reasons,
        "events": str(result.events_path),
        "raw": str(result.raw_path),
    }


def extract(
    input_dir: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT_DIR", help="Folder of specimen images (searched recursively)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Run directory; the same one again resumes. Default runs/<run_id>/.",
        ),
    ] = None,
    engine: Annotated[
        str | None, typer.Option(help="Engine name: ocr, openai, simulate or a plugin.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Model for engines that take one (sets engines.<engine>.model)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Parallel extractions (threads or processes by engine)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Process only the first N images.")
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Glob of images to take (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob of images to leave out (repeatable).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option(help="On resume, reprocess images that failed before.")
    ] = False,
    new_settings: Annotated[
        bool, typer.Option(help="Allow resuming a directory whose results used other settings.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="User config file (TOML).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a config value, e.g. engines.simulate.success_rate=0 (repeatable).",
        ),
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            help="Apprise URL to notify on a stop, a systemic error, a warning and the end "
            "(repeatable; else HERBX_NOTIFY, else [notify] urls). Never shown unmasked.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    plain: Annotated[bool, typer.Option(help="Plain progress lines even on a terminal.")] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run summary as JSON on stdout.")
    ] = False,
) -> None:
    """Extract Darwin Core records from every image in INPUT_DIR.

    Writes raw.jsonl, events.jsonl and run.json to the run directory.

    Exit codes: 0 completed (some specimens may have failed); 2 bad input;
    3 stopped by validation or a systemic engine error; 130 interrupted.

    Run it again with the same -o to resume.

    Examples:

        herbx extract images/

        herbx extract images/ --engine openai --model qwen/qwen2.5-vl-72b-instruct --workers 8

        herbx extract images/ -o runs/batch3        # the same directory again resumes

        herbx extract images/ --limit 5 --engine simulate --set engines.simulate.success_rate=0

        herbx extract images/ --notify "ntfy://my-topic" --notify "mailto://user:pass@example.org"
    """
    overrides: dict[str, Any] = parse_set(set_ or [])
    run_over: dict[str, Any] = {}
    if engine:
        run_over["engine"] = engine
    if workers is not None:
        run_over["workers"] = workers
    if run_over:
        overrides = deep_merge(overrides, {"run": run_over})
    try:
        cfg = load_config(config, overrides=overrides)
        if model:
            name = str(cfg.get("run", {}).get("engine", "ocr"))
            cfg = deep_merge(cfg, {"engines": {name: {"model": model}}})
        run = ExtractionRun(
            input_dir,
            output,
            config=cfg,
            limit=limit,
            include=include or (),
            exclude=exclude or (),
            retry_failed=retry_failed,
            new_settings=new_settings,
            handle_signals=True,
            notify=notify or (),
        )
    except (ExtractionError, ConfigError) as exc:
        out.error(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None

    views: list[RunView] = []

    def attach(bus: HybridEventBus) -> RunView | None:
        if quiet:
            return None
        state = lambda: run.validator.state()  # noqa: E731 - set before the first event
        view: RunView
        if sys.stderr.isatty() and not plain and os.environ.get("TERM") != "dumb":
            view = LivePanel(bus, state)
        else:
            view = PlainProgress(bus, state)
        views.append(view)
        return view

    run.consumer_factories.append(attach)
    try:
        result = run.run()
    except Exception as exc:  # disk full, a bug: one line, logs kept, run.json says failed
        out.error(
            f"run failed: {type(exc).__name__}: {exc}; what was saved is in {run.rundir.path}"
        )
        raise typer.Exit(ExitCode.FAILURE) from None
    finally:
        for view in views:
            if isinstance(view, LivePanel | PlainProgress):
                view.close()
    if json_out:
        sys.stdout.buffer.write(orjson.dumps(_summary(result), option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    if result.status == "completed":
        if not quiet and not json_out:
            c = result.counts
            out.print_plain(
                f"herbx: completed {result.run_id}: {c['succeeded']} succeeded, "
                f"{c['failed']} failed, "
                f"{c['skipped']} skipped of {c['total']} ({result.success_rate:.0%} success); "
                f"results in {result.run_dir}"
            )
        raise typer.Exit(ExitCode.OK)
    if result.status == "stopped":
        out.error(result.stop_line())
        raise typer.Exit(ExitCode.STOPPED_BY_VALIDATION)
    if result.status == "interrupted":
        c = result.counts
        dropped = (
            f" ({result.abandoned} in flight abandoned, redone on resume)"
            if result.abandoned
            else ""
        )
        out.error(
            f"interrupted after {c['succeeded'] + c['failed']} specimens{dropped}; everything "
            f"so far is saved in {result.run_dir}; run the same command with -o "
            f"{result.run_dir} to resume"
        )
        if result.abandoned and _engine_threads_busy():
            # Worker threads still inside the engine (a slow call) would keep the process
            # alive until they return; everything is written and closed, so leave now.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        raise typer.Exit(ExitCode.INTERRUPTED)
    out.error(f"run failed: {result.message}; logs in {result.run_dir}")
    raise typer.Exit(ExitCode.FAILURE)


def _engine_threads_busy() -> bool:
    """Threads of the run's thread pool still inside an engine call (named ``herbx_N``)."""
    return any(t.name.startswith("herbx_") and t.is_alive() for t in threading.enumerate())


def register(app: typer.Typer) -> None:
    """Add ``extract`` to the app."""
    app.command("extract")(extract)
