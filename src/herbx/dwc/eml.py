"""Dataset metadata for a Darwin Core Archive: ``eml.xml`` (EML 2.1.1, the GBIF profile).

Example::

    from herbx.dwc.eml import DatasetMetadata, eml_xml

    meta = DatasetMetadata.from_config({"title": "Saskatchewan sedges", "license": "CC-BY-4.0",
                                        "creator": "J. Hudson", "institution": "AAFC (DAS)"})
    xml_bytes = eml_xml(meta, package_id="herbx:run-1", pub_date="2026-11-26")
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

EML_NS = "eml://ecoinformatics.org/eml-2.1.1"
DC_NS = "http://purl.org/dc/terms/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{EML_NS} http://rs.gbif.org/schema/eml-gbif-profile/1.1/eml.xsd"

#: Licences GBIF accepts, by SPDX identifier: (URL, title).
LICENSES: dict[str, tuple[str, str]] = {
    "CC0-1.0": (
        "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "Public Domain (CC0 1.0)",
    ),
    "CC-BY-4.0": (
        "http://creativecommons.org/licenses/by/4.0/legalcode",
        "Creative Commons Attribution (CC-BY) 4.0",
    ),
    "CC-BY-NC-4.0": (
        "http://creativecommons.org/licenses/by-nc/4.0/legalcode",
        "Creative Commons Attribution Non Commercial (CC-BY-NC) 4.0",
    ),
}
_LICENSE_ALIASES = {
    "cc0": "CC0-1.0",
    "cc0-1.0": "CC0-1.0",
    "cc-by": "CC-BY-4.0",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-nc": "CC-BY-NC-4.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0",
}


class MetadataError(ValueError):
    """Dataset metadata is unusable; ``str()`` names the key and value."""


def normalize_license(value: str) -> str:
    """SPDX id of a licence GBIF accepts (``cc-by`` -> ``CC-BY-4.0``); else MetadataError."""
    key = _LICENSE_ALIASES.get(value.strip().lower())
    if key is None:
        for spdx, (url, _title) in LICENSES.items():
            if value.strip().rstrip("/") in (url, url.removesuffix("/legalcode")):
                return spdx
        raise MetadataError(
            f"license {value!r} is not one GBIF accepts; use one of {', '.join(LICENSES)}"
        )
    return key


@dataclass(frozen=True)
class DatasetMetadata:
    """What ``eml.xml`` says about the dataset. Empty strings mean "not given"."""

    title: str = ""
    description: str = ""
    creator: str = ""
    creator_email: str = ""
    institution: str = ""
    institution_code: str = ""
    license: str = ""
    language: str = "eng"

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> DatasetMetadata:
        """From the ``[export]`` config table (unknown keys ignored; they belong to export)."""
        section = section or {}
        values: dict[str, str] = {}
        for f in fields(cls):
            value = section.get(f.name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise MetadataError(f"export.{f.name}: expected text, not {value!r}")
            values[f.name] = value.strip()
        meta = cls(**values)
        if meta.license:
            meta = meta.with_overrides(license=normalize_license(meta.license))
        return meta

    def with_overrides(self, **changes: str | None) -> DatasetMetadata:
        """A copy with the non-empty ``changes`` applied (command-line flags)."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in changes.items():
            if key not in current:
                raise MetadataError(f"unknown dataset metadata field {key!r}")
            if value:
                current[key] = normalize_license(value) if key == "license" else value.strip()
        return DatasetMetadata(**current)

    def missing(self) -> list[str]:
        """Fields GBIF expects that are empty, for a warning."""
        return [name for name in ("title", "creator", "license") if not getattr(self, name)]


def _text(parent: ET.Element, tag: str, text: str, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    el.text = text
    return el


def _party(parent: ET.Element, tag: str, meta: DatasetMetadata) -> None:
    party = ET.SubElement(parent, tag)
    if meta.creator:
        person = ET.SubElement(party, "individualName")
        _text(person, "surName", meta.creator)
    if meta.institution or not meta.creator:
        _text(party, "organizationName", meta.institution or "Unknown")
    if meta.creator_email:
        _text(party, "electronicMailAddress", meta.creator_email)


def eml_xml(meta: DatasetMetadata, *, package_id: str, pub_date: str) -> bytes:
    """``eml.xml`` bytes: title, creator, contact, institution, date, abstract, licence."""
    ET.register_namespace("eml", EML_NS)
    ET.register_namespace("dc", DC_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{EML_NS}}}eml",
        {
            "packageId": package_id,
            "system": "herbx",
            "scope": "system",
            f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION,
            "{http://www.w3.org/XML/1998/namespace}lang": meta.language,
        },
    )
    dataset = ET.SubElement(root, "dataset")
    _text(dataset, "title", meta.title or f"Specimens extracted by herbx ({package_id})")
    _party(dataset, "creator", meta)
    _party(dataset, "metadataProvider", meta)
    _text(dataset, "pubDate", pub_date)
    _text(dataset, "language", meta.language)
    abstract = ET.SubElement(dataset, "abstract")
    _text(
        abstract,
        "para",
        meta.description
        or "Darwin Core records extracted from herbarium specimen images with herbx.",
    )
    if meta.license:
        url, title = LICENSES[meta.license]
        rights = ET.SubElement(dataset, "intellectualRights")
        para = ET.SubElement(rights, "para")
        para.text = "This work is licensed under a "
        link = ET.SubElement(para, "ulink", {"url": url})
        _text(link, "citetitle", title)
        link.tail = "."
    _party(dataset, "contact", meta)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
