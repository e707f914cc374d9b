"""``herbx eval``: accuracy of runs against ground truth, per field and per engine/model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from herbx.analysis.eval_compare import Tolerances
from herbx.analysis.eval_truth import TruthError, load_truth
from herbx.analysis.evaluate import EvalReport, GroupScore, evaluate_runs
from herbx.dwc.results import RunResults, RunResultsError, load_run
from herbx_cli.console import out
from herbx_cli.exit_codes import ExitCode


def _fail(message: str) -> typer.Exit:
    out.error(message)
    return typer.Exit(int(ExitCode.BAD_INPUT))


def _warn(message: str) -> None:
    sys.stderr.write(f"herbx: warning: {message}\n")
    sys.stderr.flush()


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _group_table(group: GroupScore) -> Table:
    table = Table(title=f"{group.label}: {group.specimens} specimens", title_justify="left")
    for col in ("field", "n", "exact", "similarity", "coverage", "spurious"):
        table.add_column(col, justify="left" if col == "field" else "right")
    for f in group.fields:
        exact = _pct(f.accuracy)
        if f.accuracy_canonical is not None:
            exact += f" ({_pct(f.accuracy_canonical)} w/o author)"
        table.add_row(
            f.term, str(f.truth_values), exact, _pct(f.similarity), _pct(f.coverage),
            str(f.spurious),
        )  # fmt: skip
    table.add_row(
        "all fields", str(sum(f.truth_values for f in group.fields)), _pct(group.accuracy),
        _pct(group.similarity), "", "",
    )  # fmt: skip
    return table


def _render(report: EvalReport) -> None:
    console = out.console
    for group in [*report.groups, *([report.overall] if report.overall else [])]:
        console.print(_group_table(group))
        all_ok = group.all_correct / group.specimens if group.specimens else 0.0
        console.print(
            f"every field right on {group.all_correct}/{group.specimens} specimens "
            f"({all_ok:.1%}); {group.succeeded} judged successful by the run",
            markup=False,
        )
        if group.missing:
            console.print(
                f"{len(group.missing)} truth record(s) have no result in these runs "
                f"(first: {group.missing[0]})",
                markup=False,
            )
        worst = group.worst()
        if worst:
            console.print("worst fields:", markup=False)
            for f in worst:
                console.print(f"  {f.term} {_pct(f.accuracy)}", markup=False)
                for e in f.examples:
                    console.print(
                        f"    {e.image}: truth {e.truth!r}, got {e.predicted or '(nothing)'!r}",
                        markup=False,
                    )
        console.print("")
    if len(report.groups) > 1:
        table = Table(title="accuracy by engine/model", title_justify="left")
        table.add_column("field")
        for g in report.groups:
            table.add_column(g.label, justify="right")
        for term in report.fields:
            table.add_row(term, *(_pct(g.field(term).accuracy) for g in report.groups))
        table.add_row("all fields", *(_pct(g.accuracy) for g in report.groups))
        console.print(table)


def eval_cmd(
    run_dirs: Annotated[
        list[Path], typer.Argument(metavar="RUN_DIR...", help="Run folder(s) holding raw.jsonl.")
    ],
    truth: Annotated[
        Path,
        typer.Option("--truth", "-t", help="Truth CSV or JSONL keyed by image name or sha256."),
    ],
    fields: Annotated[
        str | None, typer.Option(help="Comma-separated terms to score (default: all in the truth).")
    ] = None,
    coord_tolerance: Annotated[
        float, typer.Option(min=0.0, help="Degrees a coordinate may be off and count as exact.")
    ] = 0.001,
    elevation_tolerance: Annotated[
        float, typer.Option(min=0.0, help="Metres an elevation may be off and count as exact.")
    ] = 1.0,
    examples: Annotated[int, typer.Option(min=0, help="Misses shown per field.")] = 3,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Skip corrupt lines in raw.jsonl instead of failing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable JSON on stdout.")
    ] = False,
) -> None:
    """Measure accuracy against ground truth: exact and similar per field, coverage, misses.

    Dates compare as dates, names with and without authorship, coordinates and elevations
    within a tolerance. Several runs with different engines/models are compared side by
    side. Bad input (no raw.jsonl, a corrupt line, a truth file without a key column)
    is one error line and exit 2.

    Examples:

        herbx eval runs/r1 --truth labels/truth.csv

        herbx eval runs/ocr runs/gpt4o-mini --truth truth.jsonl --json

        herbx eval runs/r1 -t truth.csv --fields scientificName,eventDate
    """
    try:
        truth_set = load_truth(truth)
    except TruthError as exc:
        raise _fail(str(exc)) from None
    runs: list[RunResults] = []
    for run_dir in run_dirs:
        try:
            run = load_run(run_dir, lenient=lenient)
        except RunResultsError as exc:
            raise _fail(str(exc)) from None
        runs.append(run)
    chosen = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    try:
        report = evaluate_runs(
            runs,
            truth_set,
            fields=chosen,
            tolerances=Tolerances(degrees=coord_tolerance, metres=elevation_tolerance),
            max_examples=examples,
        )
    except ValueError as exc:
        raise _fail(f"--fields: {exc}") from None
    report.notes = [*truth_set.notes, *(n for r in runs for n in r.notes)]
    for note in report.notes:  # only once all input is known to be usable
        _warn(note)
    if all(g.specimens == 0 for g in report.groups):
        _warn(f"no image of the runs matches a record of {truth}; check the key column")
    if as_json:
        sys.stdout.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _render(report)


def register(app: typer.Typer) -> None:
    """Add ``eval`` to the app."""
    app.command("eval")(eval_cmd)
