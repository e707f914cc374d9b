"""A small gazetteer: countries and their first-level divisions, with common aliases.

The parser uses it to read headers such as ``PLANTS OF SASKATCHEWAN, CANADA`` or
``U.S.A.: Montana`` into ``stateProvince`` and ``country``. Names are returned in their
canonical spelling (``"Saskatchewan"``, ``"Canada"``) whatever the case on the label.

Example::

    >>> find_places("PLANTS OF SASKATCHEWAN, CANADA")
    ('Canada', 'Saskatchewan')
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Canonical country name -> aliases as they appear on labels (compared case-insensitively).
COUNTRIES: dict[str, tuple[str, ...]] = {
    "Canada": ("Canada",),
    "United States": ("United States", "United States of America", "U.S.A.", "USA", "U.S."),
    "Mexico": ("Mexico", "México"),
    "Greenland": ("Greenland",),
    "Iceland": ("Iceland",),
    "Norway": ("Norway",),
    "Sweden": ("Sweden",),
    "Finland": ("Finland",),
    "Denmark": ("Denmark",),
    "United Kingdom": ("United Kingdom", "Great Britain", "England", "Scotland", "U.K."),
    "Ireland": ("Ireland",),
    "France": ("France",),
    "Germany": ("Germany", "Deutschland"),
    "Switzerland": ("Switzerland",),
    "Austria": ("Austria",),
    "Italy": ("Italy", "Italia"),
    "Spain": ("Spain", "España"),
    "Portugal": ("Portugal",),
    "Poland": ("Poland",),
    "Russia": ("Russia", "Russian Federation"),
    "China": ("China",),
    "Japan": ("Japan",),
    "Australia": ("Australia",),
    "New Zealand": ("New Zealand",),
    "Brazil": ("Brazil", "Brasil"),
    "Argentina": ("Argentina",),
    "Chile": ("Chile",),
    "Peru": ("Peru",),
    "South Africa": ("South Africa",),
    "Kenya": ("Kenya",),
    "India": ("India",),
}

#: Canonical division name -> (country, aliases).
DIVISIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Canada
    "Alberta": ("Canada", ("Alberta", "Alta.")),
    "British Columbia": ("Canada", ("British Columbia", "B.C.")),
    "Manitoba": ("Canada", ("Manitoba", "Man.")),
    "New Brunswick": ("Canada", ("New Brunswick", "N.B.")),
    "Newfoundland and Labrador": ("Canada", ("Newfoundland and Labrador", "Newfoundland")),
    "Northwest Territories": ("Canada", ("Northwest Territories", "N.W.T.")),
    "Nova Scotia": ("Canada", ("Nova Scotia", "N.S.")),
    "Nunavut": ("Canada", ("Nunavut",)),
    "Ontario": ("Canada", ("Ontario", "Ont.")),
    "Prince Edward Island": ("Canada", ("Prince Edward Island", "P.E.I.")),
    "Quebec": ("Canada", ("Quebec", "Québec", "Que.")),
    "Saskatchewan": ("Canada", ("Saskatchewan", "Sask.")),
    "Yukon": ("Canada", ("Yukon", "Yukon Territory")),
    # United States (a selection; extend as needed)
    "Alaska": ("United States", ("Alaska",)),
    "Arizona": ("United States", ("Arizona",)),
    "California": ("United States", ("California", "Calif.")),
    "Colorado": ("United States", ("Colorado", "Colo.")),
    "Idaho": ("United States", ("Idaho",)),
    "Iowa": ("United States", ("Iowa",)),
    "Kansas": ("United States", ("Kansas",)),
    "Maine": ("United States", ("Maine",)),
    "Michigan": ("United States", ("Michigan", "Mich.")),
    "Minnesota": ("United States", ("Minnesota", "Minn.")),
    "Montana": ("United States", ("Montana", "Mont.")),
    "Nebraska": ("United States", ("Nebraska", "Nebr.")),
    "Nevada": ("United States", ("Nevada",)),
    "New Mexico": ("United States", ("New Mexico",)),
    "New York": ("United States", ("New York",)),
    "North Dakota": ("United States", ("North Dakota", "N. Dak.")),
    "Oregon": ("United States", ("Oregon", "Oreg.")),
    "South Dakota": ("United States", ("South Dakota", "S. Dak.")),
    "Texas": ("United States", ("Texas",)),
    "Utah": ("United States", ("Utah",)),
    "Washington": ("United States", ("Washington", "Wash.")),
    "Wisconsin": ("United States", ("Wisconsin", "Wis.")),
    "Wyoming": ("United States", ("Wyoming", "Wyo.")),
    # elsewhere
    "Chihuahua": ("Mexico", ("Chihuahua",)),
    "Sonora": ("Mexico", ("Sonora",)),
    "Bavaria": ("Germany", ("Bavaria", "Bayern")),
    "Tyrol": ("Austria", ("Tyrol", "Tirol")),
}


def _alias_pattern(alias: str) -> str:
    body = re.escape(alias).replace(r"\ ", r"\s*")
    # "Man." must not match inside "Manitoba"; word boundaries on letters only.
    return rf"(?<![A-Za-z]){body}(?![A-Za-z])"


@lru_cache(maxsize=1)
def _patterns() -> tuple[list[tuple[re.Pattern[str], str]], list[tuple[re.Pattern[str], str, str]]]:
    countries = [
        (re.compile(_alias_pattern(a), re.IGNORECASE), name)
        for name, aliases in COUNTRIES.items()
        for a in sorted(aliases, key=len, reverse=True)
    ]
    divisions = [
        (re.compile(_alias_pattern(a), re.IGNORECASE if len(a) > 5 else 0), name, country)
        for name, (country, aliases) in DIVISIONS.items()
        for a in sorted(aliases, key=len, reverse=True)
    ]
    # longer aliases first so "New Mexico" wins over "Mexico"
    countries.sort(key=lambda item: -len(item[0].pattern))
    divisions.sort(key=lambda item: -len(item[0].pattern))
    return countries, divisions


def find_places(text: str) -> tuple[str | None, str | None]:
    """``(country, stateProvince)`` named in ``text``, canonical spelling, ``None`` if absent.

    A division alone implies its country; a division of another country than the one named
    is ignored.
    """
    countries, divisions = _patterns()
    division: str | None = None
    division_country: str | None = None
    masked = text
    for pattern, name, country in divisions:
        match = pattern.search(masked)
        if match:
            division, division_country = name, country
            masked = masked[: match.start()] + " " * len(match.group()) + masked[match.end() :]
            break
    found_country: str | None = None
    for cpattern, cname in countries:
        if cpattern.search(masked):
            found_country = cname
            break
    if division is not None and found_country is not None and division_country != found_country:
        division = None
    return (found_country or division_country), division


def country_of(division: str) -> str | None:
    """The country a canonical division name belongs to."""
    entry = DIVISIONS.get(division)
    return entry[0] if entry else None
