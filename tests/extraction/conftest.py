"""Fixtures for the extraction tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from extraction_helpers import make_folder


@pytest.fixture
def image_folder(tmp_path: Path) -> Callable[[int], Path]:
    """Factory: a folder of ``n`` distinct small JPEGs named s001.jpg..."""
    return lambda n: make_folder(tmp_path / "images", n)
