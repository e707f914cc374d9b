"""Backoff delays and ``Retry-After`` parsing for transient HTTP failures."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

_RNG = random.Random()

#: HTTP statuses worth retrying: timeouts, conflicts, rate limits and server-side trouble.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})


def backoff_delay(
    retry: int,
    *,
    base_s: float,
    cap_s: float,
    jitter: float,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``retry`` (1-based): ``base * 2**(retry-1)``, capped, jittered.

    Jitter scales the delay by a random factor in ``[1 - jitter, 1]`` so that many workers
    hit by the same rate limit do not come back in lockstep.

    >>> backoff_delay(3, base_s=1.0, cap_s=60.0, jitter=0.0)
    4.0
    """
    delay: float = min(cap_s, base_s * 2.0 ** max(0, retry - 1))
    draw: float = (rng or _RNG).random() if jitter else 0.0
    factor = 1.0 - jitter * draw
    return max(0.0, delay * factor)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent.

    >>> parse_retry_after("7")
    7.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)
