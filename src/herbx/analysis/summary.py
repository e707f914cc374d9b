"""Summarize an event log in one streaming pass with bounded memory.

What a run did (counts by type, identity, start and end, status and why), how well
(succeeded / failed / skipped / not reached, success rate, throughput, latency percentiles,
failure reasons with an example each, per-field coverage, tokens and cost), how it evolved
(the success-rate timeline and where it crossed the warning threshold) and what the
validator decided, with its numbers.

Memory does not grow with the number of specimens: counters per event type, per failure
reason and per Darwin Core term, a fixed-size timeline and a bounded latency histogram.

Example::

    from herbx.analysis import summarize

    s = summarize("runs/r1/events.jsonl")
    print(s.status, s.succeeded, s.success_rate, s.latency_ms["p50"])
    s.to_dict()  # JSON-ready
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from herbx.analysis.fastscan import scan_into
from herbx.analysis.summary_parallel import PARALLEL_MIN_BYTES, split_point, summarize_in_two
from herbx.analysis.timeline import CrossingDetector, OutcomeTimeline, sparkline
from herbx.events.clock import parse_timestamp
from herbx.events.consumers.metrics import LatencyHistogram
from herbx.events.log import EventLog, LogError, LogReport

#: ``extraction.failed`` reasons that mean the validator (not a crash) stopped the run.
VALIDATOR_REASONS = frozenset(
    {
        "early_validation_failed",
        "sequential_test",
        "change_detected",
        "consecutive_failures",
        "systemic_engine_error",
    }
)

# Bounds on what a hostile or strange log can make us keep.
_MAX_KEYS = 1000
_MAX_IN_FLIGHT = 10_000
_MAX_KEPT = 50
_EMPTY: tuple[Any, ...] = (None, "", [], {})
_DETECTOR_KEYS = (
    "sprt",
    "sprt_threshold",
    "cusum",
    "cusum_threshold",
    "consecutive_failures",
    "max_consecutive_failures",
    "closeness",
)


@dataclass
class Segment:
    """One run in the log: from an ``extraction.started`` to its end (a resume adds one)."""

    index: int
    first_line: int
    run_id: str | None = None
    engine: str | None = None
    model: str | None = None
    config_hash: str | None = None
    settings_hash: str | None = None
    herbx_version: str | None = None
    resumed: bool = False
    workers: int | None = None
    total_specimens: int | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    status: str = "running"
    """``completed``, ``stopped``, ``failed``, ``interrupted`` or ``running`` (no end event:
    still being written, or the writer died)."""
    reason: str | None = None
    message: str | None = None
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    not_reached: int | None = None
    specimens_per_minute: float | None = None
    last_event_at: str | None = None

    @property
    def processed(self) -> int:
        """Succeeded plus failed."""
        return self.succeeded + self.failed

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, with ``processed``."""
        d = asdict(self)
        d["processed"] = self.processed
        return d


