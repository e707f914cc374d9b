"""How one extracted value is compared with the true one, term by term.

- Text: equal after Unicode NFKC, case folding, collapsed whitespace and trimmed
  punctuation (``"Canada."`` equals ``"CANADA"``).
- Dates (``eventDate``, ``dateIdentified``, ``verbatimEventDate``): equal as dates, at the
  same precision (``12 July 1987`` equals ``1987-07-12``; ``1987-07`` does not).
- ``scientificName``: exact with authorship, and separately without it (the canonical
  name: genus, epithet and an infraspecific rank and epithet).
- Coordinates: within a tolerance in degrees (default 0.001, about 110 m).
- Elevations: within a tolerance in metres (default 1 m, for feet rounded to metres).

Similarity is rapidfuzz's normalized ratio (0..1) on the normalized texts, 1.0 when the
values are equal under the rules above.

Example::

    from herbx.analysis.eval_compare import compare_values, canonical_name

    compare_values("eventDate", "12 July 1987", "1987-07-12").exact        # True
    canonical_name("Carex nigra (L.) Reichard")                            # 'Carex nigra'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from herbx.dwc.dates import parse_date

DATE_TERMS = frozenset({"eventDate", "dateIdentified", "verbatimEventDate"})
COORDINATE_TERMS = frozenset({"decimalLatitude", "decimalLongitude"})
ELEVATION_TERMS = frozenset({"minimumElevationInMeters", "maximumElevationInMeters"})
NAME_TERMS = frozenset({"scientificName"})

_RANKS = frozenset({"subsp.", "ssp.", "var.", "f.", "forma", "subvar.", "subf.", "nothosubsp."})
_HYBRID = frozenset({"×", "x"})


@dataclass(frozen=True)
class Tolerances:
    """How far numbers may be off and still count as exact."""

    degrees: float = 0.001
    metres: float = 1.0


@dataclass(frozen=True)
class Comparison:
    """One value compared: ``exact`` under the term's rule, ``similarity`` in 0..1.

    ``exact_canonical`` is set for names only: equal once authorship is removed.
    """

    exact: bool
    similarity: float
    exact_canonical: bool | None = None


def normalize_text(value: str) -> str:
    """The form text values are compared in (see the module docs)."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(text.split()).strip(" .,;:")


def canonical_name(name: str) -> str:
    """A scientific name without authorship: ``Genus epithet [rank infraspecific]``."""
    words = " ".join(name.split()).split(" ")
    out: list[str] = []
    i = 0
    if words and words[0]:
        out.append(words[0])
        i = 1
    if i < len(words) and words[i].lower() in _HYBRID:
        out.append("×")
        i += 1
    if i < len(words) and words[i][:1].islower() and words[i].replace("-", "").isalpha():
        out.append(words[i])
        i += 1
        while i + 1 < len(words) and words[i].lower() in _RANKS:
            if words[i + 1][:1].islower():
                out.extend([words[i].lower(), words[i + 1]])
                i += 2
            else:
                break
    return " ".join(out)


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _similarity(a: str, b: str) -> float:
    return float(fuzz.ratio(a, b)) / 100.0


def compare_values(
    term: str, truth: str, predicted: str | None, tolerances: Tolerances | None = None
) -> Comparison:
    """Compare one predicted value with the truth under ``term``'s rule."""
    tol = tolerances or Tolerances()
    if not predicted or not predicted.strip():
        return Comparison(False, 0.0, False if term in NAME_TERMS else None)
    t_norm, p_norm = normalize_text(truth), normalize_text(predicted)
    similarity = _similarity(t_norm, p_norm)
    exact = t_norm == p_norm
    canonical: bool | None = None
    if term in DATE_TERMS:
        td, pd = parse_date(truth), parse_date(predicted)
        if td is not None and td.ok and pd is not None and pd.ok:
            exact = td.iso == pd.iso
    elif term in COORDINATE_TERMS or term in ELEVATION_TERMS:
        tn, pn = _number(truth), _number(predicted)
        if tn is not None and pn is not None:
            limit = tol.degrees if term in COORDINATE_TERMS else tol.metres
            exact = abs(tn - pn) <= limit + 1e-12
    elif term in NAME_TERMS:
        canonical = exact or (
            normalize_text(canonical_name(truth)) == normalize_text(canonical_name(predicted))
        )
    return Comparison(exact, 1.0 if exact else similarity, canonical)
