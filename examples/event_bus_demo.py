"""Watch two simulated extraction runs through the herbx event bus.

Run it from any folder::

    python examples/event_bus_demo.py            # writes ./demo_event_output/
    python examples/event_bus_demo.py --out /tmp/demo

Two runs of 25 specimens each go through the same loop:

1. a healthy one, where 23 of 25 labels give a record (92 %): it runs to the end;
2. a broken one, where only every fifth label gives a record (20 %), like a prompt that
   stopped working: the validator stops it at the fifth specimen.

Each run leaves a real event log (``demo_event_output/events.jsonl`` for the healthy run,
``demo_event_output/broken/events.jsonl`` for the broken one) that ``jq``,
``herbx events summary`` or :class:`herbx.events.EventLog` can read afterwards.

Only the public API of ``herbx.events`` is used; no engine, no network.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from herbx.events import (
    EarlyValidationError,
    Event,
    EventLog,
    ExtractionEvent,
    HybridEventBus,
    MetricsConsumer,
    ValidationConsumer,
)

SPECIES = [
    "Carex aquatilis",
    "Salix arctica",
    "Poa glauca",
    "Juncus balticus",
    "Dryas integrifolia",
]


def fake_engine(labels_readable: list[bool], rng: random.Random) -> Callable[[int], dict[str, Any]]:
    """Stands in for a vision model: specimen ``i`` yields a record when its label is readable."""

    def extract(i: int) -> dict[str, Any]:
        if not labels_readable[i]:
            return {"dwc": {}}  # the model answered, but with nothing usable
        return {
            "dwc": {
                "catalogNumber": f"DEMO-{i + 1:05d}",
                "scientificName": rng.choice(SPECIES),
                "country": "Canada",
                "recordedBy": "A. Porsild",
            }
        }

    return extract


def print_progress(event: Event) -> None:
    """A consumer of our own: one line per finished specimen."""
    mark = "ok  " if event.event_type == ExtractionEvent.SPECIMEN_COMPLETED else "FAIL"
    print(f"  [{mark}] specimen {event.data['sequence']:>2}  {event.data['specimen_id']}")


def run(log_path: Path, run_id: str, labels_readable: list[bool], rng: random.Random) -> None:
    """One extraction loop with the bus, the validator and the metrics consumer."""
    extract = fake_engine(labels_readable, rng)
    total = len(labels_readable)
    with HybridEventBus(event_log_path=log_path) as bus:
        # Subscription order is delivery order: the validator judges each specimen first.
        ValidationConsumer(bus, early_checkpoint=5, early_threshold=0.5)
        metrics = MetricsConsumer(bus)
        bus.subscribe(ExtractionEvent.SPECIMEN_COMPLETED, print_progress)
        bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, print_progress)

        bus.emit(
            ExtractionEvent.STARTED,
            {"run_id": run_id, "total_specimens": total, "model": "demo-model"},
        )
        succeeded = 0
        try:
            for i in range(total):
                specimen_id = f"DEMO-{i + 1:05d}"
                bus.emit(
                    ExtractionEvent.SPECIMEN_PROCESSING,
                    {"specimen_id": specimen_id, "sequence": i + 1},
                )
                result = extract(i)
                ok = bool(result["dwc"])
                succeeded += ok
                payload: dict[str, Any] = {
                    "specimen_id": specimen_id,
                    "sequence": i + 1,
                    "result": result,
                    "metrics": {
                        "total_processed": i + 1,
                        "success_count": succeeded,
                        "failed_count": i + 1 - succeeded,
                        "success_rate": succeeded / (i + 1),
                    },
                }
                if not ok:
                    payload["reason"] = "empty_record"
                # The validator runs inside this emit(); when it decides the run is dead
                # the event is already in the log and EarlyValidationError comes out here.
                bus.emit(
                    ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED,
                    payload,
                )
            bus.emit(
                ExtractionEvent.EXTRACTION_COMPLETED,
                {
                    "run_id": run_id,
                    "total": total,
                    "successful": succeeded,
                    "failed": total - succeeded,
                    "success_rate": succeeded / total,
                },
            )
        except EarlyValidationError as stop:
            # The validator has already logged validation.checkpoint and extraction.failed.
            print(f"  stopped ({stop.reason}): {stop}")

        snap = metrics.snapshot()
        print(
            f"  {snap.status}: {snap.succeeded}/{snap.processed} succeeded "
            f"({snap.success_rate:.0%}), {total - snap.processed} specimens never paid for"
        )


def show_log(log_path: Path) -> None:
    """Read a log back: every event is typed, numbered and timestamped."""
    log = EventLog(log_path)
    counts: dict[str, int] = {}
    for event in log:
        counts[event.event_type] = counts.get(event.event_type, 0) + 1
    print(f"  {log_path}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    if not log.report.clean:
        print(f"  (log problems: {log.report})")


def main() -> None:
    """Run both demos and summarize their logs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo_event_output"),
        help="folder for the logs (default: ./demo_event_output)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    # Start from empty logs: the bus appends, so a second demo would continue the first.
    healthy_log, broken_log = args.out / "events.jsonl", args.out / "broken" / "events.jsonl"
    for path in (healthy_log, broken_log):
        path.unlink(missing_ok=True)

    healthy = [True] * 23 + [False] * 2
    rng.shuffle(healthy)
    print("Healthy run (92 % of labels readable):")
    run(healthy_log, "demo_run_001", healthy, rng)

    print("\nBroken run (one label in five readable):")
    run(broken_log, "demo_run_002", [i % 5 == 1 for i in range(25)], rng)

    print("\nEvent logs:")
    show_log(healthy_log)
    show_log(broken_log)


if __name__ == "__main__":
    main()
