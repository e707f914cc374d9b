"""Bulk and faster forms of the summary's counters give exactly the one-by-one results.

- ``LatencyHistogram.add_many`` leaves the state of one ``add`` per value (same sums);
- ``CrossingDetector`` (integer cut-off) decides as the plain rolling-rate rule does, and
  its ``add_many`` as its ``add``;
- ``OutcomeTimeline.add_many`` builds the buckets ``add`` builds.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from herbx.analysis.timeline import CrossingDetector, OutcomeTimeline
from herbx.events.consumers.metrics import LatencyHistogram

_LATENCIES = st.lists(
    st.one_of(
        st.floats(0, 1e6),
        st.floats(-10, -0.001),
        st.just(math.nan),
        st.sampled_from([0.0, 1.0, 2524.56]),
    ),
    max_size=3000,
)


def _state(h: LatencyHistogram) -> tuple[Any, ...]:
    return (h.count, h.total, h.min, h.max, sorted(h._buckets.items()))


@settings(max_examples=150, deadline=None)
@given(_LATENCIES, _LATENCIES)
def test_add_many_equals_one_add_per_value(before: list[float], values: list[float]) -> None:
    one_by_one, batched = LatencyHistogram(), LatencyHistogram()
    for v in before:
        one_by_one.add(v)
        batched.add(v)
    for v in values:
        one_by_one.add(v)
    batched.add_many(values, LatencyHistogram.bucket_counts(values))
    later = [5.0, 7.5]  # adding goes on as usual afterwards
    for v in later:
        one_by_one.add(v)
        batched.add(v)
    assert _state(batched) == _state(one_by_one)
    assert batched.percentile(50) == one_by_one.percentile(50)


class _PlainCrossings:
    """The rule as written in the docs: the rolling rate over ``window`` against the threshold."""

    def __init__(self, threshold: float, window: int) -> None:
        self.threshold, self.window = threshold, window
        self.seen: deque[bool] = deque(maxlen=window)
        self.below: bool | None = None
        self.found: list[tuple[int, str, float]] = []

    def add(self, ok: bool, processed: int) -> None:
        self.seen.append(ok)
        if len(self.seen) < self.window:
            return
        rate = sum(self.seen) / self.window
        below = rate < self.threshold
        if (below and self.below is None) or (self.below is not None and below != self.below):
            self.found.append((processed, "below" if below else "above", rate))
        self.below = below


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.booleans(), max_size=300),
    st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.7000001, 0.85, 1.0, 1.5]),
    st.integers(1, 60),
    st.lists(st.integers(0, 300), max_size=2),
)
def test_crossings_match_the_plain_rolling_rate_rule(
    outcomes: list[bool], threshold: float, window: int, resets: list[int]
) -> None:
    fast = CrossingDetector(threshold, window, keep=10_000)
    plain = _PlainCrossings(threshold, window)
    for i, ok in enumerate(outcomes, start=1):
        if i in resets:
            fast.reset()
            plain.seen.clear()
            plain.below = None
        fast.add(ok, i)
        plain.add(ok, i)
    assert [(c.processed, c.direction, c.rolling_rate) for c in fast.crossings] == plain.found
    assert fast.count == len(plain.found)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.booleans(), max_size=120), max_size=4),
    st.sampled_from([0.0, 0.5, 0.7, 0.85, 1.0]),
    st.integers(1, 30),
)
def test_crossing_add_many_equals_add(
    blocks: list[list[bool]], threshold: float, window: int
) -> None:
    one, bulk = (
        CrossingDetector(threshold, window, keep=5),
        CrossingDetector(threshold, window, keep=5),
    )
    processed = 0
    for block in blocks:
        for ok in block:
            processed += 1
            one.add(ok, processed, f"S{processed}", processed, "t")
        found = bulk.add_many(bytes(block), processed - len(block) + 1)
        for kept, i in found:  # the caller fills in where, as the summary's replay does
            n = processed - len(block) + 1 + i
            c = bulk.crossings[kept]
            assert c.processed == n
            bulk.crossings[kept] = type(c)(
                c.processed, c.direction, c.rolling_rate, f"S{n}", n, "t"
            )
    assert bulk.crossings == one.crossings and bulk.count == one.count
    assert (bulk._sum, bulk._full, bulk._below, list(bulk._window)) == (
        one._sum,
        one._full,
        one._below,
        list(one._window),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.booleans(), max_size=200), max_size=5), st.integers(2, 9))
def test_timeline_add_many_equals_add(blocks: list[list[bool]], buckets: int) -> None:
    one, bulk = OutcomeTimeline(buckets), OutcomeTimeline(buckets)
    for block in blocks:
        for ok in block:
            one.add(ok)
        bulk.add_many(bytes(block))
    assert bulk.buckets() == one.buckets() and bulk.width == one.width


def test_timeline_keeps_every_outcome_through_merges() -> None:
    # the outcome that makes the buckets merge used to be counted in the discarded list
    tl = OutcomeTimeline(4)
    for i in range(1000):
        tl.add(i % 10 != 0)
    assert tl.total == 1000
    assert sum(ok for _, _, ok in tl.buckets()) == 900
