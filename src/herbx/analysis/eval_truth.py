"""Ground truth for ``herbx eval``: a CSV or JSONL file keyed by image file name or sha256.

CSV: a header row with a key column (``sha256``, ``image``, ``file``, ``filename`` or
``file_name``; case ignored) and Darwin Core term columns. JSONL: one object per line with
``sha256`` or ``image`` and the terms either flat or under ``dwc``. Values are normalized
like extracted ones (dates to ISO, coordinates to decimal degrees...), so a truth file may
hold label text as written. Columns that are not herbx terms are ignored and noted.

Example::

    from herbx.analysis.eval_truth import load_truth

    truth = load_truth("labels/truth.csv")
    truth.fields     # ['catalogNumber', 'scientificName', ...] in the file's order
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from herbx.dwc.normalize import normalize_terms
from herbx.dwc.placeholders import clean_text, is_placeholder
from herbx.dwc.terms import EXTRACTED_TERMS
from herbx.jsonl import JsonlError, JsonlReader

KEY_COLUMNS = ("sha256", "image", "file", "filename", "file_name")
_TERMS = frozenset(EXTRACTED_TERMS)


class TruthError(ValueError):
    """A truth file cannot be used. ``str()`` is one line naming the file (and line)."""


@dataclass
class TruthRecord:
    """The true terms of one image, normalized; ``line`` in the truth file."""

    key: str
    terms: dict[str, str]
    line: int
    is_sha256: bool


@dataclass
class TruthSet:
    """All truth records, looked up by sha256, relative path or file name."""

    path: Path
    records: list[TruthRecord]
    fields: list[str]
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key: dict[str, TruthRecord] = {}
        for rec in self.records:
            self._by_key[rec.key] = rec
            if not rec.is_sha256:
                self._by_key.setdefault(_base(rec.key), rec)

    def lookup(self, sha256: str, image: str) -> TruthRecord | None:
        """The truth for a result: by sha256, then relative path, then file name."""
        norm = image.replace("\\", "/")
        return self._by_key.get(sha256) or self._by_key.get(norm) or self._by_key.get(_base(norm))


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _looks_sha(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key.lower())


def _record(
    path: Path, line: int, key: str, raw: Mapping[str, Any], fields: list[str]
) -> TruthRecord:
    terms = {k: v for k, v in raw.items() if k in _TERMS and v not in (None, "")}
    for k in terms:
        if k not in fields:
            fields.append(k)
    normalized = normalize_terms(terms).terms
    # Keep only the terms the truth gave (normalization may add verbatim twins). A value
    # normalization cannot interpret (a lone latitude, "summer 1987") stays as written;
    # placeholders ("n/a") mean the truth has no value.
    kept: dict[str, str] = {}
    for k, v in terms.items():
        if k in normalized:
            kept[k] = normalized[k]
        elif not is_placeholder(str(v), k):
            kept[k] = clean_text(str(v))
    return TruthRecord(key=key.strip(), terms=kept, line=line, is_sha256=_looks_sha(key.strip()))


def _read_csv(path: Path) -> tuple[list[TruthRecord], list[str], list[str]]:
    try:
        fh = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise TruthError(f"{path}: no such truth file") from None
    except OSError as exc:
        raise TruthError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            lowered = {h.strip().lower(): h for h in header if h}
            key_col = next((lowered[k] for k in KEY_COLUMNS if k in lowered), None)
            if key_col is None:
                raise TruthError(f"{path}:1: no key column; name one of {', '.join(KEY_COLUMNS)}")
            ignored = [h for h in header if h and h != key_col and h not in _TERMS]
            notes = (
                [f"{path}:1: not terms herbx extracts, ignored: {', '.join(ignored)}"]
                if ignored
                else []
            )
            records: list[TruthRecord] = []
            fields: list[str] = []
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise TruthError(f"{path}:{line}: more values than header columns")
                key = (row.get(key_col) or "").strip()
                if not key:
                    raise TruthError(f"{path}:{line}: empty {key_col!r}")
                records.append(_record(path, line, key, row, fields))
        except UnicodeDecodeError as exc:
            raise TruthError(f"{path}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise TruthError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return records, fields, notes


def _read_jsonl(path: Path) -> tuple[list[TruthRecord], list[str], list[str]]:
    records: list[TruthRecord] = []
    fields: list[str] = []
    ignored: set[str] = set()
    reader = JsonlReader(path, what="truth file")
    try:
        for obj, line in reader:
            key = obj.get("sha256") or obj.get("image") or obj.get("file")
            if not isinstance(key, str) or not key.strip():
                raise TruthError(f"{path}:{line}: no 'sha256' or 'image' key")
            dwc = obj.get("dwc")
            terms: dict[str, Any] = dwc if isinstance(dwc, dict) else obj
            ignored.update(k for k in terms if k not in _TERMS and k not in KEY_COLUMNS)
            records.append(_record(path, line, key, terms, fields))
    except JsonlError as exc:
        raise TruthError(str(exc)) from None
    notes = reader.report.notes(path)
    if ignored:
        notes.append(f"{path}: not terms herbx extracts, ignored: {', '.join(sorted(ignored))}")
    return records, fields, notes


def load_truth(path: str | os.PathLike[str]) -> TruthSet:
    """Read a truth file (``.jsonl``/``.json`` as JSON lines, anything else as CSV)."""
    p = Path(path)
    if p.is_dir():
        raise TruthError(f"{p}: is a folder, not a truth file")
    if p.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        records, fields, notes = _read_jsonl(p)
    else:
        records, fields, notes = _read_csv(p)
    if not records:
        raise TruthError(f"{p}: no truth records")
    seen: dict[str, int] = {}
    for rec in records:
        if rec.key in seen:
            raise TruthError(f"{p}:{rec.line}: {rec.key!r} already given on line {seen[rec.key]}")
        seen[rec.key] = rec.line
    ordered = [t for t in EXTRACTED_TERMS if t in fields]
    return TruthSet(path=p, records=records, fields=ordered, notes=notes)
