"""The dashboard's web application (Starlette): run list, run state, live stream, thumbnails.

Read-only: it opens run files for reading only and never creates anything in the served
folder. Every run path in a URL is resolved under the served root and refused (403) when it
would leave it; images are served only when the run recorded them.

Example::

    import uvicorn
    from herbx.dashboard.app import create_app

    uvicorn.run(create_app("runs"), host="127.0.0.1", port=8765)
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from herbx.dashboard.images import find_image, thumbnail
from herbx.dashboard.runs import EVENTS_NAME, PathRefused, RunFollower, discover_runs, resolve_run
from herbx.metrics.collect import RunSummaryCache
from herbx.metrics.history import RunSummary
from herbx.metrics.prometheus import CONTENT_TYPE, render_runs
from herbx.metrics.schema import MetricsDBError

STATIC_DIR = Path(__file__).parent / "static"
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _json(payload: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY),
        status_code=status,
        media_type="application/json",
        headers=_NO_STORE,
    )


class Dashboard:
    """The state behind the app: the served root and one follower per run seen.

    ``db`` is a shared metrics database to read the history of runs from; without it the
    history comes from each run directory's ``metrics.sqlite`` (or its log).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        poll_interval: float = 0.5,
        max_depth: int = 3,
        db: str | os.PathLike[str] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root}: not a folder")
        self.poll_interval = poll_interval
        self.max_depth = max_depth
        self.db = Path(db).expanduser().resolve() if db is not None else None
        self._followers: dict[Path, RunFollower] = {}
        self._lock = threading.Lock()
        self._metrics = RunSummaryCache()

    def follower(self, run_dir: Path) -> RunFollower:
        """The follower of ``run_dir`` (created on first use), polled."""
        with self._lock:
            f = self._followers.get(run_dir)
            if f is None:
                f = self._followers[run_dir] = RunFollower(run_dir / EVENTS_NAME)
        f.poll()
        return f

    def rel(self, run_dir: Path) -> str:
        """``run_dir`` relative to the root, as it appears in URLs (``~`` for the root itself).

        Not ``.``: browsers drop ``/./`` from URLs before sending them.
        """
        rel = run_dir.relative_to(self.root).as_posix()
        return "~" if rel in ("", ".") else rel

    def runs(self) -> list[dict[str, Any]]:
        """Every run under the root with its summary, newest start first."""
        out = []
        for run_dir in discover_runs(self.root, max_depth=self.max_depth):
            f = self.follower(run_dir)
            out.append({"path": self.rel(run_dir), **f.view.summary()})
        out.sort(key=lambda r: r.get("started_at") or "", reverse=True)
        return out

    def run(self, rel: str) -> tuple[Path, RunFollower]:
        """Resolve ``rel`` safely and return its folder and polled follower."""
        run_dir = resolve_run(self.root, "" if rel == "~" else rel)
        return run_dir, self.follower(run_dir)

    def prometheus(self) -> str:
        """Prometheus text for every run under the root.

        Each run is read from its ``metrics.sqlite`` when it has one, else from its log, and
        only again when its files changed: a scrape of many finished runs costs a few
        ``stat()`` calls per run.
        """
        runs = discover_runs(self.root, max_depth=self.max_depth)
        return render_runs(run for _, run in self._metrics.collect(runs))

    def history(self, limit: int = 500) -> dict[str, Any]:
        """Runs over time (oldest first, the last ``limit``) from the metrics database(s).

        Raises:
            MetricsDBError: the shared database exists but cannot be read.
        """
        items: list[dict[str, Any]]
        if self.db is not None:
            source = str(self.db)
            if not self.db.is_file():
                return {"source": source, "runs": [],
                        "note": f"{self.db.name}: no such metrics database yet"}  # fmt: skip
            items = [self._history_item(run, self._path_of(run.run_dir))
                     for run in self._metrics.database(self.db)]  # fmt: skip
        else:
            source = "run directories"
            pairs = self._metrics.collect(discover_runs(self.root, max_depth=self.max_depth))
            items = [self._history_item(run, self.rel(d)) for d, run in pairs]
        return {"source": source, "runs": items[-limit:] if limit > 0 else []}

    @staticmethod
    def _history_item(run: RunSummary, path: str | None) -> dict[str, Any]:
        keys = ("run_id", "status", "engine", "model", "total_specimens", "processed",
                "successful", "failed", "skipped", "started_at", "ended_at", "duration_s",
                "stop_reason", "failure_reasons")  # fmt: skip
        full = run.to_dict()
        return {**{k: full[k] for k in keys}, "success_rate": run.success_rate, "path": path}

    def _path_of(self, run_dir: str | None) -> str | None:
        """A shared database's ``run_dir`` as a served run path, or None outside the root."""
        if not run_dir:
            return None
        try:
            return self.rel(
                resolve_run(self.root, Path(run_dir).resolve().relative_to(self.root).as_posix())
            )
        except (ValueError, PathRefused, OSError):
            return None


