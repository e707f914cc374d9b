"""Progress of a running extraction: a rich live panel on a terminal, plain lines elsewhere.

Both views subscribe to the bus and only update counters per event (cheap); drawing
happens in ``tick()``, which the runner calls from its driver loop about four times a
second, so rendering never costs the loop per-event time.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from herbx.events import Event, HybridEventBus

SPARK = "▁▂▃▄▅▆▇█"
KEY_FIELDS = ("scientificName", "country", "eventDate", "catalogNumber")


def sparkline(values: list[float]) -> str:
    """Unicode sparkline of values in 0..1."""
    return "".join(SPARK[min(int(v * (len(SPARK) - 1) + 0.5), len(SPARK) - 1)] for v in values)


def duration(seconds: float | None) -> str:
    """``1h02m``, ``3m05s``, ``12s`` or ``-``."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class RunView:
    """What a progress display knows about the run, kept up to date from events."""

    def __init__(
        self,
        bus: HybridEventBus,
        validator_state: Callable[[], dict[str, Any] | None] = lambda: None,
        *,
        rolling: int = 50,
    ) -> None:
        self.validator_state = validator_state
        self.run_id = ""
        self.model = ""
        self.total = 0
        self.succeeded = 0
        self.failed = 0
        self.skipped = 0
        self.retries = 0
        self.window: deque[bool] = deque(maxlen=rolling)
        self.history: deque[float] = deque(maxlen=48)
        self.reasons: Counter[str] = Counter()
        self.recent: deque[tuple[int, str, bool, str]] = deque(maxlen=6)
        self.started = time.monotonic()
        self.first_done: float | None = None
        self.ended: str | None = None
        bus.subscribe("*", self.on_event, name="ProgressView")

    @property
    def processed(self) -> int:
        """Specimens processed (succeeded or failed) in this run."""
        return self.succeeded + self.failed

    def on_event(self, event: Event) -> None:
        """Update counters (no drawing here)."""
        et, data = event.event_type, event.data
        if et == "specimen.completed" or et == "specimen.failed":
            ok = et == "specimen.completed"
            if ok:
                self.succeeded += 1
            else:
                self.failed += 1
                self.reasons[str(data.get("reason") or "unknown")] += 1
            if self.first_done is None:
                self.first_done = time.monotonic()
            self.window.append(ok)
            self.history.append(sum(self.window) / len(self.window))
            dwc = (data.get("result") or {}).get("dwc") or {}
            if ok:
                detail = " | ".join(str(dwc[k]) for k in KEY_FIELDS if dwc.get(k))
            else:
                detail = f"{data.get('reason')}: {data.get('message') or ''}"
            self.recent.append(
                (int(data.get("sequence") or 0), str(data.get("specimen_id")), ok, detail)
            )
        elif et == "specimen.skipped":
            self.skipped += 1
        elif et == "engine.retry":
            self.retries += 1
        elif et == "extraction.started":
            self.run_id = str(data.get("run_id") or "")
            self.model = str(data.get("model") or "")
            self.total = int(data.get("total_specimens") or 0)
            self.started = time.monotonic()
        elif et.startswith("extraction."):
            self.ended = et.split(".", 1)[1]

    def rate(self) -> float:
        """Overall success rate."""
        return self.succeeded / self.processed if self.processed else 0.0

    def rolling(self) -> float:
        """Success rate over the rolling window."""
        return sum(self.window) / len(self.window) if self.window else 0.0

    def throughput(self) -> float:
        """Specimens per minute since the run started."""
        elapsed = time.monotonic() - self.started
        return self.processed / elapsed * 60.0 if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds left at the current throughput."""
        per_min = self.throughput()
        left = self.total - self.processed - self.skipped
        return left / per_min * 60.0 if per_min > 0 and left >= 0 else None


class LivePanel(RunView):
    """Rich live panel: counts, rates with a sparkline, throughput, ETA, reasons, validator."""

    def __init__(
        self,
        bus: HybridEventBus,
        validator_state: Callable[[], dict[str, Any] | None] = lambda: None,
        *,
        console: Console | None = None,
        refresh_per_second: float = 4.0,
    ) -> None:
        super().__init__(bus, validator_state)
        self.interval = 1.0 / refresh_per_second
        self._last = 0.0
        self.live = Live(
            self.render(),
            console=console or Console(stderr=True),
            auto_refresh=False,
            transient=False,
        )
        self.live.start()

    def tick(self) -> None:
        """Redraw at most ``refresh_per_second`` times a second."""
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.live.update(self.render(), refresh=True)

    def close(self) -> None:
        """Draw the final state and release the terminal."""
        self.live.update(self.render(), refresh=True)
        self.live.stop()

    def render(self) -> Panel:
        """The panel as a rich renderable."""
        done, total = self.processed, self.total
        head = Table.grid(padding=(0, 2))
        head.add_row(
            Text(f"{done + self.skipped}/{total}", style="bold"),
            Text(f"ok {self.succeeded}", style="green"),
            Text(f"failed {self.failed}", style="red" if self.failed else ""),
            Text(f"skipped {self.skipped}"),
            Text(f"{self.throughput():.1f}/min"),
            Text(f"ETA {duration(self.eta())}"),
        )
        rates = Text.assemble(
            ("success ", "bold"),
            f"{self.rate():.0%} overall, {self.rolling():.0%} last {len(self.window)}  ",
            (sparkline(list(self.history)), "cyan"),
        )
        parts: list[Any] = [head, rates]
        if self.reasons:
            parts.append(
                Text("failures: " + ", ".join(f"{r} {n}" for r, n in self.reasons.most_common(4)))
            )
        state = self.validator_state()
        if state:
            closeness = float(state.get("closeness") or 0.0)
            bar = "█" * int(closeness * 20) + "·" * (20 - int(closeness * 20))
            style = "red" if closeness > 0.7 else "yellow" if closeness > 0.4 else "green"
            verdict = "stopped" if state.get("stopped") else f"{closeness:.0%} of the way to a stop"
            parts.append(Text.assemble(("validator ", "bold"), (bar, style), f" {verdict}"))
        recent = Table(box=None, show_header=False, padding=(0, 1))
        for seq, sid, ok, detail in list(self.recent)[::-1]:
            recent.add_row(
                str(seq),
                Text("ok" if ok else "FAIL", style="green" if ok else "red"),
                sid,
                detail[:80],
            )
        parts.append(recent)
        title = f"herbx extract {self.run_id}" + (f" ({self.model})" if self.model else "")
        return Panel(Group(*parts), title=title, expand=False)


class PlainProgress(RunView):
    """One progress line every ``interval`` seconds (and at the end), for logs and pipes."""

    def __init__(
        self,
        bus: HybridEventBus,
        validator_state: Callable[[], dict[str, Any] | None] = lambda: None,
        *,
        stream: TextIO | None = None,
        interval: float = 5.0,
    ) -> None:
        super().__init__(bus, validator_state)
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = time.monotonic()
        self._printed_at = -1

    def line(self) -> str:
        """The current progress line."""
        return (
            f"herbx: {self.processed + self.skipped}/{self.total} "
            f"({self.succeeded} ok, {self.failed} failed, {self.skipped} skipped), "
            f"success {self.rate():.0%} (last {len(self.window)}: {self.rolling():.0%}), "
            f"{self.throughput():.1f}/min, ETA {duration(self.eta())}"
        )

    def tick(self) -> None:
        """Print a line when ``interval`` seconds have passed and something changed."""
        now = time.monotonic()
        if now - self._last >= self.interval and self.processed != self._printed_at:
            self._last = now
            self.emit_line()

    def emit_line(self) -> None:
        """Print the current line now."""
        self._printed_at = self.processed
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Print the final line."""
        if self.processed != self._printed_at:
            self.emit_line()
