"""The extraction runner: discovery, run directory, resume and executors.

Example::

    from herbx.extraction import run_extraction

    result = run_extraction("images/", "runs/batch3", overrides={"run": {"engine": "simulate"}})
    print(result.status, result.counts)
"""

from herbx.extraction.result import (
    ExtractionError,
    NoImagesError,
    RunResult,
    SettingsChangedError,
    new_run_id,
)
from herbx.extraction.runner import ExtractionRun, run_extraction

__all__ = [
    "ExtractionError",
    "ExtractionRun",
    "NoImagesError",
    "RunResult",
    "SettingsChangedError",
    "new_run_id",
    "run_extraction",
]
