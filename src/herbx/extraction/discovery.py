"""Finding the images of a run: recursive, stable order, each file once.

Example::

    from herbx.extraction.discovery import discover

    found = discover("images/", include=["*.jpg"], limit=5)
    [f.rel for f in found.images]  # ['a/0001.jpg', 'a/0002.jpg', ...]
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: File name suffixes herbx treats as images (compared case-insensitively).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})


class DiscoveryError(ValueError):
    """The input cannot be searched (missing, not a folder, or holds no images)."""


def display_name(raw: str) -> str:
    """A printable, JSON-safe form of a file name that may not be valid UTF-8.

    Undecodable bytes (kept by Python as surrogates) become ``\\xNN`` escapes.
    """
    try:
        raw.encode("utf-8")
        return raw
    except UnicodeEncodeError:
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class ImageFile:
    """One discovered image.

    ``path`` opens the file (it may hold surrogates for non-UTF-8 names); ``rel`` is the
    printable path relative to the input folder (``/`` separators) and ``specimen_id`` the
    printable file name without its suffix.
    """

    path: str
    rel: str
    specimen_id: str

    @property
    def display_path(self) -> str:
        """Printable absolute path."""
        return display_name(self.path)


@dataclass
class Discovery:
    """What :func:`discover` found."""

    root: Path
    images: list[ImageFile]
    matched: int = 0
    """Images matching the filters before ``limit`` was applied."""
    loops: list[str] = field(default_factory=list)
    """Symlinked folders skipped because they were already visited."""


def _wanted(rel: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if include and not any(
        fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g) for g in include
    ):
        return False
    return not any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g) for g in exclude)


def discover(
    root: str | os.PathLike[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    limit: int | None = None,
) -> Discovery:
    """Images under ``root`` in a stable order (sorted by relative path, byte-wise).

    Folders are searched recursively; symbolic links are followed, but each real folder
    and each real file is visited once, so link loops end and a file reachable by two
    paths counts once. ``include``/``exclude`` are glob patterns matched against the path
    relative to ``root`` and against the bare file name. ``limit`` keeps the first N.

    Raises:
        DiscoveryError: ``root`` is missing or not a folder.
    """
    base = Path(root)
    if not base.exists():
        raise DiscoveryError(f"{display_name(os.fsdecode(base))}: no such folder")
    if not base.is_dir():
        raise DiscoveryError(f"{display_name(os.fsdecode(base))}: not a folder")
    top = os.path.abspath(os.fspath(base))
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    loops: list[str] = []
    found: list[tuple[bytes, str, str]] = []
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            loops.append(display_name(folder))
            continue
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=True):
                    subdirs.append(entry.path)
                    continue
            except OSError:
                pass
            suffix = os.path.splitext(entry.name)[1].lower()
            if suffix not in IMAGE_SUFFIXES:
                continue
            try:
                fst = entry.stat(follow_symlinks=True)
                fkey = (fst.st_dev, fst.st_ino)
                if fkey in seen_files:
                    continue
                seen_files.add(fkey)
            except OSError:
                pass  # a broken link or unreadable entry: kept, the load reports why
            rel = os.path.relpath(entry.path, top).replace(os.sep, "/")
            found.append((os.fsencode(rel), rel, entry.path))
        stack.extend(reversed(subdirs))  # depth-first in name order: deterministic winners
    found.sort(key=lambda t: t[0])
    images: list[ImageFile] = []
    matched = 0
    for _, rel, path in found:
        shown = display_name(rel)
        if not _wanted(shown, include, exclude):
            continue
        matched += 1
        if limit is None or len(images) < limit:
            stem = shown.rsplit("/", 1)[-1]
            images.append(ImageFile(path=path, rel=shown, specimen_id=os.path.splitext(stem)[0]))
    return Discovery(root=Path(top), images=images, matched=matched, loops=loops)
