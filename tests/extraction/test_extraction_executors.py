"""Executors: submit, collect completions, cancel what has not started."""

from __future__ import annotations

import threading
import time
from multiprocessing.connection import wait
from pathlib import Path

from extraction_helpers import make_jpeg

from herbx.extraction.executors import InlineExecutor, ProcessExecutor, ThreadExecutor
from herbx.extraction.outcome import SpecimenTask, init_worker, process_in_worker


def square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def test_inline_runs_in_order_and_reports_exceptions() -> None:
    ex = InlineExecutor()
    for k, v in enumerate([2, -1, 3]):
        ex.submit(k, square, v)
    got = []
    while ex.in_flight:
        got.extend(ex.completed(None))
    assert [k for k, _ in got] == [0, 1, 2]
    assert got[0][1] == 4 and isinstance(got[1][1], ValueError) and got[2][1] == 9
    ex.submit(9, square, 1)
    assert ex.cancel_pending() == 1 and ex.in_flight == 0


def test_threads_complete_and_cancel_queued() -> None:
    gate = threading.Event()

    def slow(x: int) -> int:
        gate.wait(5)
        return x

    with ThreadExecutor(2) as ex:
        for k in range(6):
            ex.submit(k, slow, k)
        time.sleep(0.05)
        assert ex.cancel_pending() == 4  # two are running; the rest had not started
        assert ex.completed(0.01) == []
        gate.set()
        got: list[tuple[int, object]] = []
        while ex.in_flight:
            got.extend(ex.completed(1.0))
    assert sorted(k for k, _ in got) == [0, 1]


def test_process_pool_builds_the_engine_in_each_worker(tmp_path: Path) -> None:
    paths = [make_jpeg(tmp_path / f"{i}.jpg", i) for i in range(3)]
    config = {"success": {}}
    with ProcessExecutor(
        2, initializer=init_worker, initargs=("simulate", {"success_rate": 1.0}, config)
    ) as ex:
        for i, p in enumerate(paths, start=1):
            ex.submit(i, process_in_worker, SpecimenTask(i, str(p), p.name, p.stem, f"{i:064x}"))
        got = {}
        while ex.in_flight:
            got.update(ex.completed(30))
    assert sorted(got) == [1, 2, 3]
    assert all(o.ok and o.dwc.get("scientificName") for o in got.values())


def test_runner_uses_processes_for_cpu_engines(tmp_path: Path) -> None:
    from herbx.extraction import ExtractionRun

    for i in range(5):
        make_jpeg(tmp_path / "in" / f"{i}.jpg", i)
    run = ExtractionRun(
        tmp_path / "in",
        tmp_path / "run",
        overrides={
            "run": {"engine": "simulate", "workers": 3},
            "engines": {"simulate": {"success_rate": 1.0}},
        },
    )
    run.kind = "cpu"  # simulate is an io engine; treat it as cpu to exercise the process pool
    result = run.run()
    assert result.counts["succeeded"] == 5


def test_cpu_engine_threads_are_shared_between_worker_processes() -> None:
    from herbx.extraction.executors import per_worker_settings

    ocr = {"threads": 2, "text_score": 0.5}
    assert per_worker_settings(ocr, 1, 2) == ocr
    assert per_worker_settings(ocr, 2, 2) == {"threads": 1, "text_score": 0.5}
    assert per_worker_settings(ocr, 4, 2)["threads"] == 1
    assert per_worker_settings(ocr, 2, 8) == ocr
    assert per_worker_settings({"model": "m"}, 8, 2) == {"model": "m"}
    assert per_worker_settings(ocr, 2, None)["threads"] == 1


def _sleep_then(x: int) -> int:
    time.sleep(30)
    return x


def test_abandon_stops_worker_processes() -> None:
    ex = ProcessExecutor(2)
    for k in range(4):
        ex.submit(k, _sleep_then, k)
    deadline = time.monotonic() + 30
    while len(ex._process_pool._processes) < 2 and time.monotonic() < deadline:  # spawning
        time.sleep(0.05)
    workers = list(ex._process_pool._processes.values())
    assert len(workers) == 2
    t0 = time.monotonic()
    ex.abandon()
    # a process has ended when its sentinel is ready (is_alive() can lag when the pool's
    # own thread reaped it first)
    sentinels = [process.sentinel for process in workers]
    assert sorted(wait(sentinels, timeout=10)) == sorted(sentinels)
    assert time.monotonic() - t0 < 10  # not the 30 s the work would take
    assert ex.in_flight == 0


def test_an_aborted_run_leaves_no_worker_process(tmp_path: Path) -> None:
    from herbx.events import HybridEventBus
    from herbx.extraction import ExtractionRun

    for i in range(6):
        make_jpeg(tmp_path / "in" / f"{i}.jpg", i)
    seen: list[object] = []

    def second_ctrl_c(bus: HybridEventBus) -> None:
        def on_processing(event: object) -> None:
            seen.append(event)
            if len(seen) == 2:  # both workers busy: stop at once, as a second Ctrl-C does
                raise KeyboardInterrupt

        bus.subscribe("specimen.processing", on_processing)

    run = ExtractionRun(
        tmp_path / "in",
        tmp_path / "run",
        overrides={
            "run": {"engine": "simulate", "workers": 2},
            "engines": {"simulate": {"success_rate": 1.0, "latency_ms": 20_000}},
        },
        consumers=[second_ctrl_c],
    )
    run.kind = "cpu"  # a process pool, as for the OCR engine
    import multiprocessing

    t0 = time.monotonic()
    result = run.run()
    assert result.status == "interrupted" and result.abandoned >= 1
    assert time.monotonic() - t0 < 15  # did not wait for 20-second specimens
    sentinels = [child.sentinel for child in multiprocessing.active_children()]
    assert sorted(wait(sentinels, timeout=10)) == sorted(sentinels)  # every worker ended
