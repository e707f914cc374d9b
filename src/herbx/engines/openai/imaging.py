"""Turn specimen pixels into the JPEG data URL a vision model receives."""

from __future__ import annotations

import base64
import io

from PIL import Image


def to_jpeg(pixels: Image.Image, *, max_side: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    """JPEG bytes of ``pixels`` downscaled so the longest side is at most ``max_side``.

    The pixels are expected with EXIF orientation already applied; transparency is
    flattened onto white. Returns the bytes and the size sent.
    """
    img = pixels
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > max_side:
        img = img.copy() if img is pixels else img
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue(), img.size


def to_data_url(pixels: Image.Image, *, max_side: int, quality: int) -> str:
    """``data:image/jpeg;base64,...`` for ``pixels`` (see :func:`to_jpeg`)."""
    data, _ = to_jpeg(pixels, max_side=max_side, quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
