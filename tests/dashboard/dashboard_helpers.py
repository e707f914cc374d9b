"""Simulated runs with real image files, written through a real bus with the validator."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image, ImageDraw

from herbx.events import EarlyValidationError, HybridEventBus, ValidationConsumer


def make_images(folder: Path, count: int) -> list[str]:
    """``count`` small label-like JPEGs under ``folder/sheets``; returns their relative paths."""
    (folder / "sheets").mkdir(parents=True, exist_ok=True)
    rels = []
    for i in range(1, count + 1):
        rel = f"sheets/HX{i:04d}.jpg"
        img = Image.new("RGB", (600, 400), (235, 230, 210))
        draw = ImageDraw.Draw(img)
        draw.rectangle((320, 250, 580, 380), fill=(255, 255, 255), outline=(0, 0, 0))
        draw.text((330, 260), f"HX{i:04d} Carex nigra", fill=(0, 0, 0))
        img.save(folder / rel, "JPEG")
        rels.append(rel)
    return rels


def simulated_run(
    run_dir: Path,
    images: Path,
    outcomes: list[bool],
    *,
    run_id: str | None = None,
    delay: float = 0.0,
) -> str:
    """Emit a run over ``outcomes``; returns how it ended (completed or stopped)."""
    rels = make_images(images, len(outcomes))
    run_id = run_id or run_dir.name
    with HybridEventBus(run_dir / "events.jsonl") as bus:
        ValidationConsumer(bus)
        bus.emit(
            "extraction.started",
            {"run_id": run_id, "total_specimens": len(outcomes), "engine": "simulate",
             "model": "sim", "input": str(images)},
        )  # fmt: skip
        ok_count = 0
        try:
            for n, (ok, rel) in enumerate(zip(outcomes, rels, strict=True), start=1):
                sid = Path(rel).stem
                bus.emit("specimen.processing", {"specimen_id": sid, "sequence": n, "image": rel})
                if delay:
                    time.sleep(delay)
                ok_count += ok
                data = {
                    "specimen_id": sid,
                    "sequence": n,
                    "image": rel,
                    "result": {"dwc": {"scientificName": "Carex nigra", "country": "Canada",
                                       "catalogNumber": sid} if ok else {}},
                    "metrics": {"total_processed": n, "success_count": ok_count,
                                "failed_count": n - ok_count, "success_rate": ok_count / n},
                }  # fmt: skip
                if not ok:
                    data.update(reason="no_scientific_name", message="no plausible name found")
                bus.emit("specimen.completed" if ok else "specimen.failed", data)
            bus.emit(
                "extraction.completed",
                {"run_id": run_id, "total": len(outcomes), "total_processed": len(outcomes),
                 "successful": ok_count, "failed": len(outcomes) - ok_count,
                 "status": "completed"},
            )  # fmt: skip
        except EarlyValidationError:
            return "stopped"
    return "completed"
