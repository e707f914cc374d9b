import csv
from pathlib import Path

import openpyxl
import orjson
import pytest

from herbx.dwc.export import ExportOptions, export_runs
from herbx.dwc.export_table import PROVENANCE_COLUMNS, build_table
from herbx.dwc.results import load_run
from herbx.dwc.terms import EXTRACTED_TERMS
from herbx.testing.rundirs import RunBuilder

TRICKY = {
    "catalogNumber": "000123",
    "institutionCode": "DAS",
    "scientificName": "Carex nigra (L.) Reichard",
    "recordedBy": '=HYPERLINK("x")',
    "recordNumber": "1-2",
    "eventDate": "1987-07-12",
    "country": "Canada",
    "locality": 'Lac-Saint-Jean, "north" shore,\nkm 3',
}


def _run(tmp_path: Path, *records: tuple[str, dict[str, str]]) -> Path:
    run = RunBuilder(tmp_path / "r1", engine="openai", model="gpt-4o-mini")
    for image, terms in records:
        run.add(image, terms, confidence={"scientificName": 0.97})
    return run.write()


def test_excel_sensitive_values_survive_a_csv_round_trip(tmp_path: Path) -> None:
    path = _run(tmp_path, ("a.jpg", TRICKY))
    summary = export_runs([load_run(path)], tmp_path / "out", ExportOptions(format="csv"))
    occurrence = tmp_path / "out" / "occurrence.csv"
    assert summary.files == [occurrence, tmp_path / "out" / "provenance.csv"]
    raw = occurrence.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM: Specify and the IPT read it as is
    assert raw.count(b"\r\n") == 2  # header and one row; the newline in locality was cleaned
    with open(occurrence, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = rows[0]
    assert row["catalogNumber"] == "000123"
    assert row["eventDate"] == "1987-07-12"
    assert row["recordNumber"] == "1-2"
    assert row["recordedBy"] == '=HYPERLINK("x")'
    assert row["locality"] == 'Lac-Saint-Jean, "north" shore, km 3'
    assert row["occurrenceID"] == "urn:catalog:DAS:000123"
    # every field quoted, so importers that honour quotes keep text as text
    first_data_line = raw.split(b"\r\n")[1]
    assert first_data_line.startswith(b'"urn:catalog:DAS:000123","PreservedSpecimen","000123"')


def test_columns_are_real_darwin_core_terms_only(tmp_path: Path) -> None:
    path = _run(tmp_path, ("a.jpg", TRICKY))
    export_runs([load_run(path)], tmp_path / "out", ExportOptions(format="csv"))
    with open(tmp_path / "out" / "occurrence.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    allowed = {"occurrenceID", "basisOfRecord", "associatedMedia", "dynamicProperties"}
    assert set(header) <= allowed | set(EXTRACTED_TERMS)
    for forbidden in ("engine", "model", "run_id", "confidence", "sha256", "status"):
        assert forbidden not in header


def test_provenance_file_keyed_by_occurrence_id(tmp_path: Path) -> None:
    path = _run(tmp_path, ("sheets/a.jpg", TRICKY))
    export_runs([load_run(path)], tmp_path / "out", ExportOptions(format="csv"))
    with open(tmp_path / "out" / "provenance.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == PROVENANCE_COLUMNS
        prov = next(reader)
    assert prov["occurrenceID"] == "urn:catalog:DAS:000123"
    assert prov["engine"] == "openai" and prov["model"] == "gpt-4o-mini"
    assert prov["run_id"] == "r1" and prov["image"] == "sheets/a.jpg"
    assert orjson.loads(prov["confidence"]) == {"scientificName": 0.97}
    assert prov["sha256"] == RunBuilder.sha_of("sheets/a.jpg")


def test_occurrence_ids_are_stable_and_unique(tmp_path: Path) -> None:
    same_catalog = dict(TRICKY, locality="elsewhere")
    no_catalog = {k: v for k, v in TRICKY.items() if k != "catalogNumber"}
    path = _run(tmp_path, ("a.jpg", TRICKY), ("b.jpg", same_catalog), ("c.jpg", no_catalog))
    run = load_run(path)
    first = build_table([run])
    again = build_table([load_run(path)])
    ids = [r.values["occurrenceID"] for r in first.rows]
    assert ids == [r.values["occurrenceID"] for r in again.rows]
    assert len(set(ids)) == 3
    # a catalog number read on two sheets cannot identify either: image hashes instead
    assert ids[0] == f"urn:sha256:{RunBuilder.sha_of('a.jpg')}"
    assert ids[1] == f"urn:sha256:{RunBuilder.sha_of('b.jpg')}"
    assert any("more than one image" in w for w in first.warnings)
    hashed = build_table([run], id_style="sha256")
    assert all(r.values["occurrenceID"].startswith("urn:sha256:") for r in hashed.rows)
    fallback = build_table([run], institution_code="SASK")
    only = build_table([load_run(_run(tmp_path / "x", ("d.jpg", no_catalog)))])
    assert only.rows[0].values["occurrenceID"].startswith("urn:sha256:")
    assert fallback.rows[2].values["occurrenceID"].startswith("urn:sha256:")


def test_institution_code_from_config_and_spaces_in_catalog_numbers(tmp_path: Path) -> None:
    terms = {k: v for k, v in TRICKY.items() if k != "institutionCode"}
    terms["catalogNumber"] = "DAS 004512"
    path = _run(tmp_path, ("a.jpg", terms))
    table = build_table([load_run(path)], institution_code="AAFC")
    assert table.rows[0].values["occurrenceID"] == "urn:catalog:AAFC:DAS%20004512"
    assert "institutionCode" not in table.rows[0].values


def test_media_base_url(tmp_path: Path) -> None:
    path = _run(tmp_path, ("sheets/a.jpg", TRICKY))
    table = build_table([load_run(path)], media_base_url="https://media.example.org/herb/")
    assert table.rows[0].values["associatedMedia"] == "https://media.example.org/herb/sheets/a.jpg"


def test_xlsx_keeps_every_value_as_text(tmp_path: Path) -> None:
    path = _run(tmp_path, ("a.jpg", TRICKY))
    summary = export_runs([load_run(path)], tmp_path / "out", ExportOptions(format="xlsx"))
    wb = openpyxl.load_workbook(summary.files[0])
    assert wb.sheetnames == ["occurrence", "provenance"]
    ws = wb["occurrence"]
    header = [c.value for c in ws[1]]
    values = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert values["catalogNumber"].value == "000123"
    assert values["catalogNumber"].data_type == "s"
    assert values["catalogNumber"].number_format == "@"
    assert values["eventDate"].value == "1987-07-12"
    assert values["recordedBy"].value == '=HYPERLINK("x")'
    assert values["recordedBy"].data_type == "s"  # text, not a formula


def test_jsonl_export(tmp_path: Path) -> None:
    path = _run(tmp_path, ("a.jpg", TRICKY), ("b.jpg", {}))
    options = ExportOptions(format="jsonl", include_failed=True)
    summary = export_runs([load_run(path)], tmp_path / "out", options)
    lines = [orjson.loads(x) for x in summary.files[0].read_bytes().splitlines()]
    assert [x["status"] for x in lines] == ["succeeded", "failed"]
    assert lines[0]["dwc"]["catalogNumber"] == "000123"
    assert lines[0]["provenance"]["confidence"] == {"scientificName": 0.97}
    assert lines[1]["provenance"]["reason"] == "empty_record"


def test_later_run_wins_for_the_same_image(tmp_path: Path) -> None:
    old = RunBuilder(tmp_path / "old", engine="ocr")
    old.add("a.jpg", dict(TRICKY, country="Kanada"))
    new = RunBuilder(tmp_path / "new", engine="openai")
    new.add("a.jpg", TRICKY)
    table = build_table([load_run(old.write()), load_run(new.write())])
    assert len(table.rows) == 1
    assert table.rows[0].values["country"] == "Canada"
    assert table.rows[0].run_id == "new"


def test_bad_export_settings() -> None:
    from herbx.dwc.export import ExportError

    for section, key in (
        ({"format": "pdf"}, "export.format"),
        ({"occurrence_id": "uuid"}, "export.occurrence_id"),
        ({"include_failed": "yes"}, "export.include_failed"),
        ({"title": 3}, "export.title"),
    ):
        with pytest.raises(ExportError, match=key):
            ExportOptions.from_config(section)
    opts = ExportOptions.from_config({"format": "csv", "license": "cc0", "title": " T "})
    assert (opts.format, opts.metadata.license, opts.metadata.title) == ("csv", "CC0-1.0", "T")
