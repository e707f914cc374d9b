"""What the extraction runner itself costs, and how well it parallelises.

1. Overhead: ``simulate`` at zero latency over N small images (default 10,000), one worker,
   with the plain progress consumer attached. herbx's own cost per specimen is the wall
   time minus image decoding and the engine's own time (both measured per specimen and
   written to raw.jsonl), so it covers discovery, hashing, resume checks, normalization and
   the success rule, events, raw.jsonl, run.json and the progress display.
2. Speed-up: ``simulate`` at 200 ms latency, --workers 16, against the ideal
   (16 x the one-worker throughput).

Usage::

    python benchmarks/runner_bench.py            # full size
    python benchmarks/runner_bench.py --quick    # 1,000 images, fewer latency specimens
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from PIL import Image

from herbx.config import load_config
from herbx.engines.simulate import plausible_record
from herbx.extraction import run_extraction
from herbx.extraction.discovery import discover
from herbx.extraction.outcome import Judge
from herbx_cli.panel import PlainProgress


def make_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        sub = folder / f"box{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        noise = random.Random(i).randbytes(32 * 24 * 3)  # every image distinct
        Image.frombytes("RGB", (32, 24), noise).save(sub / f"s{i:06d}.jpg", quality=80)


def cfg(workers: int, latency_ms: float) -> dict[str, Any]:
    base = load_config(env={})
    base["run"].update({"engine": "simulate", "workers": workers})
    base["engines"]["simulate"].update({"latency_ms": latency_ms, "success_rate": 0.95})
    base["validation"]["early_checkpoint"] = 0
    return base


def overhead(tmp: Path, n: int) -> dict[str, float]:
    images = tmp / "small"
    make_images(images, n)
    t = time.perf_counter()
    discover(images)
    discovery_s = time.perf_counter() - t
    sink = io.StringIO()
    t = time.perf_counter()
    result = run_extraction(
        images,
        tmp / "run-overhead",
        config=cfg(1, 0.0),
        consumers=[lambda bus: PlainProgress(bus, stream=sink, interval=1.0)],
    )
    wall = time.perf_counter() - t
    assert result.status == "completed", result.status
    load_ms = engine_ms = total_ms = 0.0
    for line in (result.run_dir / "raw.jsonl").read_bytes().splitlines():
        timings = orjson.loads(line)["timings"]
        load_ms += timings["load_ms"]
        engine_ms += timings["engine_ms"]
        total_ms += timings["total_ms"]
    driver_ms = wall * 1000.0 - total_ms  # everything outside the per-specimen work
    worker_ms = total_ms - load_ms - engine_ms  # normalization, success rule, glue
    return {
        "n": n,
        "wall_s": wall,
        "discovery_ms_per": discovery_s * 1000.0 / n,
        "decode_ms_per": load_ms / n,
        "engine_ms_per": engine_ms / n,
        "driver_ms_per": driver_ms / n,
        "worker_ms_per": worker_ms / n,
        "judge_ms_per": judge_cost_ms(n),
        "herbx_ms_per": (driver_ms + worker_ms) / n,
    }


def judge_cost_ms(n: int) -> float:
    """Per-record time of normalization plus the success rule, on simulator-like records."""
    rng = random.Random(1)
    records = [plausible_record(rng)[0] for _ in range(min(n, 5_000))]
    judge = Judge(load_config(env={}).get("success"))
    t = time.perf_counter()
    for terms in records:
        judge(terms)
    return (time.perf_counter() - t) * 1000.0 / len(records)


def speedup(tmp: Path, n_serial: int, n_parallel: int, workers: int) -> dict[str, float]:
    images = tmp / "latency"
    make_images(images, n_parallel)
    t = time.perf_counter()
    run_extraction(images, tmp / "run-serial", config=cfg(1, 200.0), limit=n_serial)
    serial_per = (time.perf_counter() - t) / n_serial
    t = time.perf_counter()
    result = run_extraction(images, tmp / "run-parallel", config=cfg(workers, 200.0))
    wall = time.perf_counter() - t
    assert result.counts["succeeded"] + result.counts["failed"] == n_parallel
    ideal = serial_per * n_parallel / workers
    return {
        "workers": workers,
        "n": n_parallel,
        "serial_s_per": serial_per,
        "wall_s": wall,
        "ideal_s": ideal,
        "efficiency": ideal / wall,
        "speedup": serial_per * n_parallel / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast check")
    parser.add_argument("--images", type=int, default=None)
    args = parser.parse_args()
    n = args.images or (1_000 if args.quick else 10_000)
    tmp = Path(tempfile.mkdtemp(prefix="herbx-bench-"))
    try:
        o = overhead(tmp, n)
        print(
            f"overhead over {o['n']:,} images: wall {o['wall_s']:.2f} s; per specimen: "
            f"herbx {o['herbx_ms_per']:.3f} ms = driver {o['driver_ms_per']:.3f} ms (discovery, "
            f"hashing, resume checks, events and their consumers, raw.jsonl, progress) + "
            f"worker {o['worker_ms_per']:.3f} ms (of which DwC normalization and success rule "
            f"about {o['judge_ms_per']:.3f} ms); outside herbx: image decoding "
            f"{o['decode_ms_per']:.3f} ms, engine {o['engine_ms_per']:.3f} ms; "
            f"discovery alone {o['discovery_ms_per']:.4f} ms"
        )
        s = speedup(tmp, 10 if args.quick else 20, 64 if args.quick else 320, 16)
        print(
            f"200 ms latency, {s['workers']} workers, {s['n']} images: {s['wall_s']:.2f} s "
            f"(ideal {s['ideal_s']:.2f} s from {s['serial_s_per'] * 1000:.0f} ms/specimen serial); "
            f"speed-up {s['speedup']:.1f}x = {s['efficiency']:.0%} of ideal"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
