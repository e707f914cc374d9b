"""Built-in consumers of the event bus and the exceptions they raise."""

from herbx.events.consumers.metrics import LatencyHistogram, MetricsConsumer, MetricsSnapshot
from herbx.events.consumers.notify import NotificationConsumer, attach_notifications
from herbx.events.consumers.validation import SYSTEMIC_REASONS, ValidationConsumer
from herbx.events.errors import EarlyValidationError, StopRun, SystemicErrorStop

__all__ = [
    "SYSTEMIC_REASONS",
    "EarlyValidationError",
    "LatencyHistogram",
    "MetricsConsumer",
    "MetricsSnapshot",
    "NotificationConsumer",
    "StopRun",
    "SystemicErrorStop",
    "ValidationConsumer",
    "attach_notifications",
]
