"""MetricsConsumer: rates, latency, ETA, reasons, coverage, usage; bounded memory."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herbx.events import ExtractionEvent, HybridEventBus, MetricsConsumer
from herbx.events.consumers import LatencyHistogram


def run(bus: HybridEventBus, outcomes: list[bool], **extra: object) -> None:
    bus.emit(ExtractionEvent.STARTED, {"run_id": "m", "total_specimens": 10})
    for i, ok in enumerate(outcomes):
        sid = f"s{i}"
        bus.emit(ExtractionEvent.SPECIMEN_PROCESSING, {"specimen_id": sid, "sequence": i + 1})
        data: dict[str, object] = {
            "specimen_id": sid,
            "sequence": i + 1,
            "timings": {"total_ms": 100.0 * (i + 1)},
            "result": {"dwc": {"scientificName": "Carex nigra", "country": "" if i else "Canada"}}
            if ok
            else {"dwc": {}},
            **extra,
        }
        if not ok:
            data["reason"] = "empty_record" if i % 2 else "bad_image"
        bus.emit(
            ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED, data
        )


def test_snapshot_numbers() -> None:
    with HybridEventBus() as bus:
        metrics = MetricsConsumer(bus, rolling_window=3)
        run(
            bus,
            [True, True, False, True, False, False],
            usage={
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "total_tokens": 15,
                "cost_usd": 0.01,
            },
        )
        bus.emit(
            ExtractionEvent.SPECIMEN_SKIPPED, {"specimen_id": "z", "reason": "already_succeeded"}
        )
        snap = metrics.snapshot()
    assert (snap.processed, snap.succeeded, snap.failed, snap.skipped) == (6, 3, 3, 1)
    assert snap.success_rate == pytest.approx(0.5)
    assert snap.rolling_success_rate == pytest.approx(1 / 3)
    assert snap.total_specimens == 10
    assert snap.failure_reasons == {"bad_image": 2, "empty_record": 1}
    assert snap.field_coverage == {"country": pytest.approx(1 / 3), "scientificName": 1.0}
    assert snap.tokens == {"prompt_tokens": 60, "completion_tokens": 30, "total_tokens": 90}
    assert snap.cost_usd == pytest.approx(0.06)
    assert snap.latency_ms["p50"] == pytest.approx(300, rel=0.05)
    assert snap.latency_ms["max"] == 600
    assert snap.eta_seconds is not None and snap.eta_seconds >= 0
    assert snap.to_dict()["processed"] == 6


def test_latency_from_processing_to_outcome_when_no_timings() -> None:
    with HybridEventBus() as bus:
        metrics = MetricsConsumer(bus)
        bus.emit(ExtractionEvent.SPECIMEN_PROCESSING, {"specimen_id": "a", "sequence": 1})
        bus.emit(ExtractionEvent.SPECIMEN_FAILED, {"specimen_id": "a", "sequence": 1})
        snap = metrics.snapshot()
    assert snap.latency_ms["p50"] is not None and snap.latency_ms["p50"] >= 0
    assert snap.failure_reasons == {"unknown": 1}


def test_status_and_reset_on_new_run() -> None:
    with HybridEventBus() as bus:
        metrics = MetricsConsumer(bus)
        run(bus, [False] * 3)
        bus.emit(ExtractionEvent.EXTRACTION_FAILED, {"reason": "x"})
        assert metrics.snapshot().status == "failed"
        run(bus, [True])
        snap = metrics.snapshot()
    assert (snap.processed, snap.status) == (1, "running")


def test_histogram_percentiles_and_bounded_memory() -> None:
    h = LatencyHistogram()
    for v in range(1, 100_001):
        h.add(float(v % 1000))
    assert h.count == 100_000
    assert h.percentile(50) == pytest.approx(500, rel=0.05)
    assert h.percentile(99) == pytest.approx(990, rel=0.05)
    assert len(h._buckets) < 200  # memory independent of the number of samples
    assert LatencyHistogram().percentile(50) is None


def test_in_flight_map_is_bounded() -> None:
    with HybridEventBus() as bus:
        metrics = MetricsConsumer(bus)
        for i in range(20_000):
            bus.emit(ExtractionEvent.SPECIMEN_PROCESSING, {"specimen_id": i})
        assert len(metrics._in_flight) <= 10_000


_TERMS = st.sampled_from(["scientificName", "country", "locality", "eventDate"])
_VALUE = st.sampled_from(["Carex", "", None, 0, "x", [], {}])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.dictionaries(_TERMS, _VALUE, max_size=4)),
        max_size=60,
    ),
    st.lists(st.integers(0, 60), max_size=3),
)
def test_coverage_and_counts_match_a_plain_count(
    outcomes: list[tuple[bool, dict[str, object]]], reads: list[int]
) -> None:
    """Runs of records with the same terms are counted in bulk: the numbers do not change,
    whenever the snapshot is read."""
    bus = HybridEventBus()
    metrics = MetricsConsumer(bus)
    bus.emit(ExtractionEvent.STARTED, {"run_id": "r", "total_specimens": len(outcomes)})
    present: Counter[str] = Counter()
    succeeded = 0
    for i, (ok, dwc) in enumerate(outcomes):
        kind = ExtractionEvent.SPECIMEN_COMPLETED if ok else ExtractionEvent.SPECIMEN_FAILED
        bus.emit(kind, {"specimen_id": f"S{i}", "result": {"dwc": dwc}, "reason": "r"})
        if ok:
            succeeded += 1
            present.update(t for t, v in dwc.items() if v not in (None, "", [], {}))
        if i in reads:
            metrics.snapshot()
    snap = metrics.snapshot()
    assert snap.succeeded == succeeded and snap.processed == len(outcomes)
    assert snap.field_coverage == (
        {t: n / succeeded for t, n in sorted(present.items())} if succeeded else {}
    )
