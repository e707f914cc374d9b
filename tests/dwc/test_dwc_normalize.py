import pytest

from herbx.dwc.flags import Flag
from herbx.dwc.normalize import normalize_terms
from herbx.dwc.placeholders import is_placeholder, placeholder_reason
from herbx.dwc.record import DwcRecord
from herbx.dwc.terms import EXTRACTED_TERMS


def problems(rec_flags: list[Flag], term: str) -> list[str]:
    return [f.problem for f in rec_flags if f.term == term]


def test_record_model_has_every_extracted_term() -> None:
    assert tuple(DwcRecord.model_fields) == EXTRACTED_TERMS
    rec = DwcRecord.model_validate(
        {"scientificName": " Carex \n nigra ", "decimalLatitude": 52.125, "recordNumber": 1302,
         "habitat": "", "notATerm": "x"}
    )  # fmt: skip
    assert rec.to_terms() == {
        "scientificName": "Carex nigra",
        "recordNumber": "1302",
        "decimalLatitude": "52.125",
    }
    assert rec.habitat is None


def test_a_full_label_normalizes_with_verbatim_beside() -> None:
    rec = normalize_terms(
        {
            "catalogNumber": "DAS 004512",
            "scientificName": "  Carex   nigra (L.) Reichard ",
            "recordedBy": "J.H. Hudson",
            "recordNumber": "1302",
            "eventDate": "12 July 1987",
            "country": "Canada",
            "stateProvince": "Saskatchewan",
            "verbatimCoordinates": "52°07'30\"N 106°38'W",
            "verbatimElevation": "1650 ft",
        }
    )
    t = rec.terms
    assert t["scientificName"] == "Carex nigra (L.) Reichard"
    assert t["catalogNumber"] == "DAS 004512"
    assert (t["eventDate"], t["verbatimEventDate"]) == ("1987-07-12", "12 July 1987")
    assert (t["decimalLatitude"], t["decimalLongitude"]) == ("52.125", "-106.633333")
    assert t["verbatimCoordinates"] == "52°07'30\"N 106°38'W"
    assert (t["minimumElevationInMeters"], t["maximumElevationInMeters"]) == ("503", "503")
    assert t["verbatimElevation"] == "1650 ft"
    assert rec.flags == []
    assert list(t) == [term for term in EXTRACTED_TERMS if term in t]


def test_iso_input_needs_no_verbatim_twin() -> None:
    rec = normalize_terms(
        {"eventDate": "1987-07-12", "decimalLatitude": "52.125", "decimalLongitude": "-106.6"}
    )
    assert rec.terms == {
        "eventDate": "1987-07-12",
        "decimalLatitude": "52.125",
        "decimalLongitude": "-106.6",
    }


def test_dms_in_decimal_terms_is_converted_and_kept_verbatim() -> None:
    rec = normalize_terms({"decimalLatitude": "52°07'30\"N", "decimalLongitude": "106°38'W"})
    assert rec.terms["decimalLatitude"] == "52.125"
    assert rec.terms["decimalLongitude"] == "-106.633333"
    assert rec.terms["verbatimCoordinates"] == "52°07'30\"N 106°38'W"


def test_event_date_from_verbatim_only() -> None:
    rec = normalize_terms({"verbatimEventDate": "Aug. 14, 1963"})
    assert rec.terms == {"eventDate": "1963-08-14", "verbatimEventDate": "Aug. 14, 1963"}


def test_impossible_values_are_dropped_and_flagged_with_verbatim_kept() -> None:
    rec = normalize_terms(
        {
            "eventDate": "1987-13-02",
            "dateIdentified": "31 Apr 1990",
            "decimalLatitude": "95",
            "decimalLongitude": "10",
            "verbatimElevation": "12000 m",
        }
    )
    t = rec.terms
    assert "eventDate" not in t and t["verbatimEventDate"] == "1987-13-02"
    assert "dateIdentified" not in t
    assert "decimalLatitude" not in t and "decimalLongitude" not in t
    assert "minimumElevationInMeters" not in t and t["verbatimElevation"] == "12000 m"
    assert any("month 13" in p for p in problems(rec.flags, "eventDate"))
    assert any("day 31" in p for p in problems(rec.flags, "dateIdentified"))
    assert any("latitude 95" in p for p in problems(rec.flags, "decimalLatitude"))
    assert any("partner" in p for p in problems(rec.flags, "decimalLongitude"))
    assert any("Everest" in p for p in problems(rec.flags, "verbatimElevation"))


