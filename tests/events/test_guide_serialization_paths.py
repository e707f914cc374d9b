"""The fast paths added for emit() speed give the same results as the general ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from herbx.events import HybridEventBus, MetricsConsumer
from herbx.events.clock import UtcClock, parse_timestamp
from herbx.events.consumers.metrics import _seconds
from herbx.events.log import read_events
from herbx.events.writer import dumps_event

FULL = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE


@pytest.mark.parametrize(
    "data",
    [
        {"plain": "text", "n": 3, "x": 0.5},
        {"counts": {1: "a", 2: "b"}},  # non-string keys
        {"array": np.arange(3), "scalar": np.int64(7), "f": np.float32(0.25)},
    ],
)
def test_dumps_event_matches_the_full_options(data: dict[str, object]) -> None:
    env = {"v": 1, "seq": 1, "run_id": "r", "event_type": "x", "timestamp": "t", "data": data}
    assert dumps_event(env) == orjson.dumps(env, option=FULL)


def test_numpy_and_int_keys_reach_the_log(tmp_path: Path) -> None:
    with HybridEventBus(event_log_path=tmp_path / "events.jsonl") as bus:
        bus.emit("custom.numbers", {"hist": {5: np.int64(2)}, "v": np.array([1.5])})
    (event,) = read_events(tmp_path / "events.jsonl")
    assert event.data == {"hist": {"5": 2}, "v": [1.5]}


def test_unserializable_still_names_the_key() -> None:
    env = {"v": 1, "seq": 1, "event_type": "x", "data": {"a": {"b": object()}}}
    with pytest.raises(TypeError, match=r"data\.a\.b"):
        dumps_event(env)


def test_clock_format_and_metrics_time_parsing_agree() -> None:
    ts = UtcClock().now()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ts)
    assert _seconds(ts) == parse_timestamp(ts).timestamp()
    assert (
        _seconds("2026-11-26T19:03:12.5+01:00")
        == parse_timestamp("2026-11-26T19:03:12.5+01:00").timestamp()
    )
    assert _seconds("not a time") == 0.0


def test_latency_from_processing_text_timestamps() -> None:
    with HybridEventBus() as bus:
        metrics = MetricsConsumer(bus)
        bus.emit("extraction.started", {"run_id": "r", "total_specimens": 2})
        bus.emit("specimen.processing", {"specimen_id": "a", "sequence": 1})
        bus.emit("specimen.completed", {"specimen_id": "a", "sequence": 1, "result": {"dwc": {}}})
    snap = metrics.snapshot()
    assert snap.processed == 1 and snap.latency_ms["p50"] is not None
    assert 0.0 <= snap.latency_ms["max"] < 1000.0
