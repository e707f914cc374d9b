"""The success rule: when an extracted record counts as a success.

A specimen succeeds when its *normalized* record passes this rule, not when the engine
returned something (the original system's defect: a record of empty strings, or
``catalogNumber: "000000"``, counted as a success).

Default rule: a plausible ``scientificName`` (genus and epithet: two words of letters, the
genus capitalised, not a placeholder) plus at least 3 other core terms non-empty.

Failure reasons (machine-readable, as written to ``raw.jsonl`` and the event log):

``empty_record``
    No term has a real value (everything empty or a placeholder).
``no_scientific_name``
    ``scientificName`` is missing or does not look like a name.
``too_few_terms``
    Fewer than ``min_terms`` core terms besides the name, or a configured ``required``
    term is missing.

Example::

    from herbx.dwc.success import SuccessRule

    rule = SuccessRule.from_config({"min_terms": 2})
    rule.evaluate({"scientificName": "Carex nigra", "country": "Canada"}).reason
    # 'too_few_terms'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from herbx.dwc.placeholders import clean_text, is_placeholder
from herbx.dwc.terms import EXTRACTED_TERMS

#: Terms that count towards ``min_terms`` by default: the who, where and when of a
#: specimen. Verbatim twins and the authorship are left out so one fact counts once.
DEFAULT_CORE_TERMS: tuple[str, ...] = (
    "catalogNumber",
    "institutionCode",
    "family",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "country",
    "stateProvince",
    "county",
    "locality",
    "habitat",
    "decimalLatitude",
    "minimumElevationInMeters",
    "identifiedBy",
    "dateIdentified",
)

REASONS = ("empty_record", "no_scientific_name", "too_few_terms")

_GENUS = re.compile(r"^[A-Z][a-zë]+$")
_EPITHET = re.compile(r"^[a-zë]+(?:-[a-zë]+)?$")
_HYBRID = {"×", "x", "X"}
_NOT_GENUS = frozenset(
    {"unknown", "indet", "none", "plant", "specimen", "species", "sp", "spp", "sample", "na"}
)
_NOT_EPITHET = frozenset({"sp", "spp", "indet", "unknown", "species", "cf", "aff", "var", "ssp"})


def plausible_name(name: str) -> bool:
    """True for ``Genus epithet ...`` (authorship and infraspecific parts may follow).

    ``Salix × bebbiana`` and ``Aster novae-angliae`` pass; ``Carex sp.``, ``unknown``,
    ``CAREX NIGRA`` and ``C4rex nigra`` do not.
    """
    words = clean_text(name).split()
    if len(words) >= 3 and words[1] in _HYBRID:
        words = [words[0], *words[2:]]
    if len(words) < 2:
        return False
    genus, epithet = words[0], words[1]
    return (
        bool(_GENUS.match(genus))
        and bool(_EPITHET.match(epithet))
        and genus.lower() not in _NOT_GENUS
        and epithet not in _NOT_EPITHET
    )


@dataclass(frozen=True)
class Verdict:
    """The rule's decision. ``reason`` is ``None`` on success; ``message`` is for people."""

    ok: bool
    reason: str | None
    message: str


class SuccessRuleError(ValueError):
    """A ``[success]`` section is unusable; ``str()`` names the key."""


@dataclass(frozen=True)
class SuccessRule:
    """Decides whether a normalized record is a success. See the module docs."""

    required: tuple[str, ...] = ("scientificName",)
    min_terms: int = 3
    core_terms: tuple[str, ...] = DEFAULT_CORE_TERMS
    check_name: bool = True
    _core_set: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_core_set", frozenset(self.core_terms))

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> SuccessRule:
        """Build from a ``[success]`` config table; missing keys take the defaults.

        Keys: ``required`` (list of terms), ``min_terms`` (int >= 0), ``core_terms``
        (list of terms), ``check_name`` (bool). Raises :class:`SuccessRuleError` naming
        the key for a wrong type or an unknown term.
        """
        section = section or {}
        known = {"required", "min_terms", "core_terms", "check_name"}
        unknown = sorted(set(section) - known)
        if unknown:
            raise SuccessRuleError(
                f"success.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})"
            )
        required = _terms(section, "required", cls.required)
        core = _terms(section, "core_terms", DEFAULT_CORE_TERMS)
        min_terms = section.get("min_terms", cls.min_terms)
        if isinstance(min_terms, bool) or not isinstance(min_terms, int) or min_terms < 0:
            raise SuccessRuleError(
                f"success.min_terms: expected an integer >= 0, not {min_terms!r}"
            )
        check_name = section.get("check_name", cls.check_name)
        if not isinstance(check_name, bool):
            raise SuccessRuleError(
                f"success.check_name: expected true or false, not {check_name!r}"
            )
        return cls(required=required, min_terms=min_terms, core_terms=core, check_name=check_name)

    def evaluate(self, terms: Mapping[str, str | None]) -> Verdict:
        """Judge a record (normalized terms; placeholders are treated as empty here too)."""
        present = {
            k: clean_text(v)
            for k, v in terms.items()
            if isinstance(v, str) and v.strip() and not is_placeholder(v, k)
        }
        if not present:
            return Verdict(False, "empty_record", "the record has no term with a real value")
        name = present.get("scientificName")
        if "scientificName" in self.required:
            if name is None:
                return Verdict(False, "no_scientific_name", "no scientificName was found")
            if self.check_name and not plausible_name(name):
                return Verdict(
                    False,
                    "no_scientific_name",
                    f"scientificName {name!r} is not a plausible name (Genus epithet)",
                )
        missing = [t for t in self.required if t != "scientificName" and t not in present]
        if missing:
            return Verdict(
                False, "too_few_terms", f"required term(s) missing: {', '.join(missing)}"
            )
        core = [t for t in present if t in self._core_set and t not in self.required]
        if len(core) < self.min_terms:
            return Verdict(
                False,
                "too_few_terms",
                f"{len(core)} core term(s) besides the name ({', '.join(core) or 'none'}); "
                f"at least {self.min_terms} needed",
            )
        return Verdict(True, None, f"{len(present)} terms, {len(core)} core")


def _terms(section: Mapping[str, Any], key: str, default: Sequence[str]) -> tuple[str, ...]:
    value = section.get(key, default)
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SuccessRuleError(f"success.{key}: expected a list of term names, not {value!r}")
    out: list[str] = []
    for term in value:
        if term not in EXTRACTED_TERMS:
            raise SuccessRuleError(f"success.{key}: {term!r} is not a term herbx extracts")
        out.append(str(term))
    return tuple(out)
