"""The occurrence table as an Excel workbook, every cell text (needs ``herbx[xlsx]``).

Excel turns ``004512`` into 4512 and ``1987-07-12`` into a serial number when it opens a
CSV; in a workbook written here every cell is a text cell (format ``@``), so values show
exactly as herbx holds them, and a value starting with ``=`` stays text, never a formula.
"""

from __future__ import annotations

import io
from typing import Any

from herbx.dwc.export_table import PROVENANCE_COLUMNS, OccurrenceTable, provenance_rows


class XlsxUnavailableError(RuntimeError):
    """openpyxl is not installed."""


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the environment
        raise XlsxUnavailableError(
            "the xlsx format needs openpyxl: pip install 'herbx[xlsx]'"
        ) from None
    return openpyxl


def _fill(ws: Any, header: list[str] | tuple[str, ...], rows: list[list[str]]) -> None:
    from openpyxl.styles import Font

    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # text, even for "=..." or "004512"
            cell.number_format = "@"
    ws.freeze_panes = "A2"


def occurrence_xlsx(table: OccurrenceTable) -> bytes:
    """Workbook bytes: sheet ``occurrence`` (Darwin Core) and sheet ``provenance``."""
    openpyxl = _openpyxl()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "occurrence"
    _fill(ws, table.columns, list(table.records()))
    _fill(wb.create_sheet("provenance"), PROVENANCE_COLUMNS, list(provenance_rows(table)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
