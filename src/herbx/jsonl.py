"""Reading JSON-lines files written by herbx, with the event log's rules.

- A final line without a newline that does not parse (a writer killed mid-line) is a
  *torn tail*: reported in :attr:`JsonlReport.torn_tail_line`, never an error.
- A complete line that is not a JSON object (or that ``validate`` rejects) raises
  :class:`JsonlError` naming the file and line, unless ``lenient=True``, which records it
  in :attr:`JsonlReport.skipped_lines` and goes on.
- A line cut short in the middle of the file (a torn tail that a resumed run fenced off
  with a newline before appending, as ``raw.jsonl`` does) is recognised by its JSON ending
  early: recorded in :attr:`JsonlReport.torn_lines` and skipped. Any other garbage is an
  error.

Example::

    from herbx.jsonl import JsonlReader

    reader = JsonlReader("runs/demo/raw.jsonl")
    for obj, line in reader:
        ...
    reader.report.torn_tail_line   # None, or the line number that was skipped
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from herbx.events.log import LogError


class JsonlError(LogError):
    """A JSON-lines file cannot be read. ``str()`` is one line: ``path:line: reason``."""


@dataclass
class JsonlReport:
    """What a reader noticed: objects read, a torn tail, lines skipped when lenient."""

    objects: int = 0
    torn_tail_line: int | None = None
    torn_lines: list[int] = field(default_factory=list)
    """Earlier lines cut short by a killed writer and fenced off by a later append."""
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing was torn or skipped."""
        return self.torn_tail_line is None and not self.skipped_lines and not self.torn_lines

    def notes(self, path: str | os.PathLike[str]) -> list[str]:
        """One line per torn or skipped line, naming the file and line, for warnings."""
        out = [
            f"{path}:{n}: line cut short by an interrupted write; skipped" for n in self.torn_lines
        ]
        if self.torn_tail_line is not None:
            out.append(
                f"{path}:{self.torn_tail_line}: torn final line (interrupted write); skipped"
            )
        out.extend(f"{path}:{n}: {why}; skipped" for n, why in self.skipped_lines)
        return out


Validator = Callable[[dict[str, Any]], str | None]
"""Returns why an object is unacceptable, or ``None`` when it is fine."""


class JsonlReader:
    """Iterate ``(object, line_number)`` over a JSON-lines file; see the module docs."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lenient: bool = False,
        validate: Validator | None = None,
        what: str = "JSON-lines file",
    ) -> None:
        self.path = Path(path)
        self.lenient = lenient
        self.validate = validate
        self.what = what
        self.report = JsonlReport()

    def __iter__(self) -> Iterator[tuple[dict[str, Any], int]]:
        report = self.report = JsonlReport()
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed in finally below
        except FileNotFoundError:
            raise JsonlError(self.path, None, "no such file") from None
        except IsADirectoryError:
            raise JsonlError(self.path, None, f"is a directory, not a {self.what}") from None
        except OSError as exc:
            raise JsonlError(self.path, None, f"cannot read: {exc.strerror}") from None
        loads = orjson.loads
        try:
            line_no = 0
            for raw in fh:
                line_no += 1
                if not raw.strip():
                    continue
                try:
                    obj = loads(raw)
                except orjson.JSONDecodeError as exc:
                    if not raw.endswith(b"\n"):
                        report.torn_tail_line = line_no
                        break
                    if exc.pos >= len(raw.rstrip()) and raw.lstrip().startswith(b"{"):
                        report.torn_lines.append(line_no)
                        continue
                    self._bad(line_no, f"not valid JSON ({exc.msg} at column {exc.pos + 1})")
                    continue
                if not isinstance(obj, dict):
                    self._bad(line_no, "a JSON value that is not an object")
                    continue
                if self.validate is not None:
                    problem = self.validate(obj)
                    if problem is not None:
                        self._bad(line_no, problem)
                        continue
                report.objects += 1
                yield obj, line_no
        finally:
            fh.close()

    def _bad(self, line_no: int, reason: str) -> None:
        if not self.lenient:
            raise JsonlError(self.path, line_no, f"{reason} (use lenient reading to skip it)")
        self.report.skipped_lines.append((line_no, reason))
