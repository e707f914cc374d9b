"""Elevations from label text to metres: single values and ranges, metres or feet.

Example::

    from herbx.dwc.elevation import parse_elevation

    e = parse_elevation("1200-1500 m")
    e.minimum_m, e.maximum_m      # (1200.0, 1500.0)
    parse_elevation("4500 ft").minimum_m   # 1371.6
    parse_elevation("Alt. 12000 m").problem   # '12000 m is above 8849 m (Everest)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FOOT_M = 0.3048
#: Plausible bounds for a collecting site, in metres.
LOWEST_M = -430.0  # Dead Sea shore
HIGHEST_M = 8849.0  # Everest

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PATTERN = re.compile(
    rf"""^
    (?:(?:alt(?:itude)?|elev(?:ation)?|el|height|ca|c|approx|about|±|~)\.?:?\s*)*
    (?P<low>-?(?:{_NUMBER}))\s*(?P<unit1>m|ft|feet|foot|metres?|meters?|')?\.?\s*
    (?:(?:-|–|—|to|/)\s*(?P<high>-?(?:{_NUMBER}))\s*)?
    (?P<unit>m|ft|feet|foot|metres?|meters?|mts?|msm|m\s*s\.?\s*m|m\s*a\.?\s*s\.?\s*l|')?\.?
    (?:\s*(?:a\.?s\.?l|above\s+sea\s+level|s\.?m)\.?)?
    $""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class ParsedElevation:
    """An elevation or elevation range in metres.

    ``assumed_unit`` is True when the text had no unit and metres were assumed; the
    normalizer flags that. ``problem`` says why the value is unusable (values ``None``).
    """

    verbatim: str
    minimum_m: float | None
    maximum_m: float | None
    unit: str = "m"
    assumed_unit: bool = False
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when the value is present and plausible."""
        return self.problem is None and self.minimum_m is not None


def format_metres(value: float) -> str:
    """Metres as text: whole metres, since labels rarely carry more precision."""
    return str(round(value))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_elevation(text: str) -> ParsedElevation | None:
    """Read an elevation; ``None`` when the text is not an elevation at all.

    Feet (``ft``, ``feet``, ``'``) are converted to metres. A range ``1200-1500 m`` gives a
    minimum and a maximum; a single value gives both equal. Values outside
    -430..8849 m, or a range whose minimum is above its maximum, are problems.
    """
    verbatim = text.strip()
    m = _PATTERN.match(" ".join(verbatim.split()))
    if m is None:
        return None
    unit_text = (m.group("unit") or m.group("unit1") or "").lower().replace(" ", "")
    feet = unit_text in ("ft", "feet", "foot", "'")
    assumed = not unit_text
    factor = FOOT_M if feet else 1.0
    low = _number(m.group("low")) * factor
    high = _number(m.group("high")) * factor if m.group("high") else low
    unit = "ft" if feet else "m"
    problem: str | None = None
    if low > high:
        problem = f"minimum {m.group('low')} is above maximum {m.group('high')}"
    else:
        for v in (low, high):
            if v > HIGHEST_M:
                problem = f"{format_metres(v)} m is above {HIGHEST_M:g} m (Everest)"
            elif v < LOWEST_M:
                problem = f"{format_metres(v)} m is below {LOWEST_M:g} m (Dead Sea)"
    if problem:
        return ParsedElevation(verbatim, None, None, unit, assumed, problem)
    return ParsedElevation(verbatim, low, high, unit, assumed)
