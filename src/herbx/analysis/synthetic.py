"""Realistic event logs without images: for tests, demos and benchmarks.

The logs are written by the real :class:`~herbx.events.HybridEventBus` with the real
:class:`~herbx.events.ValidationConsumer` and :class:`~herbx.events.MetricsConsumer`
subscribed, and the payloads follow ``docs/event-schema.md`` (the keys ``herbx extract``
writes). Only the clock is simulated, so durations and throughput look like a real run.

Example::

    from herbx.analysis.synthetic import write_run_log

    run = write_run_log("out/events.jsonl", ["ok"] * 20 + ["empty_record"] * 3)
    run.status  # "completed"
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from herbx.__about__ import __version__
from herbx.demo import _EPITHETS, _GENERA
from herbx.events import (
    EarlyValidationError,
    ExtractionEvent,
    HybridEventBus,
    MetricsConsumer,
    ValidationConsumer,
)

_TERMS = ("catalogNumber", "scientificName", "country", "recordedBy", "eventDate", "locality")

#: Failure reasons that mean no further specimen can succeed.
_SYSTEMIC = frozenset({"engine_systemic"})

Ending = Literal["auto", "interrupted", "crash"]


class SimulatedClock:
    """A clock that moves only when told to; formats like the bus's own clock."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.current += timedelta(seconds=seconds)

    def now(self) -> str:
        """The current simulated time as ``2026-11-26T19:03:12.123456Z``."""
        return self.current.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class WrittenRun:
    """What :func:`write_run_log` wrote, to check readers against."""

    path: Path
    run_id: str
    status: str
    """``completed``, ``stopped``, ``interrupted`` or ``crashed`` (no terminal event)."""
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    stop_reason: str | None = None
    stopped_at: int | None = None
    events: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    first_failure: dict[str, str] = field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0


