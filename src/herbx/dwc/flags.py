"""Flags: a value that normalization dropped, doubted or could not interpret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Flag:
    """One problem found in one term.

    ``term`` is the Darwin Core term, ``value`` the text as the engine gave it and
    ``problem`` a short English sentence (``"month 13 does not exist"``).
    """

    term: str
    value: str
    problem: str

    def to_dict(self) -> dict[str, str]:
        """Plain dict for ``raw.jsonl`` and exports."""
        return {"term": self.term, "value": self.value, "problem": self.problem}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Flag:
        """Inverse of :meth:`to_dict`; missing keys become empty strings."""
        return cls(
            term=str(obj.get("term", "")),
            value=str(obj.get("value", "")),
            problem=str(obj.get("problem", "")),
        )
