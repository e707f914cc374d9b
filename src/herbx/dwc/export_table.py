"""The occurrence table herbx exports: real Darwin Core columns, one row per specimen.

Columns, in this order, only those with a value in some row: ``occurrenceID``,
``basisOfRecord`` (always ``PreservedSpecimen``), the extracted terms in
:data:`~herbx.dwc.terms.EXTRACTED_TERMS` order (so each ``verbatim*`` term sits beside the
interpreted one), ``associatedMedia`` (the image) and ``dynamicProperties`` (a JSON object
with herbx's status, failure reason and flags, only for rows that have something to say).
Everything else about provenance (engine, model, run id, confidences) goes to a separate
provenance table keyed by ``occurrenceID``; see :func:`provenance_rows`.

``occurrenceID`` is stable across runs and exports:

- ``urn:catalog:<institutionCode>:<catalogNumber>`` when both are known (the institution
  may come from ``institution_code`` when the label has none) and no other exported row
  shares that pair;
- otherwise ``urn:sha256:<image hash>``, which only changes if the image file does.

Example::

    from herbx.dwc.export_table import build_table
    from herbx.dwc.results import load_run

    table = build_table([load_run("runs/r1")])
    table.columns[:2]   # ['occurrenceID', 'basisOfRecord']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import orjson

from herbx.dwc.placeholders import clean_text
from herbx.dwc.results import RunResults, SpecimenResult
from herbx.dwc.terms import EXTRACTED_TERMS

IdStyle = Literal["auto", "catalog", "sha256"]

BASIS_OF_RECORD = "PreservedSpecimen"
LEADING = ("occurrenceID", "basisOfRecord")
TRAILING = ("associatedMedia", "dynamicProperties")

PROVENANCE_COLUMNS = (
    "occurrenceID",
    "image",
    "sha256",
    "status",
    "reason",
    "run_id",
    "specimen_id",
    "engine",
    "model",
    "settings_hash",
    "timestamp",
    "confidence",
    "flags",
)


@dataclass
class ExportRow:
    """One specimen in the table: its Darwin Core values and where they came from.

    :attr:`values` is built when asked for, so a large table holds only references to
    the results it came from.
    """

    occurrence_id: str
    result: SpecimenResult
    run_id: str
    media: str

    @property
    def values(self) -> dict[str, str]:
        """Column name -> value for the non-empty columns of this row."""
        values = {"occurrenceID": self.occurrence_id, "basisOfRecord": BASIS_OF_RECORD}
        dwc = self.result.dwc
        for term in EXTRACTED_TERMS:
            value = dwc.get(term)
            if value:
                values[term] = clean_text(value)
        values["associatedMedia"] = self.media
        dyn = _dynamic_properties(self.result)
        if dyn:
            values["dynamicProperties"] = dyn
        return values


@dataclass
class OccurrenceTable:
    """Columns (Darwin Core term names) and rows ready to write."""

    columns: list[str]
    rows: list[ExportRow]
    excluded_failed: int = 0
    warnings: list[str] = field(default_factory=list)

    def records(self) -> Iterator[list[str]]:
        """Rows as lists of strings in :attr:`columns` order (empty string when absent)."""
        cols = self.columns
        for row in self.rows:
            values = row.values
            yield [values.get(c, "") for c in cols]


def _catalog_id(result: SpecimenResult, institution_code: str | None) -> str | None:
    cat = result.dwc.get("catalogNumber")
    inst = result.dwc.get("institutionCode") or institution_code
    if not cat or not inst:
        return None
    return f"urn:catalog:{_urn_part(inst)}:{_urn_part(cat)}"


def _urn_part(text: str) -> str:
    # Spaces and reserved characters (a catalog number "DAS 004512") are percent-encoded.
    return quote(clean_text(text), safe="-._~")


def _dynamic_properties(result: SpecimenResult) -> str | None:
    props: dict[str, Any] = {}
    if not result.succeeded:
        props["herbxStatus"] = result.status
        if result.reason:
            props["herbxReason"] = result.reason
    problems = [
        f"{f.get('term', '')}: {f.get('problem', '')} ({f.get('value', '')!s})"
        for f in result.flags
    ]
    if problems:
        props["herbxFlags"] = problems
    if not props:
        return None
    return orjson.dumps(props).decode()


def build_table(
    runs: Sequence[RunResults],
    *,
    include_failed: bool = False,
    id_style: IdStyle = "auto",
    institution_code: str | None = None,
    media_base_url: str | None = None,
) -> OccurrenceTable:
    """Build the occurrence table from one or more runs (later runs win for the same image).

    Only succeeded records unless ``include_failed``; failed rows then carry
    ``dynamicProperties`` saying why. ``media_base_url`` turns image paths into URLs in
    ``associatedMedia``.
    """
    if id_style not in ("auto", "catalog", "sha256"):
        raise ValueError(f"id_style must be 'auto', 'catalog' or 'sha256', not {id_style!r}")
    chosen: dict[str, tuple[SpecimenResult, str]] = {}
    excluded = 0
    for run in runs:
        for result in run.results:
            chosen[result.sha256] = (result, run.run_id)
    selected: list[tuple[SpecimenResult, str]] = []
    for result, run_id in chosen.values():
        if result.succeeded or include_failed:
            selected.append((result, run_id))
        else:
            excluded += 1

    table = OccurrenceTable(columns=[], rows=[], excluded_failed=excluded)
    catalog_ids = {r.sha256: _catalog_id(r, institution_code) for r, _ in selected}
    counts = Counter(cid for cid in catalog_ids.values() if cid)
    duplicated = sorted(cid for cid, n in counts.items() if n > 1)
    if duplicated and id_style != "sha256":
        table.warnings.append(
            f"{len(duplicated)} catalog number(s) appear on more than one image "
            f"(first: {duplicated[0]}); those rows use image-hash occurrenceIDs"
        )
    if id_style == "catalog":
        missing = sum(1 for cid in catalog_ids.values() if cid is None)
        if missing:
            table.warnings.append(
                f"{missing} row(s) lack institutionCode or catalogNumber; "
                "they use image-hash occurrenceIDs"
            )
    base = (media_base_url or "").rstrip("/")
    used: set[str] = set()
    for result, run_id in selected:
        cid = catalog_ids[result.sha256]
        occurrence_id = f"urn:sha256:{result.sha256}"
        if id_style != "sha256" and cid and counts[cid] == 1:
            occurrence_id = cid
        if occurrence_id in used:  # the same image under two hashes cannot happen; be safe
            occurrence_id = f"urn:sha256:{result.sha256}"
        used.add(occurrence_id)
        media = result.image.replace("\\", "/")
        row = ExportRow(
            occurrence_id=occurrence_id,
            result=result,
            run_id=run_id,
            media=f"{base}/{media.lstrip('/')}" if base else media,
        )
        table.rows.append(row)
    present: set[str] = set()
    for row in table.rows:
        present.update(row.values)
    table.columns = [
        c for c in (*LEADING, *EXTRACTED_TERMS, *TRAILING) if c in present or c in LEADING
    ]
    return table


def provenance_rows(table: OccurrenceTable) -> Iterable[list[str]]:
    """Rows of the provenance table (:data:`PROVENANCE_COLUMNS`), one per exported row."""
    for row in table.rows:
        r = row.result
        yield [
            row.occurrence_id,
            r.image,
            r.sha256,
            r.status,
            r.reason or "",
            r.run_id or row.run_id,
            r.specimen_id or "",
            r.engine or "",
            r.model or "",
            r.settings_hash or "",
            r.timestamp or "",
            orjson.dumps(r.confidence, option=orjson.OPT_SORT_KEYS).decode()
            if r.confidence
            else "",
            orjson.dumps(r.flags).decode() if r.flags else "",
        ]
