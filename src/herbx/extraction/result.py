"""How a run ends (:class:`RunResult`), why it cannot start (:class:`ExtractionError`), run ids."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class ExtractionError(Exception):
    """The run could not start. ``exit_code`` is the documented CLI exit code."""

    exit_code = 2


class NoImagesError(ExtractionError):
    """Discovery found nothing to process."""


class SettingsChangedError(ExtractionError):
    """The run directory holds results made with other extraction settings."""


@dataclass
class RunResult:
    """How a run ended. ``status``: completed, stopped, interrupted or failed."""

    run_id: str
    run_dir: Path
    status: str
    counts: dict[str, int]
    duration_s: float
    reason: str | None = None
    message: str | None = None
    stop: dict[str, Any] | None = None
    failure_reasons: dict[str, int] = field(default_factory=dict)
    settings_hash: str = ""
    abandoned: int = 0
    """Specimens handed to the engine but not recorded because the run was stopped at once
    (a second Ctrl-C, SIGTERM); they count as not reached and a resume redoes them."""

    @property
    def events_path(self) -> Path:
        """The run's event log."""
        return self.run_dir / "events.jsonl"

    @property
    def raw_path(self) -> Path:
        """The run's result lines."""
        return self.run_dir / "raw.jsonl"

    @property
    def success_rate(self) -> float:
        """Successful over processed in this run (0.0 when nothing was processed)."""
        done = self.counts["succeeded"] + self.counts["failed"]
        return self.counts["succeeded"] / done if done else 0.0

    def stop_line(self) -> str:
        """One line: why the run stopped, after how many, what to check, where the logs are."""
        done = self.counts["succeeded"] + self.counts["failed"]
        why = (self.message or self.reason or "stopped").rstrip(".")
        top = ", ".join(f"{k} x{v}" for k, v in list(self.failure_reasons.items())[:3])
        if self.reason == "systemic_engine_error":
            check = "check the engine configuration (API key, credit, model name, endpoint)"
        else:
            check = "check the engine settings and a few images by hand"
            if top:
                check = f"failures: {top}; " + check
        return (
            f"stopped after {done} specimens: {why}; {check}; "
            f"logs: {self.events_path} and {self.raw_path}"
        )


def new_run_id(engine: str, now: datetime | None = None) -> str:
    """``20261126T190301-ocr-3f2a``: UTC start time, engine, four random hex digits."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{engine}-{secrets.token_hex(2)}"
