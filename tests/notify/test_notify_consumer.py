"""NotificationConsumer against a real HTTP endpoint started on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from herbx.config import redact
from herbx.events import EarlyValidationError, HybridEventBus, ValidationConsumer, read_events
from herbx.events.consumers.notify import (
    NotificationConsumer,
    NotificationError,
    attach_notifications,
    mask_notify_url,
    notify_urls_from,
)


def _specimen(bus: HybridEventBus, n: int, ok: bool, **extra: Any) -> None:
    data: dict[str, Any] = {"specimen_id": f"S{n:03d}", "sequence": n}
    if ok:
        data["result"] = {"dwc": {"scientificName": "Carex nigra", "country": "Canada"}}
    else:
        data.update(reason=extra.pop("reason", "empty_record"), result={"dwc": {}})
    data.update(extra)
    bus.emit("specimen.completed" if ok else "specimen.failed", data)


def test_validation_stop_arrives_with_numbers_and_run_dir(tmp_path: Path, inbox: Any) -> None:
    box, port = inbox
    run_dir = tmp_path / "runs" / "r-stop"
    with HybridEventBus(run_dir / "events.jsonl") as bus:
        ValidationConsumer(bus)
        consumer = attach_notifications(bus, [f"json://127.0.0.1:{port}/hook"])
        assert consumer is not None
        bus.emit("extraction.started", {"run_id": "r-stop", "total_specimens": 40})
        with pytest.raises(EarlyValidationError):
            for n in range(1, 41):
                _specimen(bus, n, ok=False)
    posts = box.wait_for(1)
    assert box.paths == ["/hook"]
    assert len(posts) == 1
    note = posts[0]
    assert note["type"] == "failure"
    assert note["title"] == "herbx: run r-stop stopped"
    assert "Processed: 5 of 40" in note["message"]
    assert "Succeeded: 0, failed: 5 (success rate 0%)" in note["message"]
    assert f"Run directory: {run_dir}" in note["message"]
    assert "Reason: early_validation_failed" in note["message"]


def test_end_of_run_is_announced(tmp_path: Path, inbox: Any) -> None:
    box, port = inbox
    with HybridEventBus(tmp_path / "r1" / "events.jsonl") as bus:
        NotificationConsumer(bus, [f"json://127.0.0.1:{port}/end"])
        bus.emit("extraction.started", {"run_id": "r1", "total_specimens": 3})
        for n in (1, 2, 3):
            _specimen(bus, n, ok=n != 2)
        bus.emit(
            "extraction.completed",
            {
                "run_id": "r1",
                "total": 3,
                "total_processed": 3,
                "successful": 2,
                "failed": 1,
                "success_rate": 2 / 3,
                "duration_s": 75.0,
                "status": "completed",
            },
        )
    posts = box.wait_for(1)
    assert [p["type"] for p in posts] == ["success"]
    assert posts[0]["title"] == "herbx: run r1 completed"
    assert "Processed: 3 of 3" in posts[0]["message"]
    assert "Succeeded: 2, failed: 1 (success rate 67%)" in posts[0]["message"]
    assert "Duration: 1m15s" in posts[0]["message"]


def test_systemic_error_is_sent_once_per_run(tmp_path: Path, inbox: Any) -> None:
    box, port = inbox
    with HybridEventBus(tmp_path / "events.jsonl") as bus:
        consumer = NotificationConsumer(bus, [f"json://127.0.0.1:{port}/sys"], notify_on_end=False)
        bus.emit("extraction.started", {"run_id": "r2", "total_specimens": 9})
        for n in (1, 2):
            _specimen(
                bus,
                n,
                ok=False,
                reason="engine_systemic",
                systemic=True,
                message="401 Unauthorized: check the API key",
            )
        bus.emit("extraction.completed", {"total_processed": 2})
    posts = box.wait_for(1)
    assert len(posts) == 1 and len(consumer.sent) == 1
    assert posts[0]["title"] == "herbx: engine error in r2"
    assert "401 Unauthorized" in posts[0]["message"]
    assert "Specimen: S001 (#1)" in posts[0]["message"]


def test_warnings_are_rate_limited(tmp_path: Path, inbox: Any) -> None:
    box, port = inbox
    now = [1000.0]
    with HybridEventBus(tmp_path / "events.jsonl") as bus:
        NotificationConsumer(
            bus, [f"json://127.0.0.1:{port}/warn"], warning_interval_s=300, clock=lambda: now[0]
        )
        bus.emit("extraction.started", {"run_id": "r3", "total_specimens": 500})
        warning = {
            "success_rate": 0.55,
            "overall_success_rate": 0.8,
            "window": 50,
            "threshold": 0.7,
            "processed": 100,
        }
        bus.emit("validation.warning", warning)
        bus.flush()
        now[0] += 60
        bus.emit("validation.warning", {**warning, "processed": 150})
        bus.emit("validation.warning", {**warning, "processed": 200})
        bus.flush()
        now[0] += 300
        bus.emit("validation.warning", {**warning, "processed": 250})
    posts = box.wait_for(2)
    assert len(posts) == 2
    assert all(p["type"] == "warning" for p in posts)
    assert (
        "Rolling success rate: 55% over the last 50 specimens (threshold 70%)"
        in posts[0]["message"]
    )
    assert "held back" not in posts[0]["message"]
    assert "Overall: 80% after 250 specimens" in posts[1]["message"]
    assert "(2 earlier warning(s) held back by the rate limit)" in posts[1]["message"]


def test_slow_service_does_not_slow_emit(tmp_path: Path, inbox: Any) -> None:
    box, port = inbox
    box.delay = 1.0
    bus = HybridEventBus(tmp_path / "events.jsonl")
    NotificationConsumer(bus, [f"json://127.0.0.1:{port}/slow"])
    bus.emit("extraction.started", {"run_id": "r4", "total_specimens": 1})
    bus.emit("extraction.completed", {"total_processed": 1, "successful": 1, "failed": 0})
    # emit() returned while the server is still sleeping on the request
    assert box.posts == []
    bus.close()  # drains the queue: the notification is delivered before close returns
    assert len(box.posts) == 1


def test_service_down_becomes_consumer_error_and_run_goes_on(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"json://user:s3cr3t-token@127.0.0.1:{closed_port}/hook?token=abc123"
    log = tmp_path / "events.jsonl"
    with HybridEventBus(log) as bus:
        NotificationConsumer(bus, [url])
        bus.emit("extraction.started", {"run_id": "r5", "total_specimens": 2})
        _specimen(bus, 1, ok=True)
        _specimen(bus, 2, ok=True)
        bus.emit("extraction.completed", {"total_processed": 2, "successful": 2, "failed": 0})
    events = read_events(log)
    types = [e.event_type for e in events]
    assert types[:5] == [
        "extraction.started",
        "specimen.completed",
        "specimen.completed",
        "extraction.completed",
        "consumer.error",
    ]
    error = events[-1].data
    assert error["consumer"] == "NotificationConsumer"
    assert error["event_type"] == "extraction.completed"
    assert error["error_type"] == "NotificationError"
    assert f"json://***@127.0.0.1:{closed_port}/***" in error["message"]
    text = log.read_text()
    assert "s3cr3t-token" not in text and "abc123" not in text


def test_unknown_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    with (
        HybridEventBus(tmp_path / "events.jsonl") as bus,
        pytest.raises(NotificationError) as info,
    ):
        attach_notifications(bus, ["nosuchservice://tok3n-value/x"])
    assert "nosuchservice://***" in str(info.value)
    assert "tok3n" not in str(info.value)


def test_no_urls_attaches_nothing(tmp_path: Path) -> None:
    with HybridEventBus(tmp_path / "events.jsonl") as bus:
        assert attach_notifications(bus, []) is None
        assert bus.stats()["seq"] == 0


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("json://user:pw@127.0.0.1:8080/hook?token=abc", "json://***@127.0.0.1:8080/***"),
        ("json://127.0.0.1:8080", "json://127.0.0.1:8080"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "slack://***"),
        ("mailto://user:app-pass@gmail.com", "mailto://***@gmail.com"),
        ("ntfy://ntfy.example.org/secret-topic", "ntfy://ntfy.example.org/***"),
        ("discord://webhook_id/webhook_token", "discord://***"),
        ("not a url", "***"),
    ],
)
def test_mask_notify_url(url: str, masked: str) -> None:
    assert mask_notify_url(url) == masked


def test_url_sources_flags_then_env_then_config() -> None:
    cfg = {"notify": {"urls": ["ntfy://from-config"]}}
    env = {"HERBX_NOTIFY": "json://127.0.0.1:1/a, json://127.0.0.1:1/b json://127.0.0.1:1/a"}
    assert notify_urls_from(cfg, env, ["slack://x"]) == ["slack://x"]
    assert notify_urls_from(cfg, env) == ["json://127.0.0.1:1/a", "json://127.0.0.1:1/b"]
    assert notify_urls_from(cfg, {}) == ["ntfy://from-config"]
    assert notify_urls_from({}, {}) == []
    # the manifest's redaction hides configured URLs
    assert redact(cfg) == {"notify": {"urls": ["ntfy://***"]}}
