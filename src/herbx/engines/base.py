"""The engine protocol: an image in, Darwin Core terms out.

An engine is any object with a ``name``, a ``settings()`` dict (what changes its output,
used to key resume) and ``extract(image) -> EngineResult``. It raises
:class:`TransientEngineError` for failures worth retrying and :class:`SystemicEngineError`
for failures no retry can fix (bad key, no credit, unknown model), which stop the run.

Example::

    class MyEngine:
        name = "mine"
        def settings(self) -> dict: return {"version": 1}
        def extract(self, image: SpecimenImage) -> EngineResult:
            return EngineResult(terms={"scientificName": "Carex nigra (L.) Reichard"})
        def close(self) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image


class EngineError(Exception):
    """An engine could not extract this specimen. ``reason`` is machine-readable."""

    reason = "engine_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class TransientEngineError(EngineError):
    """Worth retrying (rate limit, 5xx, timeout, reset). ``retry_after`` in seconds if known."""

    reason = "engine_transient"

    def __init__(
        self, message: str, *, reason: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


class SystemicEngineError(EngineError):
    """No retry and no other specimen can succeed: stop the run and tell the user what to fix."""

    reason = "engine_systemic"


@dataclass(frozen=True)
class Usage:
    """What one extraction cost."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for logs."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost_usd": self.cost_usd,
        }


@dataclass
class EngineResult:
    """What an engine found on one image.

    ``terms`` maps Darwin Core term names to raw (not yet normalized) string values.
    ``confidence`` holds optional per-term confidences in 0..1; ``raw_text`` what the engine
    read or answered, so a user can see why a term was filled.
    """

    terms: dict[str, str]
    confidence: dict[str, float] = field(default_factory=dict)
    raw_text: str | None = None
    usage: Usage | None = None
    model: str | None = None
    retries: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SpecimenImage:
    """An image handed to an engine: its path and its pixels with EXIF orientation applied.

    ``sequence`` is the specimen's 1-based position in the run (the simulator's failure
    schedule uses it). ``on_retry``, when set, is called with a dict (``attempt``,
    ``max_attempts``, ``delay_s``, ``error``, ``status_code``) before each retry; the runner
    turns these into ``engine.retry`` events. It may be called from a worker thread.
    """

    path: Path
    pixels: Image.Image
    sha256: str | None = None
    specimen_id: str | None = None
    sequence: int | None = None
    on_retry: Callable[[dict[str, Any]], None] | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) after orientation."""
        return self.pixels.size


@runtime_checkable
class Engine(Protocol):
    """What the runner needs from an engine."""

    name: str

    def settings(self) -> dict[str, Any]:
        """Everything that changes the output (model, prompt hash, thresholds...)."""
        ...

    def extract(self, image: SpecimenImage) -> EngineResult:
        """Extract Darwin Core terms from one image."""
        ...

    def close(self) -> None:
        """Release resources (sessions, HTTP clients)."""
        ...
