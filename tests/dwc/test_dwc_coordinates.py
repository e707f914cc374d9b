import pytest

from herbx.dwc.coordinates import format_degrees, parse_coordinate, parse_coordinates


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("52°07'30\"N 106°38'W", "52.125", "-106.633333"),
        ("52° 07' 30\" N, 106° 38' W", "52.125", "-106.633333"),
        ("Lat. 52°07′30″ N, Long. 106°38′ W", "52.125", "-106.633333"),
        ("N52 07 30 W106 38 00", "52.125", "-106.633333"),
        ("52d07m30s N 106d38m W", "52.125", "-106.633333"),
        ("52°07.5'N, 106°38'W", "52.125", "-106.633333"),
        ("52.125, -106.633", "52.125", "-106.633"),
        ("-33.85 151.2", "-33.85", "151.2"),
        ("33°51'S 151°12'E", "-33.85", "151.2"),
        ("106°38'W 52°07'30\"N", "52.125", "-106.633333"),
        ("52.1 N 106.6 E", "52.1", "106.6"),
        ("52 07 30 106 38 00", "52.125", "106.633333"),
        ("52 07.5 106 38", "52.125", "106.633333"),
        ("52°07'30\"N 106°38'O", "52.125", "-106.633333"),
    ],
)
def test_coordinate_pairs(text: str, lat: str, lon: str) -> None:
    parsed = parse_coordinates(text)
    assert parsed is not None and parsed.ok, parsed
    assert parsed.latitude is not None and parsed.longitude is not None
    assert (format_degrees(parsed.latitude), format_degrees(parsed.longitude)) == (lat, lon)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("95 N, 10 E", "latitude 95 is outside -90..90"),
        ("95.0, 10.0", "latitude 95 is outside"),
        ("45 N 181 W", "longitude -181 is outside"),
        ("52°67'N 106°W", "minutes 67 are not below 60"),
        ("52°07'75\"N 106°W", "seconds 75 are not below 60"),
        ("-52 N 10 E", "negative but marked N"),
        ("52 N 10 N", "two latitudes"),
        ("52.5", "found 1 value"),
    ],
)
def test_bad_coordinates_are_flagged(text: str, problem: str) -> None:
    parsed = parse_coordinates(text)
    assert parsed is not None
    assert not parsed.ok
    assert parsed.latitude is None and parsed.longitude is None
    assert parsed.problem is not None and problem in parsed.problem


def test_text_without_numbers_is_not_a_coordinate() -> None:
    assert parse_coordinates("along the river") is None
    assert parse_coordinate("north slope", "latitude") is None


def test_single_values() -> None:
    lat = parse_coordinate("52.125", "latitude")
    assert lat is not None and lat.value == 52.125 and lat.was_decimal
    lon = parse_coordinate("106°38'W", "longitude")
    assert lon is not None and lon.value is not None and not lon.was_decimal
    assert format_degrees(lon.value) == "-106.633333"
    signed = parse_coordinate("−106.5", "longitude")  # Unicode minus from OCR
    assert signed is not None and signed.value == -106.5
    wrong_axis = parse_coordinate("52 N", "longitude")
    assert wrong_axis is not None and wrong_axis.problem == "longitude marked N"
    too_far = parse_coordinate("91", "latitude")
    assert too_far is not None and too_far.value is None and "outside" in str(too_far.problem)


def test_format_degrees() -> None:
    assert format_degrees(52.0) == "52"
    assert format_degrees(-0.0000001) == "0"
    assert format_degrees(-106.63333333) == "-106.633333"
