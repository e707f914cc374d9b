"""Accuracy and speed of the ocr engine on generated sheets, beside a bare RapidOCR call.

For each sheet size, sheets are generated with herbx.testing.labels (all layouts, labels
rotated 0/90/180/270, each under 10% of the sheet) and written as JPEG files; fresh child
processes (so each peak memory is that run's alone) then load them. One runs OcrEngine and
scores the scored fields exactly after normalization; the other times a bare
``RapidOCR()(image)`` call (its own pipeline, 2000 px limit) and scores what the same label
parser makes of its lines.

    python benchmarks/ocr_bench.py                       # 40 small + 4 large sheets
    python benchmarks/ocr_bench.py --small 80 --large 8 --json out.json

Peak memory is the child's maximum resident set size (``resource.getrusage``), models and
the decoded image included.
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
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = {"small": (1600, 1068), "large": (6000, 4000)}


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(folder: Path, mode: str) -> dict[str, Any]:
    """Run in a fresh process over the JPEGs in ``folder``: "engine" or "bare" RapidOCR."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import numpy as np

    from herbx.engines.ocr import OcrEngine, load_image
    from herbx.engines.ocr.layout import OcrLine, quad_to_box
    from herbx.testing.labels import SCORED_FIELDS, read_truth, score_terms

    engine = OcrEngine(threads=2)
    bare = engine.reader.ocr()  # the same RapidOCR object, its default pipeline
    parser = engine._label_parser()
    truth = read_truth(folder / "truth.csv")
    names = sorted(truth)
    # warm up once: model loading and first-run allocation are not reading time
    warm = load_image(folder / names[0])
    if mode == "engine":
        engine.extract(warm)
    else:
        bare(np.asarray(warm.pixels), use_det=True, use_cls=True, use_rec=True)
    correct = dict.fromkeys(SCORED_FIELDS, 0)
    seconds: list[float] = []
    failures: list[dict[str, Any]] = []
    for name in names:
        row = truth[name]
        image = load_image(folder / name)
        t0 = time.perf_counter()
        if mode == "engine":
            terms = engine.extract(image).terms
            seconds.append(time.perf_counter() - t0)
        else:
            out = bare(np.asarray(image.pixels), use_det=True, use_cls=True, use_rec=True)
            seconds.append(time.perf_counter() - t0)
            # the bare call has no parser: score what the same parser makes of its lines
            boxes = getattr(out, "boxes", None)
            lines = [
                OcrLine(str(t), float(sc), quad_to_box(q))
                for t, sc, q in zip(
                    getattr(out, "txts", None) or (),
                    getattr(out, "scores", None) or (),
                    boxes if boxes is not None else (),
                    strict=False,
                )
            ]
            terms = parser.parse(lines).terms
        scores = score_terms(terms, row)
        for f, ok in scores.items():
            correct[f] += ok
        if mode == "engine" and not all(scores.values()):
            wrong = {f: [terms.get(f), row[f]] for f, ok in scores.items() if not ok}
            failures.append(
                {
                    "sheet": name,
                    "layout": row["layout"],
                    "rotation": row["rotation"],
                    "wrong": wrong,
                }
            )
    n = len(seconds)
    w, h = warm.size
    return {
        "mode": mode,
        "size": f"{w}x{h}",
        "sheets": n,
        "label_fraction_max": max(float(truth[k]["label_fraction"]) for k in names),
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
    ap.add_argument("--child", nargs=2, metavar=("FOLDER", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), args.child[1])))
        return
    results = []
    from herbx.testing.labels import generate_sheets, write_sheets

    with tempfile.TemporaryDirectory(prefix="herbx-ocr-bench-") as tmp:
        for name, count in (("small", args.small), ("large", args.large)):
            if count <= 0:
                continue
            folder = Path(tmp) / name
            # sheets are written as JPEGs first, as a collection would hand them over
            write_sheets(folder, generate_sheets(count, seed=args.seed, size=SIZES[name]))
            for mode in ("engine", "bare"):
                cmd = [sys.executable, __file__, "--child", str(folder), mode]
                proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
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
