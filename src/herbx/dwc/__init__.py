"""Darwin Core: terms, the record model, normalization, success rules and export.

Example::

    from herbx.dwc import normalize_terms, SuccessRule

    rec = normalize_terms({"scientificName": "Carex nigra", "eventDate": "12 July 1987"})
    SuccessRule().evaluate(rec.terms)
"""

from herbx.dwc.flags import Flag
from herbx.dwc.normalize import NormalizedRecord, normalize_terms
from herbx.dwc.record import DwcRecord
from herbx.dwc.success import SuccessRule, Verdict
from herbx.dwc.terms import EXTRACTED_TERMS, VERBATIM_OF, term_uri

__all__ = [
    "EXTRACTED_TERMS",
    "VERBATIM_OF",
    "DwcRecord",
    "Flag",
    "NormalizedRecord",
    "SuccessRule",
    "Verdict",
    "normalize_terms",
    "term_uri",
]
