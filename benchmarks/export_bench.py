"""Time and peak memory of reading a run's raw.jsonl and writing a Darwin Core Archive.

Usage: python benchmarks/export_bench.py [N]   (default 100000 specimens)

Writes a synthetic run directory of N realistic result lines to a temporary folder,
then reports seconds to load it, seconds to export it as a DwC-A, and peak RSS.
"""

from __future__ import annotations

import hashlib
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

from herbx.dwc.export import ExportOptions, export_runs
from herbx.dwc.results import load_run
from herbx.testing.rundirs import RunBuilder

LABEL = {
    "catalogNumber": "DAS 004512",
    "institutionCode": "DAS",
    "scientificName": "Carex nigra (L.) Reichard",
    "recordedBy": "J.H. Hudson",
    "recordNumber": "1302",
    "eventDate": "12 July 1987",
    "country": "Canada",
    "stateProvince": "Saskatchewan",
    "locality": "3 mi N of Saskatoon",
    "habitat": "wet meadow",
    "verbatimCoordinates": "52°07'30\"N 106°38'W",
    "verbatimElevation": "1650 ft",
}


def peak_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        builder = RunBuilder(run_dir)
        line = builder.add("x.jpg", LABEL)
        run_dir.mkdir()
        with open(run_dir / "raw.jsonl", "wb") as fh:
            for i in range(n):
                line["sha256"] = hashlib.sha256(str(i).encode()).hexdigest()
                line["image"] = f"sheets/{i:07d}.jpg"
                line["dwc"]["catalogNumber"] = f"DAS {i:07d}"
                fh.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        base = peak_mb()
        t0 = time.perf_counter()
        run = load_run(run_dir)
        t1 = time.perf_counter()
        summary = export_runs([run], run_dir / "export", ExportOptions(format="dwca"))
        t2 = time.perf_counter()
        size = (run_dir / "export" / "dwca.zip").stat().st_size / 1e6
    print(f"python {platform.python_version()} on {platform.machine()}, {n} specimens")
    print(f"load raw.jsonl: {t1 - t0:.2f} s; export dwca: {t2 - t1:.2f} s ({summary.rows} rows)")
    print(f"peak RSS {peak_mb():.0f} MB (before loading: {base:.0f} MB); dwca.zip {size:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
