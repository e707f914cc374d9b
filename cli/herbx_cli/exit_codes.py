"""Exit codes of the ``herbx`` command, the same for every subcommand."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented in ``docs/cli.md``."""

    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    STOPPED_BY_VALIDATION = 3
    INTERRUPTED = 130
