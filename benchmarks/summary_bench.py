"""Benchmark ``herbx events summary`` against ``jq -r .event_type | sort | uniq -c``.

Writes a realistic log (the real bus, schema payloads with records, timings and usage) of
about ``--events`` events, then in the same run times:

- the jq pipeline of the integration guide (skipped with a note when jq is absent);
- ``summarize()`` computing the full summary, in a fresh process, with its peak RSS;
- the same on a log a tenth the size, to show memory does not grow with specimens.

Usage::

    python benchmarks/summary_bench.py --events 1000000 --dir /tmp/herbx-bench
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from herbx.analysis.synthetic import outcomes_at_rate, write_run_log

_CHILD = """
import json, resource, sys, time
from herbx.analysis import summarize
t = time.perf_counter()
s = summarize(sys.argv[1])
elapsed = time.perf_counter() - t
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.platform == "darwin":
    peak_kib //= 1024
print(json.dumps({"seconds": elapsed, "events": s.events, "peak_mib": peak_kib / 1024,
                  "processed": s.processed, "success_rate": s.success_rate}))
"""

_BASELINE = """
import json, resource, sys
import herbx.analysis
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.platform == "darwin":
    peak_kib //= 1024
print(json.dumps({"peak_mib": peak_kib / 1024}))
"""


def make_log(path: Path, events: int) -> None:
    """A completed run with ~``events`` events (two per specimen) at 90 % success."""
    if path.exists():
        path.unlink()
    write_run_log(path, outcomes_at_rate(events // 2, 0.9), usage=True, validate=False)


def time_summary(path: Path) -> dict[str, float]:
    """Run summarize() in a fresh interpreter; its time and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def time_jq(path: Path) -> float | None:
    """Seconds for the guide's jq pipeline, or None without jq."""
    if shutil.which("jq") is None:
        return None
    t = time.perf_counter()
    subprocess.run(
        f"jq -r .event_type '{path}' | sort | uniq -c",
        shell=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def main() -> None:
    """Generate, measure, print a Markdown table row set."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("bench-output"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    big, small = args.dir / "big.jsonl", args.dir / "small.jsonl"
    t = time.perf_counter()
    make_log(big, args.events)
    make_log(small, args.events // 10)
    print(f"generated logs in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    baseline = json.loads(
        subprocess.run(
            [sys.executable, "-c", _BASELINE], capture_output=True, text=True, check=True
        ).stdout
    )
    jq_s = time_jq(big)
    summary_big = time_summary(big)
    summary_small = time_summary(small)
    size_mib = big.stat().st_size / 2**20
    print(f"# {datetime.now(UTC):%Y-%m-%d} on {platform.platform()}, {platform.processor()}")
    print(
        f"python {platform.python_version()}; "
        f"log {summary_big['events']:,.0f} events, {size_mib:,.0f} MiB"
    )
    print("| measure | value |")
    print("| --- | --- |")
    if jq_s is None:
        print("| jq pipeline | jq not installed: skipped |")
    else:
        print(f"| `jq -r .event_type \\| sort \\| uniq -c` | {jq_s:.2f} s |")
    print(f"| `summarize()` full summary | {summary_big['seconds']:.2f} s |")
    if jq_s is not None:
        print(f"| speed-up over jq | {jq_s / summary_big['seconds']:.2f}x (target 4x) |")
    print(f"| events per second | {summary_big['events'] / summary_big['seconds']:,.0f} |")
    print(f"| peak RSS, interpreter + herbx imported | {baseline['peak_mib']:.1f} MiB |")
    print(
        f"| peak RSS, summary of {summary_small['events']:,.0f} events | "
        f"{summary_small['peak_mib']:.1f} MiB |"
    )
    print(
        f"| peak RSS, summary of {summary_big['events']:,.0f} events | "
        f"{summary_big['peak_mib']:.1f} MiB |"
    )


if __name__ == "__main__":
    main()
