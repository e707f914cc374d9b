"""The integration guide's demonstration, built in: a healthy run and a broken one.

``run_demo(out_dir)`` writes ``out_dir/events.jsonl`` (a healthy run at 92 % success that
completes) and ``out_dir/broken/events.jsonl`` (a run at 20 % success that the validator
stops at the fifth specimen). Both are real herbx logs: ``herbx events summary`` reads them.

Example::

    from herbx.demo import run_demo
    results = run_demo("demo_event_output", seed=7)
    results[1].stopped_at  # 5
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from herbx.events import (
    EarlyValidationError,
    ExtractionEvent,
    HybridEventBus,
    MetricsConsumer,
    ValidationConsumer,
)

# Also used by herbx.analysis.synthetic, which writes realistic logs for tests.
_GENERA = ("Carex", "Salix", "Poa", "Juncus", "Ranunculus", "Potentilla", "Artemisia")
_EPITHETS = ("aquatilis", "arctica", "glauca", "nigra", "repens", "alpina", "frigida")


@dataclass
class DemoResult:
    """How one demo run ended."""

    run_id: str
    log_path: Path
    processed: int
    successful: int
    failed: int
    stopped_at: int | None
    stop_message: str | None

    @property
    def success_rate(self) -> float:
        """Succeeded / processed."""
        return self.successful / self.processed if self.processed else 0.0


def _outcomes(total: int, successes: int, rng: random.Random) -> list[bool]:
    """Exactly ``successes`` successes among ``total``, in a seeded order."""
    outcomes = [True] * successes + [False] * (total - successes)
    rng.shuffle(outcomes)
    return outcomes


def demo_run(
    log_path: Path,
    *,
    run_id: str,
    outcomes: list[bool],
    rng: random.Random,
    delay: float = 0.0,
    echo: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run one simulated extraction through the bus with the validator and metrics on."""
    say = echo or (lambda _line: None)
    total = len(outcomes)
    successful = failed = 0
    stopped_at: int | None = None
    message: str | None = None
    with HybridEventBus(event_log_path=log_path) as bus:
        ValidationConsumer(bus)
        metrics = MetricsConsumer(bus)
        bus.emit(
            ExtractionEvent.STARTED,
            {
                "run_id": run_id,
                "total_specimens": total,
                "model": "demo-model",
                "engine": "simulate",
            },
        )
        try:
            for i, ok in enumerate(outcomes):
                specimen_id = f"DEMO-{i + 1:04d}"
                say(f"Processing specimen {i + 1}/{total}...")
                bus.emit(
                    ExtractionEvent.SPECIMEN_PROCESSING,
                    {"specimen_id": specimen_id, "sequence": i + 1},
                )
                if delay:
                    time.sleep(delay)
                if ok:
                    successful += 1
                    dwc = {
                        "catalogNumber": f"DEMO{100000 + i}",
                        "scientificName": f"{rng.choice(_GENERA)} {rng.choice(_EPITHETS)}",
                        "country": "Canada",
                        "recordedBy": "J. Doe",
                    }
                    event_type, reason = ExtractionEvent.SPECIMEN_COMPLETED, None
                else:
                    failed += 1
                    dwc = {}
                    event_type, reason = ExtractionEvent.SPECIMEN_FAILED, "empty_record"
                n = i + 1
                data = {
                    "specimen_id": specimen_id,
                    "sequence": n,
                    "result": {"dwc": dwc},
                    "metrics": {
                        "total_processed": n,
                        "success_count": successful,
                        "failed_count": failed,
                        "success_rate": successful / n,
                        "specimens_per_minute": metrics.snapshot().specimens_per_minute,
                    },
                }
                if reason:
                    data["reason"] = reason
                bus.emit(event_type, data)
            bus.emit(
                ExtractionEvent.EXTRACTION_COMPLETED,
                {
                    "run_id": run_id,
                    "total": total,
                    "total_processed": successful + failed,
                    "successful": successful,
                    "failed": failed,
                    "success_rate": successful / total if total else 0.0,
                },
            )
        except EarlyValidationError as exc:
            stopped_at = successful + failed
            message = str(exc)
            say(f"Extraction stopped: {exc}")
    return DemoResult(
        run_id, log_path, successful + failed, successful, failed, stopped_at, message
    )


def run_demo(
    out_dir: str | Path = "demo_event_output",
    *,
    seed: int = 42,
    delay: float = 0.0,
    echo: Callable[[str], None] | None = None,
) -> list[DemoResult]:
    """Write the healthy and the broken demo logs under ``out_dir``; return both results."""
    out = Path(out_dir)
    rng = random.Random(seed)
    healthy = demo_run(
        out / "events.jsonl",
        run_id="demo_run_001",
        outcomes=_outcomes(25, 23, rng),
        rng=rng,
        delay=delay,
        echo=echo,
    )
    broken = demo_run(
        out / "broken" / "events.jsonl",
        run_id="demo_run_002",
        # one success in five, the rest failing: the guide's broken prompt
        outcomes=[i % 5 == 2 for i in range(25)],
        rng=rng,
        delay=delay,
        echo=echo,
    )
    return [healthy, broken]