def test_bad_verbatim_coordinates_are_kept_but_not_interpreted() -> None:
    rec = normalize_terms({"verbatimCoordinates": "52°67'N 106°W"})
    assert rec.terms == {"verbatimCoordinates": "52°67'N 106°W"}
    assert "minutes 67" in problems(rec.flags, "verbatimCoordinates")[0]


def test_null_island_is_flagged() -> None:
    rec = normalize_terms({"decimalLatitude": "0", "decimalLongitude": "0"})
    assert "decimalLatitude" not in rec.terms
    assert problems(rec.flags, "decimalLatitude")


def test_elevation_terms_in_feet_and_ranges() -> None:
    rec = normalize_terms({"minimumElevationInMeters": "4500 ft"})
    assert rec.terms == {
        "minimumElevationInMeters": "1372",
        "maximumElevationInMeters": "1372",
        "verbatimElevation": "4500 ft",
    }
    rng = normalize_terms({"verbatimElevation": "1200-1500 m"})
    assert rng.terms["minimumElevationInMeters"] == "1200"
    assert rng.terms["maximumElevationInMeters"] == "1500"
    plain = normalize_terms(
        {"minimumElevationInMeters": "1200", "maximumElevationInMeters": "1500"}
    )
    assert "verbatimElevation" not in plain.terms
    swapped = normalize_terms(
        {"minimumElevationInMeters": "1600", "maximumElevationInMeters": "1500"}
    )
    assert "minimumElevationInMeters" not in swapped.terms
    assert problems(swapped.flags, "minimumElevationInMeters")
    unitless = normalize_terms({"verbatimElevation": "1200"})
    assert unitless.terms["minimumElevationInMeters"] == "1200"
    assert "metres assumed" in problems(unitless.flags, "verbatimElevation")[0]


@pytest.mark.parametrize(
    ("term", "value"),
    [
        ("catalogNumber", "000000"),
        ("catalogNumber", "1111111"),
        ("recordNumber", "0"),
        ("locality", "n/a"),
        ("habitat", "Unknown"),
        ("recordedBy", "-"),
        ("county", "?"),
        ("country", "none"),
        ("identifiedBy", "---"),
        ("locality", "[illegible]"),
        ("recordNumber", "s.n."),
    ],
)
def test_placeholders_are_dropped_and_flagged(term: str, value: str) -> None:
    other = {"country": "Canada"} if term != "country" else {}
    rec = normalize_terms({term: value, **other})
    assert term not in rec.terms
    assert [f.value for f in rec.flags if f.term == term] == [value]
    assert "dropped" in problems(rec.flags, term)[0]


def test_real_values_are_not_placeholders() -> None:
    assert not is_placeholder("0", "minimumElevationInMeters")
    assert not is_placeholder("004512", "catalogNumber")
    assert not is_placeholder("77", "catalogNumber")
    assert not is_placeholder("333", "recordNumber")
    assert is_placeholder("00", "recordNumber")
    assert is_placeholder("9999", "catalogNumber")
    assert not is_placeholder("Nanaimo", "locality")
    assert placeholder_reason("   ") == "empty"


def test_empty_and_none_values_vanish_silently_unknown_keys_are_flagged() -> None:
    rec = normalize_terms({"habitat": "  ", "locality": None, "colour": "green", "x": ""})
    assert rec.terms == {}
    assert [(f.term, f.value) for f in rec.flags] == [("colour", "green")]


def test_to_dict_matches_raw_jsonl_keys() -> None:
    rec = normalize_terms({"catalogNumber": "000000", "country": "Canada"})
    d = rec.to_dict()
    assert d["dwc"] == {"country": "Canada"}
    assert d["flags"][0]["term"] == "catalogNumber"
    assert Flag.from_dict(d["flags"][0]) == rec.flags[0]


def test_date_range_keeps_the_label_text() -> None:
    rec = normalize_terms({"eventDate": "12-15.VII.1987"})
    assert rec.terms == {
        "eventDate": "1987-07-12/1987-07-15",
        "verbatimEventDate": "12-15.VII.1987",
    }
