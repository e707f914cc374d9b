"""The consumers a run attaches from its configuration: notifications and the metrics database.

They are built from ``[notify]`` and ``[metrics_db]`` (plus ``--notify`` URLs and
``HERBX_NOTIFY``), validated before the run starts, attached right after the validator,
and closed after the bus, so the last rows and messages are delivered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from herbx.events.bus import HybridEventBus


class AttachmentError(ValueError):
    """A notification URL or metrics database setting is unusable (message has no secret)."""


class RunAttachments:
    """Notification and SQLite consumers configured for one run."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        notify: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        from herbx.events.consumers.notify import (
            AppriseSender,
            NotificationError,
            notify_urls_from,
        )

        self._notify_cfg = dict(config.get("notify") or {})
        self._db_cfg = dict(config.get("metrics_db") or {})
        self.notify_urls = notify_urls_from(config, env, notify)
        if self.notify_urls:
            try:
                AppriseSender(self.notify_urls)  # parses the URLs; sends nothing
            except NotificationError as exc:
                raise AttachmentError(str(exc)) from None
        self._closers: list[Any] = []

    def attach(self, bus: HybridEventBus, run_dir: str | os.PathLike[str]) -> None:
        """Subscribe the configured consumers to ``bus`` (before ``extraction.started``)."""
        from herbx.events.consumers.notify import attach_notifications
        from herbx.events.consumers.sqlite_metrics import SQLiteMetricsConsumer

        if self.notify_urls:
            attach_notifications(
                bus,
                self.notify_urls,
                warning_interval_s=float(self._notify_cfg.get("warning_interval_s", 600.0)),
                run_dir=run_dir,
                notify_on_end=bool(self._notify_cfg.get("on_end", True)),
            )
        if self._db_cfg.get("enabled", True):
            path = str(self._db_cfg.get("path") or "")
            self._closers.append(
                SQLiteMetricsConsumer(
                    bus,
                    Path(path).expanduser() if path else None,
                    batch_size=int(self._db_cfg.get("batch_size", 500)),
                    flush_interval_s=float(self._db_cfg.get("flush_interval_s", 1.0)),
                )
            )

    def close(self) -> None:
        """Commit and close what needs closing; call after the bus is closed."""
        for consumer in self._closers:
            consumer.close()
        self._closers.clear()
