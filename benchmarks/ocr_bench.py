"""Accuracy and speed of the ocr engine on generated sheets, beside a bare RapidOCR call.

For each sheet size, fresh child processes (so each peak memory is that run's alone)
generate the same sheets with herbx.testing.labels (all layouts, labels rotated
0/90/180/270, each under 10% of the sheet). One runs OcrEngine and scores the scored fields
exactly after normalization; the other times a bare ``RapidOCR()(image)`` call (its own
pipeline, 2000 px limit) and scores what the same label parser makes of its lines.

    python benchmarks/ocr_bench.py                       # 40 small + 4 large sheets
    python benchmarks/ocr_bench.py --small 80 --large 8 --json out.json

Peak memory is the child's maximum resident set size (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SIZES = {"small": (1600, 1068), "large": (6000, 4000)}


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(size_name: str, count: int, seed: int, mode: str) -> dict[str, Any]:
    """Run in a fresh process: ``mode`` "engine" (OcrEngine, scored) or "bare" (RapidOCR)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import numpy as np

    from herbx.engines import SpecimenImage
    from herbx.engines.ocr import OcrEngine
    from herbx.testing.labels import SCORED_FIELDS, generate_sheet, generate_sheets, score_terms

    engine = OcrEngine(threads=2)
    bare = engine.reader.ocr()  # the same RapidOCR object, default pipeline
    size = SIZES[size_name]
    # warm up once (model loading and first-run allocation are not reading time)
    warm = generate_sheet(seed - 1, size=size)
    if mode == "engine":
        engine.extract(SpecimenImage(path=Path("warm.jpg"), pixels=warm.image))
    else:
        bare(np.asarray(warm.image), use_det=True, use_cls=True, use_rec=True)
    del warm
    correct = dict.fromkeys(SCORED_FIELDS, 0)
    seconds: list[float] = []
    fractions: list[float] = []
    failures: list[dict[str, Any]] = []
    for i, sheet in enumerate(generate_sheets(count, seed=seed, size=size)):
        fractions.append(sheet.label_fraction)
        if mode == "engine":
            t0 = time.perf_counter()
            result = engine.extract(SpecimenImage(path=Path(f"s{i}.jpg"), pixels=sheet.image))
            seconds.append(time.perf_counter() - t0)
            terms = result.terms
        else:
            arr = np.asarray(sheet.image)
            t0 = time.perf_counter()
            out = bare(arr, use_det=True, use_cls=True, use_rec=True)
            seconds.append(time.perf_counter() - t0)
            # the bare call has no parser: score what the same parser makes of its lines
            from herbx.engines.ocr.layout import OcrLine, quad_to_box

            lines = [
                OcrLine(str(t), float(sc), quad_to_box(q))
                for t, sc, q in zip(
                    getattr(out, "txts", None) or (),
                    getattr(out, "scores", None) or (),
                    getattr(out, "boxes", None) if getattr(out, "boxes", None) is not None else (),
                    strict=False,
                )
            ]
            terms = engine._label_parser().parse(lines).terms
        scores = score_terms(terms, sheet.truth)
        for f, ok in scores.items():
            correct[f] += ok
        if mode == "engine" and not all(scores.values()):
            wrong = {f: [terms.get(f), sheet.truth[f]] for f, ok in scores.items() if not ok}
            failures.append(
                {"sheet": i, "layout": sheet.layout, "rotation": sheet.rotation, "wrong": wrong}
            )
    n = len(seconds)
    return {
        "mode": mode,
        "size": f"{size[0]}x{size[1]}",
        "sheets": n,
        "label_fraction_max": max(fractions),
        "accuracy": {f: round(v / n, 3) for f, v in correct.items()},
        "accuracy_all_fields": round(sum(correct.values()) / (n * len(correct)), 3),
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_max": round(max(seconds), 2),
        "peak_rss_mb": round(_peak_mb()),
        "failures": failures,
    }


def main() -> None:
    """Run each size in its own process and print (and optionally save) the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=40, help="1600x1068 sheets")
    ap.add_argument("--large", type=int, default=4, help="6000x4000 sheets")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--child", nargs=3, metavar=("SIZE", "COUNT", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.seed, args.child[2])))
        return
    results = []
    for name, count in (("small", args.small), ("large", args.large)):
        for mode in ("engine", "bare"):
            if count <= 0:
                continue
            cmd = [sys.executable, __file__, "--child", name, str(count), mode]
            proc = subprocess.run(
                [*cmd, "--seed", str(args.seed)], check=True, capture_output=True, text=True
            )
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "results": results,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
