"""Matching OCR text against a list of scientific names.

OCR garbles letters ("Carcx" for "Carex", "vulgari" for "vulgaris") and drops spaces
("Carexnigra"). Comparing the text with spaces removed against each listed name with spaces
removed, over a prefix of the same length, finds the name despite both; a similarity
threshold keeps arbitrary words from becoming names.

Example::

    >>> names = NameList.shipped()
    >>> m = names.match("Carcx nigra (L.) Reichard")
    >>> (m.name, m.authorship, round(m.similarity))
    ('Carex nigra', '(L.) Reichard', 91)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz

_COMPACT = re.compile(r"[^a-z]")
_AUTHOR_OK = re.compile(r"^[\s(A-ZÀ-Ý]")


@dataclass(frozen=True)
class NameEntry:
    """One row of a name list."""

    name: str
    authorship: str = ""
    family: str = ""


@dataclass(frozen=True)
class NameMatch:
    """A listed name found at the start of a piece of text.

    ``authorship`` is the listed authorship when the text after the name resembles it
    (so "Mutt." reads as "Nutt."), else that text as read, else empty. ``rest_similarity``
    says how closely the text after the name matched the listed authorship (0..100).
    """

    name: str
    authorship: str
    family: str
    similarity: float
    verbatim: str
    rest: str
    rest_similarity: float


def _compact(text: str) -> str:
    return _COMPACT.sub("", text.lower())


class NameList:
    """Scientific names with authorship and family, matched fuzzily against OCR text."""

    def __init__(self, entries: list[NameEntry], *, threshold: float = 85.0) -> None:
        self.entries = entries
        self.threshold = threshold
        self._compacts = [_compact(e.name) for e in entries]

    @classmethod
    def from_text(cls, text: str, *, threshold: float = 85.0) -> NameList:
        """Parse ``name<TAB>authorship<TAB>family`` lines (``#`` starts a comment)."""
        entries = []
        for raw in text.splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in raw.split("\t")] + ["", ""]
            entries.append(NameEntry(parts[0], parts[1], parts[2]))
        return cls(entries, threshold=threshold)

    @classmethod
    def from_file(cls, path: str | Path, *, threshold: float = 85.0) -> NameList:
        """Load a user's own list (same format as the shipped one)."""
        return cls.from_text(Path(path).read_text(encoding="utf-8"), threshold=threshold)

    @classmethod
    def shipped(cls, *, threshold: float = 85.0) -> NameList:
        """The list shipped with herbx (``herbx/engines/ocr/data/names.txt``)."""
        return _shipped(threshold)

    def match(self, text: str) -> NameMatch | None:
        """The listed name ``text`` starts with, or ``None`` below the threshold."""
        compact = _compact(text)
        if len(compact) < 5:
            return None
        best_score, best_index, best_len = 0.0, -1, 0
        for index, target in enumerate(self._compacts):
            for length in (len(target) - 1, len(target), len(target) + 1):
                if length <= 0 or length > len(compact) + 1:
                    continue
                score = fuzz.ratio(compact[:length], target)
                if score > best_score:
                    best_score, best_index, best_len = score, index, length
        if best_index < 0 or best_score < self.threshold:
            return None
        entry = self.entries[best_index]
        cut = _position_after_letters(text, best_len)
        verbatim, rest = text[:cut].strip(), text[cut:].strip(" ,;")
        rest_similarity = 0.0
        authorship = ""
        if rest and entry.authorship:
            rest_similarity = fuzz.ratio(rest, entry.authorship)
            authorship = entry.authorship if rest_similarity >= 70 else rest
        elif rest and _AUTHOR_OK.match(rest):
            authorship = rest
        return NameMatch(
            name=entry.name,
            authorship=authorship,
            family=entry.family,
            similarity=best_score,
            verbatim=verbatim,
            rest=rest,
            rest_similarity=rest_similarity,
        )


def _position_after_letters(text: str, letters: int) -> int:
    """Index in ``text`` just after its first ``letters`` ASCII letters."""
    seen = 0
    for i, ch in enumerate(text):
        if "a" <= ch.lower() <= "z":
            seen += 1
            if seen >= letters:
                return i + 1
    return len(text)


@lru_cache(maxsize=4)
def _shipped(threshold: float) -> NameList:
    text = resources.files("herbx.engines.ocr").joinpath("data/names.txt").read_text("utf-8")
    return NameList.from_text(text, threshold=threshold)
