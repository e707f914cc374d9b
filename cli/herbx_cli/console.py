"""Where the CLI writes: stdout for results, stderr for diagnostics; NO_COLOR honoured."""

from __future__ import annotations

import os
import sys

from rich.console import Console


class Output:
    """Lazily created rich consoles, so tests that swap ``sys.stdout`` see the output."""

    @property
    def console(self) -> Console:
        """Console on the current stdout (colour off with NO_COLOR or off a terminal)."""
        return Console(file=sys.stdout, no_color="NO_COLOR" in os.environ, soft_wrap=True)

    @property
    def err(self) -> Console:
        """Console on the current stderr."""
        return Console(
            file=sys.stderr, no_color="NO_COLOR" in os.environ, soft_wrap=True, stderr=True
        )

    def print_plain(self, text: str) -> None:
        """Write one line to stdout without markup interpretation."""
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def error(self, text: str) -> None:
        """Write one ``error:`` line to stderr (no traceback, no markup)."""
        sys.stderr.write(f"herbx: error: {text}\n")
        sys.stderr.flush()


out = Output()
