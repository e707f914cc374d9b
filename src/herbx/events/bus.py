"""The event bus: one appending log writer plus in-process publish/subscribe.

Example::

    from herbx.events import HybridEventBus, ExtractionEvent

    with HybridEventBus(event_log_path="out/events.jsonl") as bus:
        bus.subscribe("specimen.*", lambda e: print(e.event_type, e.data))
        bus.emit(ExtractionEvent.STARTED, {"run_id": "r1", "total_specimens": 3})
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from herbx.events.async_consumer import AsyncHandler
from herbx.events.clock import UtcClock
from herbx.events.errors import BusClosedError, StopRun
from herbx.events.types import DURABLE_EVENTS, ENVELOPE_VERSION, Event, ExtractionEvent
from herbx.events.writer import FsyncPolicy, LogWriter, dumps_event

Handler = Callable[[Event], Any]


class Clock(Protocol):
    """Gives the timestamp of each event, as UTC ISO 8601 text ending in ``Z``."""

    def now(self) -> str:
        """The current time."""
        ...


# Event is a NamedTuple; building it through tuple.__new__ skips the keyword-handling
# __new__ on the hot path (the field order is fixed by the class).
_new_event = tuple.__new__
_dumps = orjson.dumps
_write = os.write
_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE
logger = logging.getLogger("herbx.events")

_CONSUMER_ERROR = ExtractionEvent.CONSUMER_ERROR.value


def handler_name(handler: Callable[..., Any]) -> str:
    """A readable name for a handler: ``ClassName.method`` or the function's qualname."""
    owner = getattr(handler, "__self__", None)
    func = getattr(handler, "__func__", handler)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if owner is not None:
        return f"{type(owner).__name__}.{getattr(func, '__name__', name)}"
    return name or type(handler).__name__


@dataclass(slots=True)
class _Entry:
    pattern: str
    handler: Handler
    name: str
    deliver: Handler
    """What dispatch calls: the handler itself, or the asynchronous handler's ``put``."""
    async_handler: AsyncHandler | None = None
    active: bool = True


class Subscription:
    """Handle returned by :meth:`HybridEventBus.subscribe`; call it to unsubscribe."""

    def __init__(self, bus: HybridEventBus, entry: _Entry) -> None:
        self._bus = bus
        self._entry = entry

    @property
    def name(self) -> str:
        """The consumer name used in ``consumer.error`` events."""
        return self._entry.name

    @property
    def dropped(self) -> int:
        """Events an asynchronous consumer dropped because its queue was full."""
        return self._entry.async_handler.dropped if self._entry.async_handler else 0

    def unsubscribe(self) -> None:
        """Stop delivering events to this handler. Safe to call twice."""
        self._bus._remove(self._entry)

    __call__ = unsubscribe


def _matches(pattern: str, event_type: str) -> bool:
    if pattern == "*" or pattern == event_type:
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


