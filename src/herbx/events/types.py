"""Event names and the event envelope."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

#: Version of the envelope written to ``events.jsonl``. Readers upgrade older versions.
ENVELOPE_VERSION = 1


class ExtractionEvent(StrEnum):
    """Every event type herbx knows. Values are the strings written to the log.

    The first eight are the original integration guide's; the rest are what a real runner
    needs. Unknown types found in a log are kept as plain strings.
    """

    STARTED = "extraction.started"
    SPECIMEN_PROCESSING = "specimen.processing"
    SPECIMEN_COMPLETED = "specimen.completed"
    SPECIMEN_FAILED = "specimen.failed"
    SPECIMEN_SKIPPED = "specimen.skipped"
    VALIDATION_CHECKPOINT = "validation.checkpoint"
    VALIDATION_WARNING = "validation.warning"
    EXTRACTION_COMPLETED = "extraction.completed"
    EXTRACTION_FAILED = "extraction.failed"
    EXTRACTION_INTERRUPTED = "extraction.interrupted"
    ENGINE_RETRY = "engine.retry"
    CONSUMER_ERROR = "consumer.error"
    CONSUMER_DROPPED = "consumer.dropped"

    # The guide's migration checklist spells the start event this way too.
    EXTRACTION_STARTED = "extraction.started"


#: Events after which the log is fsynced regardless of the interval policy.
DURABLE_EVENTS = frozenset(
    {
        ExtractionEvent.STARTED.value,
        ExtractionEvent.VALIDATION_CHECKPOINT.value,
        ExtractionEvent.EXTRACTION_COMPLETED.value,
        ExtractionEvent.EXTRACTION_FAILED.value,
        ExtractionEvent.EXTRACTION_INTERRUPTED.value,
    }
)

#: Events that end a run.
TERMINAL_EVENTS = frozenset(
    {
        ExtractionEvent.EXTRACTION_COMPLETED.value,
        ExtractionEvent.EXTRACTION_FAILED.value,
        ExtractionEvent.EXTRACTION_INTERRUPTED.value,
    }
)


class Event(NamedTuple):
    """One event as written to and read from ``events.jsonl``.

    ``event_type``, ``timestamp`` and ``data`` are the keys of the original guide; ``v``,
    ``seq`` and ``run_id`` make a log self-describing and gaps detectable; ``line`` is the
    line number when the event was read from a file. Immutable (a tuple underneath), which
    also makes it the cheapest object to build once per event on the hot path.
    """

    event_type: str
    data: dict[str, Any]
    timestamp: str
    seq: int
    run_id: str | None = None
    v: int = ENVELOPE_VERSION
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The envelope as written to the log (key order as on disk)."""
        return {
            "v": self.v,
            "seq": self.seq,
            "run_id": self.run_id,
            "event_type": self.event_type,
            "timestamp": self.timestamp,
            "data": self.data,
        }
