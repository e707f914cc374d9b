"""The settings hash: what decides whether an earlier result can be reused on resume.

Two runs share a settings hash when the same engine with the same settings (model, prompt,
thresholds...) and the same success rule would judge an image the same way.

Example::

    settings_hash({"name": "ocr", "settings": {"version": 1}}, {"min_terms": 3})
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

#: Bump when the runner changes what a record holds in a way that makes old ones stale.
RECORD_FORMAT = 1


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes (sorted keys) for hashing; non-JSON values are written as strings."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


def sha256_of(value: Any) -> str:
    """sha256 hex digest of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def settings_hash(
    engine_name: str,
    engine_settings: Mapping[str, Any],
    success_rule: Mapping[str, Any] | None = None,
) -> str:
    """Hash of everything that changes a specimen's record or its verdict."""
    return sha256_of(
        {
            "format": RECORD_FORMAT,
            "engine": engine_name,
            "settings": dict(engine_settings),
            "success": dict(success_rule or {}),
        }
    )
