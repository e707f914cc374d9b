"""Helpers for the ``herbx extract`` CLI tests."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from PIL import Image


def make_images(folder: Path, n: int) -> Path:
    """``n`` distinct small JPEGs named s001.jpg... in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        Image.new("RGB", (40, 30), (i % 256, (i * 7) % 256, 120)).save(folder / f"s{i:03d}.jpg")
    return folder


def jq(filter_: str, path: Path, *flags: str) -> list[str]:
    """Run the real ``jq`` on a log; one output line per list item."""
    exe = shutil.which("jq")
    assert exe is not None
    done = subprocess.run(
        [exe, *flags, filter_, str(path)], capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout.splitlines()


def guide_counts(events: Path) -> Counter[str]:
    """The guide's ``jq -r '.event_type' | sort | uniq -c``, as a Counter."""
    return Counter(jq(".event_type", events, "-r"))
