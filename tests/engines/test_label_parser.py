"""The rule-based label parser, on OCR lines written by hand (no model needed)."""

from __future__ import annotations

from herbx.engines.ocr.layout import (
    OcrLine,
    group_regions,
    group_rows,
    is_vertical,
)
from herbx.engines.ocr.names import NameList
from herbx.engines.ocr.parser import parse_lines
from herbx.engines.ocr.regions import find_places
from herbx.engines.ocr.text_repair import is_noise, looks_like_date, tidy_locality, tidy_person


def lines(*texts: str, region: int = 0, score: float = 0.98) -> list[OcrLine]:
    """One OcrLine per text, stacked top to bottom."""
    return [
        OcrLine(t, score, (10.0, 30.0 * i, 10.0 + 12 * len(t), 30.0 * i + 20), region)
        for i, t in enumerate(texts)
    ]


def test_typed_free_text_label() -> None:
    parsed = parse_lines(
        lines(
            "PLANTS OF SASKATCHEWAN, CANADA",
            "Carex nigra (L.) Reichard",
            "5 km N of Saskatoon",
            "Wet meadow, sandy soil",
            "No. 1302",
            "J. A. Smith",
            "12 July 1987",
        )
    )
    t = parsed.terms
    assert t["stateProvince"] == "Saskatchewan"
    assert t["country"] == "Canada"
    assert t["scientificName"] == "Carex nigra"
    assert t["scientificNameAuthorship"] == "(L.) Reichard"
    assert t["family"] == "Cyperaceae"
    assert t["locality"] == "5 km N of Saskatoon"
    assert t["habitat"] == "Wet meadow, sandy soil"
    assert t["recordNumber"] == "1302"
    assert t["recordedBy"] == "J. A. Smith"
    assert t["eventDate"] == "12 July 1987"
    assert 0 < parsed.confidence["scientificName"] <= 1


def test_form_label_with_dotted_leaders_and_split_segments() -> None:
    # The detector split "Collector." from its value; both sit on one row.
    rows = lines(
        "HERBARIUM - ALBERTA",
        "Botanical Name.......Carex atherodes Spreng.",
        "Common Name.......",
        "Locality........16 mi SW of Red Deer",
        "Province/State.......Alberta",
        "Country.......Canada",
        "Habitat......open woods",
        "Coll..No....4364",
        "Date.....Aug.14,1963",
        "Checked by......",
    )
    rows.append(OcrLine("Collector.", 0.97, (10, 300, 110, 320)))
    rows.append(OcrLine("........E. Wong", 0.95, (115, 301, 300, 321)))
    t = parse_lines(rows).terms
    assert t["scientificName"] == "Carex atherodes"
    assert t["scientificNameAuthorship"] == "Spreng."
    assert t["locality"] == "16 mi SW of Red Deer"
    assert t["stateProvince"] == "Alberta"
    assert t["country"] == "Canada"
    assert t["habitat"] == "open woods"
    assert t["recordedBy"] == "E. Wong"
    assert t["recordNumber"] == "4364"
    assert t["eventDate"] == "Aug. 14, 1963"
    assert "identifiedBy" not in t  # "Checked by" left blank


def test_disease_form_pathogen_host_and_locality_with_province() -> None:
    t = parse_lines(
        lines(
            "PLANT DISEASE HERBARIUM - CANADA",
            "Pathogen......Melampsora lini (Ehrenb.) Lév.",
            "Host......Linum usitatissimum L.",
            "Locality......40 km N of The Pas, Manitoba",
            "Collector......C. Frankton",
            "Coll. No.......2468",
            "Date......1981-05-18",
        )
    ).terms
    assert t["scientificName"] == "Melampsora lini"
    assert t["occurrenceRemarks"] == "Host: Linum usitatissimum L."
    assert t["locality"] == "40 km N of The Pas"
    assert t["stateProvince"] == "Manitoba"
    assert t["country"] == "Canada"
    assert t["eventDate"] == "1981-05-18"


def test_keyword_label_coordinates_and_elevation() -> None:
    t = parse_lines(
        lines(
            "U.S.A.: Montana",
            "Asclepias speciosa Torr.",
            "Loc.: Near Missoula",
            "Hab.: saline flats",
            "44°10'06\" N 104°01'54\" W",
            "Alt. 820 m",
            "Leg. S. Kowalski",
            "No.6641",
            "Date: May 8, 1954",
        )
    ).terms
    assert t["country"] == "United States"
    assert t["stateProvince"] == "Montana"
    assert t["locality"] == "Near Missoula"
    assert t["habitat"] == "saline flats"
    assert t["verbatimCoordinates"] == "44°10'06\" N 104°01'54\" W"
    assert t["verbatimElevation"] == "820 m"
    assert t["recordedBy"] == "S. Kowalski"
    assert t["recordNumber"] == "6641"
    assert t["eventDate"] == "May 8, 1954"