def create_app(
    root: str | os.PathLike[str],
    *,
    poll_interval: float = 0.5,
    max_depth: int = 3,
    db: str | os.PathLike[str] | None = None,
) -> Starlette:
    """The dashboard for the runs under ``root`` (folders holding ``events.jsonl``).

    ``db``: a shared metrics database for the history view (``[metrics_db] path``).
    """
    dash = Dashboard(root, poll_interval=poll_interval, max_depth=max_depth, db=db)

    def run_or_error(request: Request) -> tuple[Path, RunFollower]:
        try:
            return dash.run(request.path_params["run"])
        except PathRefused as exc:
            raise HTTPException(exc.status, str(exc)) from None

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers=_NO_STORE)

    def api_runs(request: Request) -> Response:
        return _json({"root": str(dash.root), "runs": dash.runs()})

    def api_state(request: Request) -> Response:
        run_dir, f = run_or_error(request)
        return _json({"path": dash.rel(run_dir), **f.view.snapshot()})

    def api_thumb(request: Request) -> Response:
        run_dir, f = run_or_error(request)
        rel = request.query_params.get("image", "")
        path = find_image(run_dir, f.view, rel)
        if path is None:
            raise HTTPException(404, f"{rel!r}: not an image this run recorded")
        try:
            edge = int(request.query_params.get("edge", "240"))
        except ValueError:
            raise HTTPException(400, "edge must be a whole number of pixels") from None
        try:
            data = thumbnail(path, edge)
        except OSError as exc:
            raise HTTPException(415, f"{rel!r}: cannot be shown ({exc})") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=60"})

    async def api_stream(request: Request) -> Response:
        run_dir, f = await run_in_threadpool(run_or_error, request)
        rel = dash.rel(run_dir)

        async def events() -> AsyncIterator[bytes]:
            sent = -1
            idle = 0.0
            while True:
                await run_in_threadpool(f.poll)
                if f.version != sent:
                    sent = f.version
                    snap = {"path": rel, **f.view.snapshot()}
                    yield b"event: snapshot\ndata: " + orjson.dumps(snap) + b"\n\n"
                    idle = 0.0
                    if f.view.status in ("completed", "stopped", "interrupted"):
                        yield b"event: end\ndata: {}\n\n"
                        return
                elif idle >= 15.0:
                    yield b": keep-alive\n\n"
                    idle = 0.0
                if await request.is_disconnected():
                    return
                await asyncio.sleep(dash.poll_interval)
                idle += dash.poll_interval

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={**_NO_STORE, "X-Accel-Buffering": "no"},
        )

    def api_history(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", "500"))
        except ValueError:
            raise HTTPException(400, "limit must be a whole number of runs") from None
        try:
            return _json(dash.history(limit))
        except MetricsDBError as exc:
            raise HTTPException(503, str(exc)) from None

    def metrics(request: Request) -> Response:
        return Response(dash.prometheus(), media_type=CONTENT_TYPE, headers=_NO_STORE)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _json({"error": exc.detail}, exc.status_code)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/runs", api_runs),
            Route("/api/history", api_history),
            Route("/api/run/{run:path}/state", api_state),
            Route("/api/run/{run:path}/stream", api_stream),
            Route("/api/run/{run:path}/thumb", api_thumb),
            Route("/metrics", metrics),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.dashboard = dash
    return app
