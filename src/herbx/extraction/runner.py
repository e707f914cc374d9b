"""The extraction loop: discover, hand out, record, account for every image.

Only this driver emits events and writes the run directory; workers just process. Every
discovered image ends as exactly one of succeeded, failed, skipped (resume or duplicate)
or not reached (the run stopped first), and the final event and ``run.json`` say how many.

Example::

    from herbx.extraction import run_extraction

    result = run_extraction("images/", "runs/batch3", overrides={"run": {"engine": "simulate"}})
    result.status, result.counts  # ('completed', {'total': 40, 'succeeded': 37, ...})
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import queue
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from herbx.__about__ import __version__
from herbx.config import load_config, redact
from herbx.engines.base import Engine
from herbx.events.bus import HybridEventBus
from herbx.events.clock import UtcClock
from herbx.events.consumers import ValidationConsumer
from herbx.events.errors import StopRun
from herbx.events.types import ExtractionEvent as EV
from herbx.extraction.attachments import AttachmentError, RunAttachments
from herbx.extraction.discovery import Discovery, DiscoveryError, ImageFile, discover
from herbx.extraction.executors import (
    Executor,
    InlineExecutor,
    ProcessExecutor,
    ThreadExecutor,
    per_worker_settings,
)
from herbx.extraction.images import DEFAULT_MAX_PIXELS, ImageLoadError, read_bytes
from herbx.extraction.outcome import (
    Judge,
    Outcome,
    SpecimenTask,
    init_worker,
    process_in_worker,
    work_in_thread,
)
from herbx.extraction.result import (
    ExtractionError,
    NoImagesError,
    RunResult,
    SettingsChangedError,
    new_run_id,
)
from herbx.extraction.rundir import RAW_VERSION, ResumeIndex, RunDirectory
from herbx.extraction.settings import settings_hash, sha256_of
from herbx.extraction.signals import StopRequest, first_ctrl_c_finishes, sigterm_as_interrupt

logger = logging.getLogger("herbx.extraction")

#: How often the driver wakes while waiting for results (ticks consumers, drains retries).
TICK_SECONDS = 0.25

ConsumerFactory = Callable[[HybridEventBus], object]


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _model_name(engine: Engine, settings: Mapping[str, Any], name: str) -> str:
    model = settings.get("model") or getattr(engine, "model", None)
    return str(model) if model else name


class ExtractionRun:
    """One invocation of the extraction loop over a folder, into a run directory.

    Build it (discovery, config, engine, resume checks happen here and raise
    :class:`ExtractionError` for bad input), attach consumers, then :meth:`run`.

    Args:
        input_dir: folder of images.
        output_dir: run directory; default ``<[run] output_root>/<run_id>/``.
        config: effective configuration (default: :func:`herbx.config.load_config`).
        overrides: merged on top of ``config``'s sources (what flags set).
        limit / include / exclude: discovery filters.
        retry_failed: reprocess images an earlier run in this directory failed.
        new_settings: allow results made with other settings in the same directory.
        consumers: called with the bus before the run starts; a returned object with a
            ``tick()`` method is ticked about four times a second from the driver thread.
        engine: an already built engine (tests, embedding); default from the registry.
        handle_signals: handle signals as the command line does (main thread only): the
            first Ctrl-C finishes the specimens in flight, records them and ends the run
            as interrupted; a second Ctrl-C, or SIGTERM, ends it at once.
        notify: notification URLs (``--notify``); else ``HERBX_NOTIFY``, else
            ``[notify] urls``. ``[metrics_db]`` decides whether ``metrics.sqlite`` is written.
    """

    def __init__(
        self,
        input_dir: str | os.PathLike[str],
        output_dir: str | os.PathLike[str] | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        limit: int | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        retry_failed: bool = False,
        new_settings: bool = False,
        consumers: Sequence[ConsumerFactory] = (),
        engine: Engine | None = None,
        handle_signals: bool = False,
        notify: Sequence[str] = (),
    ) -> None:
        from herbx.config import deep_merge

        cfg = dict(config) if config is not None else load_config()
        if overrides:
            cfg = deep_merge(cfg, overrides)
        self.config = cfg
        run_cfg = cfg.get("run", {})
        self.engine_name = str(engine.name if engine is not None else run_cfg.get("engine", "ocr"))
        self.workers = max(1, int(run_cfg.get("workers", 1)))
        self.max_pixels = int(run_cfg.get("max_image_pixels", DEFAULT_MAX_PIXELS))
        self.retry_failed = retry_failed
        self.consumer_factories = list(consumers)
        self.handle_signals = handle_signals
        self._stop_request = StopRequest()
        try:
            self.attachments = RunAttachments(cfg, notify=notify)
        except AttachmentError as exc:
            raise ExtractionError(str(exc)) from None
        if limit is not None and limit < 1:
            raise ExtractionError(f"--limit must be at least 1, got {limit}")

        try:
            self.discovery: Discovery = discover(
                input_dir, include=include, exclude=exclude, limit=limit
            )
        except DiscoveryError as exc:
            raise ExtractionError(str(exc)) from None
        if not self.discovery.images:
            filters = " matching the filters" if (include or exclude) else ""
            raise NoImagesError(
                f"{input_dir}: no images{filters} "
                "(looked for .jpg .jpeg .png .tif .tiff, recursively)"
            )

        self.engine_settings: dict[str, Any] = dict(
            cfg.get("engines", {}).get(self.engine_name, {})
        )
        self.kind = "io"
        if engine is None:
            from herbx.engines.registry import create_engine, engine_kind

            try:
                self.kind = engine_kind(self.engine_name)
                engine = create_engine(self.engine_name, self.engine_settings, config=cfg)
            except ValueError as exc:  # unknown engine, ConfigError
                raise ExtractionError(str(exc)) from None
        else:
            self.kind = str(getattr(engine, "kind", "io"))
        self.engine: Engine = engine
        eng_settings = engine.settings()
        self.model = _model_name(engine, eng_settings, self.engine_name)
        self.settings_hash = settings_hash(self.engine_name, eng_settings, cfg.get("success", {}))
        self.config_hash = sha256_of(redact(cfg))

        if output_dir is None:
            self.run_id = new_run_id(self.engine_name)
            out = Path(str(run_cfg.get("output_root", "runs"))) / self.run_id
        else:
            out = Path(output_dir)
            self.run_id = out.resolve().name
        self.rundir = RunDirectory(out)
        previous = self.rundir.read_manifest() if self.rundir.path.exists() else None
        if previous and previous.get("run_id"):
            self.run_id = str(previous["run_id"])
        self.previous_manifest = previous
        self.index: ResumeIndex = self.rundir.resume_index()
        others = self.index.other_settings(self.settings_hash)
        if others and not new_settings:
            n = sum(self.index.settings_hashes[h] for h in others)
            raise SettingsChangedError(
                f"{self.rundir.path}: {n} earlier results were made with other extraction "
                "settings (engine, model, prompt or success rule changed); use a new output "
                "folder, or pass --new-settings to add results made with the new settings here"
            )

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Process every image; returns how the run ended (never raises for bad images)."""
        with (
            sigterm_as_interrupt(self.handle_signals),
            first_ctrl_c_finishes(self._stop_request, self.handle_signals),
        ):
            return self._run()

    def request_stop(self) -> None:
        """Stop gracefully: start nothing new, finish and record the specimens in flight,
        then end the run as ``interrupted`` (resumable). Safe from any thread."""
        self._stop_request.request()

    def _make_executor(self) -> Executor:
        if self.workers == 1:
            return InlineExecutor()
        if self.kind == "cpu":
            settings = per_worker_settings(self.engine_settings, self.workers, os.cpu_count())
            return ProcessExecutor(
                self.workers,
                initializer=init_worker,
                initargs=(self.engine_name, settings, self.config),
            )
        return ThreadExecutor(self.workers)

    def _run(self) -> RunResult:
        cfg = self.config
        ev_cfg = cfg.get("events", {})
        images = self.discovery.images
        total = len(images)
        rd = self.rundir
        resumed = not self.index.empty
        started_at = _utc_now()
        t_start = time.monotonic()
        counts = {"total": total, "succeeded": 0, "failed": 0, "skipped": 0, "not_reached": 0}
        reasons: Counter[str] = Counter()
        window: deque[bool] = deque(maxlen=50)
        retry_queue: queue.SimpleQueue[tuple[str, dict[str, Any]]] = queue.SimpleQueue()
        judge = Judge(cfg.get("success"))
        clock = UtcClock()
        manifest = self._manifest(started_at, counts, "running", None, None, resumed)
        rd.path.mkdir(parents=True, exist_ok=True)
        rd.write_manifest(manifest)

        bus = HybridEventBus(
            rd.events_path,
            run_id=self.run_id,
            fsync=ev_cfg.get("fsync", "interval"),
            fsync_interval=float(ev_cfg.get("fsync_interval", 1.0)),
        )
        raw = rd.raw_appender()
        executor: Executor | None = None
        status = "failed"
        stop: dict[str, Any] | None = None
        reason: str | None = None
        message: str | None = None
        aborted = False  # a second Ctrl-C or SIGTERM: in-flight work is abandoned
        tasks: dict[int, tuple[ImageFile, str]] = {}  # handed to the engine, not yet recorded

        def accounting_now() -> dict[str, Any]:
            """The run's numbers for its last event (also sets not_reached)."""
            counts["not_reached"] = (
                total - counts["succeeded"] - counts["failed"] - counts["skipped"]
            )
            done = counts["succeeded"] + counts["failed"]
            return {
                "run_id": self.run_id,
                "total_specimens": total,
                "total": total,
                "total_processed": done,
                "successful": counts["succeeded"],
                "failed": counts["failed"],
                "skipped": counts["skipped"],
                "not_reached": counts["not_reached"],
                "success_rate": counts["succeeded"] / done if done else 0.0,
                "duration_s": round(time.monotonic() - t_start, 3),
            }

        try:
            vcfg = dict(cfg.get("validation", {}))
            validator = ValidationConsumer(bus, **vcfg, emit_failure=False)
            self.validator = validator  # consumers may read its state from the start
            self.attachments.attach(bus, rd.path)
            tickers = []
            for factory in self.consumer_factories:
                made = factory(bus)
                if callable(getattr(made, "tick", None)):
                    tickers.append(made)
            bus.emit(
                EV.STARTED,
                {
                    "run_id": self.run_id,
                    "total_specimens": total,
                    "model": self.model,
                    "engine": self.engine_name,
                    "herbx_version": __version__,
                    "config_hash": self.config_hash,
                    "settings_hash": self.settings_hash,
                    "resumed": resumed,
                    "workers": self.workers,
                    "input": str(self.discovery.root),
                },
            )
            executor = self._make_executor()
            seen: dict[str, ImageFile] = {}
            engine = self.engine
            thread_work = functools.partial(work_in_thread, engine, judge, retry_queue)

            def emit(event_type: str, data: dict[str, Any]) -> None:
                """Emit; a consumer's stop request is kept and acted on by the loop."""
                nonlocal stop
                try:
                    bus.emit(event_type, data)
                except StopRun as exc:
                    if stop is None:
                        stop = {"reason": exc.reason, "message": str(exc), **exc.details}

            def record(image: ImageFile, seq: int, sha: str, out: Outcome) -> None:
                """raw.jsonl line first, then the event (a consumer can find the line)."""
                for info in out.retries:
                    emit(EV.ENGINE_RETRY, {"specimen_id": image.specimen_id, **info})
                if out.ok:
                    counts["succeeded"] += 1
                else:
                    counts["failed"] += 1
                    reasons[out.reason or "unknown"] += 1
                window.append(out.ok)
                status_word = "succeeded" if out.ok else "failed"
                raw.append(
                    {
                        "v": RAW_VERSION,
                        "run_id": self.run_id,
                        "specimen_id": image.specimen_id,
                        "sequence": seq,
                        "image": image.rel,
                        "image_path": image.display_path,
                        "sha256": sha,
                        "status": status_word,
                        "reason": out.reason,
                        "message": out.message,
                        "engine": self.engine_name,
                        "model": out.model or self.model,
                        "settings_hash": self.settings_hash,
                        "dwc": out.dwc,
                        "flags": out.flags,
                        "confidence": out.confidence,
                        "raw_text": out.raw_text,
                        "timings": out.timings,
                        "usage": out.usage,
                        "timestamp": clock.now(),
                    }
                )
                done = counts["succeeded"] + counts["failed"]
                elapsed = time.monotonic() - t_start
                data: dict[str, Any] = {
                    "specimen_id": image.specimen_id,
                    "sequence": seq,
                    "image": image.rel,
                    "sha256": sha,
                    "result": {"dwc": out.dwc, "confidence": out.confidence, "flags": out.flags},
                }
                if not out.ok:
                    data["reason"] = out.reason
                    data["message"] = out.message
                    if out.systemic:
                        data["systemic"] = True
                data["timings"] = out.timings
                if out.usage is not None:
                    data["usage"] = out.usage
                data["metrics"] = {
                    "total_processed": done,
                    "success_count": counts["succeeded"],
                    "failed_count": counts["failed"],
                    "success_rate": counts["succeeded"] / done,
                    "rolling_success_rate": sum(window) / len(window),
                    "specimens_per_minute": done / elapsed * 60.0 if elapsed > 0 else 0.0,
                }
                emit(EV.SPECIMEN_COMPLETED if out.ok else EV.SPECIMEN_FAILED, data)

            def skip(image: ImageFile, seq: int, sha: str, why: str, dup: ImageFile | None) -> None:
                counts["skipped"] += 1
                data: dict[str, Any] = {
                    "specimen_id": image.specimen_id,
                    "sequence": seq,
                    "image": image.rel,
                    "sha256": sha,
                    "reason": why,
                }
                if dup is not None:
                    data["duplicate_of"] = dup.rel
                emit(EV.SPECIMEN_SKIPPED, data)

            pending = iter(enumerate(images, start=1))
            exhausted = False
            last_tick = 0.0
            stop_request = self._stop_request
            announced = False
            while True:
                while (
                    stop is None
                    and not exhausted
                    and not stop_request.requested
                    and executor.in_flight < self.workers
                ):
                    nxt = next(pending, None)
                    if nxt is None:
                        exhausted = True
                        break
                    seq, image = nxt
                    try:
                        data = read_bytes(image.path, image.rel)
                    except ImageLoadError as exc:
                        sha = ""
                        emit(
                            EV.SPECIMEN_PROCESSING,
                            {"specimen_id": image.specimen_id, "sequence": seq, "image": image.rel},
                        )
                        record(image, seq, sha, Outcome(seq, False, exc.reason, str(exc)))
                        continue
                    sha = hashlib.sha256(data).hexdigest()
                    first = seen.get(sha)
                    if first is not None:
                        skip(image, seq, sha, "duplicate", first)
                        continue
                    seen[sha] = image
                    if self.index.is_done(sha, self.settings_hash):
                        skip(image, seq, sha, "already_succeeded", None)
                        continue
                    if not self.retry_failed and (sha, self.settings_hash) in self.index.failed:
                        skip(image, seq, sha, "previously_failed", None)
                        continue
                    emit(
                        EV.SPECIMEN_PROCESSING,
                        {"specimen_id": image.specimen_id, "sequence": seq, "image": image.rel},
                    )
                    task = SpecimenTask(
                        seq,
                        image.path,
                        image.rel,
                        image.specimen_id,
                        sha,
                        None if executor.name == "process" else data,
                        self.max_pixels,
                    )
                    tasks[seq] = (image, sha)
                    if executor.name == "process":
                        executor.submit(seq, process_in_worker, task)
                    else:
                        executor.submit(seq, thread_work, task)
                # On a stop nothing new is submitted; at most ``workers`` tasks were handed
                # out, all already running, so finishing them is "waiting for in-flight".
                if stop_request.requested and not announced:
                    announced = True
                    logger.warning(
                        "stopping: finishing the %d specimen(s) in flight, then ending the run "
                        "(Ctrl-C again to stop at once)",
                        executor.in_flight,
                    )
                if executor.in_flight == 0 and (
                    exhausted or stop is not None or stop_request.requested
                ):
                    break
                for key, value in executor.completed(TICK_SECONDS):
                    while not retry_queue.empty():
                        sid, info = retry_queue.get_nowait()
                        emit(EV.ENGINE_RETRY, {"specimen_id": sid, **info})
                    image, sha = tasks.pop(key)
                    if isinstance(value, BaseException):
                        value = Outcome(
                            key, False, "engine_error", f"{type(value).__name__}: {value}"
                        )
                    record(image, key, sha, value)
                while not retry_queue.empty():
                    sid, info = retry_queue.get_nowait()
                    emit(EV.ENGINE_RETRY, {"specimen_id": sid, **info})
                now = time.monotonic()
                if tickers and now - last_tick >= TICK_SECONDS:
                    last_tick = now
                    for t in tickers:
                        try:
                            t.tick()  # type: ignore[attr-defined]
                        except Exception:
                            logger.exception("consumer tick failed")
            accounting = accounting_now()
            if stop is not None:
                status = "stopped"
                reason, message = str(stop.get("reason")), str(stop.get("message"))
                bus.emit(EV.EXTRACTION_FAILED, {**stop, **accounting, "status": "stopped"})
            elif stop_request.requested and counts["not_reached"]:
                status, reason = "interrupted", "interrupted"
                message = "stopped by the user; the specimens in flight were finished first"
                bus.emit(EV.EXTRACTION_INTERRUPTED, {**accounting, "status": "interrupted"})
            else:
                status = "completed"
                bus.emit(EV.EXTRACTION_COMPLETED, {**accounting, "status": "completed"})
        except KeyboardInterrupt:
            aborted = True
            status, reason, message = "interrupted", "interrupted", "interrupted by the user"
            if executor is not None:
                executor.abandon()
            if not bus.closed:
                bus.emit(EV.EXTRACTION_INTERRUPTED, {**accounting_now(), "status": "interrupted"})
        except BaseException as exc:
            status, reason = "failed", "runner_error"
            message = f"{type(exc).__name__}: {exc}"
            accounting_now()  # not_reached for run.json
            raise
        finally:
            if executor is not None and not aborted:
                executor.shutdown(wait=True)
            raw.close()
            bus.close()
            try:
                self.attachments.close()
            except Exception:
                logger.exception("closing the metrics database failed")
            try:
                self.engine.close()
            except Exception:
                logger.exception("engine close failed")
            duration = time.monotonic() - t_start
            rd.write_manifest(
                self._manifest(
                    started_at, counts, status, reason, message, resumed, _utc_now(), duration
                )
            )
        return RunResult(
            run_id=self.run_id,
            run_dir=rd.path,
            status=status,
            counts=dict(counts),
            duration_s=duration,
            reason=reason,
            message=message,
            stop=stop,
            failure_reasons=dict(reasons.most_common()),
            settings_hash=self.settings_hash,
            abandoned=len(tasks) if aborted else 0,
        )

    def _manifest(
        self,
        started_at: str,
        counts: Mapping[str, int],
        status: str,
        reason: str | None,
        message: str | None,
        resumed: bool,
        ended_at: str | None = None,
        duration: float | None = None,
    ) -> dict[str, Any]:
        sessions: list[dict[str, Any]] = []
        prev = self.previous_manifest
        if prev:
            sessions = list(prev.get("previous_sessions", []))
            sessions.append(
                {
                    k: prev.get(k)
                    for k in ("started_at", "ended_at", "status", "counts", "settings_hash")
                }
            )
        return {
            "herbx_version": __version__,
            "run_id": self.run_id,
            "engine": self.engine_name,
            "engine_kind": self.kind,
            "model": self.model,
            "workers": self.workers,
            "settings_hash": self.settings_hash,
            "config_hash": self.config_hash,
            "config": redact(self.config),
            "input": str(self.discovery.root),
            "output": str(self.rundir.path.resolve()),
            "counts": dict(counts),
            "started_at": started_at,
            "ended_at": ended_at,
            "duration_s": round(duration, 3) if duration is not None else None,
            "status": status,
            "stop": {"reason": reason, "message": message} if reason else None,
            "resumed": resumed,
            "previous_sessions": sessions,
        }


def run_extraction(
    input_dir: str | os.PathLike[str],
    output_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> RunResult:
    """Build an :class:`ExtractionRun` and run it; see its arguments.

    Raises:
        ExtractionError: bad input (missing folder, no images, changed settings...).
    """
    return ExtractionRun(input_dir, output_dir, **options).run()
