"""Exceptions of the event bus.

Control exceptions derive from :class:`StopRun`: a consumer raises one to stop the run, and
the bus lets it out of ``emit()`` to the caller (ordinary exceptions are isolated instead).
"""

from __future__ import annotations

from typing import Any


class StopRun(Exception):
    """Raised by a consumer to stop the run; propagates out of ``HybridEventBus.emit``.

    ``reason`` is machine-readable (``early_validation_failed``, ``sequential_test``, ...),
    ``details`` carries the numbers behind the decision.
    """

    def __init__(
        self, message: str, *, reason: str = "stopped", details: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.reason = reason
        self.details: dict[str, Any] = dict(details or {})


class EarlyValidationError(StopRun):
    """The validator decided this run is not worth continuing (any of its detectors)."""


class SystemicErrorStop(EarlyValidationError):
    """An engine reported an error no retry can fix (bad key, no credit, unknown model)."""


class BusClosedError(RuntimeError):
    """``emit()`` was called on a bus that has been closed."""
