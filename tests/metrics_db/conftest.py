"""Simulated runs written through a real bus, for the metrics database tests."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from herbx.demo import demo_run


@pytest.fixture
def make_run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """``make_run(name, outcomes)`` writes ``tmp_path/runs/<name>/events.jsonl`` via demo_run."""

    def make(name: str, outcomes: list[bool], *, seed: int = 1) -> Path:
        log = tmp_path / "runs" / name / "events.jsonl"
        demo_run(log, run_id=name, outcomes=outcomes, rng=random.Random(seed))
        return log

    return make
