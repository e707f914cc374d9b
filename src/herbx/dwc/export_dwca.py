"""Darwin Core Archive: ``meta.xml`` generated from the data file actually written.

The original system's archive declared 62 columns for a 15-column file. Here
:func:`meta_xml` reads the header row of the CSV bytes that go into the zip and declares
exactly those columns, in order, each with its term URI; ``<id index="0"/>`` points at
``occurrenceID``.

Example::

    from herbx.dwc.export_dwca import dwca_bytes

    zip_bytes = dwca_bytes(occurrence_csv_bytes, eml_bytes)
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from herbx.dwc.export_csv import DELIMITER, LINE_END, QUOTE, read_csv_header
from herbx.dwc.terms import DWC_NS, term_uri

TEXT_NS = "http://rs.tdwg.org/dwc/text/"
OCCURRENCE_ROW_TYPE = DWC_NS + "Occurrence"
DATA_FILE = "occurrence.csv"


class ArchiveError(ValueError):
    """The data cannot be described as a Darwin Core Archive (no id column first...)."""


def _escape(text: str) -> str:
    # meta.xml spells control characters the way the Darwin Core text guide does: "\r\n".
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def meta_xml(csv_data: bytes, *, location: str = DATA_FILE) -> bytes:
    """``meta.xml`` bytes describing ``csv_data`` (written by herbx's CSV writer)."""
    header = read_csv_header(csv_data)
    if not header or header[0] != "occurrenceID":
        raise ArchiveError(f"the first column must be occurrenceID, not {header[:1]}")
    if len(set(header)) != len(header):
        raise ArchiveError("a column appears twice in the data file")
    ET.register_namespace("", TEXT_NS)
    root = ET.Element(f"{{{TEXT_NS}}}archive", {"metadata": "eml.xml"})
    core = ET.SubElement(
        root,
        f"{{{TEXT_NS}}}core",
        {
            "encoding": "UTF-8",
            "fieldsTerminatedBy": _escape(DELIMITER),
            "linesTerminatedBy": _escape(LINE_END),
            "fieldsEnclosedBy": QUOTE,
            "ignoreHeaderLines": "1",
            "rowType": OCCURRENCE_ROW_TYPE,
        },
    )
    files = ET.SubElement(core, f"{{{TEXT_NS}}}files")
    ET.SubElement(files, f"{{{TEXT_NS}}}location").text = location
    ET.SubElement(core, f"{{{TEXT_NS}}}id", {"index": "0"})
    for index, term in enumerate(header):
        ET.SubElement(core, f"{{{TEXT_NS}}}field", {"index": str(index), "term": term_uri(term)})
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def write_dwca(path: Path, csv_path: Path, eml_data: bytes) -> None:
    """Write the archive to ``path`` from a CSV file on disk (streamed, not held in memory).

    ``meta.xml`` is generated from the first line of ``csv_path``: the file that goes in.
    """
    with open(csv_path, "rb") as fh:
        header_line = fh.readline()
    tmp = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("meta.xml", meta_xml(header_line))
        zf.writestr("eml.xml", eml_data)
        zf.write(csv_path, DATA_FILE)
    os.replace(tmp, path)


def dwca_bytes(csv_data: bytes, eml_data: bytes) -> bytes:
    """The archive as zip bytes: ``meta.xml``, ``eml.xml`` and the occurrence data file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("meta.xml", meta_xml(csv_data))
        zf.writestr("eml.xml", eml_data)
        zf.writestr(DATA_FILE, csv_data)
    return buf.getvalue()