def test_stamp_gives_catalog_number_not_record_number() -> None:
    label = lines("Carex nigra (L.) Reichard", "No. 77", region=0)
    stamp = lines("AGRICULTURE CANADA (DAS)", "Number", "012345", region=1)
    slip = lines("Stet! M. Brown 1988", region=2)
    t = parse_lines(label + stamp + slip).terms
    assert t["institutionCode"] == "DAS"
    assert t["catalogNumber"] == "012345"
    assert t["recordNumber"] == "77"
    assert t["identifiedBy"] == "M. Brown"
    assert t["dateIdentified"] == "1988"


def test_colour_chart_and_ruler_never_become_data() -> None:
    chart = lines("colorchecker CLASSIC", "calibrite", "cm", "10 11 12 13 14", "8", region=1)
    parsed = parse_lines(chart)
    assert parsed.terms == {}
    assert "calibrite" in parsed.ignored
    assert is_noise("colarcheckerCLASSIC")
    assert is_noise("10 11 12 13 14")
    assert not is_noise("No. 1302")


def test_garbled_authorship_is_matched_to_the_list() -> None:
    t = parse_lines(lines("Amelanchier alnifolia (Mutt.) Nutt. ex M. Roem.")).terms
    assert t["scientificName"] == "Amelanchier alnifolia"
    assert t["scientificNameAuthorship"] == "(Nutt.) Nutt. ex M. Roem."


def test_name_list_matching_threshold_and_run_together_words() -> None:
    names = NameList.shipped()
    run_together = names.match("Carexnigra (L.) Reichard")
    assert run_together is not None and run_together.name == "Carex nigra"
    garbled = names.match("Plantago majo")
    assert garbled is not None and garbled.name == "Plantago major"
    assert names.match("Lethbridge, along Hwy 48") is None
    assert names.match("Aspen parkland") is None
    custom = NameList.from_text("# mine\nFoo barbatus\tSm.\tFooaceae\n")
    match = custom.match("Foo barbatus Sm.")
    assert match is not None and (match.family, match.authorship) == ("Fooaceae", "Sm.")


def test_dates_and_people_tidied_from_ocr_spacing() -> None:
    assert looks_like_date("Aug.14,1963") == "Aug. 14, 1963"
    assert looks_like_date("14June 1941") == "14 June 1941"
    assert looks_like_date("0ct. 6 2007") == "Oct. 6 2007"
    assert looks_like_date("12.VII.1987") == "12.VII.1987"
    assert looks_like_date("No. 1302") is None
    assert tidy_person("J.A. Smith") == "J. A. Smith"
    assert tidy_locality("8km NEof Prince Albert") == "8 km NE of Prince Albert"
    assert tidy_locality("Bozeman, alongHwy 60") == "Bozeman, along Hwy 60"
    assert tidy_locality("Near Osoyoos") == "Near Osoyoos"


def test_gazetteer() -> None:
    assert find_places("PLANTS OF SASKATCHEWAN, CANADA") == ("Canada", "Saskatchewan")
    assert find_places("FLORA OF NEW MEXICO") == ("United States", "New Mexico")
    assert find_places("Manitoba") == ("Canada", "Manitoba")
    assert find_places("5 km N of Saskatoon") == (None, None)


def test_layout_grouping() -> None:
    boxes = [(0.0, 0.0, 100.0, 10.0), (0.0, 15.0, 80.0, 25.0), (500.0, 500.0, 560.0, 510.0)]
    assert group_regions(boxes) == [[0, 1], [2]]
    assert is_vertical([(0.0, 0.0, 10.0, 100.0), (20.0, 0.0, 30.0, 80.0)])
    assert not is_vertical([(0.0, 0.0, 100.0, 10.0), (0.0, 0.0, 8.0, 14.0)])
    row = group_rows(
        [
            OcrLine("b", 1.0, (200, 2, 260, 20)),
            OcrLine("a", 1.0, (0, 0, 100, 20)),
            OcrLine("c", 1.0, (0, 40, 100, 60)),
        ]
    )
    assert [[ln.text for ln in r] for r in row] == [["a", "b"], ["c"]]
