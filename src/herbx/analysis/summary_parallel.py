"""Summarize a big log on two cores, with exactly the single-process result.

The file is cut at the first newline past its middle. A helper interpreter (a plain
subprocess: no fork, and unlike multiprocessing's spawn nothing of the caller's script is
re-run; the same on macOS and Windows) reads the second half while this process reads the
first half into the :class:`~herbx.analysis.summary.SummaryBuilder` as usual. The second half
then joins the builder:

- what does not depend on order (counts per type, per-term coverage, failure reasons and
  their first example, tokens) is added up, keeping first-seen order;
- what does (segments, the timeline, crossings, latency and cost sums, run times) is
  replayed here from a compact record per outcome that the helper spills to a temporary
  file (6 numbers: outcome, latency, cost, byte offset, line, offset of the last
  timestamp), so memory does not grow with the log; the few lines whose details are needed
  (other event types, crossings, first and last outcomes) are read again by offset. The
  helper also counts its latencies into the histogram's buckets (per block of records), so
  the replay adds them without bucketing each again.

Anything the helper cannot vouch for (an outcome without ``timings.total_ms``, a specimen
event of an unusual shape (not typed-decodable), an older envelope version, more distinct
keys than the builder keeps, a second half with no run begun before it, or a failure of
the helper itself) makes :func:`summarize_in_two` return False, and the caller reads the
file in one process instead. Line numbers in reports and errors are those of the whole
file.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import subprocess
import sys
import tempfile
from array import array
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from herbx.analysis.fastscan import crossing_at, open_window, scan_into
from herbx.analysis.hotlines import decode_hot
from herbx.events.consumers.metrics import LatencyHistogram, count_into
from herbx.events.log import (
    MAX_REPORTED,
    TORN_TAIL,
    LogError,
    LogReport,
    _why_not_event,
    parse_line,
    upgrade_envelope,
)
from herbx.events.types import ENVELOPE_VERSION

if TYPE_CHECKING:
    from herbx.analysis.summary import SummaryBuilder

#: Logs smaller than this are read in one process (starting a helper costs ~0.2 s).
PARALLEL_MIN_BYTES = 64 << 20

_FAILED, _OK, _OTHER = 0.0, 1.0, 2.0
_WIDTH = 6  # numbers per record
_FLUSH = 1 << 15  # records per write
_NAN = math.nan
_HOT = frozenset({"specimen.processing", "specimen.completed", "specimen.failed"})


#: Share of the file this process reads; the helper reads the rest. A line costs this
#: process more (it keeps the run's order-dependent state) and the helper starts later
#: (a fresh interpreter): measured, the two end together at about half each.
SHARE = 0.5


def split_point(path: Path, size: int, share: float = SHARE) -> int | None:
    """The offset just after the first newline at or past ``share`` of the file, or None."""
    with open(path, "rb") as fh:
        pos = int(size * share)
        fh.seek(pos)
        while True:
            block = fh.read(1 << 16)
            if not block:
                return None
            nl = block.find(b"\n")
            if nl >= 0:
                cut = pos + nl + 1
                return cut if cut < size else None
            pos += len(block)


def _scan_second_half(
    path: str, start: int, lenient: bool, records: str, flush: int = _FLUSH
) -> dict[str, Any]:
    """Read ``path`` from ``start`` (a line start) to the end; what the merge needs.

    Records are written ``flush`` at a time; the replay reads them in the same blocks.
    """
    from herbx.analysis.summary import _MAX_KEYS

    counts: dict[str, int] = {}
    coverage: Counter[str] = Counter()
    reasons: dict[str, int] = {}
    examples: dict[str, tuple[str | None, str | None]] = {}
    tokens: Counter[str] = Counter()  # first-seen key order, as in the builder
    skipped: list[tuple[int, str]] = []
    skipped_count = 0
    gaps: list[tuple[int, int, int]] = []
    gap_count = 0
    first_seq: tuple[int, int] | None = None
    expected: int | None = None
    torn_line: int | None = None
    hot_events = events = 0
    last_ts = -1.0
    line_no = 0
    off = start
    buf = array("d")
    written = 0
    # the latency buckets of each written block of records, so that the replay only adds
    latency_buckets: list[list[tuple[int, int]]] = []
    bucket_counts = LatencyHistogram.bucket_counts

    def fallback(why: str) -> dict[str, Any]:
        return {"fallback": why}

    et: Any  # from a typed line or, checked below, from a parsed dict
    seq: Any
    ts: Any
    with open_window(Path(path), start) as fh, open(records, "wb") as out:
        for raw in fh:
            line_no += 1
            here = off
            off += len(raw)
            line = decode_hot(raw)  # typed when a specimen event of the usual shape
            if line is not None:
                et = line.event_type
                seq = line.seq
                ts = line.timestamp
            else:
                obj, reason = parse_line(raw)
                if obj is None:
                    if reason is TORN_TAIL:
                        torn_line = line_no
                        break
                    if reason is None:
                        continue
                    if not lenient:
                        return {"error": (line_no, f"{reason} (use lenient reading to skip it)")}
                    skipped_count += 1
                    if len(skipped) < MAX_REPORTED:
                        skipped.append((line_no, reason))
                    continue
                et = obj.get("event_type")
                seq = obj.get("seq")
                if (
                    obj.get("v") != ENVELOPE_VERSION
                    or not isinstance(seq, int)
                    or type(et) is not str
                    or type(obj.get("data")) is not dict
                ):
                    if upgrade_envelope(obj, line_no) is not None:
                        return fallback("an older envelope (its seq is its line number)")
                    why = _why_not_event(obj)
                    if not lenient:
                        return {"error": (line_no, f"{why} (use lenient reading to skip it)")}
                    skipped_count += 1
                    if len(skipped) < MAX_REPORTED:
                        skipped.append((line_no, why))
                    continue
                if et in _HOT:
                    return fallback("a specimen event of an unusual shape")
                ts = obj.get("timestamp")
                if type(ts) is not str:
                    ts = ""
            if first_seq is None:
                first_seq = (line_no, seq)
            elif seq != expected:
                gap_count += 1
                if len(gaps) < MAX_REPORTED:
                    gaps.append((line_no, expected, seq))  # type: ignore[arg-type]
            expected = seq + 1
            events += 1
            if et == "specimen.processing":
                hot_events += 1
                counts[et] = counts.get(et, 0) + 1
            elif et == "specimen.completed" or et == "specimen.failed":
                assert line is not None
                hot_events += 1
                counts[et] = counts.get(et, 0) + 1
                ok = et == "specimen.completed"
                data = line.data
                timings = data.timings
                total_ms = timings.total_ms if timings is not None else None
                if total_ms is None or total_ms != total_ms:
                    return fallback("an outcome without timings.total_ms")
                result = data.result
                if ok:
                    dwc = result.dwc if result is not None else None
                    if dwc is not None:  # counted in C; values are str or None: empty if falsy
                        count_into(coverage, filter(dwc.get, dwc))
                else:
                    why_failed = data.failure_reason()
                    reasons[why_failed] = reasons.get(why_failed, 0) + 1
                    if why_failed not in examples:
                        examples[why_failed] = (data.specimen_id, data.message_excerpt())
                cost = _NAN
                usage = data.any_usage()
                if usage is not None:
                    usage.count_tokens(tokens)
                    c = usage.cost_usd
                    if c is not None and c == c:
                        cost = c
                buf.extend((_OK if ok else _FAILED, total_ms, cost, here, line_no, last_ts))
            else:
                if et not in counts:
                    counts[et] = 0  # first-seen order; the replay counts it
                buf.extend((_OTHER, _NAN, _NAN, here, line_no, last_ts))
            if ts:
                last_ts = here
            if len(buf) >= flush * _WIDTH:
                latency_buckets.append(sorted(bucket_counts(buf[1::_WIDTH]).items()))
                buf.tofile(out)
                written += len(buf) // _WIDTH
                del buf[:]
        latency_buckets.append(sorted(bucket_counts(buf[1::_WIDTH]).items()))
        buf.tofile(out)
        written += len(buf) // _WIDTH
    if max(len(counts), len(coverage), len(reasons)) > _MAX_KEYS:
        return fallback("more distinct keys than a summary keeps")
    return {
        "lines": line_no,
        "events": events,
        "hot_events": hot_events,
        "counts": counts,
        "coverage": coverage,
        "reasons": reasons,
        "examples": examples,
        "tokens": tokens,
        "skipped": skipped,
        "skipped_count": skipped_count,
        "gaps": gaps,
        "gap_count": gap_count,
        "first_seq": first_seq,
        "torn_line": torn_line,
        "records": written,
        "latency_buckets": latency_buckets,
        "last_ts": last_ts,
    }


def main(argv: list[str] | None = None) -> None:
    """Helper entry point: ``PATH START LENIENT RECORDS RESULT FLUSH``; writes RESULT as JSON."""
    path, start, lenient, records, result_path, flush = argv if argv is not None else sys.argv[1:]
    try:
        result = _scan_second_half(path, int(start), lenient == "1", records, int(flush))
    except Exception as exc:  # the parent reads the file itself instead
        result = {"fallback": f"helper failed: {type(exc).__name__}: {exc}"}
    Path(result_path).write_bytes(orjson.dumps(result))


_HELPER = "from herbx.analysis.summary_parallel import main; main()"


class _Lines:
    """Read single lines again by byte offset (rare: details of a few events)."""

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()

    def obj(self, offset: float) -> dict[str, Any]:
        self._fh.seek(int(offset))
        parsed: dict[str, Any] = orjson.loads(self._fh.readline())
        return parsed

    def timestamp(self, offset: float) -> str:
        ts = self.obj(offset).get("timestamp")
        return ts if isinstance(ts, str) else ""

    def close(self) -> None:
        self._fh.close()


def summarize_in_two(
    path: str | os.PathLike[str],
    builder: SummaryBuilder,
    report: LogReport,
    *,
    lenient: bool,
    split: int,
) -> bool:
    """Fill ``builder`` and ``report`` from the whole log using a helper process.

    Returns False (``builder`` and ``report`` then hold partial data: start afresh) when
    the halves cannot be joined exactly. Raises :class:`LogError` as a single pass would.
    """
    p = Path(path)
    with tempfile.TemporaryDirectory(prefix="herbx-summary-") as tmp:
        records = os.path.join(tmp, "records.f64")
        result = Path(tmp) / "result.json"
        args = [str(p), str(split), "1" if lenient else "0", records, str(result), str(_FLUSH)]
        try:
            helper = subprocess.Popen(
                [sys.executable, "-c", _HELPER, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return False
        try:
            lines1, expected = scan_into(p, builder, report, lenient=lenient, end=split)
            code = helper.wait()
        finally:
            if helper.poll() is None:
                helper.kill()
                helper.wait()
        if code != 0 or not result.exists():
            return False
        part: dict[str, Any] = orjson.loads(result.read_bytes())
        if "error" in part:
            line, message = part["error"]
            raise LogError(p, lines1 + line, message)
        if "fallback" in part:
            return False
        if builder.seg is None and part["hot_events"]:
            return False
        try:
            _join(builder, report, part, lines1, expected)
        except _Unjoinable:
            return False
        _replay(p, builder, part, lines1, records)
    return True


def _join(
    builder: SummaryBuilder,
    report: LogReport,
    part: dict[str, Any],
    lines1: int,
    expected: int | None,
) -> None:
    """Add the order-free totals of the second half and merge its report."""
    from herbx.analysis.summary import _MAX_KEYS

    counts, coverage, reasons = builder.counts, builder.coverage, builder.reasons
    for target, extra in ((counts, part["counts"]), (coverage, part["coverage"])):
        for key, n in extra.items():
            target[key] += n
    for key, n in part["reasons"].items():
        reasons[key] += n
    for key, example in part["examples"].items():
        builder.reason_example.setdefault(key, (example[0], example[1]))
    for key, n in part["tokens"].items():
        builder.tokens[key] += n
    if max(len(counts), len(coverage), len(reasons)) > _MAX_KEYS:
        raise _Unjoinable
    builder.events += part["hot_events"]
    report.events += part["events"]
    first = part["first_seq"]
    gaps: list[tuple[int, int, int]] = [
        (lines1 + line, exp, found) for line, exp, found in part["gaps"]
    ]
    if first is not None and expected is not None and first[1] != expected:
        gaps.insert(0, (lines1 + first[0], expected, first[1]))
        report.seq_gap_count += 1
    report.seq_gap_count += part["gap_count"]
    for gap in gaps:
        if len(report.seq_gaps) < MAX_REPORTED:
            report.seq_gaps.append(gap)
    report.skipped_count += part["skipped_count"]
    for line, why in part["skipped"]:
        if len(report.skipped_lines) < MAX_REPORTED:
            report.skipped_lines.append((lines1 + line, why))
    if part["torn_line"] is not None:
        report.torn_tail = True
        report.torn_tail_line = lines1 + part["torn_line"]


class _Unjoinable(Exception):
    """The halves cannot be joined exactly (caught by :func:`summarize_in_two`'s caller)."""


def _replay(
    path: Path, builder: SummaryBuilder, part: dict[str, Any], lines1: int, records: str
) -> None:
    """Replay the second half's records, in order, into ``builder``."""
    reread = _Lines(path)
    timeline, crossing = builder.timeline, builder.crossing
    timeline_add, crossing_add = timeline.add, crossing.add
    crossings = crossing.crossings
    latency = builder.latency
    last_off = -1.0
    synced_off = -1.0
    costs = array("d")
    # builder state kept in locals (handed back around other events)
    processed = builder.processed_in_seg
    succeeded = failed = 0
    need_first = builder.first_outcome is None

    def flush_costs() -> None:
        if costs:
            builder.cost = functools.reduce(operator.add, costs, builder.cost or 0.0)
            del costs[:]

    def where(kept: int, off: float) -> None:
        """Fill in the specimen, sequence and time of crossing ``kept`` (at line ``off``)."""
        crossings[kept] = crossing_at(
            crossings[kept], reread.obj(off).get("data") or {}, reread.timestamp(off)
        )

    def hand_back() -> None:
        nonlocal succeeded, failed
        if succeeded or failed:
            seg = builder.seg
            assert seg is not None  # an outcome starts a run when none has begun
            seg.succeeded += succeeded
            seg.failed += failed
            succeeded = failed = 0
        builder.processed_in_seg = processed

    try:
        with open(records, "rb") as fh:
            left = part["records"]
            for block in part["latency_buckets"]:
                if not left:
                    break
                chunk = array("d")
                take = min(left, _FLUSH)
                chunk.fromfile(fh, take * _WIDTH)
                left -= take
                flush_costs()  # keeps memory bounded; the sum stays in file order
                kinds = chunk[0::_WIDTH]
                if _OTHER not in kinds:
                    # outcomes only (the usual block): in bulk, same result as one by one
                    count = len(kinds)
                    oks = bytes(map(int, kinds))
                    if need_first:
                        builder.first_outcome = reread.timestamp(chunk[3])
                        need_first = False
                    last_off = chunk[(count - 1) * _WIDTH + 3]
                    timeline.add_many(oks)
                    for kept, i in crossing.add_many(oks, processed + 1):
                        where(kept, chunk[i * _WIDTH + 3])
                    processed += count
                    latency.add_many(chunk[1::_WIDTH], dict(block))
                    costs.extend([c for c in chunk[2::_WIDTH] if c == c])
                    ok_count = oks.count(1)
                    succeeded += ok_count
                    failed += count - ok_count
                    continue
                latencies = array("d")  # 8 bytes a value, no float objects kept
                keep_latency = latencies.append
                keep_cost = costs.append
                it = iter(chunk)
                for kind, ms, cost, off, line, last_ts in zip(it, it, it, it, it, it, strict=True):
                    if kind == _OTHER:
                        flush_costs()
                        hand_back()
                        if last_off != synced_off:
                            builder.last_outcome = reread.timestamp(last_off)
                            synced_off = last_off
                        if last_ts >= 0:
                            builder.last_event_at = reread.timestamp(last_ts)
                        builder.add(reread.obj(off), lines1 + int(line))
                        processed = builder.processed_in_seg
                        need_first = builder.first_outcome is None
                        continue
                    ok = kind == _OK
                    if need_first:
                        builder.first_outcome = reread.timestamp(off)
                        need_first = False
                    last_off = off
                    processed += 1
                    timeline_add(ok)
                    kept = len(crossings)
                    crossing_add(ok, processed)
                    if len(crossings) != kept:
                        where(kept, off)
                    keep_latency(ms)
                    if cost == cost:
                        keep_cost(cost)
                    if ok:
                        succeeded += 1
                    else:
                        failed += 1
                latency.add_many(latencies, dict(block))
        flush_costs()
        hand_back()
        if last_off != synced_off:
            builder.last_outcome = reread.timestamp(last_off)
        if part["last_ts"] >= 0:
            builder.last_event_at = reread.timestamp(part["last_ts"])
    finally:
        reread.close()
