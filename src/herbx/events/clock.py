"""Fast UTC timestamps in ISO 8601 with a ``Z`` suffix."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class UtcClock:
    """Formats ``time.time()`` as ``2026-11-26T19:03:12.123456Z``.

    The date-and-seconds prefix is cached for the current second, so a timestamp costs a
    division and one small format instead of a ``datetime`` round trip per event.
    """

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        """The current time as an ISO 8601 UTC string with microseconds."""
        # integer nanoseconds: no float rounding, and cheaper than time.time() arithmetic
        second, nanos = divmod(time.time_ns(), 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{nanos // 1000:06d}Z"


def parse_timestamp(value: str) -> datetime:
    """Parse a log timestamp (``...Z`` or with an offset) into an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
