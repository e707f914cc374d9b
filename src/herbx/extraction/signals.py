"""Signal handling for a run: SIGTERM ends it like Ctrl-C, so it is flushed and resumable."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt(enabled: bool) -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while the run lasts (main thread only)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
