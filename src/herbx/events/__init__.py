"""The event bus and its consumers.

Everything the original integration guide imports is here under the same names::

    from herbx.events import HybridEventBus, ExtractionEvent, ValidationConsumer, MetricsConsumer
    from herbx.events.consumers import EarlyValidationError
"""

from herbx.events.bus import EventBus, HybridEventBus, Subscription
from herbx.events.consumers import (
    EarlyValidationError,
    MetricsConsumer,
    MetricsSnapshot,
    StopRun,
    SystemicErrorStop,
    ValidationConsumer,
)
from herbx.events.errors import BusClosedError
from herbx.events.log import EventLog, LogError, read_events
from herbx.events.sequential import DetectorSettings, RunMonitor
from herbx.events.types import Event, ExtractionEvent

__all__ = [
    "BusClosedError",
    "DetectorSettings",
    "EarlyValidationError",
    "Event",
    "EventBus",
    "EventLog",
    "ExtractionEvent",
    "HybridEventBus",
    "LogError",
    "MetricsConsumer",
    "MetricsSnapshot",
    "RunMonitor",
    "StopRun",
    "Subscription",
    "SystemicErrorStop",
    "ValidationConsumer",
    "read_events",
]
