"""Values that stand for "nothing": ``n/a``, ``unknown``, ``-``, ``000000`` and kin.

Example::

    from herbx.dwc.placeholders import is_placeholder

    is_placeholder("N/A")                        # True
    is_placeholder("000000", "catalogNumber")    # True
    is_placeholder("0", "minimumElevationInMeters")   # False: sea level is real
"""

from __future__ import annotations

import re

PLACEHOLDER_WORDS = frozenset(
    {
        "n/a", "na", "n.a.", "n.a", "none", "null", "nil", "nan", "unknown", "unk", "unkn",
        "not known", "not available", "not recorded", "not given", "no data", "none given",
        "illegible", "[illegible]", "unreadable", "missing", "empty", "blank", "tbd",
        "s.n.", "s.n", "sn", "sine numero", "sin número", "sin numero", "no.", "#",
        "inconnu", "desconocido", "xxx", "xx", "x", "...", "…",
    }
)  # fmt: skip
"""Compared lower-cased after whitespace cleanup."""

#: Terms where a value made of one repeated digit (``0000``, ``1111``) is a placeholder.
NUMBER_TERMS = frozenset({"catalogNumber", "recordNumber"})

_ONLY_PUNCT = re.compile(r"^[\W_]+$")
_SAME_DIGIT = re.compile(r"^(\d)\1+$")
_ZERO = re.compile(r"^0+$")


def clean_text(value: str) -> str:
    """Collapse runs of whitespace (tabs, newlines, no-break spaces) and trim the ends."""
    return " ".join(value.split()).strip(" ,;")


def placeholder_reason(value: str, term: str | None = None) -> str | None:
    """Why ``value`` is a placeholder, or ``None`` when it is real content."""
    text = clean_text(value)
    low = text.lower()
    if not text:
        return "empty"
    if low in PLACEHOLDER_WORDS:
        return f"placeholder {text!r}"
    if _ONLY_PUNCT.match(text):
        return f"only punctuation {text!r}"
    if term in NUMBER_TERMS:
        digits = re.sub(r"[\s.\-/]", "", text)
        # 0, 000000 and 1111 stand for "no number"; 77 or 333 may be real in a small herbarium
        if _ZERO.match(digits) or (len(digits) >= 4 and _SAME_DIGIT.match(digits)):
            return f"placeholder number {text!r} (one digit repeated)"
    if term == "scientificName" and low in {"sp.", "spp.", "indet.", "indet", "plant", "species"}:
        return f"placeholder name {text!r}"
    return None


def is_placeholder(value: str, term: str | None = None) -> bool:
    """True when ``value`` means "no value" (see :data:`PLACEHOLDER_WORDS`)."""
    return placeholder_reason(value, term) is not None
