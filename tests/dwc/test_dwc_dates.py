import datetime as dt

import pytest

from herbx.dwc.dates import parse_date

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("12 July 1987", "1987-07-12"),
        ("1987-07-12", "1987-07-12"),
        ("VII.12.1987", "1987-07-12"),
        ("12.VII.1987", "1987-07-12"),
        ("12 VII 1987", "1987-07-12"),
        ("12-vii-1987", "1987-07-12"),
        ("Aug. 14, 1963", "1963-08-14"),
        ("Sept. 18 1984", "1984-09-18"),
        ("September 18, 1984", "1984-09-18"),
        ("12th July, 1987", "1987-07-12"),
        ("12-Jul-1987", "1987-07-12"),
        ("12 juillet 1987", "1987-07-12"),
        ("3 de agosto 1990".replace("de ", ""), "1990-08-03"),
        ("1987-07", "1987-07"),
        ("July 1987", "1987-07"),
        ("VII.1987", "1987-07"),
        ("1987", "1987"),
        ("1987-07-12T10:30:00Z", "1987-07-12"),
        ("1987/07/12", "1987-07-12"),
        ("25/12/1987", "1987-12-25"),
        ("12/25/1987", "1987-12-25"),
        ("12.07.1987", "1987-07-12"),
        ("  12   July 1987 ,", "1987-07-12"),
        ("29 Feb 1988", "1988-02-29"),
    ],
)
def test_label_dates_become_iso(text: str, iso: str) -> None:
    parsed = parse_date(text, today=TODAY)
    assert parsed is not None
    assert parsed.problem is None
    assert parsed.iso == iso
    assert parsed.verbatim == text.strip()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1987-13-02", "month 13 does not exist"),
        ("30 Feb 1990", "day 30 does not exist in February 1990"),
        ("29 Feb 1987", "day 29 does not exist"),
        ("32 July 1987", "day 32 does not exist"),
        ("XIII.12.1987", "XIII is not a Roman month"),
        ("7/12/1987", "day and month order unknown"),
        ("2099-01-01", "in the future"),
        ("1650", "before 1700"),
        ("14/13/1987", "neither 14 nor 13 is a month"),
    ],
)
def test_impossible_dates_are_flagged_not_kept(text: str, problem: str) -> None:
    parsed = parse_date(text, today=TODAY)
    assert parsed is not None
    assert parsed.iso is None
    assert not parsed.ok
    assert parsed.problem is not None and problem in parsed.problem


@pytest.mark.parametrize("text", ["", "   ", "Carex nigra", "No. 1302", "Coll. 1987 Smith"])
def test_non_dates_are_none(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


def test_precision_and_as_date() -> None:
    day = parse_date("12 July 1987", today=TODAY)
    month = parse_date("July 1987", today=TODAY)
    year = parse_date("1987", today=TODAY)
    assert day is not None and month is not None and year is not None
    assert (day.precision, month.precision, year.precision) == ("day", "month", "year")
    assert day.as_date() == dt.date(1987, 7, 12)
    assert month.as_date() is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("12-15 July 1987", "1987-07-12/1987-07-15"),
        ("12-15.VII.1987", "1987-07-12/1987-07-15"),
        ("June-July 1987", "1987-06/1987-07"),
        ("VI-VII.1987", "1987-06/1987-07"),
        ("1987-07-12/1987-07-15", "1987-07-12/1987-07-15"),
        ("12 July 1987 - 3 Aug 1987", "1987-07-12/1987-08-03"),
        ("12 July 1987 to 3 Aug 1987", "1987-07-12/1987-08-03"),
    ],
)
def test_ranges_become_iso_intervals(text: str, iso: str) -> None:
    parsed = parse_date(text, today=TODAY)
    assert parsed is not None and parsed.ok
    assert parsed.iso == iso
    assert parsed.as_date() is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("15-12 July 1987", "range ends before it starts"),
        ("12-31 Feb 1987", "day 31 does not exist"),
        ("12 July 1987 - Aug 1987", "differ in precision"),
    ],
)
def test_bad_ranges_are_flagged(text: str, problem: str) -> None:
    parsed = parse_date(text, today=TODAY)
    assert parsed is not None and parsed.iso is None
    assert parsed.problem is not None and problem in parsed.problem
