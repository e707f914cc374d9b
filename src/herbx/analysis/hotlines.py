"""Typed decoding of the lines that make up almost every log, for the summary readers.

``specimen.processing``, ``specimen.completed`` and ``specimen.failed`` lines are nearly all
of a big log. msgspec decodes such a line straight into the few fields a summary reads and
skips the rest (confidences, metrics, hashes) without building Python objects for it, which
costs about half of what ``orjson.loads`` of the whole line does.

The shapes below are strict on purpose: :func:`decode_hot` returns a value only when the
line is valid JSON *and* every field it keeps has exactly the type the summary's general
code expects (a version-1 envelope, ``seq`` an integer, ``specimen_id`` a string, numbers
where numbers are counted...). Anything else (other event types, odd values, an older
envelope, invalid JSON) gives None and the caller reads the line with ``orjson`` and the
general code. Two gaps of msgspec are closed here: it does not check UTF-8 inside skipped
strings (lines that are not ASCII are checked with a real decode) and it keeps integers
wider than 64 bits that orjson turns into floats (the integer fields are bounded, so such
lines take the general path).

One difference remains, on purpose: a number too large for a double (``1e400``, or an
integer of hundreds of digits) in a field the summary does not read is not evaluated, so
the typed reader counts that line, where orjson (which cannot represent the number)
calls it invalid. Such a line is still JSON by the grammar; herbx never writes one
(orjson cannot serialize it), and catching it would mean parsing every number of every
line, the work this module exists to skip. Everything else the typed reader accepts,
orjson accepts with the same values (tested with Hypothesis).

Example::

    from herbx.analysis.hotlines import decode_hot

    line = decode_hot(raw_bytes)
    if line is not None and line.event_type == "specimen.completed":
        print(line.data.specimen_id)
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import msgspec

from herbx.events.types import ENVELOPE_VERSION

#: Integers orjson keeps as integers (it turns wider ones into floats; msgspec keeps them).
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class Timings(msgspec.Struct):
    """``data.timings``: only the total is read."""

    total_ms: float | None = None


class Usage(msgspec.Struct):
    """``data.usage`` (or ``data.result.usage``): tokens and cost."""

    prompt_tokens: Int64 | None = None
    completion_tokens: Int64 | None = None
    total_tokens: Int64 | None = None
    cost_usd: float | None = None

    def count_tokens(self, tokens: Counter[str]) -> None:
        """Add the token counts present here to ``tokens`` (a key appears when first seen)."""
        if self.prompt_tokens is not None:
            tokens["prompt_tokens"] += self.prompt_tokens
        if self.completion_tokens is not None:
            tokens["completion_tokens"] += self.completion_tokens
        if self.total_tokens is not None:
            tokens["total_tokens"] += self.total_tokens


class Result(msgspec.Struct):
    """``data.result``: the Darwin Core terms, a reason and usage."""

    dwc: dict[str, str | None] | None = None
    reason: str | None = None
    usage: Usage | None = None


class Data(msgspec.Struct):
    """``data`` of a specimen event."""

    specimen_id: str
    sequence: Int64 | None = None
    timings: Timings | None = None
    result: Result | None = None
    reason: str | None = None
    message: str | None = None
    usage: Usage | None = None

    def failure_reason(self) -> str:
        """The reason of a failure: its own, its result's, or ``unknown``."""
        return (
            self.reason or (self.result.reason if self.result is not None else None) or ("unknown")
        )

    def message_excerpt(self) -> str | None:
        """The first 300 characters of the message, as a summary keeps them."""
        return self.message[:300] if self.message is not None else None

    def any_usage(self) -> Usage | None:
        """Its usage, or its result's when it has none of its own."""
        if self.usage is None and self.result is not None:
            return self.result.usage
        return self.usage


class HotLine(msgspec.Struct):
    """A version-1 envelope whose ``data`` is a specimen event's."""

    v: Int64
    seq: Int64
    event_type: str
    data: Data
    timestamp: str = ""


#: Decodes a line into a :class:`HotLine` (raises on anything else). Only for lines that
#: are ASCII or pass :func:`utf8_ok`, as :func:`decode_hot` does.
decode_line = msgspec.json.Decoder(HotLine).decode


def utf8_ok(raw: bytes) -> bool:
    """True if ``raw`` is valid UTF-8 (msgspec does not check the strings it skips)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_hot(raw: bytes) -> HotLine | None:
    """``raw`` decoded as a specimen event line, or None when the general reader must read it."""
    if not (raw.isascii() or utf8_ok(raw)):
        return None
    try:
        line = decode_line(raw)
    except Exception:  # invalid JSON, another shape, too deep: the general path decides
        return None
    return line if line.v == ENVELOPE_VERSION else None