class HybridEventBus:
    """Persistent, synchronous-by-default event bus.

    ``emit()`` builds the envelope, appends it to ``event_log_path`` (flushed before any
    consumer sees it), then calls the matching handlers in registration order:

    - an ordinary exception in a handler is isolated: the run goes on and a
      ``consumer.error`` event records it (also logged on the ``herbx.events`` logger);
    - a :class:`~herbx.events.errors.StopRun` (such as ``EarlyValidationError``) is re-raised
      to the caller of ``emit()`` once every handler of the event has run;
    - handlers subscribed with ``asynchronous=True`` run on their own thread behind a
      bounded queue; ``emit()`` never waits for them and counts what a full queue drops.

    Args:
        event_log_path: JSONL file to append to (created with its parent folders). None
            keeps events in memory only.
        run_id: written into every envelope. When None it is taken from the ``run_id`` of
            the first ``extraction.started`` event.
        fsync: ``"interval"`` (default: at most ``fsync_interval`` seconds of events at
            risk on power loss, plus at start, checkpoints and the end of a run),
            ``"always"`` (every event) or ``"never"`` (flush only).
        clock: where timestamps come from: anything with ``now()`` returning
            ``2026-11-26T19:03:12.123456Z`` text. The default reads the system clock; a
            replay or a simulation passes its own.
    """

    def __init__(
        self,
        event_log_path: str | os.PathLike[str] | None = None,
        *,
        run_id: str | None = None,
        fsync: FsyncPolicy = "interval",
        fsync_interval: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self.run_id = run_id
        self._writer = (
            LogWriter(event_log_path, fsync=fsync, fsync_interval=fsync_interval)
            if event_log_path is not None
            else None
        )
        self.event_log_path = self._writer.path if self._writer else None
        self._seq = self._writer.last_seq if self._writer else 0
        self._clock: Clock = clock or UtcClock()
        self._entries: list[_Entry] = []
        self._routes: dict[str, tuple[_Entry, ...]] = {}
        self._lock = threading.Lock()
        self._pending_errors: list[tuple[str, Event, BaseException]] = []
        self._pending_lock = threading.Lock()
        self.consumer_errors: list[dict[str, Any]] = []
        self.closed = False

    # -- subscription -------------------------------------------------------------------

    def subscribe(
        self,
        event_type: str,
        handler: Handler,
        *,
        asynchronous: bool = False,
        queue_size: int = 10_000,
        name: str | None = None,
    ) -> Subscription:
        """Call ``handler(event)`` for events of ``event_type``.

        ``event_type`` is an exact type (``"specimen.completed"`` or an
        :class:`ExtractionEvent`), a prefix wildcard (``"specimen.*"``) or ``"*"``.
        Returns a :class:`Subscription`; call it to unsubscribe.
        """
        pattern = str(event_type)
        entry = _Entry(pattern, handler, name or handler_name(handler), handler)
        if asynchronous:
            entry.async_handler = AsyncHandler(
                handler, entry.name, queue_size=queue_size, on_error=self._queue_async_error
            )
            entry.deliver = entry.async_handler.put
        with self._lock:
            self._entries.append(entry)
            self._routes.clear()
        return Subscription(self, entry)

    def _remove(self, entry: _Entry) -> None:
        with self._lock:
            if entry in self._entries:
                self._entries.remove(entry)
                self._routes.clear()
        entry.active = False
        if entry.async_handler is not None:
            entry.async_handler.close()

    def _route(self, event_type: str) -> tuple[_Entry, ...]:
        route = self._routes.get(event_type)
        if route is None:
            route = tuple(e for e in self._entries if _matches(e.pattern, event_type))
            self._routes[event_type] = route
        return route

    # -- emitting -----------------------------------------------------------------------

    @property
    def seq(self) -> int:
        """The ``seq`` of the last event emitted (or found in the log at open)."""
        return self._seq

    def emit(self, event_type: str, data: dict[str, Any] | None = None) -> Event:
        """Log ``event_type`` with ``data`` and deliver it to the subscribed consumers.

        Raises:
            TypeError: ``data`` holds a value JSON cannot represent (nothing is written).
            StopRun: a consumer decided to stop the run (the event is already logged).
            BusClosedError: the bus was closed.
        """
        if self._pending_errors:
            self._flush_async_errors()
        if type(event_type) is not str:
            event_type = str(event_type)
        if data is None:
            data = {}
        # The lock covers numbering and writing only, so lines land in seq order; consumers
        # run after it is released, which lets them emit events of their own.
        with self._lock:
            if self.closed:
                raise BusClosedError(
                    f"cannot emit {event_type!r}: the event bus is closed"
                    + (f" (log {self.event_log_path})" if self.event_log_path else "")
                )
            if self.run_id is None and event_type == "extraction.started":
                rid = data.get("run_id")
                if rid is not None:
                    self.run_id = str(rid)
            seq = self._seq + 1
            timestamp = self._clock.now()
            envelope = {
                "v": ENVELOPE_VERSION,
                "seq": seq,
                "run_id": self.run_id,
                "event_type": event_type,
                "timestamp": timestamp,
                "data": data,
            }
            try:
                line = _dumps(envelope, option=_APPEND_NEWLINE)
            except TypeError:
                line = dumps_event(envelope)  # retries with wider options, or names the key
            writer = self._writer
            if writer is not None:
                # one system call per line; the writer only decides about fsync
                written = _write(writer.fd, line)
                if written != len(line):
                    writer.finish_short_write(line, written)
                if event_type in DURABLE_EVENTS or writer.fsync_policy != "interval":
                    writer.after_write(event_type in DURABLE_EVENTS)
                else:
                    writer.dirty = True  # fsynced by the writer's timer within the interval
            self._seq = seq
            run_id = self.run_id
        event = _new_event(
            Event, (event_type, data, timestamp, seq, run_id, ENVELOPE_VERSION, None)
        )
        route = self._routes.get(event_type)
        if route is None:
            route = self._route(event_type)
        if route:
            self._dispatch(event, route)
        return event

    _emit = emit  # internal callers (consumer errors, drops at close)

    def _dispatch(self, event: Event, route: tuple[_Entry, ...] | None = None) -> None:
        stop: StopRun | None = None
        if route is None:
            route = self._route(event.event_type)
        for entry in route:
            if entry.active:
                try:
                    entry.deliver(event)
                except StopRun as exc:
                    if stop is None:
                        stop = exc
                except Exception as exc:
                    self._record_consumer_error(entry.name, event, exc)
        if stop is not None:
            raise stop

    def _record_consumer_error(self, name: str, event: Event, exc: BaseException) -> None:
        info = {
            "consumer": name,
            "event_type": event.event_type,
            "event_seq": event.seq,
            "error_type": type(exc).__name__,
            "message": str(exc)[:500],
        }
        self.consumer_errors.append(info)
        logger.warning(
            "consumer %s failed on %s (seq %s): %s: %s",
            name,
            event.event_type,
            event.seq,
            info["error_type"],
            info["message"],
        )
        if event.event_type == _CONSUMER_ERROR or self.closed:
            return  # never loop on errors about errors
        try:
            self._emit(_CONSUMER_ERROR, info)
        except StopRun:
            raise
        except Exception:  # pragma: no cover - the log itself failed; already logged above
            logger.exception("could not record consumer.error")

    def _queue_async_error(self, name: str, event: Event, exc: BaseException) -> None:
        with self._pending_lock:
            self._pending_errors.append((name, event, exc))

    def _flush_async_errors(self) -> None:
        with self._pending_lock:
            pending, self._pending_errors = self._pending_errors, []
        for name, event, exc in pending:
            self._record_consumer_error(name, event, exc)

    # -- lifecycle ----------------------------------------------------------------------

    def flush(self) -> None:
        """Wait for asynchronous consumers to catch up and fsync the log."""
        for entry in list(self._entries):
            if entry.async_handler is not None:
                entry.async_handler.join()
        self._flush_async_errors()
        if self._writer is not None:
            self._writer.sync()

    def stats(self) -> dict[str, Any]:
        """Counters useful for diagnostics: events, consumer errors, drops per consumer."""
        return {
            "seq": self._seq,
            "consumer_errors": len(self.consumer_errors),
            "dropped": {
                e.name: e.async_handler.dropped
                for e in self._entries
                if e.async_handler is not None and e.async_handler.dropped
            },
        }

    def close(self) -> None:
        """Drain asynchronous consumers, record drops and errors, fsync and close the log.

        Idempotent: a second call does nothing.
        """
        if self.closed:
            return
        try:
            for entry in list(self._entries):
                if entry.async_handler is not None:
                    entry.async_handler.close()
            self._flush_async_errors()
            for entry in list(self._entries):
                ah = entry.async_handler
                if ah is not None and ah.dropped:
                    self._emit(
                        ExtractionEvent.CONSUMER_DROPPED.value,
                        {
                            "consumer": entry.name,
                            "dropped": ah.dropped,
                            "queue_size": ah.queue_size,
                        },
                    )
        finally:
            with self._lock:
                self.closed = True
                if self._writer is not None:
                    self._writer.close()

    def __enter__(self) -> HybridEventBus:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: A plainer name for the same class.
EventBus = HybridEventBus
