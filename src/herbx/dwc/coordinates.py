"""Coordinates from label text to decimal degrees, with range checks.

Understands decimal degrees (``52.125, -106.633``, ``52.125 N 106.633 W``), degrees and
decimal minutes (``52°07.5'N``), degrees-minutes-seconds (``52°07'30"N 106°38'W``,
``N52 07 30 W106 38 00``, ``52d07m30s N``), signed forms and Unicode primes.

Example::

    from herbx.dwc.coordinates import parse_coordinates, format_degrees

    c = parse_coordinates("52°07'30\\"N 106°38'W")
    format_degrees(c.latitude), format_degrees(c.longitude)   # ('52.125', '-106.633333')
    parse_coordinates("95 N, 10 E").problem                   # 'latitude 95 is outside -90..90'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Axis = Literal["latitude", "longitude"]

_LIMIT: dict[Axis, float] = {"latitude": 90.0, "longitude": 180.0}
_HEMI_AXIS: dict[str, Axis] = {"N": "latitude", "S": "latitude", "E": "longitude", "W": "longitude"}
_DEGREE_MARKS = ("°", "º", "˚", "deg", "d")

_TOKEN = re.compile(
    r"""
    (?P<num>[-+\u2212]?\d+(?:\.\d+)?)
    (?:\s*(?P<unit>°|º|˚|deg\b|d(?=[\s\d])|''|'|′|’|‘|´|min\b|m(?=[\s\d])|"|″|”|“|sec\b|s\b))?
    |(?<![A-Za-z])(?P<hemi>[NSEWnsew]|[Oo](?=\s*\d)|(?<=['′’"″”°\s])O)(?![A-Za-z])
    """,
    re.VERBOSE,
)
_WORDS = re.compile(r"\b(?:lat(?:itude)?|long?(?:itude)?|lng|coords?|coordinates)\b\.?:?", re.I)


@dataclass
class _Component:
    numbers: list[tuple[float, str, bool]] = field(default_factory=list)  # (value, text, marked°)
    hemi: str | None = None


@dataclass(frozen=True)
class ParsedCoordinates:
    """A latitude/longitude pair read from text. ``problem`` says why it is unusable."""

    verbatim: str
    latitude: float | None
    longitude: float | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when both values are present and in range."""
        return self.problem is None and self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class ParsedCoordinate:
    """One latitude or longitude value read from text."""

    verbatim: str
    axis: Axis
    value: float | None
    problem: str | None = None
    was_decimal: bool = True
    """True when the text was already a plain signed decimal number."""

    @property
    def ok(self) -> bool:
        """True when the value is present and in range."""
        return self.problem is None and self.value is not None


def format_degrees(value: float) -> str:
    """Decimal degrees as text: at most 6 decimals (about 0.1 m), no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _tokens(text: str) -> list[tuple[str, str, str | None]]:
    """``(kind, text, unit)`` for numbers (``num``) and hemisphere letters (``hemi``)."""
    out: list[tuple[str, str, str | None]] = []
    for m in _TOKEN.finditer(_WORDS.sub(" ", text)):
        if m.group("num") is not None:
            out.append(("num", m.group("num").replace("\u2212", "-"), m.group("unit")))
        else:
            hemi = m.group("hemi").upper()
            out.append(("hemi", "W" if hemi == "O" else hemi, None))  # O = Ouest/Oeste
    return out


def _components(text: str) -> list[_Component] | str:
    tokens = _tokens(text)
    if not tokens:
        return "no numbers"
    prefix_mode = tokens[0][0] == "hemi"
    comps: list[_Component] = []
    cur = _Component()
    for kind, tok, unit in tokens:
        if kind == "hemi":
            if prefix_mode:
                if cur.numbers or cur.hemi:
                    comps.append(cur)
                cur = _Component(hemi=tok)
            else:
                if not cur.numbers:
                    return f"hemisphere {tok} without a value before it"
                cur.hemi = tok
                comps.append(cur)
                cur = _Component()
            continue
        marked = unit in _DEGREE_MARKS if unit else False
        if marked and cur.numbers:
            comps.append(cur)
            cur = _Component(hemi=None)
        cur.numbers.append((float(tok), tok, marked))
    if cur.numbers or cur.hemi:
        comps.append(cur)
    return comps


def _split_unmarked(comps: list[_Component]) -> list[_Component]:
    """Numbers without degree marks or hemispheres: 2 are decimal, 4 are DM+DM, 6 DMS+DMS."""
    if len(comps) != 1 or comps[0].hemi is not None:
        return comps
    nums = comps[0].numbers
    if len(nums) in (2, 4, 6):
        half = len(nums) // 2
        return [_Component(nums[:half]), _Component(nums[half:])]
    return comps


def _degrees(comp: _Component, axis: Axis) -> tuple[float | None, str | None]:
    nums = comp.numbers
    if not nums:
        return None, f"{axis} has no value"
    if len(nums) > 3:
        return None, f"{axis} has too many numbers ({len(nums)})"
    deg, deg_text, _ = nums[0]
    negative = deg_text.startswith("-")
    deg = abs(deg)
    minutes = nums[1][0] if len(nums) > 1 else 0.0
    seconds = nums[2][0] if len(nums) > 2 else 0.0
    if len(nums) > 1 and deg != int(deg):
        return None, f"{axis} degrees {deg_text} are decimal but minutes follow"
    if minutes < 0 or minutes >= 60:
        return None, f"{axis} minutes {nums[1][1]} are not below 60"
    if seconds < 0 or seconds >= 60:
        return None, f"{axis} seconds {nums[2][1]} are not below 60"
    if len(nums) > 2 and minutes != int(minutes):
        return None, f"{axis} minutes {nums[1][1]} are decimal but seconds follow"
    value = deg + minutes / 60.0 + seconds / 3600.0
    if comp.hemi in ("S", "W"):
        if negative:
            return None, f"{axis} is negative and also marked {comp.hemi}"
        value = -value
    elif comp.hemi in ("N", "E") and negative:
        return None, f"{axis} is negative but marked {comp.hemi}"
    elif negative:
        value = -value
    limit = _LIMIT[axis]
    if abs(value) > limit:
        return None, f"{axis} {format_degrees(value)} is outside -{limit:g}..{limit:g}"
    return value, None


def parse_coordinates(text: str) -> ParsedCoordinates | None:
    """Read a latitude/longitude pair; ``None`` when ``text`` holds no number at all.

    Without hemisphere letters the first value is the latitude. Out-of-range values,
    minutes or seconds of 60 or more, and signs contradicting hemisphere letters come back
    with ``problem`` set and the values ``None``: never silently kept.
    """
    verbatim = text.strip()
    found = _components(text)
    if isinstance(found, str):
        return None if found == "no numbers" else ParsedCoordinates(verbatim, None, None, found)
    comps = _split_unmarked(found)
    if len(comps) != 2:
        return ParsedCoordinates(
            verbatim,
            None,
            None,
            f"expected a latitude and a longitude, found {len(comps)} value(s)",
        )
    axes: list[Axis]
    hemis = [c.hemi for c in comps]
    if all(h is not None for h in hemis):
        axes = [_HEMI_AXIS[h] for h in hemis if h is not None]
        if axes[0] == axes[1]:
            return ParsedCoordinates(
                verbatim, None, None, f"two {axes[0]}s ({hemis[0]}, {hemis[1]})"
            )
    elif hemis[0] is not None:
        first = _HEMI_AXIS[hemis[0]]
        axes = [first, "longitude" if first == "latitude" else "latitude"]
    elif hemis[1] is not None:
        second = _HEMI_AXIS[hemis[1]]
        axes = ["longitude" if second == "latitude" else "latitude", second]
    else:
        axes = ["latitude", "longitude"]
    values: dict[Axis, float | None] = {}
    for comp, axis in zip(comps, axes, strict=True):
        value, problem = _degrees(comp, axis)
        if problem:
            return ParsedCoordinates(verbatim, None, None, problem)
        values[axis] = value
    return ParsedCoordinates(verbatim, values["latitude"], values["longitude"])


_PLAIN_DECIMAL = re.compile(r"^[-+]?\d+(?:\.\d+)?$")


def parse_coordinate(text: str, axis: Axis) -> ParsedCoordinate | None:
    """Read one latitude or longitude (decimal, signed, DM or DMS with a hemisphere).

    ``None`` when the text holds no number. A hemisphere letter of the other axis
    (``E`` for a latitude) is a problem.
    """
    verbatim = text.strip()
    cleaned = verbatim.replace("\u2212", "-")
    plain = bool(_PLAIN_DECIMAL.match(cleaned))
    found = _components(cleaned)
    if isinstance(found, str):
        return None if found == "no numbers" else ParsedCoordinate(verbatim, axis, None, found)
    if len(found) != 1:
        return ParsedCoordinate(verbatim, axis, None, f"expected one {axis}, found {len(found)}")
    comp = found[0]
    if comp.hemi is not None and _HEMI_AXIS[comp.hemi] != axis:
        return ParsedCoordinate(verbatim, axis, None, f"{axis} marked {comp.hemi}")
    value, problem = _degrees(comp, axis)
    return ParsedCoordinate(verbatim, axis, value, problem, was_decimal=plain)
