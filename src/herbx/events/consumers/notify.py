"""Notifications on Apprise: a stopped run, a systemic engine error, warnings, the end.

One URL per service (``slack://...``, ``mailto://...``, ``ntfy://...``, ``json://host/path``
and everything else Apprise knows). The consumer is subscribed asynchronously, so a slow or
dead service never slows or stops the extraction; a failed delivery becomes a
``consumer.error`` event. URLs carry secrets: only :func:`mask_notify_url` forms of them are
ever written or shown.

Example::

    from herbx.events import HybridEventBus
    from herbx.events.consumers.notify import attach_notifications

    with HybridEventBus("runs/r1/events.jsonl") as bus:
        attach_notifications(bus, ["ntfy://herbx-alerts"], warning_interval_s=900)
        ...  # run the extraction
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from herbx.events.types import Event

#: Apprise schemes whose host part is a real host (not a token), so it may be shown.
_HOST_SCHEMES = frozenset(
    {
        "json",
        "jsons",
        "form",
        "forms",
        "xml",
        "xmls",
        "http",
        "https",
        "ntfy",
        "ntfys",
        "mailto",
        "mailtos",
        "matrix",
        "matrixs",
        "gotify",
        "gotifys",
        "mqtt",
        "mqtts",
    }
)
_SPLIT_URLS = re.compile(r"[\s,]+")


class NotificationError(RuntimeError):
    """A notification could not be delivered to at least one service."""


def mask_notify_url(url: str) -> str:
    """Show an Apprise URL without its secrets: the scheme, and the host when it is one.

    Credentials, paths and query strings (where tokens live) become ``***``. For schemes
    whose "host" is itself a token (``slack://TokenA/TokenB/...``) only the scheme remains.

    >>> mask_notify_url("json://user:pw@127.0.0.1:8080/hook?token=abc")
    'json://***@127.0.0.1:8080/***'
    >>> mask_notify_url("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general")
    'slack://***'
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***"
    scheme = scheme.lower()
    if scheme not in _HOST_SCHEMES:
        return f"{scheme}://***"
    try:
        parts = urlsplit(f"http://{rest}")
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{scheme}://***"
    if not host:
        return f"{scheme}://***"
    user = "***@" if "@" in parts.netloc else ""
    tail = "/***" if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    return f"{scheme}://{user}{host}{port}{tail}"


def notify_urls_from(
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    flags: Iterable[str] = (),
) -> list[str]:
    """Notification URLs from ``--notify`` flags, ``HERBX_NOTIFY`` and ``[notify] urls``.

    Flags win: when any are given, the environment and config are not used. Otherwise
    ``HERBX_NOTIFY`` (URLs separated by spaces or commas) wins over the config file.
    Duplicates are dropped, order kept.
    """
    env = os.environ if env is None else env
    chosen = [u for u in flags if u]
    if not chosen and env.get("HERBX_NOTIFY"):
        chosen = [u for u in _SPLIT_URLS.split(env["HERBX_NOTIFY"]) if u]
    if not chosen and config is not None:
        urls = (config.get("notify") or {}).get("urls") or []
        chosen = [urls] if isinstance(urls, str) else [str(u) for u in urls if u]
    return list(dict.fromkeys(chosen))


@dataclass(frozen=True)
class Notification:
    """One message: what Apprise sends (``kind`` is its notify type)."""

    title: str
    body: str
    kind: str  # info | success | warning | failure


Sender = Callable[[Notification], None]


class AppriseSender:
    """Delivers :class:`Notification` objects to every URL through one Apprise object.

    Raises :class:`NotificationError` naming the masked URLs when a URL is not understood
    (at construction) or a delivery fails.
    """

    def __init__(self, urls: Iterable[str]) -> None:
        import apprise  # lazy: importing herbx.events must stay light

        self.urls = list(urls)
        self.masked = [mask_notify_url(u) for u in self.urls]
        self._apprise = apprise.Apprise()
        bad = [m for u, m in zip(self.urls, self.masked, strict=True) if not self._apprise.add(u)]
        if bad:
            raise NotificationError(f"not a notification URL Apprise understands: {', '.join(bad)}")
        self._types = {
            "info": apprise.NotifyType.INFO,
            "success": apprise.NotifyType.SUCCESS,
            "warning": apprise.NotifyType.WARNING,
            "failure": apprise.NotifyType.FAILURE,
        }

    def __call__(self, note: Notification) -> None:
        """Send one notification to every URL; raise if any delivery failed."""
        ok = self._apprise.notify(
            body=note.body,
            title=note.title,
            notify_type=self._types.get(note.kind, self._types["info"]),
        )
        if not ok:
            raise NotificationError(
                f"could not deliver {note.kind} notification to {', '.join(self.masked)}"
            )


def _pct(value: Any) -> str:
    return f"{float(value):.0%}" if isinstance(value, int | float) else "?"


def _duration(value: Any) -> str:
    if not isinstance(value, int | float):
        return "?"
    s = int(value)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class NotificationConsumer:
    """Sends a notification when a run is stopped or ends, on systemic errors and warnings.

    - ``extraction.failed`` (a validation stop): why, the numbers, the run directory;
    - the first ``specimen.failed`` with ``"systemic": true`` of a run (bad key, no credit);
    - ``validation.warning``: at most one per ``warning_interval_s`` seconds; the next one
      says how many were held back;
    - ``extraction.completed`` and ``extraction.interrupted`` (the end of the run), unless
      ``notify_on_end=False``.

    Subscribed with ``asynchronous=True``: ``emit()`` never waits for a service. A failed
    delivery raises :class:`NotificationError` on the consumer thread, which the bus turns
    into a ``consumer.error`` event (its message names only masked URLs).

    ``sender`` replaces Apprise (any callable taking a :class:`Notification`); ``clock``
    replaces ``time.monotonic`` for the warning rate limit.
    """

    def __init__(
        self,
        event_bus: Any,
        urls: Iterable[str],
        *,
        warning_interval_s: float = 600.0,
        run_dir: str | os.PathLike[str] | None = None,
        notify_on_end: bool = True,
        sender: Sender | None = None,
        clock: Callable[[], float] = time.monotonic,
        queue_size: int = 1000,
    ) -> None:
        if warning_interval_s < 0:
            raise ValueError("warning_interval_s must be 0 or more seconds")
        self.urls = list(urls)
        self.masked_urls = [mask_notify_url(u) for u in self.urls]
        self.send: Sender = sender if sender is not None else AppriseSender(self.urls)
        self.warning_interval_s = float(warning_interval_s)
        self.notify_on_end = notify_on_end
        log_path = getattr(event_bus, "event_log_path", None)
        if run_dir is not None:
            self.run_dir: str | None = str(run_dir)
        elif log_path is not None:
            self.run_dir = str(Path(log_path).parent)
        else:
            self.run_dir = None
        self._clock = clock
        self._state_lock = threading.Lock()  # held briefly, never while sending
        self._send_lock = threading.Lock()  # one Apprise delivery at a time
        self.sent: list[Notification] = []
        self.suppressed_warnings = 0
        self._last_warning: float | None = None
        self._run_id: str | None = None
        self._total: int | None = None
        self._systemic_sent = False
        name = "NotificationConsumer"
        # The start of a run only resets counters (no I/O), so it runs synchronously: every
        # later event, whichever queue it waits in, is judged against the new run's state.
        # Each kind of event gets its own queue so a flood of failures never crowds out
        # the end-of-run message.
        self.subscriptions = [
            event_bus.subscribe("extraction.started", self.on_started, name=name),
            *(
                event_bus.subscribe(
                    pattern, self.on_event, asynchronous=True, queue_size=queue_size, name=name
                )
                for pattern in ("extraction.*", "validation.warning", "specimen.failed")
            ),
        ]

    # -- events -------------------------------------------------------------------------

    def on_started(self, event: Event) -> None:
        """Reset the per-run state (synchronous and cheap)."""
        with self._state_lock:
            self.message_for(event)

    def on_event(self, event: Event) -> None:
        """Decide whether ``event`` deserves a message, and send it (consumer threads)."""
        if event.event_type == "extraction.started":
            return  # handled synchronously by on_started
        with self._state_lock:
            note = self.message_for(event)
        if note is None:
            return
        with self._send_lock:
            self.send(note)
        with self._state_lock:
            self.sent.append(note)

    def message_for(self, event: Event) -> Notification | None:
        """The notification ``event`` calls for (None for most events). Updates state."""
        et, d = event.event_type, event.data
        if et == "extraction.started":
            self._run_id = str(d.get("run_id") or event.run_id or "")
            total = d.get("total_specimens")
            self._total = int(total) if isinstance(total, int | float) else None
            self._systemic_sent = False
            self._last_warning = None
            self.suppressed_warnings = 0
            return None
        run = self._run_id or event.run_id or "run"
        if et == "specimen.failed":
            if not d.get("systemic") or self._systemic_sent:
                return None
            self._systemic_sent = True
            return Notification(
                f"herbx: engine error in {run}",
                self._body(
                    f"The engine reported an error no retry can fix "
                    f"({d.get('reason', 'engine_systemic')}): {d.get('message', '')}".rstrip(": "),
                    [f"Specimen: {d.get('specimen_id', '?')} (#{d.get('sequence', '?')})"],
                ),
                "failure",
            )
        if et == "validation.warning":
            now = self._clock()
            if (
                self._last_warning is not None
                and now - self._last_warning < self.warning_interval_s
            ):
                self.suppressed_warnings += 1
                return None
            held = self.suppressed_warnings
            self._last_warning, self.suppressed_warnings = now, 0
            lines = [
                f"Rolling success rate: {_pct(d.get('success_rate'))} over the last "
                f"{d.get('window', '?')} specimens (threshold {_pct(d.get('threshold'))})",
                f"Overall: {_pct(d.get('overall_success_rate'))} after "
                f"{d.get('processed', '?')} specimens",
            ]
            if held:
                lines.append(f"({held} earlier warning(s) held back by the rate limit)")
            return Notification(
                f"herbx: low success rate in {run}", self._body("", lines), "warning"
            )
        if et == "extraction.failed":
            return Notification(
                f"herbx: run {run} stopped",
                self._body(
                    str(d.get("message") or d.get("reason") or "stopped"),
                    self._accounting(d, with_reason=True),
                ),
                "failure",
            )
        if et in ("extraction.completed", "extraction.interrupted") and self.notify_on_end:
            done = et == "extraction.completed"
            return Notification(
                f"herbx: run {run} {'completed' if done else 'interrupted'}",
                self._body("", self._accounting(d, with_reason=False)),
                "success" if done else "warning",
            )
        return None

    # -- message text -------------------------------------------------------------------

    def _accounting(self, d: Mapping[str, Any], *, with_reason: bool) -> list[str]:
        processed = d.get("total_processed", d.get("processed"))
        ok = d.get("successful", d.get("success_count"))
        failed = d.get("failed", d.get("failed_count"))
        total = d.get("total_specimens", d.get("total", self._total))
        lines = [
            f"Processed: {processed if processed is not None else '?'}"
            + (f" of {total}" if total is not None else ""),
            f"Succeeded: {ok if ok is not None else '?'}, failed: "
            f"{failed if failed is not None else '?'} (success rate {_pct(d.get('success_rate'))})",
        ]
        if d.get("skipped"):
            lines.append(f"Skipped (already done): {d['skipped']}")
        if d.get("duration_s") is not None:
            lines.append(f"Duration: {_duration(d.get('duration_s'))}")
        if with_reason and d.get("reason"):
            lines.append(f"Reason: {d['reason']}")
        return lines

    def _body(self, headline: str, lines: list[str]) -> str:
        out = [headline] if headline else []
        out += lines
        if self.run_dir:
            out.append(f"Run directory: {self.run_dir}")
        return "\n".join(out)


def attach_notifications(
    event_bus: Any,
    urls: Iterable[str],
    *,
    warning_interval_s: float = 600.0,
    run_dir: str | os.PathLike[str] | None = None,
    notify_on_end: bool = True,
) -> NotificationConsumer | None:
    """Subscribe a :class:`NotificationConsumer` for ``urls``; None when there are none.

    This is what ``herbx extract --notify URL`` calls. Raises :class:`NotificationError`
    (message with masked URLs only) when a URL is not one Apprise understands.
    """
    url_list = [u for u in urls if u]
    if not url_list:
        return None
    return NotificationConsumer(
        event_bus,
        url_list,
        warning_interval_s=warning_interval_s,
        run_dir=run_dir,
        notify_on_end=notify_on_end,
    )
