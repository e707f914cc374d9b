"""The Darwin Core record herbx extracts, as a pydantic model.

Example::

    from herbx.dwc.record import DwcRecord

    rec = DwcRecord.model_validate({"scientificName": " Carex  nigra ", "decimalLatitude": 52.1})
    rec.to_terms()  # {'scientificName': 'Carex nigra', 'decimalLatitude': '52.1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from herbx.dwc.terms import EXTRACTED_TERMS


class DwcRecord(BaseModel):
    """Every term of :data:`herbx.dwc.terms.EXTRACTED_TERMS` as an optional string.

    Input is forgiving, since engines and models answer loosely: numbers become strings,
    whitespace is collapsed, empty strings become ``None``, unknown keys are ignored.
    Values are *not* normalized here; :func:`herbx.dwc.normalize.normalize_terms` does that.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    catalogNumber: str | None = None
    institutionCode: str | None = None
    scientificName: str | None = None
    scientificNameAuthorship: str | None = None
    family: str | None = None
    recordedBy: str | None = None
    recordNumber: str | None = None
    eventDate: str | None = None
    verbatimEventDate: str | None = None
    country: str | None = None
    stateProvince: str | None = None
    county: str | None = None
    locality: str | None = None
    habitat: str | None = None
    decimalLatitude: str | None = None
    decimalLongitude: str | None = None
    verbatimCoordinates: str | None = None
    minimumElevationInMeters: str | None = None
    maximumElevationInMeters: str | None = None
    verbatimElevation: str | None = None
    identifiedBy: str | None = None
    dateIdentified: str | None = None
    occurrenceRemarks: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _to_text(cls, value: Any) -> str | None:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            value = repr(value) if isinstance(value, float) else str(value)
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {type(value).__name__}")
        text = " ".join(value.split())
        return text or None

    @classmethod
    def from_terms(cls, terms: Mapping[str, Any]) -> DwcRecord:
        """Build a record from any mapping of term names to values."""
        return cls.model_validate(dict(terms))

    def to_terms(self) -> dict[str, str]:
        """The non-empty terms, in :data:`EXTRACTED_TERMS` order."""
        out: dict[str, str] = {}
        for term in EXTRACTED_TERMS:
            value = getattr(self, term)
            if value:
                out[term] = value
        return out
