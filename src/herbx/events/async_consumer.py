"""Running a consumer off the hot path: a thread and a bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from herbx.events.types import Event

_STOP = object()


class AsyncHandler:
    """Delivers events to ``handler`` on a daemon thread.

    ``put()`` never blocks: when the queue is full the event is dropped and counted in
    :attr:`dropped`. Exceptions are passed to ``on_error(name, event, exc)`` (the bus turns
    them into ``consumer.error`` events from the emitting thread).
    """

    def __init__(
        self,
        handler: Callable[[Event], Any],
        name: str,
        *,
        queue_size: int,
        on_error: Callable[[str, Event, BaseException], None],
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.handler = handler
        self.name = name
        self.queue_size = queue_size
        self.dropped = 0
        self._on_error = on_error
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"herbx-consumer-{name}", daemon=True
        )
        self._thread.start()

    def put(self, event: Event) -> None:
        """Queue ``event`` without waiting; count it as dropped if the queue is full."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        q = self._queue
        while True:
            item = q.get()
            try:
                if item is _STOP:
                    return
                try:
                    self.handler(item)
                except BaseException as exc:  # isolated like a synchronous consumer
                    self._on_error(self.name, item, exc)
            finally:
                q.task_done()

    def join(self) -> None:
        """Wait until every queued event has been handled."""
        if not self._closed:
            self._queue.join()

    def close(self, timeout: float | None = 60.0) -> None:
        """Deliver what is queued, then stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)  # blocks only while the queue is full, i.e. until drained
        self._thread.join(timeout)
