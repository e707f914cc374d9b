"""Repairs for what OCR does to label text: dropped spaces, 0 for O, chart and ruler noise."""

from __future__ import annotations

import re

from herbx.dwc.dates import parse_date

_NOISE_WORDS = re.compile(
    r"colou?r\s*checker|calibrite|x-?rite|classic|kodak|gr[ae]y\s*scale|color\s*control",
    re.IGNORECASE,
)
_RULER_TOKEN = re.compile(r"^(?:\d{1,2}|cm|mm|in|inch(?:es)?)$", re.IGNORECASE)
_MONTH_JOIN = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|June|Jul|July|Aug|Sept?|Oct|Nov|Dec)\.?(?=\d)", re.IGNORECASE
)
_OCT = re.compile(r"(?<![A-Za-z0-9])0(?=ct)", re.IGNORECASE)
_INITIALS = re.compile(r"(?<![A-Za-z])([A-Z]\.)(?=[A-Z])")
_DAY_MONTH = re.compile(
    r"(?<=\d)(?=(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b)", re.IGNORECASE
)


def respace_date(text: str) -> str:
    """Restore spaces OCR dropped in a date: ``"Aug.14,1963"`` -> ``"Aug. 14, 1963"``."""
    out = _MONTH_JOIN.sub(lambda m: m.group(0) + " ", text)
    out = _DAY_MONTH.sub(" ", out)
    out = re.sub(r",(?=\d)", ", ", out)
    return re.sub(r"\s+", " ", out).strip()


def tidy_person(text: str) -> str:
    """Restore the space OCR drops between initials: ``"J.A. Smith"`` -> ``"J. A. Smith"``."""
    return re.sub(r"\s+", " ", _INITIALS.sub(r"\1 ", text)).strip()


def tidy_locality(text: str) -> str:
    """Restore spaces OCR drops in place phrases: ``"8km NEof X, alongHwy 6"``."""
    out = re.sub(r"(\d)(?=(?:km|mi|m|ft)\b)", r"\1 ", text)
    out = re.sub(r"\b([NSEW]{1,3})(?=of\b)", r"\1 ", out)
    out = re.sub(r"\b(along|near|of|from|to)(?=[A-Z0-9])", r"\1 ", out)
    return re.sub(r"\s+", " ", out).strip()


def looks_like_date(text: str) -> str | None:
    """The (respaced) text if it is a date with at least a month, else ``None``."""
    candidate = respace_date(_OCT.sub("O", text.strip(" .,;")))
    if not re.search(r"\d", candidate) or len(candidate) > 24:
        return None
    parsed = parse_date(candidate)
    if parsed is None or parsed.problem is not None or parsed.month is None:
        return None
    return candidate


def is_noise(text: str) -> bool:
    """Colour-chart words, ruler digits and unreadable bits that must never become data."""
    stripped = text.strip()
    if not re.search(r"[A-Za-z0-9]", stripped):
        return True
    if _NOISE_WORDS.search(stripped):
        return True
    tokens = stripped.split()
    return bool(tokens) and all(_RULER_TOKEN.match(t) for t in tokens)
