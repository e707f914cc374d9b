"""Benchmark ``herbx events summary`` against ``jq -r .event_type | sort | uniq -c``.

Writes a realistic log (the real bus, schema payloads with records, timings and usage) of
about ``--events`` events, then in the same run, interleaving the tools repetition by
repetition so that the load of a shared machine falls on both alike, times:

- the jq pipeline of the integration guide (skipped with a note when jq is absent);
- the command ``herbx events summary LOG`` as a user runs it (start-up, rendering);
- ``summarize()`` computing the full summary, in a fresh interpreter, with the peak RSS of
  that process and of its helper process (logs of 64 MiB or more are read on two cores);
- ``summarize_plain()``, the single-process reference reader, once, for comparison;
- the same summary on a log a tenth the size, to show memory does not grow with specimens.

Reports medians (and the spread) and prints a Markdown section; ``--docs FILE`` puts that
section in place of the existing one in ``docs/performance.md``.

Usage::

    python benchmarks/summary_bench.py --events 1000000 --dir /tmp/herbx-bench --reps 5
    python benchmarks/summary_bench.py --docs docs/performance.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from herbx.analysis.summary_parallel import PARALLEL_MIN_BYTES
from herbx.analysis.synthetic import outcomes_at_rate, write_run_log

_CHILD = """
import json, resource, sys, time
from herbx.analysis.summary import summarize, summarize_plain
fn = summarize_plain if sys.argv[2] == "plain" else summarize
t = time.perf_counter()
s = fn(sys.argv[1])
elapsed = time.perf_counter() - t
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"seconds": elapsed, "events": s.events, "peak_mib": me.ru_maxrss * scale / 2**20,
                  "helper_peak_mib": kids.ru_maxrss * scale / 2**20, "cpu_s": cpu,
                  "processed": s.processed}))
"""

_BASELINE = """
import json, resource, sys
import herbx.analysis
scale = 1 if sys.platform == "darwin" else 1024
print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20}))
"""

_SECTION = "## `herbx events summary` on a 1,000,000-event log"


def make_log(path: Path, events: int) -> None:
    """A completed run with ~``events`` events (two per specimen) at 90 % success."""
    if path.exists():
        path.unlink()
    write_run_log(path, outcomes_at_rate(events // 2, 0.9), usage=True, validate=False)


def time_summary(path: Path, reader: str = "summarize") -> dict[str, float]:
    """Run the summary in a fresh interpreter; its time and peak RSS (own and helper)."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), reader],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


_CLI = "from herbx_cli.app import main; main()"  # what the `herbx` console script runs


