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
from herbx.metrics.history import ingest_log
from herbx.metrics.prometheus import CONTENT_TYPE, render_prometheus
from herbx.metrics.schema import memory_db

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
    """The state behind the app: the served root and one follower per run seen."""

    def __init__(
        self, root: str | os.PathLike[str], *, poll_interval: float = 0.5, max_depth: int = 3
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root}: not a folder")
        self.poll_interval = poll_interval
        self.max_depth = max_depth
        self._followers: dict[Path, RunFollower] = {}
        self._lock = threading.Lock()

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
        """Prometheus text for every run under the root, read from the logs."""
        conn = memory_db()
        try:
            for run_dir in discover_runs(self.root, max_depth=self.max_depth):
                ingest_log(conn, run_dir / EVENTS_NAME)
            return render_prometheus(conn)
        finally:
            conn.close()


def create_app(
    root: str | os.PathLike[str], *, poll_interval: float = 0.5, max_depth: int = 3
) -> Starlette:
    """The dashboard for the runs under ``root`` (folders holding ``events.jsonl``)."""
    dash = Dashboard(root, poll_interval=poll_interval, max_depth=max_depth)

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

    def metrics(request: Request) -> Response:
        return Response(dash.prometheus(), media_type=CONTENT_TYPE, headers=_NO_STORE)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _json({"error": exc.detail}, exc.status_code)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/runs", api_runs),
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
