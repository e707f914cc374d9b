"""The simulate engine: seeded, order-independent outcomes, schedules and plausible records."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from herbx.config import ConfigError, load_config
from herbx.engines.base import (
    EngineError,
    EngineResult,
    SpecimenImage,
    SystemicEngineError,
    TransientEngineError,
)
from herbx.engines.simulate import SimulatedEngine

PIXELS = Image.new("RGB", (8, 8))
DATE_FORMS = [
    r"\d{1,2} [A-Z][a-z]+ \d{4}",  # 12 July 1987
    r"\d{4}-\d{2}-\d{2}",  # 1987-07-12
    r"[IVX]+\.\d{1,2}\.\d{4}",  # VII.12.1987
    r"\d{1,2}\.[IVX]+\.\d{4}",  # 12.VII.1987
    r"[A-Z][a-z]+\.? \d{1,2},? \d{4}",  # Aug. 14, 1963 / Sept. 18 1984
]


def image(seq: int, retries: list[dict[str, Any]] | None = None) -> SpecimenImage:
    return SpecimenImage(
        path=Path(f"sheets/IMG_{seq:05d}.jpg"),
        pixels=PIXELS,
        sha256=f"{seq:064x}",
        specimen_id=f"IMG_{seq:05d}",
        sequence=seq,
        on_retry=retries.append if retries is not None else None,
    )


def outcome(engine: SimulatedEngine, img: SpecimenImage) -> tuple[str, Any]:
    try:
        result = engine.extract(img)
    except EngineError as exc:
        return type(exc).__name__, exc.reason
    return "result", (result.terms, result.extra["simulated_outcome"])


def test_outcomes_do_not_depend_on_order_or_workers() -> None:
    engine = SimulatedEngine(success_rate=0.7, seed=11, transient_rate=0.1)
    images = [image(i) for i in range(1, 201)]
    serial = [outcome(engine, img) for img in images]
    backwards = [outcome(engine, img) for img in reversed(images)][::-1]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda img: outcome(engine, img), images))
    assert serial == backwards == threaded
    other_seed = [outcome(SimulatedEngine(success_rate=0.7, seed=12), img) for img in images]
    assert other_seed != serial


def test_success_rate_is_honoured() -> None:
    engine = SimulatedEngine(success_rate=0.92, seed=3)
    outcomes = [outcome(engine, image(i)) for i in range(1, 2001)]
    ok = sum(kind == "result" and detail[1] == "ok" for kind, detail in outcomes)
    assert 0.89 <= ok / 2000 <= 0.95


def test_break_at_changes_the_rate_from_that_sequence() -> None:
    engine = SimulatedEngine(success_rate=1.0, seed=5, break_at=300, broken_success_rate=0.0)
    before = [outcome(engine, image(i)) for i in range(1, 300)]
    after = [outcome(engine, image(i)) for i in range(300, 400)]
    assert all(kind == "result" and detail[1] == "ok" for kind, detail in before)
    assert not any(kind == "result" and detail[1] == "ok" for kind, detail in after)


def test_systemic_at_raises_from_that_sequence() -> None:
    engine = SimulatedEngine(success_rate=1.0, systemic_at=10)
    assert isinstance(engine.extract(image(9)), EngineResult)
    with pytest.raises(SystemicEngineError, match="specimen 10"):
        engine.extract(image(10))
    with pytest.raises(SystemicEngineError):
        engine.extract(image(11))


@pytest.mark.parametrize(
    ("reason", "expect"),
    [
        ("empty_record", "empty"),
        ("placeholder", "placeholder"),
        ("partial_record", "partial"),
        ("engine_error", EngineError),
        ("timeout", TransientEngineError),
    ],
)
def test_each_failure_reason(reason: str, expect: Any) -> None:
    engine = SimulatedEngine(success_rate=0.0, fail_reasons=(reason,))
    if isinstance(expect, type):
        with pytest.raises(expect) as info:
            engine.extract(image(1))
        assert info.value.reason == ("timeout" if reason == "timeout" else "engine_error")
        return
    result = engine.extract(image(1))
    assert result.extra["simulated_outcome"] == reason
    if expect == "empty":
        assert result.terms == {}
    elif expect == "placeholder":
        assert result.terms["catalogNumber"] == "000000"
    else:
        assert "scientificName" not in result.terms and result.terms


def test_transient_errors_are_reported_as_retries() -> None:
    engine = SimulatedEngine(success_rate=1.0, transient_rate=1.0, max_retries=2, seed=1)
    recovered, gave_up = 0, 0
    for i in range(1, 61):
        calls: list[dict[str, Any]] = []
        try:
            result = engine.extract(image(i, calls))
        except TransientEngineError:
            gave_up += 1
            assert [c["attempt"] for c in calls] == [1, 2]
        else:
            recovered += 1
            assert result.retries == len(calls) >= 1
        assert all(c["status_code"] == 429 and c["max_attempts"] == 3 for c in calls)
    assert recovered and gave_up


def test_records_are_plausible() -> None:
    engine = SimulatedEngine(success_rate=1.0, seed=2)
    seen_forms: set[int] = set()
    for i in range(1, 301):
        result = engine.extract(image(i))
        t = result.terms
        genus, epithet, *author = t["scientificName"].split(" ")
        assert genus[0].isupper() and epithet.islower() and author
        assert t["scientificNameAuthorship"] == " ".join(author)
        assert re.fullmatch(r"[A-Z]+ \d{6}", t["catalogNumber"])
        assert t["catalogNumber"] != "000000" and t["recordedBy"] and t["locality"]
        assert t["recordNumber"].isdigit()
        forms = [n for n, f in enumerate(DATE_FORMS) if re.fullmatch(f, t["eventDate"])]
        assert forms, t["eventDate"]
        seen_forms.update(forms)
        assert set(result.confidence) == set(t)
        assert t["scientificName"] in (result.raw_text or "")
    assert seen_forms == set(range(len(DATE_FORMS)))


def test_latency_is_slept_for_real() -> None:
    engine = SimulatedEngine(latency_ms=40.0)
    started = time.perf_counter()
    engine.extract(image(1))
    assert time.perf_counter() - started >= 0.04


def test_from_shipped_config_and_settings_round_trip() -> None:
    section = load_config(env={})["engines"]["simulate"]
    engine = SimulatedEngine.from_settings(section)
    assert engine.break_at is None and engine.systemic_at is None  # 0 in TOML means off
    again = SimulatedEngine.from_settings(engine.settings())
    assert again.settings() == engine.settings()
    assert outcome(again, image(7)) == outcome(engine, image(7))


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'sucess_rate'"):
        SimulatedEngine.from_settings({"sucess_rate": 0.5})
    with pytest.raises(ConfigError, match=re.escape("engines.simulate.success_rate")):
        SimulatedEngine.from_settings({"success_rate": 1.5})
    with pytest.raises(ConfigError, match="unknown reason 'boom'"):
        SimulatedEngine.from_settings({"fail_reasons": ["boom"]})
