"""Live run metrics with memory that does not grow with the number of specimens."""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from herbx.events.clock import parse_timestamp
from herbx.events.types import Event, ExtractionEvent


class LatencyHistogram:
    """Log-bucketed histogram: percentiles within about 2.5 % in constant memory."""

    __slots__ = ("_buckets", "count", "max", "min", "total")
    _RATIO = math.log(1.05)

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def add(self, value_ms: float) -> None:
        """Record one latency in milliseconds (negative values are ignored)."""
        if value_ms < 0 or value_ms != value_ms:
            return
        self._buckets[int(math.log(value_ms + 1.0) / self._RATIO)] += 1
        self.count += 1
        self.total += value_ms
        if value_ms < self.min:
            self.min = value_ms
        if value_ms > self.max:
            self.max = value_ms

    def percentile(self, q: float) -> float | None:
        """Approximate ``q``-th percentile (0-100), or None when empty."""
        if not self.count:
            return None
        rank = q / 100.0 * self.count
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                mid = math.exp((bucket + 0.5) * self._RATIO) - 1.0
                return min(max(mid, self.min), self.max)
        return self.max


@dataclass
class MetricsSnapshot:
    """A point-in-time view of a run, as :meth:`MetricsConsumer.snapshot` returns it."""

    run_id: str | None
    total_specimens: int | None
    processed: int
    succeeded: int
    failed: int
    skipped: int
    success_rate: float
    rolling_success_rate: float
    rolling_window: int
    elapsed_seconds: float
    specimens_per_minute: float
    eta_seconds: float | None
    latency_ms: dict[str, float | None]
    failure_reasons: dict[str, int]
    field_coverage: dict[str, float]
    tokens: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    status: str = "running"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


