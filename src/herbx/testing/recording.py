"""Record the events a block of code emits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from herbx.events.bus import HybridEventBus
from herbx.events.types import Event


class RecordingConsumer:
    """Subscribes to ``pattern`` (default: everything) and keeps each event in :attr:`events`."""

    def __init__(self, event_bus: HybridEventBus, pattern: str = "*") -> None:
        self.events: list[Event] = []
        self.subscription = event_bus.subscribe(
            pattern, self.events.append, name="RecordingConsumer"
        )

    def types(self) -> list[str]:
        """The event types seen, in order."""
        return [e.event_type for e in self.events]

    def of_type(self, event_type: str) -> list[Event]:
        """The events of one type, in order."""
        return [e for e in self.events if e.event_type == str(event_type)]

    def data(self, event_type: str) -> list[dict[str, Any]]:
        """The payloads of one type, in order."""
        return [e.data for e in self.of_type(event_type)]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.events.clear()


@contextmanager
def capture_events(
    event_log_path: str | os.PathLike[str] | None = None, **bus_options: Any
) -> Iterator[tuple[HybridEventBus, RecordingConsumer]]:
    """A fresh bus (in memory unless a log path is given) with a recorder subscribed first.

    The bus is closed when the block ends, also when it raises.
    """
    with HybridEventBus(event_log_path, **bus_options) as bus:
        yield bus, RecordingConsumer(bus)
