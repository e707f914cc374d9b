"""Loading specimen images safely: every way a file can be bad becomes one clear error.

Example::

    from herbx.extraction.images import load_image, ImageLoadError

    try:
        pixels = load_image(path)
    except ImageLoadError as exc:
        print(exc.reason, exc)  # bad_image: photo.jpg: truncated image data ...
"""

from __future__ import annotations

import errno
import io
import os
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

#: Default ceiling on decoded pixels: Pillow's own bomb limit (about 9,500 x 9,500), above
#: a 600 dpi scan of a standard herbarium sheet.
DEFAULT_MAX_PIXELS = 89_478_485


class ImageLoadError(Exception):
    """An image could not be read or decoded. ``reason`` is ``bad_image`` or ``image_missing``."""

    def __init__(self, message: str, *, reason: str = "bad_image") -> None:
        super().__init__(message)
        self.reason = reason


def read_bytes(path: str | os.PathLike[str], display: str | None = None) -> bytes:
    """The file's bytes, or :class:`ImageLoadError` naming why they cannot be read."""
    name = display or os.fsdecode(path)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ImageLoadError(
            f"{name}: file vanished or is a broken link", reason="image_missing"
        ) from None
    except IsADirectoryError:
        raise ImageLoadError(f"{name}: is a directory, not an image") from None
    except PermissionError:
        raise ImageLoadError(f"{name}: cannot read: permission denied") from None
    except OSError as exc:
        why = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise ImageLoadError(f"{name}: cannot read: {why}") from None


def decode_image(
    data: bytes, *, display: str = "image", max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """Decode ``data`` fully with EXIF orientation applied, refusing bombs and torn files.

    Raises:
        ImageLoadError: empty, not an image, truncated or corrupt data, or more than
            ``max_pixels`` pixels (a decompression bomb).
    """
    if not data:
        raise ImageLoadError(f"{display}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    f"{display}: {width}x{height} pixels exceeds the limit of {max_pixels:,} "
                    "(possible decompression bomb; raise [run] max_image_pixels to allow it)"
                )
            img.load()
            oriented = ImageOps.exif_transpose(img)
            return oriented if oriented is not None else img
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(f"{display}: not a recognised image format") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(
            f"{display}: refused as a possible decompression bomb: {exc}"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"{display}: corrupt or truncated image data: {exc}") from None


def load_image(
    path: str | os.PathLike[str],
    *,
    data: bytes | None = None,
    display: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Read (unless ``data`` is given) and decode one image; see :func:`decode_image`."""
    name = display or Path(os.fsdecode(path)).name
    raw = data if data is not None else read_bytes(path, name)
    return decode_image(raw, display=name, max_pixels=max_pixels)
