"""Synthetic herbarium sheets with known truth, for tests, benchmarks and demos.

Each sheet is drawn with Pillow: a pale mount board, a sketched plant, a colour chart and a
ruler (whose printed words must never become data), an institution stamp with an accession
number, sometimes a determination slip, and the collection label itself in a corner, in one
of several layouts (typewritten free text, printed form with dotted leaders, keyword label,
plant-disease form), optionally rotated by 90, 180 or 270 degrees. Mild noise and blur are
added. The ground truth is returned beside the image, with dates already in ISO 8601.

Fonts: DejaVu when it is installed (looked up at run time), Pillow's built-in font otherwise.

Example::

    from herbx.testing.labels import generate_sheet

    sheet = generate_sheet(seed=7, size=(1600, 1068), rotation=90)
    sheet.image.save("sheet.jpg", quality=90)
    sheet.truth["scientificName"]   # e.g. 'Carex nigra'
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from herbx.dwc.dates import MONTH_ABBREVIATIONS, MONTH_NAMES, ROMAN_MONTHS
from herbx.testing.fonts import font as _font
from herbx.testing.sheet_art import add_noise, draw_colour_chart, draw_plant, draw_ruler

#: Layouts :func:`generate_sheet` can draw.
LAYOUTS: tuple[str, ...] = ("typed", "form", "keyword", "disease")

#: The fields the OCR accuracy target is measured on.
SCORED_FIELDS: tuple[str, ...] = (
    "catalogNumber",
    "scientificName",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "country",
    "stateProvince",
    "locality",
)

#: Columns of a truth CSV, in order.
TRUTH_COLUMNS: tuple[str, ...] = (
    "file",
    "layout",
    "rotation",
    "label_fraction",
    "catalogNumber",
    "institutionCode",
    "scientificName",
    "scientificNameAuthorship",
    "family",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "verbatimEventDate",
    "country",
    "stateProvince",
    "locality",
    "habitat",
    "verbatimCoordinates",
    "decimalLatitude",
    "decimalLongitude",
    "verbatimElevation",
    "identifiedBy",
    "dateIdentified",
    "occurrenceRemarks",
)

# Places with a few towns each: (country, division, label header form, towns).
_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Canada", "Saskatchewan", ("Saskatoon", "Regina", "Prince Albert", "Swift Current")),
    ("Canada", "Alberta", ("Lethbridge", "Medicine Hat", "Red Deer", "Drumheller")),
    ("Canada", "Manitoba", ("Brandon", "Dauphin", "The Pas", "Portage la Prairie")),
    ("Canada", "Ontario", ("Ottawa", "Kingston", "Sudbury", "Thunder Bay")),
    ("Canada", "British Columbia", ("Kamloops", "Osoyoos", "Prince George")),
    ("United States", "Montana", ("Bozeman", "Havre", "Glasgow", "Missoula")),
    ("United States", "North Dakota", ("Minot", "Bismarck", "Williston")),
    ("United States", "Minnesota", ("Duluth", "Bemidji", "Moorhead")),
)
_COUNTRY_PRINT = {"Canada": ("CANADA", "Canada"), "United States": ("U.S.A.", "USA")}
_COLLECTORS = (
    "J. A. Smith",
    "R. T. Coupland",
    "A. J. Breitung",
    "V. L. Harms",
    "B. Boivin",
    "M. Brown",
    "K. Lee",
    "E. Wong",
    "D. Hooper",
    "S. Kowalski",
    "G. F. Ledingham",
    "J. H. Hudson",
    "W. P. Fraser",
    "C. Frankton",
    "A. Budd",
)
_DETERMINERS = ("R. Jones", "J. Looman", "W. J. Cody", "M. Brown", "S. Kowalski")
_HABITATS = (
    "wet meadow",
    "dry prairie on sandy soil",
    "aspen parkland",
    "jack pine forest",
    "lake shore, gravel",
    "roadside ditch",
    "saline flats",
    "coulee slope, south facing",
    "black spruce bog",
    "river bank, silty soil",
    "mixed grass prairie",
    "open woods",
)
_DIRECTIONS = ("N", "S", "E", "W", "NE", "NW", "SE", "SW")
_STAMPS = (
    ("AGRICULTURE CANADA (DAS)", "DAS", "Number"),
    ("AGRICULTURE CANADA (DAO)", "DAO", "Number"),
    ("UNIVERSITY OF SASKATCHEWAN (SASK)", "SASK", "Acc. No."),
)


@dataclass
class GeneratedSheet:
    """A generated sheet: the image and what is written on it."""

    image: Image.Image
    truth: dict[str, str]
    layout: str
    rotation: int
    label_fraction: float
    label_box: tuple[int, int, int, int]
    fonts: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def name_list() -> tuple[tuple[str, str, str], ...]:
    """(scientificName, authorship, family) rows of the name list shipped with the engine."""
    text = (
        resources.files("herbx.engines.ocr").joinpath("data/names.txt").read_text(encoding="utf-8")
    )
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, author, family = [*line.split("\t"), "", "", ""][:3]
        rows.append((name.strip(), author.strip(), family.strip()))
    return tuple(rows)


def _date(rng: random.Random) -> tuple[str, str]:
    """(verbatim, ISO) in one of the formats labels use."""
    year = rng.randint(1921, 2019)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    style = rng.randrange(6)
    if style == 0:
        verbatim = f"{day} {MONTH_NAMES[month - 1]} {year}"
    elif style == 1:
        verbatim = iso
    elif style == 2:
        verbatim = f"{ROMAN_MONTHS[month - 1]}.{day}.{year}"
    elif style == 3:
        verbatim = f"{day}.{ROMAN_MONTHS[month - 1]}.{year}"
    elif style == 4:
        verbatim = f"{MONTH_ABBREVIATIONS[month - 1]} {day}, {year}"
    else:
        verbatim = f"{MONTH_ABBREVIATIONS[month - 1]} {day} {year}"
    return verbatim, iso


def _coordinates(rng: random.Random, country: str) -> tuple[str, float, float]:
    lat = rng.uniform(49.1, 56.8) if country == "Canada" else rng.uniform(44.0, 48.9)
    lon = -rng.uniform(96.5, 113.5) if country == "Canada" else -rng.uniform(93.0, 111.0)
    style = rng.randrange(3)
    if style == 0:
        d, m, s = _dms(lat)
        d2, m2, s2 = _dms(-lon)
        verbatim = f"{d}°{m:02d}'{s:02d}\" N {d2}°{m2:02d}'{s2:02d}\" W"
        lat, lon = d + m / 60 + s / 3600, -(d2 + m2 / 60 + s2 / 3600)
    elif style == 1:
        lat, lon = round(lat, 4), round(lon, 4)
        verbatim = f"{lat:.4f}, {lon:.4f}"
    else:
        d, m, _ = _dms(lat)
        d2, m2, _ = _dms(-lon)
        verbatim = f"Lat. {d}°{m:02d}'N Long. {d2}°{m2:02d}'W"
        lat, lon = d + m / 60, -(d2 + m2 / 60)
    return verbatim, round(lat, 5), round(lon, 5)


def _dms(value: float) -> tuple[int, int, int]:
    total = round(value * 3600)
    return total // 3600, (total % 3600) // 60, total % 60


def random_truth(rng: random.Random, *, layout: str) -> dict[str, str]:
    """Plausible label contents for one specimen (strings; eventDate in ISO 8601)."""
    country, division, towns = rng.choice(_PLACES)
    town = rng.choice(towns)
    if layout == "disease":
        pathogens = [n for n in name_list() if _is_fungus(n[0])]
        hosts = [n for n in name_list() if n[0].split()[0] in _CROPS]
        name, author, family = rng.choice(pathogens)
        host = rng.choice(hosts)
        remarks = f"Host: {host[0]} {host[1]}"
    else:
        name, author, family = rng.choice([n for n in name_list() if not _is_fungus(n[0])])
        remarks = ""
    style = rng.randrange(4)
    if style == 0:
        locality = f"{rng.randint(2, 40)} km {rng.choice(_DIRECTIONS)} of {town}"
    elif style == 1:
        locality = f"{town}, along Hwy {rng.randint(1, 60)}"
    elif style == 2:
        locality = f"Near {town}"
    else:
        locality = f"{rng.randint(2, 25)} mi {rng.choice(_DIRECTIONS)} of {town}"
    verbatim_date, iso = _date(rng)
    coords, lat, lon = _coordinates(rng, country)
    if rng.random() < 0.5:
        metres = rng.randrange(300, 1500, 10)
        elevation = f"{metres} m"
    else:
        elevation = f"{rng.randrange(1000, 5000, 50)} ft"
    stamp, code, _ = rng.choice(_STAMPS)
    truth = {
        "catalogNumber": str(rng.randint(10000, 999999)),
        "institutionCode": code,
        "scientificName": name,
        "scientificNameAuthorship": author,
        "family": family,
        "recordedBy": rng.choice(_COLLECTORS),
        "recordNumber": str(rng.randint(1, 9999)),
        "eventDate": iso,
        "verbatimEventDate": verbatim_date,
        "country": country,
        "stateProvince": division,
        "locality": locality,
        "habitat": rng.choice(_HABITATS),
        "verbatimCoordinates": coords,
        "decimalLatitude": f"{lat}",
        "decimalLongitude": f"{lon}",
        "verbatimElevation": elevation,
        "identifiedBy": "",
        "dateIdentified": "",
        "occurrenceRemarks": remarks,
        "_stamp": stamp,
    }
    if rng.random() < 0.4:
        truth["identifiedBy"] = rng.choice(_DETERMINERS)
        truth["dateIdentified"] = str(rng.randint(int(iso[:4]) + 1, 2020))
    return truth


_CROPS = {"Triticum", "Avena", "Hordeum", "Zea", "Linum", "Brassica"}
_FUNGI = {"Puccinia", "Ustilago", "Erysiphe", "Melampsora"}


def _is_fungus(name: str) -> bool:
    return name.split()[0] in _FUNGI


def _label_lines(truth: dict[str, str], layout: str, rng: random.Random) -> list[str]:
    country_print = rng.choice(_COUNTRY_PRINT[truth["country"]])
    name = f"{truth['scientificName']} {truth['scientificNameAuthorship']}"
    date = truth["verbatimEventDate"]
    if layout == "typed":
        header = f"PLANTS OF {truth['stateProvince'].upper()}, {country_print.upper()}"
        lines = [header, "", name, truth["locality"], truth["habitat"].capitalize()]
        if rng.random() < 0.5:
            lines.append(truth["verbatimCoordinates"])
        lines += ["", f"No. {truth['recordNumber']}", truth["recordedBy"], date]
        return lines
    if layout == "form":
        dots = "." * rng.randint(6, 12)
        return [
            f"HERBARIUM - {truth['stateProvince'].upper()}",
            "",
            f"Botanical Name{dots}{name}",
            f"Common Name{dots}",
            f"Locality{dots}{truth['locality']}",
            f"Province/State{dots}{truth['stateProvince']}",
            f"Country{dots}{truth['country']}",
            f"Habitat{dots}{truth['habitat']}",
            f"Collector{dots}{truth['recordedBy']}",
            f"Coll. No.{dots}{truth['recordNumber']}",
            f"Date{dots}{date}",
            f"Checked by{dots}",
        ]
    if layout == "keyword":
        return [
            f"{country_print}: {truth['stateProvince']}",
            name,
            f"Loc.: {truth['locality']}",
            f"Hab.: {truth['habitat']}",
            truth["verbatimCoordinates"],
            f"Alt. {truth['verbatimElevation']}",
            f"Leg. {truth['recordedBy']}",
            f"No. {truth['recordNumber']}",
            f"Date: {date}",
        ]
    if layout == "disease":
        dots = "." * rng.randint(6, 12)
        host = truth["occurrenceRemarks"].removeprefix("Host: ")
        return [
            f"PLANT DISEASE HERBARIUM - {country_print.upper()}",
            "",
            f"Pathogen{dots}{name}",
            f"Host{dots}{host}",
            f"Locality{dots}{truth['locality']}, {truth['stateProvince']}",
            f"Collector{dots}{truth['recordedBy']}",
            f"Coll. No.{dots}{truth['recordNumber']}",
            f"Date{dots}{date}",
        ]
    raise ValueError(f"unknown label layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def _render_block(
    lines: Sequence[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    *,
    paper: tuple[int, int, int],
    ink: tuple[int, int, int],
    margin: int,
    spacing: float = 1.45,
    border: bool = True,
) -> Image.Image:
    probe = ImageDraw.Draw(Image.new("RGB", (4, 4)))
    line_h = probe.textbbox((0, 0), "Hg", font=font)[3]
    widths = [probe.textlength(line, font=font) for line in lines] or [10.0]
    width = int(max(widths)) + 2 * margin
    height = int(line_h * spacing * len(lines)) + 2 * margin
    block = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(block)
    for i, line in enumerate(lines):
        draw.text((margin, margin + int(i * line_h * spacing)), line, font=font, fill=ink)
    if border:
        draw.rectangle((1, 1, width - 2, height - 2), outline=(90, 90, 90), width=2)
    return block


def generate_sheet(
    seed: int,
    *,
    size: tuple[int, int] = (1600, 1068),
    layout: str | None = None,
    rotation: int | None = None,
    corner: str | None = None,
    noise: float = 5.0,
    blur: float = 0.6,
) -> GeneratedSheet:
    """Draw one sheet; the same arguments always give the same image and truth.

    ``layout`` is one of :data:`LAYOUTS` (random when ``None``), ``rotation`` one of
    0/90/180/270 (degrees counter-clockwise; random, mostly 0, when ``None``), ``corner``
    one of ``"br"``, ``"bl"``, ``"tr"``, ``"tl"``. ``size`` is (width, height) in pixels;
    everything scales with the width, so the label stays well under 10% of the sheet.
    """
    rng = random.Random(seed)
    layout = layout or rng.choice(LAYOUTS)
    if rotation is None:
        rotation = rng.choice((0, 0, 0, 90, 180, 270))
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    corner = corner or rng.choice(("br", "bl", "tr"))
    truth = random_truth(rng, layout=layout)
    w, h = size
    scale = w / 1600
    sheet = Image.new("RGB", size, (236 + rng.randint(-6, 6), 232, 220 + rng.randint(-6, 6)))
    draw = ImageDraw.Draw(sheet)
    draw_plant(draw, rng, w, h)

    label_font_kind = {
        "typed": "mono",
        "form": rng.choice(("serif", "mono")),
        "keyword": rng.choice(("sans", "serif", "condensed")),
        "disease": rng.choice(("serif", "mono")),
    }[layout]
    font_px = max(10, round(rng.uniform(14.0, 16.5) * scale))
    lines = _label_lines(truth, layout, rng)
    while True:
        label = _render_block(
            lines,
            _font(label_font_kind, font_px),
            paper=(252, 251, 246),
            ink=(25, 25, 30),
            margin=int(font_px * 0.9),
        )
        # Keep the label under 10% of the sheet, as on real photographs.
        if label.width * label.height <= 0.095 * w * h or font_px <= 8:
            break
        font_px -= 1
    if rotation:
        label = label.rotate(rotation, expand=True)
    lw, lh = label.size
    pad = int(18 * scale)
    positions = {
        "br": (w - lw - pad, h - lh - pad),
        "bl": (pad, h - lh - pad),
        "tr": (w - lw - pad, pad),
        "tl": (pad, pad),
    }
    lx, ly = positions[corner]
    sheet.paste(label, (lx, ly))
    label_box = (lx, ly, lx + lw, ly + lh)

    # Institution stamp with a "handwritten" accession number, away from the label.
    stamp_font = _font("sans-bold", max(9, round(14 * scale)))
    number_font = _font("serif-italic", max(10, round(22 * scale)))
    stamp = _render_block(
        [truth.pop("_stamp"), ""],
        stamp_font,
        paper=(240, 236, 226),
        ink=(40, 40, 140),
        margin=int(10 * scale),
    )
    sdraw = ImageDraw.Draw(stamp)
    number_word = next(s[2] for s in _STAMPS if s[1] == truth["institutionCode"])
    sy = stamp.size[1] // 2
    sdraw.text((int(10 * scale), sy), number_word, font=stamp_font, fill=(40, 40, 140))
    nx = int(10 * scale + sdraw.textlength(number_word + "  ", font=stamp_font))
    sdraw.text(
        (nx, sy - int(4 * scale)), truth["catalogNumber"], font=number_font, fill=(20, 20, 20)
    )
    # Stamp in the corner diagonally opposite the label.
    stamp_x = pad if corner in ("br", "tr") else w - stamp.size[0] - pad
    stamp_y = pad if corner in ("br", "bl") else h - stamp.size[1] - pad
    sheet.paste(stamp, (stamp_x, stamp_y))

    if truth["identifiedBy"]:
        word = rng.choice(("det.", "Det.", "Stet!"))
        slip = _render_block(
            [f"{word} {truth['identifiedBy']} {truth['dateIdentified']}"],
            _font("serif", max(9, round(15 * scale))),
            paper=(250, 250, 250),
            ink=(30, 30, 30),
            margin=int(8 * scale),
        )
        sheet.paste(slip, (int(w * 0.42), int(h * 0.06)))

    # The chart goes on the side away from the label, between stamp and label heights.
    chart_x = pad if corner in ("br", "tr") else int(w * 0.82)
    draw_colour_chart(sheet, rng, (chart_x, int(h * 0.45)))
    draw_ruler(
        sheet, (int(w * 0.3), int(h * 0.9) if "b" not in corner else int(h * 0.02)), int(w * 0.3)
    )

    if noise > 0:
        sheet = add_noise(sheet, rng, noise)
    if blur > 0:
        sheet = sheet.filter(ImageFilter.GaussianBlur(blur * scale))
    fraction = (lw * lh) / (w * h)
    return GeneratedSheet(
        image=sheet,
        truth=truth,
        layout=layout,
        rotation=rotation,
        label_fraction=round(fraction, 4),
        label_box=label_box,
        fonts=[label_font_kind],
    )


def generate_sheets(
    count: int,
    *,
    seed: int = 0,
    size: tuple[int, int] = (1600, 1068),
    layouts: Sequence[str] = LAYOUTS,
    rotations: Sequence[int] = (0, 90, 180, 270),
) -> Iterator[GeneratedSheet]:
    """``count`` sheets cycling through ``layouts`` and ``rotations`` (deterministic)."""
    for i in range(count):
        yield generate_sheet(
            seed * 100_003 + i,
            size=size,
            layout=layouts[i % len(layouts)],
            rotation=rotations[(i // len(layouts)) % len(rotations)],
        )


def write_sheets(
    folder: str | Path,
    sheets: Iterable[GeneratedSheet],
    *,
    prefix: str = "sheet",
    quality: int = 88,
) -> Path:
    """Save sheets as JPEG files with a ``truth.csv`` beside them; returns the CSV path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "truth.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(TRUTH_COLUMNS))
        writer.writeheader()
        for i, sheet in enumerate(sheets, start=1):
            name = f"{prefix}-{i:03d}.jpg"
            sheet.image.save(out / name, quality=quality, optimize=True)
            row = {
                "file": name,
                "layout": sheet.layout,
                "rotation": str(sheet.rotation),
                "label_fraction": f"{sheet.label_fraction:.4f}",
            }
            row.update({k: sheet.truth.get(k, "") for k in TRUTH_COLUMNS if k not in row})
            writer.writerow(row)
    return csv_path


def read_truth(csv_path: str | Path) -> dict[str, dict[str, str]]:
    """Rows of a truth CSV keyed by file name."""
    with open(csv_path, newline="", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


def _comparable(value: str) -> str:
    return " ".join(value.split()).strip(" .,;:").casefold()


def score_terms(
    terms: dict[str, str], truth: dict[str, str], fields: Sequence[str] = SCORED_FIELDS
) -> dict[str, bool]:
    """Which ``fields`` an engine got exactly right after normalization.

    ``terms`` are an engine's raw terms; they are normalized with
    :func:`herbx.dwc.normalize.normalize_terms` (dates to ISO 8601 and so on) and compared
    with the truth after collapsing whitespace, outer punctuation and case.
    """
    from herbx.dwc.normalize import normalize_terms

    normalized = normalize_terms(terms).terms
    return {
        f: bool(truth.get(f)) and _comparable(str(normalized.get(f, ""))) == _comparable(truth[f])
        for f in fields
    }
