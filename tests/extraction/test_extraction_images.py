"""Safe image loading: each bad file becomes an ImageLoadError with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from extraction_helpers import jpeg_bytes
from PIL import Image

from herbx.extraction.images import ImageLoadError, decode_image, load_image


def test_good_image_with_exif_orientation(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    path = tmp_path / "r.jpg"
    img.save(path, "JPEG", exif=exif)
    assert load_image(path).size == (20, 40)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty file"),
        (b"just some notes, not a photo\n", "not a recognised image"),
        (jpeg_bytes(size=(200, 200))[:300], "truncated"),
    ],
)
def test_bad_bytes(data: bytes, needle: str) -> None:
    with pytest.raises(ImageLoadError, match=needle) as err:
        decode_image(data, display="x.jpg")
    assert err.value.reason == "bad_image"
    assert "x.jpg" in str(err.value)


def test_decompression_bomb_refused_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buf, "PNG")  # tiny file, 144 M pixels
    with pytest.raises(ImageLoadError, match="decompression bomb"):
        decode_image(buf.getvalue(), display="bomb.png")
    with pytest.raises(ImageLoadError, match="exceeds the limit"):
        decode_image(jpeg_bytes(size=(100, 100)), display="small.jpg", max_pixels=5_000)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError) as err:
        load_image(tmp_path / "gone.jpg")
    assert err.value.reason == "image_missing"
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path / "dir.jpg")
