"""One specimen's work, as a worker does it: load, extract, normalize, judge.

:func:`process_specimen` never raises for a bad image or an engine failure: every way a
specimen can go wrong becomes an :class:`Outcome` with a machine-readable ``reason``. It
runs in a worker (thread or process), so it touches no file but the image and emits no event.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from herbx.engines.base import (
    Engine,
    EngineError,
    SpecimenImage,
    SystemicEngineError,
    TransientEngineError,
)
from herbx.extraction.images import DEFAULT_MAX_PIXELS, ImageLoadError, load_image


@dataclass(slots=True)
class SpecimenTask:
    """What a worker needs to process one specimen (picklable)."""

    sequence: int
    path: str
    rel: str
    specimen_id: str
    sha256: str
    data: bytes | None = None
    """The image bytes when the driver already read them (threads); None makes the worker read."""
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(slots=True)
class Outcome:
    """How one specimen went (picklable)."""

    sequence: int
    ok: bool
    reason: str | None = None
    message: str | None = None
    systemic: bool = False
    dwc: dict[str, Any] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    raw_text: str | None = None
    model: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    retries: list[dict[str, Any]] = field(default_factory=list)
    """Retry reports collected in a worker process (threads report them live instead)."""


class Judge:
    """Normalizes raw terms and applies the configured success rule.

    Built from the ``[success]`` config section so it can be rebuilt in a worker process.
    """

    def __init__(self, success_config: Mapping[str, Any] | None = None) -> None:
        from herbx.dwc.normalize import normalize_terms
        from herbx.dwc.success import SuccessRule

        self._normalize = normalize_terms
        self._rule = SuccessRule.from_config(dict(success_config or {}))

    def __call__(
        self, terms: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], bool, str | None, str | None]:
        """``(dwc, flags, ok, reason, message)`` for an engine's raw terms."""
        record = self._normalize(dict(terms))
        normalized = dict(record.terms)
        flags = [f.to_dict() for f in record.flags]
        verdict = self._rule.evaluate(normalized)
        if verdict.ok:
            return normalized, flags, True, None, None
        return normalized, flags, False, verdict.reason, verdict.message


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000.0, 3)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def process_specimen(
    engine: Engine,
    task: SpecimenTask,
    judge: Callable[
        [Mapping[str, Any]],
        tuple[dict[str, Any], list[dict[str, Any]], bool, str | None, str | None],
    ],
    on_retry: Callable[[dict[str, Any]], None] | None = None,
) -> Outcome:
    """Load the image, run the engine, normalize and judge; failures become outcomes."""
    t0 = time.perf_counter()
    out = Outcome(sequence=task.sequence, ok=False)
    try:
        pixels = load_image(task.path, data=task.data, display=task.rel, max_pixels=task.max_pixels)
    except ImageLoadError as exc:
        t1 = time.perf_counter()
        out.reason, out.message = exc.reason, _one_line(str(exc))
        out.timings = {"load_ms": _ms(t0, t1), "engine_ms": 0.0, "total_ms": _ms(t0, t1)}
        return out
    t1 = time.perf_counter()
    image = SpecimenImage(
        path=Path(task.path),
        pixels=pixels,
        sha256=task.sha256,
        specimen_id=task.specimen_id,
        sequence=task.sequence,
        on_retry=on_retry,
    )
    t_engine = t1
    try:
        result = engine.extract(image)
        t_engine = time.perf_counter()
    except SystemicEngineError as exc:
        out.reason, out.message, out.systemic = exc.reason, _one_line(str(exc)), True
    except TransientEngineError as exc:
        out.reason, out.message = exc.reason, _one_line(str(exc))
    except EngineError as exc:
        out.reason, out.message = exc.reason, _one_line(str(exc))
    except Exception as exc:  # a bug in an engine must not stop the run
        out.reason = "engine_error"
        out.message = _one_line(f"{type(exc).__name__}: {exc}")
    else:
        out.model = result.model
        out.confidence = dict(result.confidence)
        out.raw_text = result.raw_text
        out.usage = result.usage.to_dict() if result.usage is not None else None
        try:
            out.dwc, out.flags, out.ok, out.reason, out.message = judge(result.terms)
        except Exception as exc:  # normalization must not take the run down either
            out.ok, out.reason = False, "engine_error"
            out.message = _one_line(f"could not normalize the record: {type(exc).__name__}: {exc}")
    finally:
        pixels.close()
    t2 = time.perf_counter()
    if t_engine == t1:  # the engine raised: its time runs to now
        t_engine = t2
    out.timings = {"load_ms": _ms(t0, t1), "engine_ms": _ms(t1, t_engine), "total_ms": _ms(t0, t2)}
    return out


# -- worker-process side ------------------------------------------------------------------

_WORKER: tuple[Engine, Judge] | None = None


def work_in_thread(
    engine: Engine,
    judge: Judge,
    retries: queue.SimpleQueue[tuple[str, dict[str, Any]]],
    task: SpecimenTask,
) -> Outcome:
    """Work function for the thread and inline executors: the engine is shared, and retries
    reach the driver through ``retries`` (the process twin is :func:`process_in_worker`)."""

    def report(info: dict[str, Any]) -> None:
        retries.put((task.specimen_id, info))

    return process_specimen(engine, task, judge, report)


def init_worker(
    engine_name: str, engine_settings: Mapping[str, Any], config: Mapping[str, Any]
) -> None:
    """Process-pool initializer: ignore Ctrl-C (the driver handles it) and build the engine."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _WORKER
    from herbx.engines.registry import create_engine

    _WORKER = (
        create_engine(engine_name, engine_settings, config=config),
        Judge(config.get("success")),
    )


def process_in_worker(task: SpecimenTask) -> Outcome:
    """Process-pool work function: uses the engine :func:`init_worker` built."""
    if _WORKER is None:  # pragma: no cover - the pool always runs the initializer first
        raise RuntimeError("worker not initialised")
    engine, judge = _WORKER
    retries: list[dict[str, Any]] = []
    outcome = process_specimen(engine, task, judge, on_retry=retries.append)
    outcome.retries = retries
    return outcome