class MetricsConsumer:
    """Success rates, throughput, latency, ETA, failure reasons, coverage, tokens and cost.

    Reads only event payloads and their timestamps, so a replayed log gives the same numbers
    as the live run. Latency comes from ``data.timings.total_ms`` when the runner reports it,
    otherwise from the time between ``specimen.processing`` and the outcome.

    Example::

        metrics = MetricsConsumer(bus)
        ...
        print(metrics.snapshot().success_rate)
    """

    def __init__(self, event_bus: Any, *, rolling_window: int = 50) -> None:
        if rolling_window < 1:
            raise ValueError("rolling_window must be at least 1")
        self.rolling_window = rolling_window
        self.reset()
        event_bus.subscribe(ExtractionEvent.STARTED, self.on_started)
        event_bus.subscribe("specimen.*", self.on_specimen)
        event_bus.subscribe("extraction.*", self.on_end)

    def reset(self) -> None:
        """Forget everything (a new run)."""
        self.run_id: str | None = None
        self.total: int | None = None
        self.processed = 0
        self.succeeded = 0
        self.failed = 0
        self.skipped = 0
        self._window: deque[bool] = deque(maxlen=self.rolling_window)
        self._start: float | None = None
        self._last: float | None = None
        self._in_flight: dict[Any, str] = {}
        self.latency = LatencyHistogram()
        self.reasons: Counter[str] = Counter()
        self._coverage: Counter[str] = Counter()
        self.tokens: Counter[str] = Counter()
        self.cost_usd = 0.0
        self.status = "running"

    def on_started(self, event: Event) -> None:
        """Start counting a (new or resumed) run."""
        self.reset()
        self.run_id = event.data.get("run_id", event.run_id)
        total = event.data.get("total_specimens")
        self.total = int(total) if isinstance(total, int | float) else None
        self._start = _seconds(event.timestamp)

    def on_specimen(self, event: Event) -> None:
        """Update counters from ``specimen.*`` events."""
        # On the hot path of every run: locals and early returns keep it cheap.
        et = event.event_type
        data = event.data
        if et == "specimen.processing":
            # keep the timestamp text; it is parsed only if the outcome carries no timings
            if self._start is None:
                self._start = _seconds(event.timestamp)
            if len(self._in_flight) < 10_000:  # bounded even if outcomes never arrive
                self._in_flight[data.get("specimen_id", data.get("sequence"))] = event.timestamp
            return
        ts = _seconds(event.timestamp)
        if self._start is None:
            self._start = ts
        if et == "specimen.skipped":
            self.skipped += 1
            return
        ok = et == "specimen.completed"
        if not ok and et != "specimen.failed":
            return
        self._last = ts
        self.processed += 1
        self._window.append(ok)
        began = self._in_flight.pop(data.get("specimen_id", data.get("sequence")), None)
        timings = data.get("timings")
        if isinstance(timings, dict) and isinstance(timings.get("total_ms"), int | float):
            self.latency.add(float(timings["total_ms"]))
        elif began is not None:
            self.latency.add((ts - _seconds(began)) * 1000.0)
        result = data.get("result")
        if not isinstance(result, dict):
            result = {}
        if ok:
            self.succeeded += 1
            dwc = result.get("dwc")
            if isinstance(dwc, dict):
                coverage = self._coverage
                for term, value in dwc.items():
                    # truthy values are never empty; falsy ones such as 0 still count
                    if value or value not in _EMPTY:
                        coverage[term] += 1
        else:
            self.failed += 1
            self.reasons[str(data.get("reason") or result.get("reason") or "unknown")] += 1
        usage = data.get("usage") or result.get("usage")
        if isinstance(usage, dict):
            for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
                value = usage.get(key)
                if isinstance(value, int):
                    self.tokens[key] += value
            cost = usage.get("cost_usd")
            if isinstance(cost, int | float):
                self.cost_usd += float(cost)

    def on_end(self, event: Event) -> None:
        """Record how the run ended."""
        et = event.event_type
        if et == "extraction.completed":
            self.status = "completed"
        elif et == "extraction.failed":
            self.status = "failed"
        elif et == "extraction.interrupted":
            self.status = "interrupted"

    def snapshot(self) -> MetricsSnapshot:
        """The current numbers (cheap: call it as often as a panel refreshes)."""
        processed = self.processed
        elapsed = (self._last - self._start) if (self._start is not None and self._last) else 0.0
        per_minute = processed / elapsed * 60.0 if elapsed > 0 else 0.0
        eta = None
        if self.total is not None and per_minute > 0:
            remaining = max(self.total - processed - self.skipped, 0)
            eta = remaining / per_minute * 60.0
        h = self.latency
        return MetricsSnapshot(
            run_id=self.run_id,
            total_specimens=self.total,
            processed=processed,
            succeeded=self.succeeded,
            failed=self.failed,
            skipped=self.skipped,
            success_rate=self.succeeded / processed if processed else 0.0,
            rolling_success_rate=sum(self._window) / len(self._window) if self._window else 0.0,
            rolling_window=len(self._window),
            elapsed_seconds=elapsed,
            specimens_per_minute=per_minute,
            eta_seconds=eta,
            latency_ms={
                "p50": h.percentile(50),
                "p90": h.percentile(90),
                "p99": h.percentile(99),
                "mean": h.total / h.count if h.count else None,
                "max": h.max if h.count else None,
            },
            failure_reasons=dict(self.reasons.most_common()),
            field_coverage={k: v / self.succeeded for k, v in sorted(self._coverage.items())}
            if self.succeeded
            else {},
            tokens=dict(self.tokens),
            cost_usd=self.cost_usd,
            status=self.status,
        )


_EMPTY: tuple[Any, ...] = (None, "", [], {})

_fromisoformat = datetime.fromisoformat


def _seconds(timestamp: str) -> float:
    """Epoch seconds of a log timestamp (0.0 when it cannot be read)."""
    try:
        # Python 3.11 reads herbx's "...Z" form directly, the cheapest path per event
        return _fromisoformat(timestamp).timestamp()
    except (ValueError, TypeError):
        pass
    try:
        return parse_timestamp(timestamp).timestamp()
    except (ValueError, AttributeError, TypeError):
        return 0.0
