"""Live run metrics with memory that does not grow with the number of specimens."""

from __future__ import annotations

import collections
import math
import operator
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any

from herbx.events.clock import parse_timestamp
from herbx.events.types import Event, ExtractionEvent

_BASE = 1.05  # each bucket is 5 % wider than the one before
_FOLD_EVERY = 1024  # latencies buffered before they are bucketed
_LOG_BASE = math.log(_BASE)
_NON_NEGATIVE = (0.0).__le__  # False for negative values and NaN


def _count_in_python(counts: MutableMapping[Any, int], items: Iterable[Any]) -> None:
    for item in items:
        counts[item] = counts.get(item, 0) + 1


#: ``count_into(counter, items)`` adds one per item, like ``Counter.update(items)`` without
#: its per-call type checks (the C helper behind it where the interpreter has one).
count_into: Callable[[MutableMapping[Any, int], Iterable[Any]], None] = getattr(
    collections, "_count_elements", _count_in_python
)


class LatencyHistogram:
    """Log-bucketed histogram: percentiles within about 2.5 % in constant memory.

    ``add()`` only appends to a small buffer; the buffer is folded into the buckets in
    batches (and before any read), which keeps the per-specimen cost to a list append.
    """

    __slots__ = ("_buckets", "_buffer", "_count", "_max", "_min", "_total")

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self._buffer: list[float] = []
        self._count = 0
        self._total = 0.0
        self._min = math.inf
        self._max = 0.0

    def add(self, value_ms: float) -> None:
        """Record one latency in milliseconds (negative and NaN values are ignored)."""
        buf = self._buffer
        buf.append(value_ms)
        if len(buf) >= _FOLD_EVERY:
            self._fold()

    @staticmethod
    def _buckets_of(values: Iterable[float]) -> Iterator[int]:
        """The bucket of each value (all >= 0), ``int(log(1 + v) / log(1.05))``, looped in C."""
        return map(int, map(operator.truediv, map(math.log1p, values), repeat(_LOG_BASE)))

    @classmethod
    def bucket_counts(cls, values: Iterable[float]) -> Counter[int]:
        """How many of ``values`` fall in each bucket (negative and NaN values are left out)."""
        return Counter(cls._buckets_of(filter(_NON_NEGATIVE, values)))

    def add_many(self, values: Sequence[float], buckets: Mapping[int, int]) -> None:
        """:meth:`add` each of ``values`` in order, their buckets already counted.

        ``buckets`` must be :meth:`bucket_counts` of ``values`` (worked out elsewhere, in
        another process for instance). The result is exactly that of adding the values one
        by one: the same batches, so the same total to the last bit.
        """
        batch = _FOLD_EVERY
        held = len(self._buffer)
        if held + len(values) < batch:
            self._buffer.extend(values)  # all stay buffered, bucketed when folded
            return
        # the values left over after the last full batch stay buffered, not yet bucketed
        tail = len(values) - (held + len(values)) % batch
        counted = Counter(buckets)
        counted.subtract(self.bucket_counts(values[tail:]))
        self._buckets.update(+counted)  # + drops the buckets left at zero
        first = batch - held
        self._buffer.extend(values[:first])
        self._fold(first)
        for at in range(first, tail, batch):
            self._buffer[:] = values[at : at + batch]
            self._fold(batch)
        self._buffer[:] = values[tail:]

    def _fold(self, counted: int = 0) -> None:
        """Fold the buffer in; the buckets of its last ``counted`` values are already in."""
        raw = self._buffer[:]
        self._buffer.clear()  # the same list: MetricsConsumer appends to it directly
        buf = list(filter(_NON_NEGATIVE, raw))  # drops negative values and NaN
        if not buf:
            return
        fresh = list(filter(_NON_NEGATIVE, raw[: len(raw) - counted])) if counted else buf
        count_into(self._buckets, self._buckets_of(fresh))
        self._count += len(buf)
        self._total += math.fsum(buf)
        self._min = min(self._min, min(buf))
        self._max = max(self._max, max(buf))

    @property
    def count(self) -> int:
        """Values recorded."""
        self._fold()
        return self._count

    @property
    def total(self) -> float:
        """Sum of the values recorded."""
        self._fold()
        return self._total

    @property
    def min(self) -> float:
        """Smallest value (inf when empty)."""
        self._fold()
        return self._min

    @property
    def max(self) -> float:
        """Largest value (0.0 when empty)."""
        self._fold()
        return self._max

    def percentile(self, q: float) -> float | None:
        """Approximate ``q``-th percentile (0-100), or None when empty."""
        self._fold()
        if not self._count:
            return None
        rank = q / 100.0 * self._count
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                mid = math.exp((bucket + 0.5) * _LOG_BASE) - 1.0
                return min(max(mid, self._min), self._max)
        return self._max


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
        # one exact subscription per type: no string comparisons on the hot path
        event_bus.subscribe(ExtractionEvent.SPECIMEN_PROCESSING, self.on_processing)
        event_bus.subscribe(ExtractionEvent.SPECIMEN_COMPLETED, self.on_outcome)
        event_bus.subscribe(ExtractionEvent.SPECIMEN_FAILED, self.on_outcome)
        event_bus.subscribe(ExtractionEvent.SPECIMEN_SKIPPED, self.on_skipped)
        event_bus.subscribe("extraction.*", self.on_end)

    def reset(self) -> None:
        """Forget everything (a new run)."""
        self.run_id: str | None = None
        self.total: int | None = None
        self.succeeded = 0
        self.failed = 0
        self.skipped = 0
        self._window: deque[bool] = deque(maxlen=self.rolling_window)
        self._start: float | None = None
        self._last_ts: str | None = None
        self._in_flight: dict[Any, str] = {}
        self._latency = LatencyHistogram()
        # appended to directly (the histogram's own buffer), folded every _FOLD_EVERY values
        self._latency_buffer = self._latency._buffer
        self.reasons: Counter[str] = Counter()
        self._coverage: Counter[str] = Counter()
        # records whose values are all non-empty, counted by their key tuple; expanded into
        # per-term coverage only when read (bounded: folded into _coverage when large)
        self._key_sets: Counter[tuple[str, ...]] = Counter()
        self._run_keys: tuple[str, ...] = ()
        self._run_length = 0
        self.tokens: Counter[str] = Counter()
        self.cost_usd = 0.0
        self.status = "running"

    @property
    def processed(self) -> int:
        """Specimens with an outcome so far (succeeded + failed)."""
        return self.succeeded + self.failed

    def on_started(self, event: Event) -> None:
        """Start counting a (new or resumed) run."""
        self.reset()
        self.run_id = event.data.get("run_id", event.run_id)
        total = event.data.get("total_specimens")
        self.total = int(total) if isinstance(total, int | float) else None
        self._start = _seconds(event.timestamp)

    def on_processing(self, event: Event) -> None:
        """Remember when a specimen started (the text; parsed only if needed)."""
        if self._start is None:
            self._start = _seconds(event.timestamp)
        in_flight = self._in_flight
        if len(in_flight) < 10_000:  # bounded even if outcomes never arrive
            data = event.data
            key = data.get("specimen_id")
            in_flight[key if key is not None else data.get("sequence")] = event.timestamp

    def on_skipped(self, event: Event) -> None:
        """Count a specimen a resume (or a duplicate) skipped."""
        if self._start is None:
            self._start = _seconds(event.timestamp)
        self.skipped += 1

    def on_outcome(self, event: Event) -> None:
        """Count a succeeded or failed specimen: rates, latency, coverage or reason, usage."""
        # The hot path of every run, in one frame. Timestamps stay text here: the last one
        # is parsed when a snapshot is taken, and a latency within the same second is read
        # from the microsecond digits alone.
        data = event.data
        ts = event.timestamp
        ok = event.event_type == _COMPLETED
        if self._start is None:
            self._start = _seconds(ts)
        self._last_ts = ts
        self._window.append(ok)
        key = data.get("specimen_id")
        began = self._in_flight.pop(key if key is not None else data.get("sequence"), None)
        timings = data.get("timings")
        total_ms = timings.get("total_ms") if type(timings) is dict else None
        pending = self._latency_buffer
        if type(total_ms) is float or type(total_ms) is int:
            pending.append(float(total_ms))
        elif began is not None:
            if began[:20] == ts[:20] and len(ts) == 27 and len(began) == 27:
                try:
                    pending.append((int(ts[20:26]) - int(began[20:26])) / 1000.0)
                except ValueError:
                    pending.append((_seconds(ts) - _seconds(began)) * 1000.0)
            else:
                pending.append((_seconds(ts) - _seconds(began)) * 1000.0)
        if len(pending) >= _FOLD_EVERY:
            self._latency._fold()
        result = data.get("result")
        if type(result) is not dict:
            result = result if isinstance(result, dict) else {}
        if ok:
            self.succeeded += 1
            dwc = result.get("dwc")
            if dwc and isinstance(dwc, dict):
                if all(dwc.values()):
                    # runs of records with the same terms are counted as one number
                    keys = tuple(dwc)
                    if keys == self._run_keys:
                        self._run_length += 1
                    else:
                        self._end_key_run()
                        self._run_keys = keys
                        self._run_length = 1
                else:
                    coverage = self._coverage
                    for term, value in dwc.items():
                        # truthy values are never empty; falsy ones such as 0 still count
                        if value or value not in _EMPTY:
                            coverage[term] += 1
        else:
            self.failed += 1
            self.reasons[str(data.get("reason") or result.get("reason") or "unknown")] += 1
        usage = data.get("usage") or result.get("usage")
        if usage and isinstance(usage, dict):
            for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
                value = usage.get(name)
                if isinstance(value, int):
                    self.tokens[name] += value
            cost = usage.get("cost_usd")
            if isinstance(cost, int | float):
                self.cost_usd += float(cost)

    #: The outcome handler tells success from failure by the event type.
    on_completed = on_outcome
    on_failed = on_outcome

    def on_specimen(self, event: Event) -> None:
        """Route any ``specimen.*`` event to its handler (for callers feeding events by hand)."""
        if event.event_type == "specimen.processing":
            self.on_processing(event)
        elif event.event_type in ("specimen.completed", "specimen.failed"):
            self.on_outcome(event)
        elif event.event_type == "specimen.skipped":
            self.on_skipped(event)

    @property
    def latency(self) -> LatencyHistogram:
        """Latency histogram (milliseconds) of the specimens processed so far."""
        return self._latency

    def _end_key_run(self) -> None:
        if self._run_length:
            key_sets = self._key_sets
            key_sets[self._run_keys] += self._run_length
            self._run_length = 0
            if len(key_sets) > 256:
                self._fold_key_sets()

    def _fold_key_sets(self) -> None:
        self._end_key_run()
        coverage = self._coverage
        for keys, count in self._key_sets.items():
            for term in keys:
                coverage[term] += count
        self._key_sets.clear()

    def on_end(self, event: Event) -> None:
        """Record how the run ended."""
        et = event.event_type
        if et == "extraction.completed":
            self.status = "completed"
        elif et == "extraction.failed":
            self.status = "failed"
        elif et == "extraction.interrupted":
            self.status = "interrupted"

    def _folded_coverage(self) -> Counter[str]:
        self._fold_key_sets()
        return self._coverage

    def snapshot(self) -> MetricsSnapshot:
        """The current numbers (cheap: call it as often as a panel refreshes)."""
        processed = self.processed
        last = _seconds(self._last_ts) if self._last_ts else None
        elapsed = (last - self._start) if (self._start is not None and last) else 0.0
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
            field_coverage={
                k: v / self.succeeded for k, v in sorted(self._folded_coverage().items())
            }
            if self.succeeded
            else {},
            tokens=dict(self.tokens),
            cost_usd=self.cost_usd,
            status=self.status,
        )


