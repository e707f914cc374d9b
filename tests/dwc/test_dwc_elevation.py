import pytest

from herbx.dwc.elevation import format_metres, parse_elevation


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("1200 m", 1200, 1200, "m"),
        ("1200m", 1200, 1200, "m"),
        ("1200-1500 m", 1200, 1500, "m"),
        ("1200 – 1500 m", 1200, 1500, "m"),
        ("1200 to 1500 m", 1200, 1500, "m"),
        ("Alt. 1200 m", 1200, 1200, "m"),
        ("Elev.: 1,200 m a.s.l.", 1200, 1200, "m"),
        ("ca. 350 msm", 350, 350, "m"),
        ("4500 ft", 1372, 1372, "ft"),
        ("4500 feet", 1372, 1372, "ft"),
        ("about 4500'", 1372, 1372, "ft"),
        ("500 - 600 ft.", 152, 183, "ft"),
        ("0 m", 0, 0, "m"),
        ("-20 m", -20, -20, "m"),
    ],
)
def test_elevations_to_metres(text: str, low: int, high: int, unit: str) -> None:
    parsed = parse_elevation(text)
    assert parsed is not None and parsed.ok
    assert parsed.minimum_m is not None and parsed.maximum_m is not None
    assert (format_metres(parsed.minimum_m), format_metres(parsed.maximum_m)) == (
        str(low),
        str(high),
    )
    assert parsed.unit == unit
    assert not parsed.assumed_unit


def test_feet_conversion_is_exact_before_rounding() -> None:
    parsed = parse_elevation("1000 ft")
    assert parsed is not None and parsed.minimum_m == pytest.approx(304.8)


def test_missing_unit_is_assumed_metres_and_marked() -> None:
    parsed = parse_elevation("1200")
    assert parsed is not None and parsed.ok and parsed.assumed_unit
    assert parsed.minimum_m == 1200


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("12000 m", "above 8849 m"),
        ("40000 ft", "above 8849 m"),
        ("-1000 m", "below -430 m"),
        ("1500-1200 m", "minimum 1500 is above maximum 1200"),
    ],
)
def test_implausible_elevations_are_flagged(text: str, problem: str) -> None:
    parsed = parse_elevation(text)
    assert parsed is not None and not parsed.ok
    assert parsed.minimum_m is None
    assert parsed.problem is not None and problem in parsed.problem


@pytest.mark.parametrize("text", ["", "high up", "Carex nigra 12"])
def test_non_elevations_are_none(text: str) -> None:
    assert parse_elevation(text) is None
