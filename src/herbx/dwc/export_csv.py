"""Writing the occurrence table as RFC 4180 CSV and as JSON lines.

CSV conventions (the same inside a Darwin Core Archive): UTF-8 without a byte-order mark,
comma separated, every field enclosed in double quotes (embedded quotes doubled), CRLF line
ends, one header row of Darwin Core term names. Every value is written as the exact text
herbx holds: catalog numbers keep their leading zeros and dates stay ISO 8601. Quoting every
field tells importers such as LibreOffice to keep them as text; Excel ignores quotes when a
file is double-clicked, so use its text import or the ``xlsx`` format instead.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from herbx.dwc.export_table import PROVENANCE_COLUMNS, OccurrenceTable, provenance_rows

#: The CSV dialect herbx writes, as a meta.xml would declare it.
DELIMITER = ","
QUOTE = '"'
LINE_END = "\r\n"


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """RFC 4180 CSV as UTF-8 bytes (see the module docs for the conventions)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(
        buf, delimiter=DELIMITER, quotechar=QUOTE, quoting=csv.QUOTE_ALL, lineterminator=LINE_END
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Stream CSV (as :func:`csv_bytes`) to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(
            fh, delimiter=DELIMITER, quotechar=QUOTE, quoting=csv.QUOTE_ALL, lineterminator=LINE_END
        )
        writer.writerow(header)
        writer.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def occurrence_csv(table: OccurrenceTable) -> bytes:
    """The occurrence table as CSV bytes."""
    return csv_bytes(table.columns, table.records())


def provenance_csv(table: OccurrenceTable) -> bytes:
    """The provenance table (engine, model, run, confidences, flags) as CSV bytes."""
    return csv_bytes(PROVENANCE_COLUMNS, provenance_rows(table))


def read_csv_header(data: bytes) -> list[str]:
    """The header row of CSV bytes written by :func:`csv_bytes`."""
    first = next(csv.reader(io.StringIO(data.decode("utf-8"), newline="")), [])
    return list(first)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a crash leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def occurrence_jsonl(table: OccurrenceTable) -> bytes:
    """One JSON object per row: ``occurrenceID``, ``status``, ``dwc`` and ``provenance``."""
    out = bytearray()
    cols = PROVENANCE_COLUMNS
    for row, prov in zip(table.rows, provenance_rows(table), strict=True):
        provenance: dict[str, Any] = dict(zip(cols, prov, strict=True))
        provenance.pop("occurrenceID")
        provenance["confidence"] = row.result.confidence
        provenance["flags"] = row.result.flags
        values = row.values
        obj = {
            "occurrenceID": row.occurrence_id,
            "status": row.result.status,
            "dwc": {c: values[c] for c in table.columns if c in values},
            "provenance": provenance,
        }
        out += orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
    return bytes(out)