def time_cli(path: Path) -> float:
    """Wall seconds of ``herbx events summary PATH``, start-up and rendering included."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _CLI, "events", "summary", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def time_jq(path: Path) -> tuple[float, float] | None:
    """Wall and CPU seconds for the guide's jq pipeline, or None without jq."""
    if shutil.which("jq") is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        f"jq -r .event_type '{path}' | sort | uniq -c",
        shell=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def machine() -> str:
    """CPU model, cores, OS and Python, for the record."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    jq = ""
    if shutil.which("jq"):
        jq = ", " + subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}{jq.strip()}"
    )


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def main() -> None:
    """Generate, measure (interleaved), print and optionally record a Markdown section."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("bench-output"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--docs", type=Path, help="replace the summary section of this file")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    big, small = args.dir / "big.jsonl", args.dir / "small.jsonl"
    t = time.perf_counter()
    for path, events in ((big, args.events), (small, args.events // 10)):
        marker = path.with_suffix(".events")
        if not (path.exists() and marker.exists() and marker.read_text() == str(events)):
            make_log(path, events)
            marker.write_text(str(events))
    print(f"logs ready in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    baseline = json.loads(
        subprocess.run(
            [sys.executable, "-c", _BASELINE], capture_output=True, text=True, check=True
        ).stdout
    )
    jq_runs: list[float] = []
    jq_cpu: list[float] = []
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    runs: list[dict[str, float]] = []
    cli_runs: list[float] = []
    for rep in range(args.reps):
        order = ("jq", "herbx", "cli") if rep % 2 == 0 else ("cli", "herbx", "jq")
        for tool in order:
            if tool == "jq":
                measured = time_jq(big)
                if measured is not None:
                    jq_runs.append(measured[0])
                    jq_cpu.append(measured[1])
            elif tool == "cli":
                cli_runs.append(time_cli(big))
            else:
                runs.append(time_summary(big))
        print(
            f"rep {rep + 1}: jq {jq_runs[-1:]}, summary {runs[-1]['seconds']:.2f}s, "
            f"command {cli_runs[-1]:.2f}s",
            file=sys.stderr,
        )
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    plain = time_summary(big, "plain")
    small_run = time_summary(small)
    herbx_s = statistics.median(r["seconds"] for r in runs)
    events = runs[0]["events"]
    size_mib = big.stat().st_size / 2**20
    lines = [
        _SECTION,
        "",
        "Measured by `benchmarks/summary_bench.py` (generates a realistic completed run through",
        "the real bus: records, confidences, timings and token usage on every outcome, about",
        "500 bytes per event; then times the tools on the same file in the same run,",
        f"alternating them over {args.reps} repetitions; medians, range in brackets).",
        "",
        f"{datetime.now(UTC):%Y-%m-%d}, {machine()}"
        + (
            f"; load average {load_before:.1f} before the repetitions, {load_after:.1f} after."
            if load_before is not None and load_after is not None
            else "."
        ),
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| log | {events:,.0f} events, {size_mib:,.0f} MiB |",
    ]
    if jq_runs:
        jq_s = statistics.median(jq_runs)
        lines.append(
            f"| `jq -r .event_type \\| sort \\| uniq -c` | {jq_s:.2f} s ({_spread(jq_runs)}) |"
        )
    else:
        jq_s = None
        lines.append("| jq pipeline | jq not installed: skipped |")
    spread = _spread([r["seconds"] for r in runs])
    lines.append(
        f"| `summarize()`, full summary, two processes | {herbx_s:.2f} s ({spread}), "
        f"{events / herbx_s:,.0f} events/s |"
    )
    cli_s = statistics.median(cli_runs)
    lines.append(
        f"| `herbx events summary LOG`, the command (start-up and rendering included) | "
        f"{cli_s:.2f} s ({_spread(cli_runs)}) |"
    )
    lines.append(f"| `summarize_plain()`, one process, the reference | {plain['seconds']:.2f} s |")
    if jq_s is not None:
        for label, seconds in (
            ("speed-up over the jq pipeline, the command", cli_runs),
            ("speed-up over the jq pipeline, `summarize()`", [r["seconds"] for r in runs]),
        ):
            ratio = jq_s / statistics.median(seconds)
            verdict = "target met" if ratio >= 4 else f"target 4x: not met, {4 / ratio:.2f}x short"
            ratios = [j / t for j, t in zip(jq_runs, seconds, strict=False)]
            lines.append(
                f"| {label} | **{ratio:.2f}x** (per repetition {_spread(ratios)}x; {verdict}) |"
            )
    herbx_cpu = statistics.median(r["cpu_s"] for r in runs)
    if jq_cpu:
        lines.append(
            f"| CPU time (all processes), jq pipeline / summary | "
            f"{statistics.median(jq_cpu):.2f} s / {herbx_cpu:.2f} s |"
        )
    lines += [
        f"| peak RSS, interpreter with herbx imported | {baseline['peak_mib']:.1f} MiB |",
        f"| peak RSS, summary of {small_run['events']:,.0f} events "
        f"(under {PARALLEL_MIN_BYTES >> 20} MiB: one process) | {small_run['peak_mib']:.1f} MiB |",
        f"| peak RSS, summary of {events:,.0f} events: main / helper process | "
        f"{max(r['peak_mib'] for r in runs):.1f} / "
        f"{max(r['helper_peak_mib'] for r in runs):.1f} MiB |",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.docs:
        text = args.docs.read_text()
        start = text.index(_SECTION)
        end = text.find("\n## ", start + len(_SECTION))
        notes_at = text.find("\nMemory does not grow", start)
        keep_from = notes_at if 0 <= notes_at < end else end
        args.docs.write_text(text[:start] + section + text[keep_from:])
        print(f"updated {args.docs}", file=sys.stderr)


if __name__ == "__main__":
    main()
