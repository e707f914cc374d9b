"""The extraction loop through its library API, with the real simulate engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from extraction_helpers import jpeg_bytes, make_jpeg
from PIL import Image

from herbx.events import Event, HybridEventBus, read_events
from herbx.extraction import (
    ExtractionRun,
    NoImagesError,
    SettingsChangedError,
    run_extraction,
)

RAW_KEYS = {
    "v", "run_id", "specimen_id", "sequence", "image", "image_path", "sha256", "status",
    "reason", "message", "engine", "model", "settings_hash", "dwc", "flags", "confidence",
    "raw_text", "timings", "usage", "timestamp",
}  # fmt: skip


def sim(**engine: Any) -> dict[str, Any]:
    """Overrides selecting the simulate engine with these settings."""
    workers = engine.pop("workers", 1)
    cfg: dict[str, Any] = {"run": {"engine": "simulate", "workers": workers}}
    if engine.pop("never_stop", False):  # a mediocre run that must be seen to the end
        cfg["validation"] = {
            "early_checkpoint": 0,
            "alpha": 1e-9,
            "cusum_threshold": 1000.0,
            "max_consecutive_failures": 0,
        }
    return {**cfg, "engines": {"simulate": engine}}


def raw_lines(run_dir: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (run_dir / "raw.jsonl").read_bytes().splitlines()]


def types(run_dir: Path) -> list[str]:
    return [e.event_type for e in read_events(run_dir / "events.jsonl")]


def assert_accounted(counts: dict[str, int]) -> None:
    parts = counts["succeeded"] + counts["failed"] + counts["skipped"] + counts["not_reached"]
    assert parts == counts["total"]


def test_healthy_run_records_every_image(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(12)
    result = run_extraction(images, tmp_path / "run", overrides=sim(success_rate=0.9))
    assert result.status == "completed"
    assert_accounted(result.counts)
    assert result.counts["not_reached"] == 0 and result.counts["skipped"] == 0
    lines = raw_lines(result.run_dir)
    assert len(lines) == 12
    assert all(set(line) == RAW_KEYS for line in lines)
    assert sorted(line["sequence"] for line in lines) == list(range(1, 13))
    assert sum(line["status"] == "succeeded" for line in lines) == result.counts["succeeded"]
    events = read_events(result.events_path)
    start = events[0]
    assert start.event_type == "extraction.started"
    assert start.data["total_specimens"] == 12 and start.data["model"] == "simulate"
    end = events[-1].data
    assert events[-1].event_type == "extraction.completed"
    assert end["total"] == 12 and end["successful"] == result.counts["succeeded"]
    last_specimen = [
        e for e in events if e.event_type.startswith("specimen.") and "metrics" in e.data
    ][-1]
    assert last_specimen.data["metrics"]["total_processed"] == 12
    manifest = orjson.loads((result.run_dir / "run.json").read_bytes())
    assert manifest["status"] == "completed" and manifest["counts"] == result.counts
    assert manifest["settings_hash"] == lines[0]["settings_hash"]


def test_duplicates_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    make_jpeg(folder / "a.jpg", 1)
    make_jpeg(folder / "b.jpg", 2)
    shutil.copy(folder / "a.jpg", folder / "c.jpg")
    shutil.copy(folder / "a.jpg", folder / "d.jpg")
    result = run_extraction(folder, tmp_path / "run", overrides=sim(success_rate=1.0))
    assert result.counts == {
        "total": 4,
        "succeeded": 2,
        "failed": 0,
        "skipped": 2,
        "not_reached": 0,
    }
    skipped = [
        e.data for e in read_events(result.events_path) if e.event_type == "specimen.skipped"
    ]
    assert [(s["image"], s["reason"], s["duplicate_of"]) for s in skipped] == [
        ("c.jpg", "duplicate", "a.jpg"),
        ("d.jpg", "duplicate", "a.jpg"),
    ]


def test_resume_skips_done_and_retries_failed_on_request(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(20)
    out = tmp_path / "run"
    first = run_extraction(images, out, overrides=sim(success_rate=0.7, seed=3, never_stop=True))
    assert first.status == "completed" and first.counts["failed"] > 0
    before = (out / "raw.jsonl").read_bytes()

    again = run_extraction(images, out, overrides=sim(success_rate=0.7, seed=3, never_stop=True))
    assert again.counts["skipped"] == 20 and again.counts["succeeded"] == 0
    assert (out / "raw.jsonl").read_bytes() == before
    reasons = {
        e.data["reason"]
        for e in read_events(out / "events.jsonl")
        if e.event_type == "specimen.skipped"
    }
    assert reasons == {"already_succeeded", "previously_failed"}

    retried = run_extraction(
        images, out, overrides=sim(success_rate=0.7, seed=3, never_stop=True), retry_failed=True
    )
    assert retried.counts["skipped"] == first.counts["succeeded"]
    assert retried.counts["succeeded"] + retried.counts["failed"] == first.counts["failed"]
    assert (out / "raw.jsonl").read_bytes().startswith(before)
    assert retried.run_id == first.run_id
    manifest = orjson.loads((out / "run.json").read_bytes())
    assert manifest["resumed"] is True and len(manifest["previous_sessions"]) == 2
    assert types(out).count("extraction.started") == 3


def test_changed_settings_refused_unless_asked(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(3)
    out = tmp_path / "run"
    run_extraction(images, out, overrides=sim(seed=1))
    with pytest.raises(SettingsChangedError, match="--new-settings"):
        ExtractionRun(images, out, overrides=sim(seed=2))
    result = run_extraction(images, out, overrides=sim(seed=2, success_rate=1.0), new_settings=True)
    assert result.counts["succeeded"] == 3
    assert len({line["settings_hash"] for line in raw_lines(out)}) == 2


def test_no_images_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(NoImagesError, match="no images"):
        ExtractionRun(tmp_path / "empty", tmp_path / "run", overrides=sim())


def test_threads_record_in_completion_order_with_sequence(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(16)
    result = run_extraction(
        images,
        tmp_path / "run",
        overrides=sim(workers=4, success_rate=1.0, latency_ms=20, latency_jitter_ms=15, seed=5),
    )
    assert result.counts["succeeded"] == 16
    seqs = [line["sequence"] for line in raw_lines(result.run_dir)]
    assert sorted(seqs) == list(range(1, 17))
    assert seqs != sorted(seqs)  # jitter reorders completions; each keeps its own number
    events = read_events(result.events_path)
    began: set[int] = set()
    for e in events:  # every outcome follows its own processing event
        if e.event_type == "specimen.processing":
            began.add(e.data["sequence"])
        elif e.event_type == "specimen.completed":
            assert e.data["sequence"] in began
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_validation_stop_cancels_queued_and_accounts_in_flight(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(40)
    result = run_extraction(
        images, tmp_path / "run", overrides=sim(workers=3, success_rate=0.0, latency_ms=10)
    )
    assert result.status == "stopped" and result.reason == "early_validation_failed"
    assert_accounted(result.counts)
    processed = result.counts["failed"]
    assert 5 <= processed <= 5 + 3  # the stop waited only for work already in flight
    assert result.counts["not_reached"] == 40 - processed
    t = types(result.run_dir)
    assert t.count("specimen.processing") == processed
    assert t.count("validation.checkpoint") == 1
    assert t[-1] == "extraction.failed"
    end = read_events(result.events_path)[-1].data
    assert end["status"] == "stopped" and end["not_reached"] == result.counts["not_reached"]
    assert end["processed"] == 5 and end["success_rate"] == 0.0  # the validator's numbers
    assert "stopped after" in result.stop_line() and "events.jsonl" in result.stop_line()


def test_systemic_error_stops_at_once(image_folder: Callable[[int], Path], tmp_path: Path) -> None:
    images = image_folder(30)
    result = run_extraction(
        images, tmp_path / "run", overrides=sim(success_rate=1.0, systemic_at=3)
    )
    assert result.status == "stopped" and result.reason == "systemic_engine_error"
    assert result.counts["succeeded"] == 2 and result.counts["failed"] == 1
    failed = [e.data for e in read_events(result.events_path) if e.event_type == "specimen.failed"]
    assert failed[0]["systemic"] is True and failed[0]["reason"] == "engine_systemic"
    assert "engine configuration" in result.stop_line()


def test_retries_become_events_from_the_driver(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(6)
    result = run_extraction(
        images,
        tmp_path / "run",
        overrides=sim(workers=2, success_rate=1.0, transient_rate=1.0, max_retries=3),
    )
    retries = [e.data for e in read_events(result.events_path) if e.event_type == "engine.retry"]
    assert retries and all(
        r["status_code"] == 429 and r["specimen_id"].startswith("s") for r in retries
    )


class Ticking:
    def __init__(self, bus: HybridEventBus) -> None:
        self.seen: list[str] = []
        self.ticks = 0
        bus.subscribe("*", lambda e: self.seen.append(e.event_type))

    def tick(self) -> None:
        self.ticks += 1


def test_consumers_hook_attaches_and_ticks(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    made: list[Ticking] = []

    def factory(bus: HybridEventBus) -> Ticking:
        made.append(Ticking(bus))
        return made[-1]

    run_extraction(
        image_folder(4),
        tmp_path / "run",
        overrides=sim(latency_ms=300, success_rate=1.0),
        consumers=[factory],
    )
    (consumer,) = made
    assert consumer.seen[0] == "extraction.started" and consumer.seen[-1] == "extraction.completed"
    assert consumer.ticks >= 2  # ticked while the engine was busy


def test_interrupt_is_recorded_and_resumable(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(10)
    out = tmp_path / "run"

    def interrupter(bus: HybridEventBus) -> None:
        def on_done(event: Event) -> None:
            if event.data["metrics"]["total_processed"] == 3:
                raise KeyboardInterrupt

        bus.subscribe("specimen.completed", on_done)

    result = run_extraction(images, out, overrides=sim(success_rate=1.0), consumers=[interrupter])
    assert result.status == "interrupted"
    assert_accounted(result.counts)
    assert result.counts["succeeded"] == 3 and result.counts["not_reached"] == 7
    assert types(out)[-1] == "extraction.interrupted"
    assert orjson.loads((out / "run.json").read_bytes())["status"] == "interrupted"
    resumed = run_extraction(images, out, overrides=sim(success_rate=1.0))
    assert resumed.counts["skipped"] == 3 and resumed.counts["succeeded"] == 7
    assert sorted(line["specimen_id"] for line in raw_lines(out)) == [
        f"s{i:03d}" for i in range(1, 11)
    ]


@pytest.mark.parametrize("workers", [1, 4])
def test_a_graceful_stop_finishes_and_records_what_is_in_flight(
    workers: int, image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(20)
    out = tmp_path / "run"
    holder: dict[str, ExtractionRun] = {}

    def stopper(bus: HybridEventBus) -> None:
        def on_done(event: Event) -> None:
            if event.data["metrics"]["total_processed"] == 3:
                holder["run"].request_stop()  # what the first Ctrl-C does

        bus.subscribe("specimen.completed", on_done)

    overrides = sim(success_rate=1.0, latency_ms=30, workers=workers)
    run = ExtractionRun(images, out, overrides=overrides, consumers=[stopper])
    holder["run"] = run
    result = run.run()
    assert result.status == "interrupted"
    assert_accounted(result.counts)
    events = read_events(out / "events.jsonl")
    started = {e.data["specimen_id"] for e in events if e.event_type == "specimen.processing"}
    recorded = {line["specimen_id"] for line in raw_lines(out)}
    # nothing handed to the engine was thrown away: every started specimen has its result
    assert recorded == started
    assert result.counts["succeeded"] == len(started) >= 3
    assert result.counts["not_reached"] == 20 - len(started) > 0
    if workers == 1:
        assert len(started) == 3  # one at a time: nothing else was in flight
    assert events[-1].event_type == "extraction.interrupted"
    assert events[-1].data["not_reached"] == result.counts["not_reached"]
    assert orjson.loads((out / "run.json").read_bytes())["status"] == "interrupted"
    resumed = run_extraction(
        images, out, overrides=sim(success_rate=1.0, latency_ms=30, workers=workers)
    )
    assert resumed.status == "completed"
    assert resumed.counts["skipped"] == len(started)


def test_a_stop_asked_after_the_last_specimen_still_completes(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    images = image_folder(4)
    holder: dict[str, ExtractionRun] = {}

    def stopper(bus: HybridEventBus) -> None:
        def on_done(event: Event) -> None:
            if event.data["metrics"]["total_processed"] == 4:
                holder["run"].request_stop()

        bus.subscribe("specimen.completed", on_done)

    run = ExtractionRun(
        images, tmp_path / "run", overrides=sim(success_rate=1.0), consumers=[stopper]
    )
    holder["run"] = run
    assert run.run().status == "completed"  # nothing was left to do


def test_bad_inputs_each_fail_and_the_run_completes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for i in range(1, 15):
        make_jpeg(folder / f"g{i:02d}.jpg", i)
    (folder / "g02b_zero.jpg").write_bytes(b"")
    (folder / "g04b_truncated.jpg").write_bytes(jpeg_bytes(3, (300, 300))[:400])
    (folder / "g06b_text.jpg").write_text("field notes, not a photo\n")
    Image.new("1", (12_000, 12_000)).save(folder / "g08b_bomb.png")
    (folder / "g10b_broken_link.jpg").symlink_to(folder / "nowhere.jpg")
    make_jpeg(folder / "g12b_vanishes.jpg", 99)
    with open(os.fsencode(str(folder)) + b"/g13b_caf\xe9.jpg", "wb") as fh:
        fh.write(jpeg_bytes(77))
    unreadable = make_jpeg(folder / "g14b_unreadable.jpg", 55)
    unreadable.chmod(0)

    def vanisher(bus: HybridEventBus) -> None:
        def on_processing(event: Event) -> None:
            if event.data["image"] == "g01.jpg":
                (folder / "g12b_vanishes.jpg").unlink()

        bus.subscribe("specimen.processing", on_processing)

    result = run_extraction(
        folder, tmp_path / "run", overrides=sim(success_rate=1.0), consumers=[vanisher]
    )
    assert result.status == "completed"
    assert_accounted(result.counts)
    failed = {
        e.data["image"]: (e.data["reason"], e.data["message"])
        for e in read_events(result.events_path)
        if e.event_type == "specimen.failed"
    }
    expected = {
        "g02b_zero.jpg": ("bad_image", "empty file"),
        "g04b_truncated.jpg": ("bad_image", "truncated"),
        "g06b_text.jpg": ("bad_image", "not a recognised image"),
        "g08b_bomb.png": ("bad_image", "decompression bomb"),
        "g10b_broken_link.jpg": ("image_missing", "vanished or is a broken link"),
        "g12b_vanishes.jpg": ("image_missing", "vanished"),
    }
    if os.geteuid() != 0:  # root reads any file, so the permission case needs a normal user
        expected["g14b_unreadable.jpg"] = ("bad_image", "permission denied")
    for image, (reason, needle) in expected.items():
        assert failed[image][0] == reason and needle in failed[image][1], image
    assert "g13b_caf\\xe9.jpg" not in failed  # an odd file name is no reason to fail
    names = {line["image"] for line in raw_lines(result.run_dir)}
    assert "g13b_caf\\xe9.jpg" in names


def test_a_consumer_may_stop_the_run_from_any_event(
    image_folder: Callable[[int], Path], tmp_path: Path
) -> None:
    from herbx.events import StopRun

    def budget(bus: HybridEventBus) -> None:
        def on_processing(event: Event) -> None:
            if event.data["sequence"] == 3:
                raise StopRun("budget of 3 specimens spent", reason="budget_exhausted")

        bus.subscribe("specimen.processing", on_processing)

    result = run_extraction(
        image_folder(8), tmp_path / "run", overrides=sim(success_rate=1.0), consumers=[budget]
    )
    assert result.status == "stopped" and result.reason == "budget_exhausted"
    assert result.counts["succeeded"] == 3 and result.counts["not_reached"] == 5
    assert types(result.run_dir)[-1] == "extraction.failed"
