import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import orjson
import pytest
from dwca.read import DwCAReader

from herbx.dwc.eml import DatasetMetadata, MetadataError, normalize_license
from herbx.dwc.export import ExportError, ExportOptions, export_runs
from herbx.dwc.export_dwca import meta_xml
from herbx.dwc.export_table import build_table
from herbx.dwc.results import load_run
from herbx.dwc.terms import DC_NS, DWC_NS, term_uri
from herbx.testing.rundirs import RunBuilder

TEXT_NS = "{http://rs.tdwg.org/dwc/text/}"
EML_NS = "{eml://ecoinformatics.org/eml-2.1.1}"

LABELS = [
    (
        "sheets/DAS_004512.jpg",
        {
            "catalogNumber": "004512",
            "institutionCode": "DAS",
            "scientificName": "Carex nigra (L.) Reichard",
            "recordedBy": "J.H. Hudson",
            "recordNumber": "1302",
            "eventDate": "12 July 1987",
            "country": "Canada",
            "stateProvince": "Saskatchewan",
            "locality": 'Near "Big" Lake, 3 mi. N of Saskatoon; sandy shore',
            "verbatimCoordinates": "52°07'30\"N 106°38'W",
            "verbatimElevation": "1650 ft",
        },
    ),
    (
        "sheets/DAS_000077.jpg",
        {
            "catalogNumber": "000077",
            "institutionCode": "DAS",
            "scientificName": "Salix bebbiana Sarg.",
            "recordedBy": "A. Côté",
            "eventDate": "VII.12.1987",
            "country": "Canada",
            "stateProvince": "Québec",
            "habitat": "=wet meadow, +shade",
        },
    ),
    (
        "sheets/loose_1.jpg",
        {
            "scientificName": "Poa pratensis L.",
            "recordedBy": "Breitung",
            "eventDate": "1963-08-14",
            "country": "Canada",
            "decimalLatitude": "-33.85",
            "decimalLongitude": "151.2",
        },
    ),
    ("sheets/blank.jpg", {"catalogNumber": "000000", "locality": "unknown"}),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = RunBuilder(tmp_path / "2026-11-26T1903-ocr", engine="ocr", model="rapidocr-3.10")
    for image, terms in LABELS:
        run.add(image, terms)
    return run.write()


def _export(run_dir: Path, tmp_path: Path, **kw: object) -> Path:
    meta = DatasetMetadata(
        title="Saskatchewan sedges", creator="J. Hudson", institution="AAFC", license="CC-BY-4.0"
    )
    options = ExportOptions(format="dwca", metadata=meta, **kw)  # type: ignore[arg-type]
    summary = export_runs([load_run(run_dir)], tmp_path / "out", options)
    assert summary.files[0].name == "dwca.zip"
    return summary.files[0]


def test_archive_round_trips_through_python_dwca_reader(run_dir: Path, tmp_path: Path) -> None:
    archive = _export(run_dir, tmp_path)
    table = build_table([load_run(run_dir)])
    assert len(table.rows) == 3  # the blank sheet failed and is left out by default
    with DwCAReader(str(archive)) as dwca:
        assert dwca.descriptor.core.type == DWC_NS + "Occurrence"
        assert dwca.descriptor.core.terms == {term_uri(c) for c in table.columns}
        rows = list(dwca)
        assert len(rows) == len(table.rows)
        for row, expected in zip(rows, table.rows, strict=True):
            assert row.id == expected.values["occurrenceID"]
            for column in table.columns:
                assert row.data[term_uri(column)] == expected.values.get(column, ""), column
        assert dwca.metadata is not None


def test_archive_values(run_dir: Path, tmp_path: Path) -> None:
    archive = _export(run_dir, tmp_path)
    with DwCAReader(str(archive)) as dwca:
        first = next(iter(dwca)).data
    q = DWC_NS
    assert first[q + "occurrenceID"] == "urn:catalog:DAS:004512"
    assert first[q + "basisOfRecord"] == "PreservedSpecimen"
    assert first[q + "catalogNumber"] == "004512"
    assert first[q + "eventDate"] == "1987-07-12"
    assert first[q + "verbatimEventDate"] == "12 July 1987"
    assert first[q + "decimalLatitude"] == "52.125"
    assert first[q + "verbatimElevation"] == "1650 ft"
    assert first[q + "minimumElevationInMeters"] == "503"
    assert first[q + "locality"] == 'Near "Big" Lake, 3 mi. N of Saskatoon; sandy shore'
    assert first[q + "associatedMedia"] == "sheets/DAS_004512.jpg"


def test_meta_xml_follows_the_text_guide(run_dir: Path, tmp_path: Path) -> None:
    """Structure of the Darwin Core text guide: archive > core(files/location, id, field*)."""
    archive = _export(run_dir, tmp_path)
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        root = ET.fromstring(zf.read("meta.xml"))
        data = zf.read("occurrence.csv").decode("utf-8")
    assert names == {"meta.xml", "eml.xml", "occurrence.csv"}
    assert root.tag == TEXT_NS + "archive"
    assert root.get("metadata") == "eml.xml"
    cores = root.findall(TEXT_NS + "core")
    assert len(cores) == 1 and not root.findall(TEXT_NS + "extension")
    core = cores[0]
    assert [child.tag for child in core][:2] == [TEXT_NS + "files", TEXT_NS + "id"]
    assert {child.tag for child in core} == {TEXT_NS + t for t in ("files", "id", "field")}
    assert core.get("rowType") == DWC_NS + "Occurrence"
    assert core.get("encoding") == "UTF-8"
    assert core.get("fieldsTerminatedBy") == ","
    assert core.get("linesTerminatedBy") == "\\r\\n"
    assert core.get("fieldsEnclosedBy") == '"'
    assert core.get("ignoreHeaderLines") == "1"
    locations = [loc.text for loc in core.findall(f"{TEXT_NS}files/{TEXT_NS}location")]
    assert locations == ["occurrence.csv"]
    assert core.find(TEXT_NS + "id").get("index") == "0"  # type: ignore[union-attr]
    fields = core.findall(TEXT_NS + "field")
    header = next(csv.reader(io.StringIO(data)))
    # every column declared, in order, nothing more (the original declared 62 for 15)
    assert [int(f.get("index", -1)) for f in fields] == list(range(len(header)))
    assert [f.get("term") for f in fields] == [term_uri(c) for c in header]
    for f in fields:
        term = f.get("term") or ""
        assert term.startswith((DWC_NS, DC_NS)) and term.rsplit("/", 1)[1] in header
    assert header[0] == "occurrenceID"
    # every data row has exactly the declared number of columns
    rows = list(csv.reader(io.StringIO(data)))
    assert all(len(r) == len(fields) for r in rows)


def test_only_columns_with_data_are_written(run_dir: Path, tmp_path: Path) -> None:
    table = build_table([load_run(run_dir)])
    assert "county" not in table.columns and "identifiedBy" not in table.columns
    assert table.columns.index("verbatimEventDate") == table.columns.index("eventDate") + 1
    assert table.columns[-1] == "associatedMedia"  # no flags, no failures: no dynamicProperties


def test_include_failed_flags_the_failures(run_dir: Path, tmp_path: Path) -> None:
    archive = _export(run_dir, tmp_path, include_failed=True)
    with DwCAReader(str(archive)) as dwca:
        rows = list(dwca)
    assert len(rows) == 4
    blank = rows[-1].data
    props = orjson.loads(blank[DWC_NS + "dynamicProperties"])
    assert props["herbxStatus"] == "failed"
    assert props["herbxReason"] == "empty_record"
    assert any("000000" in p for p in props["herbxFlags"])
    assert blank[DWC_NS + "occurrenceID"].startswith("urn:sha256:")
    assert rows[0].data[DWC_NS + "dynamicProperties"] == ""


def test_eml_has_dataset_metadata(run_dir: Path, tmp_path: Path) -> None:
    archive = _export(run_dir, tmp_path)
    with zipfile.ZipFile(archive) as zf:
        eml = ET.fromstring(zf.read("eml.xml"))
    assert eml.tag == EML_NS + "eml"
    assert eml.get("packageId") == "herbx:2026-11-26T1903-ocr"
    ds = eml.find("dataset")
    assert ds is not None
    assert ds.findtext("title") == "Saskatchewan sedges"
    assert ds.findtext("creator/individualName/surName") == "J. Hudson"
    assert ds.findtext("creator/organizationName") == "AAFC"
    assert ds.findtext("contact/organizationName") == "AAFC"
    link = ds.find("intellectualRights/para/ulink")
    assert link is not None
    assert link.get("url") == "http://creativecommons.org/licenses/by/4.0/legalcode"


def test_eml_missing_metadata_warns(run_dir: Path, tmp_path: Path) -> None:
    summary = export_runs([load_run(run_dir)], tmp_path / "o", ExportOptions(format="dwca"))
    assert any("no title, creator, license" in w for w in summary.warnings)
    with zipfile.ZipFile(summary.files[0]) as zf:
        eml = ET.fromstring(zf.read("eml.xml"))
    assert eml.find("dataset/intellectualRights") is None
    assert "herbx" in (eml.findtext("dataset/title") or "")


def test_licences() -> None:
    assert normalize_license("cc-by") == "CC-BY-4.0"
    assert normalize_license("http://creativecommons.org/publicdomain/zero/1.0/") == "CC0-1.0"
    with pytest.raises(MetadataError, match="not one GBIF accepts"):
        normalize_license("all rights reserved")
    with pytest.raises(ExportError, match="not one GBIF accepts"):
        ExportOptions.from_config({"license": "GPL"})


def test_meta_xml_refuses_data_without_id_first() -> None:
    with pytest.raises(ValueError, match="first column must be occurrenceID"):
        meta_xml(b'"scientificName"\r\n"Carex nigra"\r\n')
