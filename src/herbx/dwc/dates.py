"""Label dates to ISO 8601, keeping the verbatim text and flagging impossible values.

Example::

    from herbx.dwc.dates import parse_date

    parse_date("12 July 1987").iso     # '1987-07-12'
    parse_date("VII.12.1987").iso      # '1987-07-12'
    parse_date("Sept. 1984").iso       # '1984-09'
    parse_date("12-15 July 1987").iso  # '1987-07-12/1987-07-15'
    parse_date("1987-13-02").problem   # 'month 13 does not exist'
    parse_date("Carex nigra")          # None: not a date at all
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass
from typing import Literal

Precision = Literal["day", "month", "year"]

#: Earliest year herbx accepts on a specimen label (Linnaeus' Species Plantarum is 1753).
MIN_YEAR = 1700

#: Month names, abbreviations and Roman numerals as labels print them (index 0 = January).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_ABBREVIATIONS = (
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

MONTHS: dict[str, int] = {}
for _i, _name in enumerate(calendar.month_name):
    if _name:
        MONTHS[_name.lower()] = _i
        MONTHS[_name[:3].lower()] = _i
MONTHS.update({"sept": 9, "sep": 9, "febr": 2, "jun": 6, "jul": 7})
# Label languages common on North American and European sheets.
MONTHS.update(
    {
        "janv": 1, "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "avr": 4,
        "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9,
        "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
        "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
        "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
        "diciembre": 12,
        "januar": 1, "februar": 2, "märz": 3, "juni": 6, "juli": 7, "oktober": 10,
        "dezember": 12, "okt": 10, "dez": 12,
    }
)  # fmt: skip

ROMAN: dict[str, int] = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6,
    "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11, "xii": 12,
}  # fmt: skip

_MONTH_WORD = r"(?P<mon>[A-Za-zéûä]{3,10})\.?"
_ROMAN = r"(?P<rom>[IVXivx]{1,4})"
_SEP = r"\s*[-./\s]\s*"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er)?"
_YEAR = r"(?P<year>\d{4})"
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"

# Each pattern matches the whole (cleaned) text; the first that matches decides.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (p, re.compile(rf"^{p}$", re.IGNORECASE))
    for p in (
        # ISO 8601: 1987-07-12, 1987-07, 1987, with an optional time part.
        r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME,
        r"(?P<year>\d{4})-(?P<month>\d{1,2})",
        r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})",
        r"(?P<year>\d{4})\.(?P<month>\d{1,2})\.(?P<day>\d{1,2})",
        _YEAR,
        # 12 July 1987, 12-Jul-1987, 12th July, 1987, 12 juillet 1987
        rf"{_DAY}{_SEP}{_MONTH_WORD},?{_SEP}{_YEAR}",
        # July 12, 1987 / Aug. 14, 1963 / Sept. 18 1984
        rf"{_MONTH_WORD}\s*{_DAY},?{_SEP}{_YEAR}",
        # July 1987, Sept. 1984
        rf"{_MONTH_WORD},?{_SEP}{_YEAR}",
        # 12.VII.1987, 12 VII 1987
        rf"{_DAY}{_SEP}{_ROMAN}{_SEP}{_YEAR}",
        # VII.12.1987
        rf"{_ROMAN}{_SEP}{_DAY}{_SEP}{_YEAR}",
        # VII.1987
        rf"{_ROMAN}{_SEP}{_YEAR}",
        # 1987 VII 12 / 1987.VII.12
        rf"{_YEAR}{_SEP}{_ROMAN}{_SEP}{_DAY}",
        # 12.07.1987, 7/12/1987: order decided below
        r"(?P<a>\d{1,2})\s*(?P<sep>[./-])\s*(?P<b>\d{1,2})\s*[./-]\s*(?P<year>\d{4})",
    )
]


@dataclass(frozen=True)
class ParsedDate:
    """A date read from a label.

    ``iso`` is the ISO 8601 form at the precision the label gives (``1987-07-12``,
    ``1987-07`` or ``1987``), or ``None`` when ``problem`` says why the text cannot be a
    real date (month 13, 30 February, a year in the future, day/month order unknowable).
    """

    verbatim: str
    year: int | None
    month: int | None = None
    day: int | None = None
    problem: str | None = None
    end: ParsedDate | None = None
    """The last day of a range (``12-15 July 1987``); :attr:`iso` is then an interval."""

    @property
    def ok(self) -> bool:
        """True when the date is real and :attr:`iso` is set."""
        return self.problem is None and self.year is not None

    @property
    def precision(self) -> Precision:
        """``day``, ``month`` or ``year``."""
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    @property
    def iso(self) -> str | None:
        """ISO 8601 text, or ``None`` when the date is impossible."""
        if not self.ok:
            return None
        if self.end is not None:
            return f"{self._iso_one()}/{self.end._iso_one()}"
        return self._iso_one()

    def _iso_one(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text

    def as_date(self) -> _dt.date | None:
        """A :class:`datetime.date` for day-precision dates, else ``None``."""
        if self.end is None and self.ok and self.month and self.day and self.year:
            return _dt.date(self.year, self.month, self.day)
        return None


def _clean(text: str) -> str:
    text = " ".join(text.replace("\u2013", "-").replace("\u2014", "-").split())
    return text.strip(" ,;:")


def _month_from_word(word: str) -> int | None:
    return MONTHS.get(word.lower().rstrip("."))


def _check(
    verbatim: str, year: int, month: int | None, day: int | None, today: _dt.date
) -> ParsedDate:
    problem: str | None = None
    if month is not None and not 1 <= month <= 12:
        problem = f"month {month} does not exist"
    elif day is not None and month is not None:
        last = calendar.monthrange(year, month)[1] if year >= 1 else 31
        if not 1 <= day <= last:
            problem = f"day {day} does not exist in {calendar.month_name[month]} {year}"
    if problem is None and year < MIN_YEAR:
        problem = f"year {year} is before {MIN_YEAR}"
    if problem is None and (year, month or 1, day or 1) > (today.year, today.month, today.day):
        problem = f"{year}" + (f"-{month:02d}" if month else "") + " is in the future"
    return ParsedDate(verbatim=verbatim, year=year, month=month, day=day, problem=problem)


def parse_date(text: str, *, today: _dt.date | None = None) -> ParsedDate | None:
    """Read a label date; ``None`` when ``text`` does not look like a date at all.

    Understands ISO 8601 (full, year-month, year), day-month-year and month-day-year with
    month names or abbreviations (English, French, Spanish, German), Roman-numeral months
    in either order (``12.VII.1987``, ``VII.12.1987``), and all-numeric dates: dotted ones
    as day.month.year (``12.07.1987``); with slashes or dashes only when the order is
    decidable (one part above 12, or both equal), since ``7/12/1987`` is July in the USA
    and December elsewhere. Ranges (``12-15 July 1987``, ``June-July 1987``,
    ``1987-07-12/1987-07-15``) give an ISO 8601 interval. Impossible dates come back with
    ``problem`` set and ``iso`` ``None``: they are never silently kept.
    """
    today = today or _dt.date.today()
    verbatim = text.strip()
    cleaned = _clean(text)
    if not cleaned:
        return None
    single = _parse_single(verbatim, cleaned, today)
    if single is not None:
        return single
    return _parse_range(verbatim, cleaned, today)


_DAY_RANGE = re.compile(r"^(\d{1,2})\s*[-–]\s*(\d{1,2})([\s./-]+.+)$")
_MONTH_RANGE = re.compile(r"^([A-Za-zéûä]{3,10}\.?|[IVXivx]{1,4})\s*[-–]\s*(\S+?)([\s.,/-]+\d{4})$")
_SPLIT_RANGE = re.compile(r"\s+(?:-|–|to|au|al|bis)\s+|(?<=\d)/(?=\d{4}-)")


def _parse_range(verbatim: str, cleaned: str, today: _dt.date) -> ParsedDate | None:
    """``12-15 July 1987``, ``12-15.VII.1987``, ``June-July 1987``, ``A - B``, ISO ``A/B``."""
    m = _DAY_RANGE.match(cleaned)
    if m or (m := _MONTH_RANGE.match(cleaned)):
        first, last = f"{m.group(1)}{m.group(3)}", f"{m.group(2)}{m.group(3)}"
    else:
        parts = _SPLIT_RANGE.split(cleaned)
        if len(parts) != 2:
            return None
        first, last = parts
    start = _parse_single(first, _clean(first), today)
    end = _parse_single(last, _clean(last), today)
    if start is None or end is None:
        return None
    if not start.ok or not end.ok:
        problem = start.problem or end.problem
        return ParsedDate(verbatim, start.year, start.month, start.day, problem)
    if (start.precision, end.precision) != (start.precision, start.precision):
        return ParsedDate(verbatim, start.year, None, None, "range ends differ in precision")
    if (start.year, start.month or 0, start.day or 0) > (end.year, end.month or 0, end.day or 0):
        return ParsedDate(verbatim, start.year, None, None, "range ends before it starts")
    return ParsedDate(verbatim, start.year, start.month, start.day, None, end)


def _parse_single(verbatim: str, cleaned: str, today: _dt.date) -> ParsedDate | None:
    for _source, pattern in _PATTERNS:
        m = pattern.match(cleaned)
        if m is None:
            continue
        g = m.groupdict()
        year = int(g["year"])
        day = int(g["day"]) if g.get("day") else None
        month: int | None
        if g.get("month"):
            month = int(g["month"])
        elif g.get("mon"):
            month = _month_from_word(g["mon"])
            if month is None:
                continue  # "Carex 1987": a word that is not a month
        elif g.get("rom"):
            month = ROMAN.get(g["rom"].lower())
            if month is None:
                return ParsedDate(verbatim, year, None, day, f"{g['rom']} is not a Roman month")
        elif g.get("a"):
            a, b = int(g["a"]), int(g["b"])
            if a > 12 >= b or a == b or (g["sep"] == "." and a <= 12 and b <= 12):
                # Dotted numeric dates are day.month.year wherever they are written.
                day, month = a, b
            elif b > 12 >= a:
                day, month = b, a
            elif a > 12 and b > 12:
                return ParsedDate(verbatim, year, None, None, f"neither {a} nor {b} is a month")
            else:
                return ParsedDate(
                    verbatim, year, None, None, f"day and month order unknown in {cleaned!r}"
                )
        else:
            month = None
        return _check(verbatim, year, month, day, today)
    return None
