"""Specimen thumbnails: only images a run recorded, read-only, resized in memory."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import orjson

from herbx.dashboard.runs import EVENTS_NAME, RunView

RAW_NAME = "raw.jsonl"


def _candidates(run_dir: Path, view: RunView, rel: str) -> list[Path]:
    """Paths the run recorded for the image ``rel`` (recent specimens first, then the logs)."""
    base = Path(view.input) if view.input else None
    if any(item.get("image") == rel for item in view.recent) and base is not None:
        return [base / rel]
    needle = orjson.dumps(rel)
    out: list[Path] = []
    raw = run_dir / RAW_NAME
    for name in (RAW_NAME, EVENTS_NAME):
        path = run_dir / name
        if not path.is_file():
            continue
        with open(path, "rb") as fh:
            for line in fh:
                if needle not in line:
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(obj, dict):
                    continue
                data = obj if path == raw else obj.get("data")
                if not isinstance(data, dict) or data.get("image") != rel:
                    continue
                recorded = data.get("image_path")
                if isinstance(recorded, str) and Path(recorded).is_absolute():
                    out.append(Path(recorded))
                elif base is not None:
                    out.append(base / rel)
                if out:
                    return out
    return out


def find_image(run_dir: Path, view: RunView, rel: str) -> Path | None:
    """The file of image ``rel`` as recorded by this run, or None when it recorded none.

    A path is served only when the run's events or ``raw.jsonl`` name it; the request can
    never choose an arbitrary file.
    """
    if not rel or "\x00" in rel:
        return None
    for path in _candidates(run_dir, view, rel):
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=256)
def _thumb(path: str, mtime_ns: int, size: int, edge: int) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((edge, edge))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()


def thumbnail(path: Path, edge: int = 240) -> bytes:
    """A JPEG no larger than ``edge`` pixels on its longer side (cached per file version).

    Raises:
        OSError: the file cannot be read or is not an image Pillow opens.
    """
    st = path.stat()
    return _thumb(str(path), st.st_mtime_ns, st.st_size, max(32, min(edge, 1024)))