_EMPTY: tuple[Any, ...] = (None, "", [], {})
_COMPLETED = ExtractionEvent.SPECIMEN_COMPLETED.value

_fromisoformat = datetime.fromisoformat
_second_cache: dict[str, float] = {}


def _seconds(timestamp: str) -> float:
    """Epoch seconds of a log timestamp (0.0 when it cannot be read).

    herbx's own form (``2026-11-26T19:03:12.123456Z``) is read from a per-second cache plus
    the microseconds; anything else goes through ``datetime.fromisoformat``.
    """
    if len(timestamp) == 27 and timestamp[19] == "." and timestamp[26] == "Z":
        prefix = timestamp[:19]
        base = _second_cache.get(prefix)
        if base is None:
            try:
                base = _fromisoformat(prefix + "+00:00").timestamp()
            except ValueError:
                return 0.0
            if len(_second_cache) > 4096:
                _second_cache.clear()
            _second_cache[prefix] = base
        micros = timestamp[20:26]
        if micros.isdigit():
            return base + int(micros) / 1_000_000
    try:
        return _fromisoformat(timestamp).timestamp()
    except (ValueError, TypeError):
        pass
    try:
        return parse_timestamp(timestamp).timestamp()
    except (ValueError, AttributeError, TypeError):
        return 0.0
