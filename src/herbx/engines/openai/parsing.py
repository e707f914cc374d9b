"""Read a model's answer into Darwin Core terms, however the JSON is dressed.

Accepted shapes: flat ``{"scientificName": "Carex nigra"}``; nested
``{"scientificName": {"value": "Carex nigra", "confidence": 0.9}}``; either wrapped in one
container key (``{"record": {...}}``); with a separate ``"confidence": {term: number}``
table; inside a Markdown code fence or surrounded by prose.

Example::

    parsed = parse_answer('Here you go: ```json\\n{"catalogNumber": "DAO 12"}\\n```')
    parsed.terms  # {'catalogNumber': 'DAO 12'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from herbx.dwc.terms import EXTRACTED_TERMS

_BY_LOWER = {t.lower(): t for t in EXTRACTED_TERMS}
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
#: Values models use for "nothing here"; they are dropped rather than kept as data.
NULL_TOKENS = frozenset({"", "null", "none", "n/a", "na", "unknown", "not visible", "-", "?"})


class AnswerParseError(ValueError):
    """The answer holds no JSON object."""


@dataclass
class ParsedAnswer:
    """Terms, per-term confidence, and keys the model sent that are not herbx terms."""

    terms: dict[str, str]
    confidence: dict[str, float] = field(default_factory=dict)
    unknown_keys: list[str] = field(default_factory=list)


def _term_name(key: str) -> str | None:
    k = key.strip()
    for prefix in ("dwc:", "dwc_", "dc:"):
        if k.lower().startswith(prefix):
            k = k[len(prefix) :]
    return _BY_LOWER.get(k.lower())


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        return None if text.lower() in NULL_TOKENS else text
    if isinstance(value, list):
        parts = [t for t in (_as_text(v) for v in value) if t]
        return "; ".join(parts) or None
    return None


def _as_confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if 1.0 < number <= 100.0:  # percentages
        number /= 100.0
    return number if 0.0 <= number <= 1.0 else None


def find_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (code fences and surrounding prose tolerated)."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for chunk in candidates:
        stripped = chunk.strip()
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
        for start in (i for i, ch in enumerate(stripped) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(stripped, start)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    raise AnswerParseError("no JSON object in the model's answer")


def _known_count(obj: Mapping[str, Any]) -> int:
    return sum(1 for k in obj if _term_name(str(k)))


def _unwrap(obj: dict[str, Any]) -> dict[str, Any]:
    """Descend into a single container key such as ``record``, ``dwc`` or ``terms``."""
    for _ in range(3):
        if _known_count(obj):
            return obj
        nested = [v for v in obj.values() if isinstance(v, dict) and _known_count(v)]
        if len(nested) != 1:
            return obj
        obj = nested[0]
    return obj


def parse_answer(text: str) -> ParsedAnswer:
    """Parse a model's answer; raises :class:`AnswerParseError` when there is no JSON object."""
    obj = _unwrap(find_json_object(text))
    parsed = ParsedAnswer(terms={})
    side_table = obj.get("confidence") if isinstance(obj.get("confidence"), dict) else None
    for key, value in obj.items():
        term = _term_name(str(key))
        if term is None:
            if key != "confidence":
                parsed.unknown_keys.append(str(key))
            continue
        conf: float | None = None
        if isinstance(value, dict):
            raw = value.get("value", value.get("text", value.get("verbatim")))
            conf = _as_confidence(value.get("confidence", value.get("score")))
            value = raw
        text_value = _as_text(value)
        if text_value is None:
            continue
        parsed.terms[term] = text_value
        if conf is not None:
            parsed.confidence[term] = conf
    if side_table:
        for key, value in side_table.items():
            term = _term_name(str(key))
            conf = _as_confidence(value)
            if term in parsed.terms and conf is not None and term not in parsed.confidence:
                parsed.confidence[term] = conf
    return parsed
