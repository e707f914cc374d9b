"""``herbx export``: a run's records as CSV, a Darwin Core Archive, JSON lines or xlsx."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from herbx.config import ConfigError, load_config
from herbx.dwc.eml import MetadataError
from herbx.dwc.export import FORMATS, ExportError, ExportOptions, export_runs
from herbx.dwc.results import RunResults, RunResultsError, load_run
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode


def _fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> typer.Exit:
    out.error(message)
    return typer.Exit(int(code))


def _warn(message: str) -> None:
    sys.stderr.write(f"herbx: warning: {message}\n")
    sys.stderr.flush()


def export(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN_DIR...", help="Run folder(s) holding raw.jsonl; later ones win."
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="csv | dwca | jsonl | xlsx (default from config: dwca)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for the files (default: RUN_DIR/export)."),
    ] = None,
    include_failed: Annotated[
        bool | None,
        typer.Option(
            "--include-failed/--succeeded-only",
            help="Also export failed records, flagged in dynamicProperties.",
        ),
    ] = None,
    occurrence_id: Annotated[
        str | None,
        typer.Option(
            help="occurrenceID style: auto (catalog number, else image hash) | catalog | sha256."
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Dataset title for eml.xml.")] = None,
    creator: Annotated[
        str | None, typer.Option(help="Dataset creator (a person) for eml.xml.")
    ] = None,
    institution: Annotated[str | None, typer.Option(help="Institution name for eml.xml.")] = None,
    institution_code: Annotated[
        str | None,
        typer.Option(help="Institution code, used in occurrenceIDs when labels lack one."),
    ] = None,
    license_: Annotated[
        str | None, typer.Option("--license", help="CC0-1.0 | CC-BY-4.0 | CC-BY-NC-4.0.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="User config file (TOML).")
    ] = None,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Skip corrupt lines in raw.jsonl instead of failing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Export records as Darwin Core: occurrence.csv, a DwC-A zip, JSON lines or xlsx.

    Only succeeded records unless --include-failed. Dataset metadata (title, creator,
    institution, licence) comes from the export section of the config, overridden by flags.
    A torn last line of raw.jsonl is reported and skipped; a corrupt line is an error
    naming the file and line (exit 2) unless --lenient.

    Examples:

        herbx export runs/r1 --format dwca --title "Saskatchewan sedges" --license CC-BY-4.0

        herbx export runs/r1 -f csv -o out/

        herbx export runs/r1 runs/r1-retry -f xlsx --include-failed
    """
    try:
        cfg = load_config(config)
        section = dict(cfg.get("export") or {})
        overrides = {
            "format": fmt,
            "include_failed": include_failed,
            "occurrence_id": occurrence_id,
            "institution_code": institution_code,
        }
        section.update({k: v for k, v in overrides.items() if v is not None})
        options = ExportOptions.from_config(section)
        meta = options.metadata.with_overrides(
            title=title, creator=creator, institution=institution, license=license_
        )
    except (ConfigError, ExportError, MetadataError) as exc:
        raise _fail(str(exc)) from None
    options = ExportOptions(
        format=options.format,
        include_failed=options.include_failed,
        occurrence_id=options.occurrence_id,
        institution_code=options.institution_code,
        media_base_url=options.media_base_url,
        metadata=meta,
    )
    runs: list[RunResults] = []
    for run_dir in run_dirs:
        try:
            run = load_run(run_dir, lenient=lenient)
        except RunResultsError as exc:
            raise _fail(str(exc)) from None
        for note in run.notes:
            _warn(note)
        runs.append(run)
    target = output or (run_dirs[-1] / "export")
    try:
        summary = export_runs(runs, target, options)
    except ExportError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or target}: cannot write: {exc.strerror}") from None
    for warning in summary.warnings:
        _warn(warning)
    if as_json:
        sys.stdout.write(
            orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
        return
    skipped = (
        f"; {summary.excluded_failed} failed record(s) left out" if summary.excluded_failed else ""
    )
    out.print_plain(
        f"{summary.rows} record(s), {len(summary.columns)} Darwin Core columns{skipped}"
    )
    for path in summary.files:
        out.print_plain(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``export`` to the app."""
    app.command("export")(export)


__all__ = ["FORMATS", "export", "register"]
