"""Executors: where specimens are extracted. Submit work, take completions, cancel the rest.

Only the driver (the thread running :func:`herbx.extraction.run_extraction`) submits and
collects; workers never emit events or write files, so the run keeps a single writer. The
interface is small on purpose, so a distributed executor (Dask) can be added without
touching the bus or the run directory.

Example::

    with ThreadExecutor(workers=8) as ex:
        ex.submit(1, work, task)
        for key, value in ex.completed(timeout=0.25):
            ...
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections import deque
from collections.abc import Callable, Mapping
from multiprocessing.connection import wait as mp_wait
from types import TracebackType
from typing import Any, Protocol

Work = Callable[[Any], Any]
#: A completion: the key given to ``submit`` and the function's result or the exception it raised.
Completion = tuple[int, Any]


class Executor(Protocol):
    """What the runner needs from an executor."""

    name: str
    workers: int

    def submit(self, key: int, fn: Work, arg: Any) -> None:
        """Start ``fn(arg)``; its completion is reported under ``key``."""
        ...

    def completed(self, timeout: float | None) -> list[Completion]:
        """Wait up to ``timeout`` seconds for at least one completion; return all that are done.

        A value that is a :class:`BaseException` means ``fn`` raised it.
        """
        ...

    @property
    def in_flight(self) -> int:
        """Submitted and not yet returned by :meth:`completed`."""
        ...

    def cancel_pending(self) -> int:
        """Cancel submitted work that has not started; return how many were cancelled."""
        ...

    def shutdown(self, *, wait: bool = True) -> None:
        """Release workers; with ``wait=False`` do not wait for running work."""
        ...

    def abandon(self) -> None:
        """Give up on everything submitted: nothing more is collected, no worker is left
        behind (worker processes are stopped; a thread finishes its call on its own)."""
        ...


class InlineExecutor:
    """Runs each submission in the calling thread when completions are asked for."""

    name = "inline"

    def __init__(self, workers: int = 1) -> None:
        self.workers = 1
        self._queue: deque[tuple[int, Work, Any]] = deque()

    def submit(self, key: int, fn: Work, arg: Any) -> None:
        """Queue ``fn(arg)``; it runs on the next :meth:`completed` call."""
        self._queue.append((key, fn, arg))

    def completed(self, timeout: float | None) -> list[Completion]:
        """Run the oldest submission now and return its completion."""
        if not self._queue:
            return []
        key, fn, arg = self._queue.popleft()
        try:
            return [(key, fn(arg))]
        except Exception as exc:
            return [(key, exc)]

    @property
    def in_flight(self) -> int:
        """Submissions not yet run."""
        return len(self._queue)

    def cancel_pending(self) -> int:
        """Drop every submission not yet run."""
        n = len(self._queue)
        self._queue.clear()
        return n

    def shutdown(self, *, wait: bool = True) -> None:
        """Nothing to release."""
        self._queue.clear()

    def abandon(self) -> None:
        """Drop every submission."""
        self._queue.clear()

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()


class _FuturesExecutor:
    """Shared code of the thread and process executors."""

    name = "futures"

    def __init__(self, pool: cf.Executor, workers: int) -> None:
        self.workers = workers
        self._pool = pool
        self._futures: dict[cf.Future[Any], int] = {}

    def submit(self, key: int, fn: Work, arg: Any) -> None:
        """Hand ``fn(arg)`` to the pool."""
        self._futures[self._pool.submit(fn, arg)] = key

    def completed(self, timeout: float | None) -> list[Completion]:
        """Completions available within ``timeout`` seconds (possibly none)."""
        if not self._futures:
            return []
        done, _ = cf.wait(self._futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        out: list[Completion] = []
        for fut in done:
            key = self._futures.pop(fut)
            if fut.cancelled():
                continue
            exc = fut.exception()
            out.append((key, exc if exc is not None else fut.result()))
        return out

    @property
    def in_flight(self) -> int:
        """Futures not yet collected."""
        return len(self._futures)

    def cancel_pending(self) -> int:
        """Cancel futures that have not started running."""
        cancelled = [f for f in self._futures if f.cancel()]
        for fut in cancelled:
            del self._futures[fut]
        return len(cancelled)

    def shutdown(self, *, wait: bool = True) -> None:
        """Shut the pool down; queued work is cancelled."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if not wait:
            self._futures.clear()

    def abandon(self) -> None:
        """Cancel what has not started and stop waiting for the rest."""
        self.shutdown(wait=False)

    def __enter__(self) -> _FuturesExecutor:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown(wait=et is None)


class ThreadExecutor(_FuturesExecutor):
    """A thread pool: for engines that wait on the network (``kind = "io"``)."""

    name = "thread"

    def __init__(self, workers: int) -> None:
        super().__init__(
            cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="herbx"), workers
        )


class ProcessExecutor(_FuturesExecutor):
    """A process pool (spawned, never forked): for CPU-bound engines (``kind = "cpu"``).

    ``initializer(*initargs)`` runs once in each worker process, typically to build the
    engine there; submitted functions and their arguments must be picklable.
    """

    name = "process"

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=initializer,
            initargs=initargs,
        )
        super().__init__(pool, workers)
        self._process_pool = pool

    def abandon(self) -> None:
        """Stop the worker processes too: their results would not be collected, and a worker
        left waiting for work (it shares the task queue with the others) would never end."""
        # concurrent.futures has no public way to stop workers before Python 3.14
        # A process has ended when its sentinel is ready; is_alive() can go on saying True
        # when the pool's own thread reaped the process first.
        processes = list((getattr(self._process_pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        ended = set(mp_wait([p.sentinel for p in processes], timeout=2.0))
        for process in processes:
            if process.sentinel not in ended:  # SIGTERM lost or ignored: no choice left
                process.kill()
        mp_wait([p.sentinel for p in processes if p.sentinel not in ended], timeout=2.0)
        super().abandon()


def per_worker_settings(
    settings: Mapping[str, Any], workers: int, cpus: int | None
) -> dict[str, Any]:
    """Engine settings for one of ``workers`` processes: share the cores, never oversubscribe.

    A CPU engine's ``threads`` setting (the OCR engine's onnxruntime threads) is lowered so
    that workers x threads does not exceed the machine's cores; it does not change output.
    """
    out = dict(settings)
    threads = out.get("threads")
    cores = max(1, cpus or 1)
    if isinstance(threads, int) and threads * workers > cores:
        out["threads"] = max(1, cores // workers)
    return out
