"""Success over time in bounded memory, threshold crossings, and text sparklines.

Example::

    from herbx.analysis.timeline import OutcomeTimeline, sparkline

    tl = OutcomeTimeline(max_buckets=64)
    for ok in [True] * 80 + [False] * 20:
        tl.add(ok)
    sparkline(tl.rates(), width=10)  # "██████▁▁" style text
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

_BLOCKS = "▁▂▃▄▅▆▇█"


class OutcomeTimeline:
    """Outcomes in order, kept as at most ``max_buckets`` equal-width buckets.

    When the buckets are full, neighbours are merged pairwise and the width doubles, so
    memory stays constant however many specimens a run has.
    """

    __slots__ = ("_n", "_ok", "max_buckets", "width")

    def __init__(self, max_buckets: int = 256) -> None:
        if max_buckets < 2:
            raise ValueError("max_buckets must be at least 2")
        self.max_buckets = max_buckets
        self.width = 1
        self._n: list[int] = []
        self._ok: list[int] = []

    def add(self, ok: bool) -> None:
        """Record one outcome."""
        n = self._n
        if not n or n[-1] >= self.width:
            if len(n) >= self.max_buckets:
                self._merge()
                n = self._n  # merging makes new lists
            if not n or n[-1] >= self.width:
                n.append(0)
                self._ok.append(0)
        n[-1] += 1
        if ok:
            self._ok[-1] += 1

    def add_many(self, oks: bytes) -> None:
        """Record outcomes given as bytes (1 success, 0 failure): the same as one add() each."""
        pos, end = 0, len(oks)
        while pos < end:
            n = self._n
            if not n or n[-1] >= self.width:
                if len(n) >= self.max_buckets:
                    self._merge()
                    n = self._n
                if not n or n[-1] >= self.width:
                    n.append(0)
                    self._ok.append(0)
            take = min(self.width - n[-1], end - pos)
            n[-1] += take
            self._ok[-1] += oks.count(1, pos, pos + take)
            pos += take

    def _merge(self) -> None:
        n, ok = self._n, self._ok
        self._n = [sum(n[i : i + 2]) for i in range(0, len(n), 2)]
        self._ok = [sum(ok[i : i + 2]) for i in range(0, len(ok), 2)]
        self.width *= 2

    @property
    def total(self) -> int:
        """Outcomes recorded."""
        return sum(self._n)

    def rates(self) -> list[float]:
        """Success rate of each bucket, oldest first."""
        return [o / n for n, o in zip(self._n, self._ok, strict=True) if n]

    def buckets(self) -> list[tuple[int, int, int]]:
        """``(first_specimen, count, successes)`` per bucket; specimens count from 1."""
        out = []
        first = 1
        for n, o in zip(self._n, self._ok, strict=True):
            out.append((first, n, o))
            first += n
        return out


@dataclass(frozen=True)
class Crossing:
    """The rolling success rate crossed the threshold at this specimen."""

    processed: int
    """Outcomes counted in the run when it happened (1-based)."""
    direction: str
    """``below`` (dropped under the threshold) or ``above`` (recovered)."""
    rolling_rate: float
    specimen_id: str | None
    sequence: int | None
    timestamp: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return asdict(self)


class CrossingDetector:
    """Rolling success rate over ``window`` outcomes, and where it crosses ``threshold``.

    Judged once the window is full. A run that is below from its first full window counts
    as a crossing there. At most ``keep`` crossings are kept; :attr:`count` has them all.
    """

    __slots__ = (
        "_below",
        "_cut",
        "_full",
        "_sum",
        "_window",
        "count",
        "crossings",
        "keep",
        "threshold",
        "window",
    )

    def __init__(self, threshold: float, window: int = 50, keep: int = 100) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.threshold = threshold
        self.window = window
        self.keep = keep
        # "below" means successes / window < threshold; the same test on the integer count:
        # below exactly when the count is under _cut (found with the same float division).
        self._cut = next((s for s in range(window + 1) if not s / window < threshold), window + 1)
        self._window: deque[bool] = deque(maxlen=window)
        self._sum = 0
        self._full = False
        self._below: bool | None = None
        self.crossings: list[Crossing] = []
        self.count = 0

    def add(
        self,
        ok: bool,
        processed: int,
        specimen_id: str | None = None,
        sequence: int | None = None,
        timestamp: str = "",
    ) -> None:
        """Record one outcome with where it happened."""
        w = self._window
        if self._full:
            total = self._sum - w[0] + ok
        else:
            total = self._sum + ok
            self._full = len(w) + 1 == self.window
            if not self._full:
                w.append(ok)
                self._sum = total
                return
        w.append(ok)
        self._sum = total
        below = total < self._cut
        if below is not self._below and (below or self._below is not None):
            self.count += 1
            if len(self.crossings) < self.keep:
                self.crossings.append(
                    Crossing(
                        processed,
                        "below" if below else "above",
                        total / self.window,
                        specimen_id,
                        sequence,
                        timestamp,
                    )
                )
        self._below = below

    def add_many(self, oks: bytes, first_processed: int) -> list[tuple[int, int]]:
        """Record outcomes given as bytes (1 success, 0 failure), the first at ``first_processed``.

        The same as one :meth:`add` each, without where they happened: returns, for each
        crossing kept, its index in :attr:`crossings` and the index in ``oks`` of the outcome,
        so the caller can fill in the specimen, sequence and time.
        """
        found: list[tuple[int, int]] = []
        w = self._window
        window, cut = self.window, self._cut
        total, full, was_below = self._sum, self._full, self._below
        crossings = self.crossings
        for i, ok in enumerate(oks):
            if full:
                total += ok - w[0]
            else:
                total += ok
                full = len(w) + 1 == window
                if not full:
                    w.append(bool(ok))
                    continue
            w.append(bool(ok))
            below = total < cut
            if below is not was_below and (below or was_below is not None):
                self.count += 1
                if len(crossings) < self.keep:
                    found.append((len(crossings), i))
                    crossings.append(
                        Crossing(
                            first_processed + i,
                            "below" if below else "above",
                            total / window,
                            None,
                            None,
                            "",
                        )
                    )
            was_below = below
        self._sum, self._full, self._below = total, full, was_below
        return found

    def reset(self) -> None:
        """Start a new run (the window empties; kept crossings stay)."""
        self._window.clear()
        self._sum = 0
        self._full = False
        self._below = None


def resample(values: Sequence[float], width: int) -> list[float]:
    """Average ``values`` down to at most ``width`` points (longer input only)."""
    if width < 1:
        raise ValueError("width must be at least 1")
    if len(values) <= width:
        return list(values)
    out = []
    step = len(values) / width
    for i in range(width):
        lo, hi = int(i * step), max(int((i + 1) * step), int(i * step) + 1)
        chunk = values[lo:hi]
        out.append(sum(chunk) / len(chunk))
    return out


def sparkline(values: Sequence[float], width: int = 60, lo: float = 0.0, hi: float = 1.0) -> str:
    """One character per point on a fixed ``lo``..``hi`` scale (success rates: 0..1)."""
    span = hi - lo if hi > lo else 1.0
    chars = []
    top = len(_BLOCKS) - 1
    for v in resample(values, width):
        frac = min(max((v - lo) / span, 0.0), 1.0)
        chars.append(_BLOCKS[round(frac * top)])
    return "".join(chars)
