"""Signal handling for a run.

- The first Ctrl-C (SIGINT) asks the run to stop *gracefully*: nothing new is started, the
  specimens already being extracted finish and are recorded (a paid call is not thrown
  away), then the run ends as ``interrupted``. A second Ctrl-C stops at once.
- SIGTERM ends the run at once, like a second Ctrl-C, so it is flushed and resumable.

Both only apply in the main thread (where Python delivers signals).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StopRequest:
    """A flag the loop checks: finish what is in flight, start nothing new, then end."""

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def requested(self) -> bool:
        """True once a graceful stop was asked for."""
        return self._event.is_set()

    def request(self) -> None:
        """Ask for a graceful stop (safe from any thread, and from a signal handler)."""
        self._event.set()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_interrupt(enabled: bool) -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while the run lasts (main thread only)."""
    if not enabled or not _in_main_thread():
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def first_ctrl_c_finishes(stop: StopRequest, enabled: bool) -> Iterator[None]:
    """While the run lasts, the first SIGINT calls ``stop.request()``; the next one raises
    KeyboardInterrupt as usual (main thread only)."""
    if not enabled or not _in_main_thread():
        yield
        return

    def _on_sigint(signum: int, frame: object) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.request()

    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