@dataclass
class LogSummary:
    """Everything :func:`summarize` found; see :meth:`to_dict` for the JSON shape.

    Counts (succeeded, failed, skipped) add up every run segment in the file; a resumed run
    that skips earlier successes therefore counts each specimen once where it succeeded.
    ``not_reached`` and ``status`` are the last segment's.
    """

    path: str
    events: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    not_reached: int | None = None
    status: str = "empty"
    reason: str | None = None
    message: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    specimens_per_minute: float | None = None
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    failure_reasons: list[dict[str, Any]] = field(default_factory=list)
    field_coverage: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: float | None = None
    timeline: list[float] = field(default_factory=list)
    timeline_bucket: int = 1
    sparkline: str = ""
    warning_threshold: float = 0.7
    warning_window: int = 50
    crossings: list[dict[str, Any]] = field(default_factory=list)
    crossings_total: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    warnings_total: int = 0
    stop: dict[str, Any] | None = None
    consumer_errors: int = 0
    retries: int = 0
    torn_tail: bool = False
    torn_tail_line: int | None = None
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    seq_gaps: list[tuple[int, int, int]] = field(default_factory=list)
    upgraded: int = 0

    @property
    def processed(self) -> int:
        """Succeeded plus failed, over all segments."""
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        """Succeeded / processed, or None before any specimen."""
        return self.succeeded / self.processed if self.processed else None

    @property
    def identity(self) -> dict[str, Any]:
        """The run's identity from its last ``extraction.started``."""
        seg = self.segments[-1] if self.segments else None
        keys = ("run_id", "engine", "model", "config_hash", "settings_hash", "herbx_version")
        return {k: getattr(seg, k) if seg else None for k in keys}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the fields plus ``processed``, ``success_rate`` and ``identity``."""
        d = asdict(self)
        d["segments"] = [s.to_dict() for s in self.segments]
        d["processed"] = self.processed
        d["success_rate"] = self.success_rate
        d["identity"] = self.identity
        d["skipped_lines"] = [list(x) for x in self.skipped_lines]
        d["seq_gaps"] = [list(x) for x in self.seq_gaps]
        return d


def _seconds(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return parse_timestamp(ts).timestamp()
    except (ValueError, TypeError, OverflowError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return float(value)
    return None


class SummaryBuilder:
    """Feed envelopes one at a time (:meth:`add`); read a :class:`LogSummary` any time.

    :func:`summarize` drives it over a file; ``herbx events tail`` and live replays drive it
    event by event to render a panel.
    """

    def __init__(
        self,
        path: str = "",
        *,
        warning_threshold: float = 0.7,
        warning_window: int = 50,
        timeline_buckets: int = 256,
    ) -> None:
        self.path = path
        self.warning_threshold = warning_threshold
        self.warning_window = warning_window
        self.events = 0
        self.counts: Counter[str] = Counter()
        self.segments: list[Segment] = []
        self.seg: Segment | None = None
        self.latency = LatencyHistogram()
        self.reasons: Counter[str] = Counter()
        self.reason_example: dict[str, tuple[str | None, str | None]] = {}
        self.coverage: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()
        self.cost: float | None = None
        self.timeline = OutcomeTimeline(timeline_buckets)
        self.crossing = CrossingDetector(warning_threshold, warning_window)
        self.checkpoints: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.warnings_total = 0
        self.stop: dict[str, Any] | None = None
        self.consumer_errors = 0
        self.retries = 0
        self.in_flight: dict[Any, str] = {}
        self.processed_in_seg = 0
        self.first_outcome: str | None = None
        self.last_outcome: str | None = None
        self.last_event_at: str | None = None

    # -- feeding --------------------------------------------------------------------

    def add(self, obj: dict[str, Any], line: int = 0) -> None:
        """Account for one upgraded envelope (as :meth:`EventLog.iter_dicts` yields)."""
        et = obj.get("event_type")
        data = obj.get("data")
        if not isinstance(et, str) or not isinstance(data, dict):
            raise ValueError("not an event envelope")
        ts = obj.get("timestamp")
        if not isinstance(ts, str):
            ts = ""
        self.events += 1
        counts = self.counts
        if et in counts or len(counts) < _MAX_KEYS:
            counts[et] += 1
        else:
            counts["(other types)"] += 1
        self.last_event_at = ts or self.last_event_at
        if et == "specimen.completed" or et == "specimen.failed":
            self._outcome(et == "specimen.completed", data, ts, line)
        elif et == "specimen.processing":
            if self.seg is None:
                self._start({}, ts, line, implicit=True)
            key = data.get("specimen_id", data.get("sequence"))
            if len(self.in_flight) < _MAX_IN_FLIGHT and isinstance(key, str | int):
                self.in_flight[key] = ts
        elif et == "specimen.skipped":
            if self.seg is None:
                self._start({}, ts, line, implicit=True)
            assert self.seg is not None
            self.seg.skipped += 1
        elif et == "extraction.started":
            self._start(data, ts, line)
        elif et in ("extraction.completed", "extraction.failed", "extraction.interrupted"):
            self._end(et, data, ts, line)
        elif et == "validation.checkpoint":
            if len(self.checkpoints) < _MAX_KEPT:
                self.checkpoints.append({"line": line, "timestamp": ts, **_numbers(data)})
        elif et == "validation.warning":
            self.warnings_total += 1
            if len(self.warnings) < _MAX_KEPT:
                self.warnings.append({"line": line, "timestamp": ts, **_numbers(data)})
        elif et == "consumer.error":
            self.consumer_errors += 1
        elif et == "engine.retry":
            self.retries += 1

    def _start(self, data: dict[str, Any], ts: str, line: int, implicit: bool = False) -> None:
        self._close_open_segment()
        seg = Segment(index=len(self.segments) + 1, first_line=line)
        seg.run_id = _str(data.get("run_id"))
        seg.engine = _str(data.get("engine"))
        seg.model = _str(data.get("model"))
        seg.config_hash = _str(data.get("config_hash"))
        seg.settings_hash = _str(data.get("settings_hash"))
        seg.herbx_version = _str(data.get("herbx_version"))
        seg.resumed = data.get("resumed") is True
        seg.workers = _int(data.get("workers"))
        seg.total_specimens = _int(data.get("total_specimens"))
        seg.started_at = ts or None
        self.segments.append(seg)
        self.seg = seg
        self.processed_in_seg = 0
        self.first_outcome = self.last_outcome = None
        self.in_flight.clear()
        self.crossing.reset()

    def _close_open_segment(self) -> None:
        """A new start without an end: the previous run stopped without saying so."""
        seg = self.seg
        if seg is not None and seg.status == "running":
            self._finish_times(seg, None)

    def _outcome(self, ok: bool, data: dict[str, Any], ts: str, line: int) -> None:
        if self.seg is None:
            self._start({}, ts, line, implicit=True)
        seg = self.seg
        assert seg is not None
        if self.first_outcome is None:
            self.first_outcome = ts
        self.last_outcome = ts
        self.processed_in_seg += 1
        specimen_id = data.get("specimen_id")
        if not isinstance(specimen_id, str):
            specimen_id = None if specimen_id is None else str(specimen_id)
        self.timeline.add(ok)
        self.crossing.add(ok, self.processed_in_seg, specimen_id, _int(data.get("sequence")), ts)
        key = data.get("specimen_id", data.get("sequence"))
        began = self.in_flight.pop(key, None) if isinstance(key, str | int) else None
        timings = data.get("timings")
        total_ms = _num(timings.get("total_ms")) if isinstance(timings, dict) else None
        if total_ms is not None:
            self.latency.add(total_ms)
        elif began:
            start_s, end_s = _seconds(began), _seconds(ts)
            if start_s is not None and end_s is not None:
                self.latency.add((end_s - start_s) * 1000.0)
        result = data.get("result")
        if not isinstance(result, dict):
            result = {}
        if ok:
            seg.succeeded += 1
            dwc = result.get("dwc")
            if isinstance(dwc, dict):
                cov = self.coverage
                for term, value in dwc.items():
                    if value not in _EMPTY and (term in cov or len(cov) < _MAX_KEYS):
                        cov[term] += 1
        else:
            seg.failed += 1
            reason = data.get("reason") or result.get("reason") or "unknown"
            if not isinstance(reason, str):
                reason = str(reason)[:80]
            if reason not in self.reasons and len(self.reasons) >= _MAX_KEYS:
                reason = "(other reasons)"
            self.reasons[reason] += 1
            if reason not in self.reason_example:
                message = data.get("message")
                self.reason_example[reason] = (
                    specimen_id,
                    message[:300] if isinstance(message, str) else None,
                )
        usage = data.get("usage")
        if not isinstance(usage, dict):
            usage = result.get("usage")
        if isinstance(usage, dict):
            for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                value = _int(usage.get(key))
                if value is not None:
                    self.tokens[key] += value
            cost = _num(usage.get("cost_usd"))
            if cost is not None:
                self.cost = (self.cost or 0.0) + cost

    def _end(self, et: str, data: dict[str, Any], ts: str, line: int) -> None:
        if self.seg is None:
            self._start({}, ts, line, implicit=True)
        seg = self.seg
        assert seg is not None
        reason = _str(data.get("reason"))
        status = _str(data.get("status"))
        if status not in ("completed", "stopped", "interrupted", "failed"):
            if et == "extraction.completed":
                status = "completed"
            elif et == "extraction.interrupted":
                status = "interrupted"
            else:
                status = "stopped" if reason in VALIDATOR_REASONS else "failed"
        seg.status = status
        seg.reason = reason
        message = _str(data.get("message"))
        seg.message = message[:500] if message else None
        if seg.total_specimens is None:
            seg.total_specimens = _int(data.get("total_specimens")) or _int(data.get("total"))
        nr = _int(data.get("not_reached"))
        if nr is not None:
            seg.not_reached = nr
        if et == "extraction.failed":
            self.stop = {"line": line, "timestamp": ts, **_numbers(data)}
        self._finish_times(seg, ts)

    def _finish_times(self, seg: Segment, end_ts: str | None) -> None:
        seg.last_event_at = self.last_event_at
        seg.ended_at = end_ts or None
        start = _seconds(seg.started_at or self.first_outcome)
        end = _seconds(end_ts or self.last_event_at)
        if start is not None and end is not None:
            seg.duration_s = round(max(end - start, 0.0), 6)
        last = _seconds(self.last_outcome)
        if start is not None and last is not None and last > start and seg.processed:
            seg.specimens_per_minute = seg.processed / (last - start) * 60.0
        if seg.not_reached is None and seg.total_specimens is not None:
            seg.not_reached = max(seg.total_specimens - seg.processed - seg.skipped, 0)

    # -- reading --------------------------------------------------------------------

    def result(self, report: LogReport | None = None) -> LogSummary:
        """The summary of everything added so far (cheap enough for a live panel)."""
        seg = self.seg
        if seg is not None and seg.status == "running":
            self._finish_times(seg, None)
        segs = self.segments
        s = LogSummary(path=self.path, events=self.events)
        s.counts = dict(self.counts.most_common())
        s.segments = list(segs)
        s.succeeded = sum(x.succeeded for x in segs)
        s.failed = sum(x.failed for x in segs)
        s.skipped = sum(x.skipped for x in segs)
        if segs:
            last = segs[-1]
            s.not_reached = last.not_reached
            s.status, s.reason, s.message = last.status, last.reason, last.message
            s.started_at = segs[0].started_at
            s.ended_at = last.ended_at
            first_s, end_s = (
                _seconds(segs[0].started_at),
                _seconds(last.ended_at or last.last_event_at),
            )
            if first_s is not None and end_s is not None:
                s.duration_s = round(max(end_s - first_s, 0.0), 6)
            active = sum(
                x.processed / x.specimens_per_minute for x in segs if x.specimens_per_minute
            )
            counted = sum(x.processed for x in segs if x.specimens_per_minute)
            if active > 0:
                s.specimens_per_minute = counted / active
        h = self.latency
        s.latency_ms = {
            "p50": h.percentile(50),
            "p90": h.percentile(90),
            "p95": h.percentile(95),
            "p99": h.percentile(99),
            "mean": h.total / h.count if h.count else None,
            "max": h.max if h.count else None,
            "count": float(h.count),
        }
        s.failure_reasons = [
            {
                "reason": reason,
                "count": count,
                "share": count / s.failed if s.failed else 0.0,
                "example_specimen": self.reason_example.get(reason, (None, None))[0],
                "example_message": self.reason_example.get(reason, (None, None))[1],
            }
            for reason, count in self.reasons.most_common()
        ]
        if s.succeeded:
            s.field_coverage = {
                term: count / s.succeeded for term, count in sorted(self.coverage.items())
            }
        s.tokens = dict(self.tokens)
        s.cost_usd = self.cost
        s.timeline = self.timeline.rates()
        s.timeline_bucket = self.timeline.width
        s.sparkline = sparkline(s.timeline, 60)
        s.warning_threshold = self.warning_threshold
        s.warning_window = self.warning_window
        s.crossings = [c.to_dict() for c in self.crossing.crossings]
        s.crossings_total = self.crossing.count
        s.checkpoints = list(self.checkpoints)
        s.warnings = list(self.warnings)
        s.warnings_total = self.warnings_total
        s.stop = self.stop
        s.consumer_errors = self.consumer_errors
        s.retries = self.retries
        if report is not None:
            s.torn_tail = report.torn_tail
            s.torn_tail_line = report.torn_tail_line
            s.skipped_lines = list(report.skipped_lines[:_MAX_KEPT])
            s.seq_gaps = list(report.seq_gaps[:_MAX_KEPT])
            s.upgraded = report.upgraded
        return s


def _numbers(data: dict[str, Any]) -> dict[str, Any]:
    """The scalar numbers and words of a validator payload (nested settings dropped)."""
    return {
        k: v
        for k, v in data.items()
        if isinstance(k, str) and (v is None or isinstance(v, bool | int | float | str))
    }


def summarize(
    path: str | os.PathLike[str],
    *,
    lenient: bool = False,
    warning_threshold: float = 0.7,
    warning_window: int = 50,
) -> LogSummary:
    """Summarize one event log in a single streaming pass.

    Logs of 64 MiB or more are read by two processes when there are two cores (same
    result, see :mod:`herbx.analysis.summary_parallel`). A torn final line is reported
    (``torn_tail``), never an error. Any other unreadable
    line raises :class:`~herbx.events.log.LogError` naming the file and line, unless
    ``lenient`` is set (then it is listed in ``skipped_lines``). The crossing points use the
    rolling success rate over ``warning_window`` outcomes against ``warning_threshold``.

    Example::

        s = summarize("runs/r1/events.jsonl", lenient=True)
        s.status, s.reason, s.success_rate
    """

    def fresh() -> SummaryBuilder:
        return SummaryBuilder(
            str(Path(path)), warning_threshold=warning_threshold, warning_window=warning_window
        )

    builder, report = fresh(), LogReport()
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # the reader below names the problem
    if size >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1:
        split = split_point(Path(path), size)
        if split is not None:
            if summarize_in_two(path, builder, report, lenient=lenient, split=split):
                return builder.result(report)
            builder, report = fresh(), LogReport()
    scan_into(path, builder, report, lenient=lenient)
    return builder.result(report)


def summarize_plain(
    path: str | os.PathLike[str],
    *,
    lenient: bool = False,
    warning_threshold: float = 0.7,
    warning_window: int = 50,
) -> LogSummary:
    """:func:`summarize` the plain way: :class:`EventLog` feeding :meth:`SummaryBuilder.add`.

    The reference the fast reader is tested against; same arguments and results.
    """
    log = EventLog(path, lenient=lenient)
    builder = SummaryBuilder(
        str(Path(path)), warning_threshold=warning_threshold, warning_window=warning_window
    )
    add = builder.add
    for obj, line in log.iter_dicts():
        try:
            add(obj, line)
        except ValueError:
            if not lenient:
                raise LogError(
                    path, line, "not a herbx event envelope (use lenient reading to skip it)"
                ) from None
            log.report.skipped_lines.append((line, "not a herbx event envelope"))
    return builder.result(log.report)