def write_run_log(
    path: str | os.PathLike[str],
    outcomes: Sequence[str],
    *,
    run_id: str = "20261126T190301-simulate-0001",
    start: datetime | None = None,
    seconds_per_specimen: float = 2.0,
    engine: str = "simulate",
    model: str = "sim-1",
    validate: bool = True,
    validator_options: dict[str, Any] | None = None,
    ending: Ending = "auto",
    interrupt_after: int | None = None,
    usage: bool = False,
    resumed: bool = False,
    seed: int = 1,
) -> WrittenRun:
    """Append one run (``extraction.started`` ... end) to the log at ``path``.

    ``outcomes`` holds one word per discovered image: ``"ok"`` succeeds, ``"skip"`` is
    skipped (already succeeded in an earlier run), anything else fails with that word as
    its ``reason`` (``"engine_systemic"`` is systemic). Call it twice on one path for a
    resumed run. ``ending="interrupted"`` stops after ``interrupt_after`` images with
    ``extraction.interrupted``; ``"crash"`` stops there with no terminal event at all.
    """
    log = Path(path)
    rng = random.Random(seed)
    clock = SimulatedClock(start or datetime(2026, 11, 26, 19, 3, 1, tzinfo=UTC))
    written = WrittenRun(log, run_id, "running")
    total = len(outcomes)
    stop_after = interrupt_after if ending != "auto" and interrupt_after is not None else total
    with HybridEventBus(event_log_path=log, fsync="never", clock=clock) as bus:
        first_seq = bus.seq
        if validate:
            ValidationConsumer(bus, emit_failure=False, **(validator_options or {}))
        MetricsConsumer(bus)
        bus.emit(
            ExtractionEvent.STARTED,
            {
                "run_id": run_id,
                "total_specimens": total,
                "model": model,
                "engine": engine,
                "herbx_version": __version__,
                "config_hash": f"{rng.getrandbits(256):064x}",
                "settings_hash": f"{rng.getrandbits(256):064x}",
                "resumed": resumed,
                "workers": 1,
                "input": "images",
            },
        )
        processed = 0
        began = clock.current
        try:
            for i, outcome in enumerate(outcomes[:stop_after]):
                n = i + 1
                specimen_id = f"SIM{n:06d}"
                image = f"{specimen_id}.jpg"
                sha = f"{rng.getrandbits(256):064x}"
                clock.advance(0.01)
                if outcome == "skip":
                    written.skipped += 1
                    bus.emit(
                        ExtractionEvent.SPECIMEN_SKIPPED,
                        {
                            "specimen_id": specimen_id,
                            "sequence": n,
                            "image": image,
                            "sha256": sha,
                            "reason": "already_succeeded",
                        },
                    )
                    continue
                bus.emit(
                    ExtractionEvent.SPECIMEN_PROCESSING,
                    {"specimen_id": specimen_id, "sequence": n, "image": image},
                )
                engine_s = seconds_per_specimen * rng.uniform(0.5, 1.5)
                clock.advance(engine_s)
                processed += 1
                ok = outcome == "ok"
                if ok:
                    written.succeeded += 1
                    dwc = {
                        "catalogNumber": f"SIM{100000 + n}",
                        "scientificName": f"{rng.choice(_GENERA)} {rng.choice(_EPITHETS)}",
                        "country": "Canada",
                        "recordedBy": "J. Doe",
                        "eventDate": "1987-07-14" if n % 2 else "",
                        "locality": "Churchill" if n % 3 == 0 else "",
                    }
                else:
                    written.failed += 1
                    dwc = {term: "" for term in _TERMS}
                    written.reasons[outcome] = written.reasons.get(outcome, 0) + 1
                    written.first_failure.setdefault(outcome, specimen_id)
                data: dict[str, Any] = {
                    "specimen_id": specimen_id,
                    "sequence": n,
                    "image": image,
                    "sha256": sha,
                    "result": {
                        "dwc": dwc,
                        "confidence": {k: 0.9 for k, v in dwc.items() if v},
                        "flags": [],
                    },
                    "timings": {
                        "load_ms": 12.0,
                        "engine_ms": round(engine_s * 1000 - 12.0, 3),
                        "total_ms": round(engine_s * 1000, 3),
                    },
                    "metrics": {
                        "total_processed": processed,
                        "success_count": written.succeeded,
                        "failed_count": written.failed,
                        "success_rate": written.succeeded / processed,
                    },
                }
                if usage:
                    prompt, completion = 1200 + rng.randrange(100), 150 + rng.randrange(50)
                    cost = round(prompt * 0.15e-6 + completion * 0.6e-6, 8)
                    data["usage"] = {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                        "cost_usd": cost,
                    }
                    written.tokens += prompt + completion
                    written.cost_usd += cost
                if not ok:
                    data["reason"] = outcome
                    data["message"] = f"simulated failure: {outcome}"
                    if outcome in _SYSTEMIC:
                        data["systemic"] = True
                bus.emit(
                    ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED,
                    data,
                )
        except EarlyValidationError as exc:
            written.status = "stopped"
            written.stop_reason = exc.reason
            written.stopped_at = processed
            clock.advance(0.01)
            bus.emit(
                ExtractionEvent.EXTRACTION_FAILED,
                {
                    **exc.details,
                    **_accounting(written, total, processed, clock, began),
                    "status": "stopped",
                },
            )
        else:
            clock.advance(0.01)
            if ending == "crash" and stop_after < total:
                written.status = "crashed"
            elif ending == "interrupted" and stop_after < total:
                written.status = "interrupted"
                bus.emit(
                    ExtractionEvent.EXTRACTION_INTERRUPTED,
                    {
                        "run_id": run_id,
                        **_accounting(written, total, processed, clock, began),
                        "status": "interrupted",
                    },
                )
            else:
                written.status = "completed"
                bus.emit(
                    ExtractionEvent.EXTRACTION_COMPLETED,
                    {
                        "run_id": run_id,
                        **_accounting(written, total, processed, clock, began),
                        "status": "completed",
                    },
                )
        written.events = bus.seq - first_seq
    return written


def _accounting(
    run: WrittenRun, total: int, processed: int, clock: SimulatedClock, began: datetime
) -> dict[str, Any]:
    return {
        "total": total,
        "total_specimens": total,
        "total_processed": processed,
        "successful": run.succeeded,
        "failed": run.failed,
        "skipped": run.skipped,
        "not_reached": max(total - processed - run.skipped, 0),
        "success_rate": run.succeeded / processed if processed else 0.0,
        "duration_s": round((clock.current - began).total_seconds(), 6),
    }


def outcomes_at_rate(count: int, success_rate: float, *, seed: int = 7) -> list[str]:
    """``count`` outcomes, each ``"ok"`` with probability ``success_rate`` (seeded)."""
    rng = random.Random(seed)
    reasons = ("empty_record", "no_scientific_name", "timeout", "engine_error")
    return [
        "ok" if rng.random() < success_rate else reasons[rng.randrange(len(reasons))]
        for _ in range(count)
    ]
