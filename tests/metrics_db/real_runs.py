"""Real ``herbx extract`` runs (simulate engine) on Pillow-made images, for the readers' tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from herbx.extraction import RunResult, run_extraction


def make_images(folder: Path, count: int) -> Path:
    """``count`` small label-like JPEGs in ``folder`` (made once, reused by later runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        path = folder / f"HX{i:04d}.jpg"
        if path.exists():
            continue
        img = Image.new("RGB", (320, 200), (235, 230, 210))
        ImageDraw.Draw(img).text((10, 10), f"HX{i:04d} Carex nigra L.", fill=(0, 0, 0))
        img.save(path, "JPEG")
    return folder


def real_run(
    run_dir: Path,
    images: Path,
    *,
    success_rate: float = 1.0,
    seed: int = 0,
    shared_db: Path | None = None,
) -> RunResult:
    """Run the simulate engine over ``images`` into ``run_dir``; returns the runner's result.

    ``success_rate=0`` makes the validator stop the run at its early checkpoint (5).
    ``shared_db``: record the metrics there (``[metrics_db] path``) instead of the run dir.
    """
    overrides: dict[str, Any] = {
        "run": {"engine": "simulate", "workers": 1},
        "engines": {"simulate": {"success_rate": success_rate, "seed": seed}},
        "validation": {"early_checkpoint": 5, "early_threshold": 0.5},
        "metrics_db": {"enabled": True, "path": str(shared_db) if shared_db else ""},
        "notify": {"urls": []},
    }
    return run_extraction(images, run_dir, overrides=overrides)
