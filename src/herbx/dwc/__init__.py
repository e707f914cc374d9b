"""Darwin Core: terms, the record model, normalization, success rules and export."""

from herbx.dwc.terms import EXTRACTED_TERMS, VERBATIM_OF, term_uri

__all__ = ["EXTRACTED_TERMS", "VERBATIM_OF", "term_uri"]
