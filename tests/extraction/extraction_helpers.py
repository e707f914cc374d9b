"""Helpers for the extraction tests: real image files made with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def make_jpeg(path: Path, shade: int = 0, size: tuple[int, int] = (48, 32)) -> Path:
    """Write a small real JPEG whose bytes differ by ``shade``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade % 256, (shade * 7) % 256, (shade * 13) % 256)).save(path, "JPEG")
    return path


def jpeg_bytes(shade: int = 0, size: tuple[int, int] = (48, 32)) -> bytes:
    """Bytes of a small real JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", size, (shade % 256, 50, 90)).save(buf, "JPEG")
    return buf.getvalue()


def make_folder(folder: Path, n: int) -> Path:
    """``n`` distinct small JPEGs named s001.jpg... in ``folder``."""
    for i in range(1, n + 1):
        make_jpeg(folder / f"s{i:03d}.jpg", shade=i)
    return folder
