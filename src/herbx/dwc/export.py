"""Export a run's records: ``csv``, ``dwca`` (Darwin Core Archive), ``jsonl`` or ``xlsx``.

Files written into the output folder:

=========  ==================================================================
``csv``    ``occurrence.csv`` (Darwin Core) and ``provenance.csv``
``dwca``   ``dwca.zip`` (``meta.xml``, ``eml.xml``, ``occurrence.csv``) and
           ``provenance.csv`` beside it
``jsonl``  ``occurrence.jsonl`` (Darwin Core and provenance per line)
``xlsx``   ``occurrence.xlsx`` (sheets ``occurrence`` and ``provenance``; needs openpyxl)
=========  ==================================================================

Example::

    from herbx.dwc.export import ExportOptions, export_runs
    from herbx.dwc.results import load_run

    summary = export_runs([load_run("runs/r1")], "runs/r1/export", ExportOptions(format="dwca"))
    summary.files   # [PosixPath('runs/r1/export/dwca.zip'), PosixPath('.../provenance.csv')]
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from herbx.dwc.eml import DatasetMetadata, MetadataError, eml_xml
from herbx.dwc.export_csv import occurrence_jsonl, write_atomic, write_csv
from herbx.dwc.export_dwca import write_dwca
from herbx.dwc.export_table import PROVENANCE_COLUMNS, IdStyle, build_table, provenance_rows
from herbx.dwc.results import RunResults

ExportFormat = Literal["csv", "dwca", "jsonl", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "dwca", "jsonl", "xlsx")


class ExportError(ValueError):
    """An export cannot be made as asked; ``str()`` says which setting or file."""


@dataclass(frozen=True)
class ExportOptions:
    """How to export. :meth:`from_config` reads the ``[export]`` config table."""

    format: ExportFormat = "dwca"
    include_failed: bool = False
    occurrence_id: IdStyle = "auto"
    institution_code: str = ""
    media_base_url: str = ""
    metadata: DatasetMetadata = field(default_factory=DatasetMetadata)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> ExportOptions:
        """From ``[export]``: format, include_failed, occurrence_id, institution_code,
        media_base_url, and the dataset metadata keys of :class:`DatasetMetadata`."""
        section = dict(section or {})
        fmt = section.get("format", "dwca")
        if fmt not in FORMATS:
            raise ExportError(f"export.format: {fmt!r} is not one of {', '.join(FORMATS)}")
        id_style = section.get("occurrence_id", "auto")
        if id_style not in ("auto", "catalog", "sha256"):
            raise ExportError(
                f"export.occurrence_id: {id_style!r} is not one of auto, catalog, sha256"
            )
        include_failed = section.get("include_failed", False)
        if not isinstance(include_failed, bool):
            raise ExportError(
                f"export.include_failed: expected true or false, not {include_failed!r}"
            )
        try:
            metadata = DatasetMetadata.from_config(section)
        except MetadataError as exc:
            raise ExportError(str(exc)) from None
        return cls(
            format=cast(ExportFormat, fmt),
            include_failed=include_failed,
            occurrence_id=cast(IdStyle, id_style),
            institution_code=str(section.get("institution_code") or ""),
            media_base_url=str(section.get("media_base_url") or ""),
            metadata=metadata,
        )


@dataclass
class ExportSummary:
    """What an export wrote."""

    format: str
    files: list[Path]
    rows: int
    excluded_failed: int
    columns: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json``."""
        return {
            "format": self.format,
            "files": [str(p) for p in self.files],
            "rows": self.rows,
            "excluded_failed": self.excluded_failed,
            "columns": self.columns,
            "warnings": self.warnings,
        }


def export_runs(
    runs: Sequence[RunResults],
    out_dir: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    today: dt.date | None = None,
) -> ExportSummary:
    """Write the export files for ``runs`` into ``out_dir`` (created if needed)."""
    options = options or ExportOptions()
    if not runs:
        raise ExportError("nothing to export: no run given")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    table = build_table(
        runs,
        include_failed=options.include_failed,
        id_style=options.occurrence_id,
        institution_code=options.institution_code or None,
        media_base_url=options.media_base_url or None,
    )
    warnings = list(table.warnings)
    if not table.rows:
        hint = " (add --include-failed to export them flagged)" if table.excluded_failed else ""
        warnings.append(
            f"no record to export: {table.excluded_failed} failed record(s) left out{hint}"
        )
    files: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = out / name
        write_atomic(path, data)
        files.append(path)

    if options.format == "csv":
        write_csv(out / "occurrence.csv", table.columns, table.records())
        files.append(out / "occurrence.csv")
        write_csv(out / "provenance.csv", PROVENANCE_COLUMNS, provenance_rows(table))
        files.append(out / "provenance.csv")
    elif options.format == "dwca":
        meta = options.metadata
        if options.institution_code and not meta.institution_code:
            meta = meta.with_overrides(institution_code=options.institution_code)
        missing = meta.missing()
        if missing:
            warnings.append(
                f"eml.xml: no {', '.join(missing)} given; set them under [export] in the "
                "config or with flags before publishing"
            )
        run_id = runs[0].run_id if len(runs) == 1 else "+".join(r.run_id for r in runs)
        eml = eml_xml(
            meta,
            package_id=f"herbx:{run_id}",
            pub_date=(today or dt.datetime.now(dt.UTC).date()).isoformat(),
        )
        data_file = out / f".occurrence-{os.getpid()}.csv"
        try:
            write_csv(data_file, table.columns, table.records())
            write_dwca(out / "dwca.zip", data_file, eml)
        finally:
            data_file.unlink(missing_ok=True)
        files.append(out / "dwca.zip")
        write_csv(out / "provenance.csv", PROVENANCE_COLUMNS, provenance_rows(table))
        files.append(out / "provenance.csv")
    elif options.format == "jsonl":
        put("occurrence.jsonl", occurrence_jsonl(table))
    elif options.format == "xlsx":
        from herbx.dwc.export_xlsx import occurrence_xlsx

        put("occurrence.xlsx", occurrence_xlsx(table))
    else:
        raise ExportError(f"format {options.format!r} is not one of {', '.join(FORMATS)}")
    return ExportSummary(
        format=options.format,
        files=files,
        rows=len(table.rows),
        excluded_failed=table.excluded_failed,
        columns=table.columns,
        warnings=warnings,
    )
