"""Raw engine output to normalized Darwin Core terms, with verbatim values kept beside.

Example::

    from herbx.dwc.normalize import normalize_terms

    rec = normalize_terms({"eventDate": "12 July 1987", "catalogNumber": "000000",
                           "verbatimCoordinates": "52°07'30\\"N 106°38'W"})
    rec.terms["eventDate"]          # '1987-07-12'
    rec.terms["verbatimEventDate"]  # '12 July 1987'
    rec.terms["decimalLatitude"]    # '52.125'
    rec.flags[0].problem            # "placeholder number '000000' (one digit repeated)"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from herbx.dwc.coordinates import (
    Axis,
    ParsedCoordinate,
    format_degrees,
    parse_coordinate,
    parse_coordinates,
)
from herbx.dwc.dates import parse_date
from herbx.dwc.elevation import ParsedElevation, format_metres, parse_elevation
from herbx.dwc.flags import Flag
from herbx.dwc.placeholders import clean_text, placeholder_reason
from herbx.dwc.terms import EXTRACTED_TERMS

_TERM_SET = frozenset(EXTRACTED_TERMS)


@dataclass
class NormalizedRecord:
    """Normalized terms (non-empty only, in :data:`EXTRACTED_TERMS` order) and the flags."""

    terms: dict[str, str] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"dwc": {...}, "flags": [{term, value, problem}, ...]}`` for ``raw.jsonl``."""
        return {"dwc": dict(self.terms), "flags": [f.to_dict() for f in self.flags]}


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Normalizer:
    def __init__(self) -> None:
        self.terms: dict[str, str] = {}
        self.flags: list[Flag] = []

    def flag(self, term: str, value: str, problem: str) -> None:
        self.flags.append(Flag(term, value, problem))

    def clean(self, raw: Mapping[str, Any]) -> None:
        for key, value in raw.items():
            text = _as_text(value)
            if text is None:
                continue
            if key not in _TERM_SET:
                if clean_text(text):
                    self.flag(key, text, "not a Darwin Core term herbx extracts; dropped")
                continue
            cleaned = clean_text(text)
            reason = placeholder_reason(cleaned, key)
            if reason == "empty":
                continue
            if reason:
                self.flag(key, text, f"{reason}; dropped")
                continue
            self.terms[key] = cleaned

    def dates(self) -> None:
        t = self.terms
        for term, verbatim_term in (("eventDate", "verbatimEventDate"), ("dateIdentified", None)):
            source = t.get(term) or (t.get(verbatim_term) if verbatim_term else None)
            if not source:
                continue
            parsed = parse_date(source)
            if parsed is None or not parsed.ok:
                problem = parsed.problem if parsed else "not a date herbx can read"
                t.pop(term, None)
                self.flag(term, source, f"{problem}; interpreted value dropped")
            else:
                assert parsed.iso is not None
                t[term] = parsed.iso
                if verbatim_term and parsed.iso != source:
                    t.setdefault(verbatim_term, source)
            if verbatim_term and term not in t and source:
                t.setdefault(verbatim_term, source)

    def coordinates(self) -> None:
        t = self.terms
        lat_text, lon_text = t.pop("decimalLatitude", None), t.pop("decimalLongitude", None)
        verbatim = t.get("verbatimCoordinates")
        if lat_text is None and lon_text is None:
            if verbatim:
                pair = parse_coordinates(verbatim)
                if pair is None or not pair.ok:
                    problem = pair.problem if pair else "no numbers"
                    self.flag("verbatimCoordinates", verbatim, f"{problem}; not interpreted")
                    return
                assert pair.latitude is not None and pair.longitude is not None
                self._set_pair(pair.latitude, pair.longitude, verbatim)
            return
        parsed: dict[Axis, ParsedCoordinate | None] = {}
        axes: tuple[tuple[Axis, str | None, str], ...] = (
            ("latitude", lat_text, "decimalLatitude"),
            ("longitude", lon_text, "decimalLongitude"),
        )
        for axis, text, term in axes:
            if text is None:
                continue
            one = parse_coordinate(text, axis)
            if one is None or not one.ok:
                self.flag(term, text, f"{one.problem if one else 'no number'}; dropped")
                one = None
            parsed[axis] = one
        lat, lon = parsed.get("latitude"), parsed.get("longitude")
        if lat is None or lon is None:
            for one, term in ((lat, "decimalLatitude"), (lon, "decimalLongitude")):
                if one is not None:
                    self.flag(term, one.verbatim, "no usable partner coordinate; dropped")
            if verbatim is None:
                kept = " ".join(x for x in (lat_text, lon_text) if x)
                t["verbatimCoordinates"] = kept
            return
        assert lat.value is not None and lon.value is not None
        derived = not (lat.was_decimal and lon.was_decimal)
        self._set_pair(lat.value, lon.value, f"{lat_text} {lon_text}" if derived else None)

    def _set_pair(self, lat: float, lon: float, verbatim: str | None) -> None:
        if lat == 0 and lon == 0:
            self.flag("decimalLatitude", "0 0", "0, 0 is in the Gulf of Guinea; dropped")
            return
        self.terms["decimalLatitude"] = format_degrees(lat)
        self.terms["decimalLongitude"] = format_degrees(lon)
        if verbatim:
            self.terms.setdefault("verbatimCoordinates", verbatim)

    def _elevation(self, text: str, term: str) -> ParsedElevation | None:
        parsed = parse_elevation(text)
        if parsed is None or not parsed.ok:
            problem = parsed.problem if parsed else "not an elevation herbx can read"
            self.flag(term, text, f"{problem}; dropped")
            return None
        return parsed

    def elevation(self) -> None:
        t = self.terms
        lo_text = t.pop("minimumElevationInMeters", None)
        hi_text = t.pop("maximumElevationInMeters", None)
        low: float | None = None
        high: float | None = None
        derived = False
        if lo_text is None and hi_text is None:
            verbatim = t.get("verbatimElevation")
            parsed = self._elevation(verbatim, "verbatimElevation") if verbatim else None
            if parsed is None:
                return
            if parsed.assumed_unit:
                self.flag("verbatimElevation", parsed.verbatim, "no unit given; metres assumed")
            low, high = parsed.minimum_m, parsed.maximum_m
        else:
            if lo_text is not None and (lo := self._elevation(lo_text, "minimumElevationInMeters")):
                low, high = lo.minimum_m, lo.maximum_m
                derived = derived or not _is_number(lo_text)
            if hi_text is not None and (hi := self._elevation(hi_text, "maximumElevationInMeters")):
                high = hi.maximum_m
                low = hi.minimum_m if low is None else low
                derived = derived or not _is_number(hi_text)
        if low is None or high is None:
            return
        if low > high:
            self.flag(
                "minimumElevationInMeters",
                f"{lo_text} / {hi_text}",
                "minimum above maximum; dropped",
            )
            return
        t["minimumElevationInMeters"] = format_metres(low)
        t["maximumElevationInMeters"] = format_metres(high)
        if derived:
            t.setdefault("verbatimElevation", " - ".join(x for x in (lo_text, hi_text) if x))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def normalize_terms(raw: Mapping[str, Any]) -> NormalizedRecord:
    """Clean and interpret an engine's raw terms.

    - Whitespace is collapsed; placeholders (``n/a``, ``unknown``, ``-``, ``?``,
      ``000000``...) are dropped and flagged; keys that are not herbx's Darwin Core terms
      are dropped and flagged.
    - ``eventDate`` and ``dateIdentified`` become ISO 8601; ``eventDate`` may come from
      ``verbatimEventDate`` alone.
    - ``decimalLatitude``/``decimalLongitude`` become signed decimal degrees, from decimal,
      DMS or signed text, or from ``verbatimCoordinates`` alone.
    - Elevations become whole metres (feet converted), from the min/max terms or from
      ``verbatimElevation`` alone.
    - When an interpreted value was derived from different text, the ``verbatim*`` term
      keeps that text. Impossible values are dropped and flagged, never kept.
    """
    n = _Normalizer()
    n.clean(raw)
    n.dates()
    n.coordinates()
    n.elevation()
    ordered = {term: n.terms[term] for term in EXTRACTED_TERMS if n.terms.get(term)}
    return NormalizedRecord(terms=ordered, flags=n.flags)
