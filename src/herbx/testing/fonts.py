"""Fonts for synthetic labels: DejaVu when installed (looked up at run time), else Pillow's.

The lookup never assumes a path exists: machines without DejaVu get Pillow's built-in font.
"""

from __future__ import annotations

from pathlib import Path

from PIL import ImageFont

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
_FONT_FILES = {
    "mono": "DejaVuSansMono.ttf",
    "serif": "DejaVuSerif.ttf",
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "condensed": "DejaVuSansCondensed.ttf",
}


def _font_dir() -> Path | None:
    for candidate in _FONT_DIRS:
        path = Path(candidate)
        if (path / _FONT_FILES["sans"]).is_file():
            return path
    return None


def has_truetype_fonts() -> bool:
    """Whether DejaVu fonts were found (else Pillow's built-in font is used)."""
    return _font_dir() is not None


def font(kind: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font of ``kind`` (mono, serif, sans, sans-bold, serif-italic, condensed) at ``size``."""
    folder = _font_dir()
    if folder is not None:
        path = folder / _FONT_FILES.get(kind, _FONT_FILES["sans"])
        if not path.is_file():
            path = folder / _FONT_FILES["sans"]
        return ImageFont.truetype(str(path), size)
    try:  # Pillow >= 10.1 ships a scalable built-in font
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - very old Pillow
        return ImageFont.load_default()
