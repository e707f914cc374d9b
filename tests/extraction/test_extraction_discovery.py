"""Discovery: recursive, case-insensitive suffixes, stable order, links followed once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from extraction_helpers import make_jpeg

from herbx.extraction.discovery import DiscoveryError, discover


def test_recursive_case_insensitive_sorted(tmp_path: Path) -> None:
    for rel in ["b/2.JPG", "a/1.jpeg", "c.PNG", "d.tif", "e/f/g.TIFF", "notes.txt", "x.gif"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found = discover(tmp_path)
    assert [f.rel for f in found.images] == ["a/1.jpeg", "b/2.JPG", "c.PNG", "d.tif", "e/f/g.TIFF"]
    assert [f.specimen_id for f in found.images] == ["1", "2", "c", "d", "g"]
    assert discover(tmp_path).images == found.images  # stable


def test_symlink_loops_end_and_linked_files_count_once(tmp_path: Path) -> None:
    make_jpeg(tmp_path / "a" / "one.jpg")
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")  # a/loop -> a
    os.symlink(tmp_path / "a" / "one.jpg", tmp_path / "alias.jpg")
    found = discover(tmp_path)
    assert len(found.images) == 1
    assert found.loops  # the loop was noticed and not followed again


def test_include_exclude_limit(tmp_path: Path) -> None:
    for i in range(6):
        make_jpeg(tmp_path / ("keep" if i % 2 else "skip") / f"{i}.jpg", i)
    found = discover(tmp_path, include=["keep/*"], exclude=["5.jpg"], limit=1)
    assert [f.rel for f in found.images] == ["keep/1.jpg"]
    assert found.matched == 2


def test_missing_and_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match="no such folder"):
        discover(tmp_path / "nope")
    f = tmp_path / "file.jpg"
    f.write_bytes(b"")
    with pytest.raises(DiscoveryError, match="not a folder"):
        discover(f)


def test_non_utf8_name_is_printable(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.jpg"
    with open(raw, "wb") as fh:
        fh.write(b"x")
    (img,) = discover(tmp_path).images
    assert img.rel == "caf\\xe9.jpg"
    img.rel.encode("utf-8")  # JSON-safe
    assert os.path.exists(img.path)  # the real path still opens the file
