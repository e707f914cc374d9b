"""Rule-based label parser: OCR lines in, raw Darwin Core terms out.

The parser knows what herbarium sheets carry:

* printed form labels whose field names are followed by dotted leaders
  (``Botanical Name.....``, ``Collector....``, ``Coll. No....``, ``Date....``,
  ``Pathogen....``, ``Host....``), the field name matched fuzzily so OCR garble survives;
* keyword labels (``Coll.``, ``Leg.``, ``No.``, ``Det.``, ``Habitat``, ``Hab.``, ``Alt.``,
  ``Elev.``, ``Loc.``);
* free-text typewritten labels: a header such as ``PLANTS OF SASKATCHEWAN, CANADA``, the
  name, locality and habitat lines, ``No. 1302``, the collector and the date;
* institution stamps (``AGRICULTURE CANADA (DAS)`` with an accession ``Number``) and
  determination slips (``det. ...``, ``Stet! 1988``);
* and what is *not* data: colour charts (``colorchecker CLASSIC``, ``calibrite``) and rulers.

Values stay verbatim (dates as printed, coordinates as printed); normalization happens
downstream in :func:`herbx.dwc.normalize.normalize_terms`. Scientific names are the listed
spelling of the best match in the name list, with the text as read kept in the evidence.

Example::

    >>> from herbx.engines.ocr.layout import OcrLine
    >>> lines = [OcrLine("PLANTS OF SASKATCHEWAN, CANADA", 0.99, (0, 0, 300, 20)),
    ...          OcrLine("Carex nigra (L.) Reichard", 0.98, (0, 30, 250, 50)),
    ...          OcrLine("No. 1302", 0.97, (0, 60, 80, 80))]
    >>> parse_lines(lines).terms["recordNumber"]
    '1302'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from herbx.engines.ocr.layout import OcrLine, group_rows
from herbx.engines.ocr.names import NameList
from herbx.engines.ocr.regions import COUNTRIES, DIVISIONS, country_of, find_places
from herbx.engines.ocr.text_repair import (
    is_noise,
    looks_like_date,
    respace_date,
    tidy_locality,
    tidy_person,
)

#: Bump when the rules change what the parser returns (part of the engine's settings).
PARSER_VERSION = "1"

_NAME = "scientificName"

# Printed field names (after dotted leaders or a colon) -> term. Matched fuzzily.
_FIELD_NAMES: dict[str, str] = {
    "botanical name": _NAME,
    "scientific name": _NAME,
    "name": _NAME,
    "species": _NAME,
    "taxon": _NAME,
    "pathogen": _NAME,
    "fungus": _NAME,
    "host": "host",
    "common name": "ignore",
    "locality": "locality",
    "location": "locality",
    "loc": "locality",
    "habitat": "habitat",
    "hab": "habitat",
    "collector": "recordedBy",
    "collected by": "recordedBy",
    "coll": "recordedBy",
    "leg": "recordedBy",
    "coll no": "recordNumber",
    "collector no": "recordNumber",
    "collection number": "recordNumber",
    "no": "recordNumber",
    "number": "recordNumber",
    "date": "eventDate",
    "date collected": "eventDate",
    "collection date": "eventDate",
    "province/state": "stateProvince",
    "province": "stateProvince",
    "state": "stateProvince",
    "prov": "stateProvince",
    "country": "country",
    "county": "county",
    "district": "county",
    "altitude": "verbatimElevation",
    "elevation": "verbatimElevation",
    "alt": "verbatimElevation",
    "elev": "verbatimElevation",
    "latitude": "verbatimCoordinates",
    "coordinates": "verbatimCoordinates",
    "lat": "verbatimCoordinates",
    "checked by": "identifiedBy",
    "determined by": "identifiedBy",
    "identified by": "identifiedBy",
    "det": "identifiedBy",
    "family": "family",
    "fam": "family",
    "catalog no": "catalogNumber",
    "catalogue no": "catalogNumber",
    "accession no": "catalogNumber",
    "acc no": "catalogNumber",
    "remarks": "occurrenceRemarks",
    "notes": "occurrenceRemarks",
}

# Keywords written without leaders ("Leg. J. Smith", "No. 1302", "Alt. 850 m"): exact.
_KEYWORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), term)
    for p, term in (
        (r"(?:acc(?:ession)?|cat(?:alog(?:ue)?)?)\.?\s*(?:no|number|#)\b\.?", "catalogNumber"),
        (r"coll(?:ector)?(?:'s)?\.?\s*(?:no|number|#)\b\.?", "recordNumber"),
        (r"(?:no|n°|nr|#)(?:\b\.?|(?=\d))", "recordNumber"),
        (r"(?:coll(?:ected)?\.?\s*by|collector|coll|leg(?:it)?|col)\b\.?", "recordedBy"),
        (r"(?:det(?:ermined)?\.?\s*by|det|stet!?|conf|rev)\b[.!]?", "identifiedBy"),
        (r"(?:habitat|hab)\b\.?", "habitat"),
        (r"(?:locality|location|loc)\b\.?", "locality"),
        (r"(?:altitude|elevation|alt|elev)\b\.?", "verbatimElevation"),
        (r"(?:date)\b\.?", "eventDate"),
        (r"(?:host)\b\.?", "host"),
        (r"(?:pathogen)\b\.?", _NAME),
        (r"(?:county|co)\b\.", "county"),
    )
]

_LEADER = re.compile(
    r"^(?P<key>[A-Za-z][A-Za-z/ .'’]{0,28}?)\s*(?:[.·…_:]\s*){2,}[\s.·…_:]*(?P<val>.*)$"
)
_COLON = re.compile(r"^(?P<key>[A-Za-z][A-Za-z/ .'’]{0,28}?)\s*:\s*(?P<val>.*)$")
_SEP = re.compile(r"^[\s.:;,·…_\-]+")
_INSTITUTION = re.compile(r"\(([A-Z]{2,8})\)")
_INSTITUTION_WORDS = re.compile(
    r"agricultur|herbari|universit|museum|institut|botanic|canada|national|department",
    re.IGNORECASE,
)
_CATALOG = re.compile(r"^[A-Z]{0,6}[\s-]?(\d{4,10})$")
_HEADER = re.compile(
    r"^(?:plants?|flora|herbarium|plant disease herbarium|herb\.?)\b", re.IGNORECASE
)
_COORD = re.compile(
    r"(?:\d{1,3}\s*°)|(?:\blat\b)|(?:\blong\b)|(?:^[-+]?\d{1,2}\.\d{3,}\s*[,;]?\s*[-+]?\d{1,3}\.\d{3,}$)",
    re.IGNORECASE,
)
_ELEVATION = re.compile(
    r"^(?:ca\.?\s*)?\d[\d,.]*(?:\s*[-–]\s*\d[\d,.]*)?\s*(?:m|ft|feet|metres|meters)\.?$",
    re.IGNORECASE,
)
_PERSON = re.compile(
    r"^(?:[A-Z]\.\s?){1,3}\s?[A-Z][a-zà-ÿ'’]+(?:[- ][A-Z][a-zà-ÿ'’]+)?"
    r"(?:\s*(?:&|and|,)\s*(?:[A-Z]\.\s?){1,3}\s?[A-Z][a-zà-ÿ'’]+)*$"
)
_LOCALITY_HINT = re.compile(
    r"\b(?:km|mi|miles?|of|near|nr\.?|along|hwy|highway|road|rd\.?|lake|river|creek|park|"
    r"twp|range|sec\.?|junction|jct\.?)\b",
    re.IGNORECASE,
)
_HABITAT_HINT = re.compile(
    r"\b(?:meadow|prairie|soil|forest|woods?|woodland|slope|bog|marsh|fen|swamp|shore|"
    r"bank|ditch|roadside|grassland|pasture|parkland|flats?|sand|sandy|gravel|clay|dunes?|"
    r"thicket|field|coulee|tundra|scrub|stand)\b",
    re.IGNORECASE,
)
_COLL_NO = re.compile(r"^(coll(?:ector)?)\s*(?:[.·]\s*){1,3}(no)\b", re.IGNORECASE)
# "0soyoos", "0ttawa": a zero starting a word of lowercase letters is a capital O.
_ZERO_AS_O = re.compile(r"(?<![\w.,])0{1,2}O?(?=[a-z]{2})")
_LEADER_ONLY = re.compile(r"^[\s.·…_:]{2,}$")
_YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)\b")


@dataclass
class Piece:
    """One OCR line as the parser sees it, with where it came from."""

    text: str
    score: float
    region: int
    row: int
    used: bool = False


@dataclass
class ParsedLabel:
    """Terms (raw strings), per-term confidence and the text each term came from."""

    terms: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def put(self, term: str, value: str, score: float, source: str, *, force: bool = False) -> bool:
        """Set ``term`` unless already set (or ``force``); returns whether it was set."""
        value = value.strip().lstrip(".·…_:;, ").strip(",;").strip()
        if not value or (term in self.terms and not force):
            return False
        self.terms[term] = value
        self.confidence[term] = round(max(0.0, min(1.0, score)), 3)
        self.evidence[term] = source
        return True


def _field_term(key: str) -> tuple[str | None, float]:
    norm = re.sub(r"[^a-z/ ]", " ", key.lower())
    norm = re.sub(r"\s+", " ", norm).strip()
    if not norm:
        return None, 0.0
    best, best_score = None, 0.0
    for name, term in _FIELD_NAMES.items():
        score = fuzz.ratio(norm, name)
        if score > best_score:
            best, best_score = term, score
    if best_score >= (90 if len(norm) <= 4 else 75):
        return best, best_score / 100
    return None, 0.0


class LabelParser:
    """Turns OCR lines into raw Darwin Core terms (see the module docstring)."""

    def __init__(self, names: NameList | None = None) -> None:
        self.names = names or NameList.shipped()

    def parse(self, lines: Sequence[OcrLine], *, min_score: float = 0.5) -> ParsedLabel:
        """Parse the lines of one sheet (any number of regions)."""
        result = ParsedLabel()
        pieces = self._pieces(lines, min_score, result)
        self._institution(pieces, result)
        self._keyed(pieces, result)
        self._headers(pieces, result)
        self._names(pieces, result)
        self._free_text(pieces, result)
        self._finish(result)
        return result

    # -- steps --------------------------------------------------------------------------
    def _pieces(
        self, lines: Sequence[OcrLine], min_score: float, result: ParsedLabel
    ) -> list[Piece]:
        pieces: list[Piece] = []
        by_region: dict[int, list[OcrLine]] = {}
        for line in lines:
            by_region.setdefault(line.region, []).append(line)
        for region, region_lines in by_region.items():
            for row_index, row in enumerate(group_rows(region_lines)):
                kept: list[OcrLine] = []
                for line in row:
                    text = re.sub(r"\s+", " ", line.text).strip()
                    if _LEADER_ONLY.match(text):
                        kept.append(line)  # a dotted leader joins a field name to its value
                    elif line.score < min_score or is_noise(text):
                        result.ignored.append(text)
                    else:
                        kept.append(line)
                # Close segments of a row are read as one line (a detector often splits a
                # printed field name from its value at the dotted leader); far apart ones
                # are separate texts (a slip beside a label).
                for chunk in _chunks(kept):
                    if all(_LEADER_ONLY.match(ln.text) for ln in chunk):
                        continue
                    text = " ".join(re.sub(r"\s+", " ", ln.text).strip() for ln in chunk)
                    text = _ZERO_AS_O.sub("O", text)
                    weight = sum(len(ln.text) for ln in chunk) or 1
                    score = sum(ln.score * len(ln.text) for ln in chunk) / weight
                    pieces.append(Piece(text, score, region, row_index))
        return pieces

    def _institution(self, pieces: list[Piece], result: ParsedLabel) -> None:
        stamp_regions: set[int] = set()
        for piece in pieces:
            match = _INSTITUTION.search(piece.text)
            if (
                match
                and _INSTITUTION_WORDS.search(piece.text)
                and result.put("institutionCode", match.group(1), piece.score, piece.text)
            ):
                stamp_regions.add(piece.region)
                piece.used = True
        for region in stamp_regions:
            region_pieces = [p for p in pieces if p.region == region and not p.used]
            for i, piece in enumerate(region_pieces):
                m = re.match(
                    r"^(?:number|acc(?:ession)?\.?\s*no\.?|no\.?|#)\s*:?\s*(.*)$",
                    piece.text,
                    re.IGNORECASE,
                )
                value = m.group(1) if m else piece.text
                if m and not value and i + 1 < len(region_pieces):
                    nxt = region_pieces[i + 1]
                    value, piece.used = nxt.text, True
                    piece = nxt
                digits = _CATALOG.match(value.replace(" ", ""))
                if digits and result.put("catalogNumber", digits.group(1), piece.score, piece.text):
                    piece.used = True
                    for p in region_pieces:
                        if re.fullmatch(
                            r"(?:number|acc(?:ession)?\.?\s*no\.?)", p.text, re.IGNORECASE
                        ):
                            p.used = True
                    break

    def _keyed(self, pieces: list[Piece], result: ParsedLabel) -> None:
        for piece in pieces:
            if piece.used:
                continue
            term, value, score = self._split_key(piece.text)
            if term is None:
                continue
            piece.used = True
            if term == "ignore" or not value:
                continue
            self._assign(term, value, piece.score * score, piece, result)

    def _split_key(self, text: str) -> tuple[str | None, str, float]:
        # "Coll..No....967" / "Coll. .No": OCR smears the dot of "Coll." into the leader.
        text = _COLL_NO.sub(r"\1. \2", text)
        for pattern in (_LEADER, _COLON):
            m = pattern.match(text)
            if m:
                term, score = _field_term(m.group("key"))
                if term is not None:
                    return term, m.group("val").strip(), score
        for kw, term in _KEYWORDS:
            m = kw.match(text)
            if m:
                value = _SEP.sub("", text[m.end() :])
                if term == "recordNumber" and not re.match(r"\d", value):
                    continue
                if term == "county" and not value:
                    continue
                return term, value, 1.0
        return None, "", 0.0

    def _assign(
        self, term: str, value: str, score: float, piece: Piece, result: ParsedLabel
    ) -> None:
        if term == _NAME:
            self._put_name(value, score, piece, result, keyed=True)
        elif term == "host":
            result.put("occurrenceRemarks", f"Host: {value}", score, piece.text)
        elif term == "identifiedBy":
            self._put_determination(value, score, piece, result)
        elif term == "recordedBy":
            # "Leg. J. Smith No. 1302" and "Coll. J. Smith 12 July 1987" on one line
            number = re.search(r"\s+(?:no\.?|n°|#)\s*(\d[\w-]*)\s*$", value, re.IGNORECASE)
            if number:
                result.put("recordNumber", number.group(1), score, piece.text)
                value = value[: number.start()]
            result.put("recordedBy", tidy_person(value), score, piece.text)
        elif term == "recordNumber":
            m = re.match(r"(\d[\w/-]*)\s*(.*)$", value)
            if m:
                result.put("recordNumber", m.group(1), score, piece.text)
                rest = m.group(2)
                date = looks_like_date(rest) if rest else None
                if date:
                    result.put("eventDate", date, score, piece.text)
        elif term == "eventDate":
            date = looks_like_date(value)
            result.put("eventDate", date or respace_date(value), score, piece.text)
        elif term in ("stateProvince", "country"):
            country, division = find_places(value)
            if term == "country":
                result.put("country", country or value, score, piece.text)
            else:
                result.put("stateProvince", division or value, score, piece.text)
                if country:
                    result.put("country", country, score * 0.9, piece.text)
        elif term == "locality":
            result.put("locality", value, score, piece.text)
        elif term == "catalogNumber":
            digits = _CATALOG.match(value.replace(" ", ""))
            result.put("catalogNumber", digits.group(1) if digits else value, score, piece.text)
        else:
            result.put(term, value, score, piece.text)

    def _put_name(
        self, value: str, score: float, piece: Piece, result: ParsedLabel, *, keyed: bool
    ) -> bool:
        match = self.names.match(value)
        if match is not None:
            conf = score * match.similarity / 100
            if result.put(_NAME, match.name, conf, piece.text):
                if match.authorship:
                    auth_conf = conf * (
                        match.rest_similarity / 100 if match.rest_similarity else 0.7
                    )
                    result.put("scientificNameAuthorship", match.authorship, auth_conf, piece.text)
                if match.family:
                    result.put("family", match.family, conf * 0.9, piece.text)
                result.evidence["scientificName.verbatim"] = match.verbatim
                return True
            return False
        if not keyed:
            return False
        # A name under a printed "Botanical Name" that the list does not hold: keep the
        # binomial as read and what follows as authorship.
        m = re.match(
            r"^([A-Z][a-z-]+(?:\s+(?:x\s+)?[a-z-]{2,})?(?:\s+(?:var|subsp|ssp)\.\s+"
            r"[a-z-]+)?)\s*(.*)$",
            value,
        )
        if not m:
            return False
        result.put(_NAME, m.group(1), score * 0.6, piece.text)
        if m.group(2):
            result.put("scientificNameAuthorship", m.group(2), score * 0.5, piece.text)
        return True

    def _put_determination(
        self, value: str, score: float, piece: Piece, result: ParsedLabel
    ) -> None:
        year = None
        years = list(_YEAR.finditer(value))
        if years:
            year = years[-1]
            tail = value[year.start() :].strip()
            date = looks_like_date(value[max(0, year.start() - 14) :])
            result.put("dateIdentified", date if date else tail, score, piece.text)
            value = value[: year.start()]
            if date:
                value = value.replace(date.rsplit(" ", 1)[0], "")
        value = value.strip(" ,;")
        if value:
            result.put("identifiedBy", tidy_person(value), score, piece.text)

    def _headers(self, pieces: list[Piece], result: ParsedLabel) -> None:
        for piece in pieces:
            if piece.used:
                continue
            text = piece.text
            header = _HEADER.match(text)
            colon = re.match(r"^([A-Za-z. ]{2,30}):\s*([A-Za-z. ]{2,40})$", text)
            if not (header or colon or _is_place_only(text)):
                continue
            country, division = find_places(text)
            if country is None and division is None:
                continue
            piece.used = True
            if division:
                result.put("stateProvince", division, piece.score, text)
            if country:
                result.put("country", country, piece.score * (0.9 if not division else 1.0), text)

    def _names(self, pieces: list[Piece], result: ParsedLabel) -> None:
        if _NAME in result.terms:
            return
        for piece in pieces:
            if piece.used:
                continue
            if self._put_name(piece.text, piece.score, piece, result, keyed=False):
                piece.used = True
                return

    def _free_text(self, pieces: list[Piece], result: ParsedLabel) -> None:
        label_region = self._label_region(pieces, result)
        leftovers: list[Piece] = []
        for piece in pieces:
            if piece.used:
                continue
            text = piece.text
            date = looks_like_date(text)
            if date and piece.region == label_region:
                piece.used = result.put("eventDate", date, piece.score, text) or piece.used
                if piece.used:
                    continue
            if _COORD.search(text) and re.search(r"\d", text):
                piece.used = result.put("verbatimCoordinates", text, piece.score, text)
                continue
            if _ELEVATION.match(text):
                piece.used = result.put("verbatimElevation", text, piece.score, text)
                continue
            if piece.region != label_region:
                continue
            if _PERSON.match(text) and "recordedBy" not in result.terms:
                piece.used = result.put("recordedBy", tidy_person(text), piece.score * 0.9, text)
                continue
            leftovers.append(piece)
        for piece in leftovers:
            text = piece.text
            habitat_like = _HABITAT_HINT.search(text) and not _LOCALITY_HINT.search(text)
            if habitat_like and result.put("habitat", text, piece.score * 0.8, text):
                piece.used = True
                continue
            wordy = re.search(r"[A-Za-z]{3}", text)
            if wordy and result.put("locality", text, piece.score * 0.8, text):
                piece.used = True
                continue
            if "habitat" not in result.terms and _HABITAT_HINT.search(text):
                piece.used = result.put("habitat", text, piece.score * 0.7, text)

    def _label_region(self, pieces: list[Piece], result: ParsedLabel) -> int | None:
        sources = {
            result.evidence.get(t) for t in (_NAME, "recordNumber", "eventDate", "stateProvince")
        }
        counts: dict[int, int] = {}
        for piece in pieces:
            if piece.text in sources:
                counts[piece.region] = counts.get(piece.region, 0) + 1
        if not counts:
            return pieces[0].region if pieces else None
        return max(counts, key=lambda r: counts[r])

    def _finish(self, result: ParsedLabel) -> None:
        # Higher geography at the end of a locality belongs in its own terms.
        locality = result.terms.get("locality")
        if locality:
            parts = [p.strip() for p in locality.split(",")]
            conf = result.confidence.get("locality", 0.5)
            while len(parts) > 1:
                country, division = find_places(parts[-1])
                if not (country or division) or not _is_place_only(parts[-1]):
                    break
                if division:
                    result.put("stateProvince", division, conf, locality)
                if country:
                    result.put("country", country, conf, locality)
                parts.pop()
            result.terms["locality"] = tidy_locality(", ".join(parts))
        division = result.terms.get("stateProvince")
        if division and "country" not in result.terms:
            country = country_of(division)
            if country:
                result.put(
                    "country",
                    country,
                    result.confidence["stateProvince"] * 0.9,
                    f"{division} (implied)",
                )


def _chunks(row: list[OcrLine], gap: float = 5.0) -> list[list[OcrLine]]:
    """Split a row (left to right) where the gap exceeds ``gap`` text heights.

    A piece ending in a dotted leader or a colon always takes the next piece as its value.
    """
    chunks: list[list[OcrLine]] = []
    for line in row:
        if chunks:
            prev = chunks[-1][-1]
            close = line.box[0] - prev.box[2] <= gap * max(prev.height, line.height)
            if close or re.search(r"(?:[.·…_]{2,}|:)\s*$", prev.text):
                chunks[-1].append(line)
                continue
        chunks.append([line])
    return chunks


def _is_place_only(text: str) -> bool:
    """Whether ``text`` is nothing but place names (``"Saskatchewan, Canada"``)."""
    rest = text
    aliases = [a for _, aliases in DIVISIONS.values() for a in aliases]
    aliases += [a for aliases in COUNTRIES.values() for a in aliases]
    for alias in sorted(aliases, key=len, reverse=True):
        rest = re.sub(re.escape(alias), " ", rest, flags=re.IGNORECASE)
    return not re.search(r"[A-Za-z]{2}", rest)


def parse_lines(lines: Sequence[OcrLine], names: NameList | None = None) -> ParsedLabel:
    """Parse OCR lines with a :class:`LabelParser` over ``names`` (default: shipped list)."""
    return LabelParser(names).parse(lines)
