"""The Darwin Core terms herbx extracts, with their namespaces."""

from __future__ import annotations

DWC_NS = "http://rs.tdwg.org/dwc/terms/"
DC_NS = "http://purl.org/dc/terms/"

#: Terms an engine may fill, in the order herbx writes them.
EXTRACTED_TERMS: tuple[str, ...] = (
    "catalogNumber",
    "institutionCode",
    "scientificName",
    "scientificNameAuthorship",
    "family",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "verbatimEventDate",
    "country",
    "stateProvince",
    "county",
    "locality",
    "habitat",
    "decimalLatitude",
    "decimalLongitude",
    "verbatimCoordinates",
    "minimumElevationInMeters",
    "maximumElevationInMeters",
    "verbatimElevation",
    "identifiedBy",
    "dateIdentified",
    "occurrenceRemarks",
)

#: Terms that hold the verbatim text behind an interpreted term.
VERBATIM_OF: dict[str, str] = {
    "eventDate": "verbatimEventDate",
    "decimalLatitude": "verbatimCoordinates",
    "decimalLongitude": "verbatimCoordinates",
    "minimumElevationInMeters": "verbatimElevation",
    "maximumElevationInMeters": "verbatimElevation",
}


def term_uri(term: str) -> str:
    """The full URI of a Darwin Core (or Dublin Core) term name."""
    if term in {"modified", "license", "rightsHolder", "references", "bibliographicCitation"}:
        return DC_NS + term
    return DWC_NS + term
