"""A run directory's results: ``raw.jsonl`` read back, one result per image.

``raw.jsonl`` gets one line per specimen attempt, and a resumed run appends more lines.
The result that counts for an image (keyed by ``sha256``) is its **last** line, with one
exception: a succeeded line is never replaced by a later failed one, so a failed retry of a
specimen (other settings, a forced re-run) does not throw away a good record.

Example::

    from herbx.dwc.results import load_run

    run = load_run("runs/2026-11-26T1903-ocr")
    for r in run.succeeded:
        print(r.image, r.dwc.get("scientificName"))
    run.notes   # torn or skipped lines, one sentence each
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from herbx.jsonl import JsonlError, JsonlReader


class RunResultsError(ValueError):
    """A run directory cannot be read. ``str()`` is one line naming the file (and line)."""


@dataclass(frozen=True, slots=True)
class SpecimenResult:
    """One image's result as written by the runner (see the module docs for which line)."""

    sha256: str
    image: str
    status: str
    dwc: dict[str, str]
    specimen_id: str | None = None
    run_id: str | None = None
    reason: str | None = None
    message: str | None = None
    engine: str | None = None
    model: str | None = None
    settings_hash: str | None = None
    flags_json: str = "[]"
    """``flags`` as compact JSON: a million parsed lists would not fit in memory."""
    confidence_json: str = "{}"
    raw_text: str | None = None
    timestamp: str | None = None
    image_path: str | None = None
    line: int = 0
    """Line of ``raw.jsonl`` this result came from."""

    @property
    def flags(self) -> list[dict[str, Any]]:
        """Normalization flags: ``[{"term", "value", "problem"}, ...]``."""
        value = orjson.loads(self.flags_json)
        return value if isinstance(value, list) else []

    @property
    def confidence(self) -> dict[str, float]:
        """Per-term confidence in 0..1."""
        value = orjson.loads(self.confidence_json)
        return value if isinstance(value, dict) else {}

    @property
    def succeeded(self) -> bool:
        """True when the runner judged this record a success."""
        return self.status == "succeeded"

    @property
    def file_name(self) -> str:
        """The image's file name without folders (truth files are keyed by it)."""
        return self.image.replace("\\", "/").rsplit("/", 1)[-1]

    @classmethod
    def from_line(
        cls, obj: Mapping[str, Any], line: int, *, keep_text: bool = True
    ) -> SpecimenResult:
        """Build from one parsed ``raw.jsonl`` object (already validated).

        Values repeated on every line (engine, model, run id...) are interned, and
        ``keep_text=False`` drops ``raw_text``, so a million results fit in memory.
        """
        dwc = obj.get("dwc") or {}
        confidence = obj.get("confidence") or {}
        return cls(
            sha256=str(obj["sha256"]),
            image=str(obj.get("image") or obj.get("image_path") or obj["sha256"]),
            status=_intern(obj["status"]) or "failed",
            dwc={str(k): str(v) for k, v in dwc.items() if v not in (None, "")},
            specimen_id=_opt(obj.get("specimen_id")),
            run_id=_intern(obj.get("run_id")),
            reason=_intern(obj.get("reason")),
            message=_opt(obj.get("message")),
            engine=_intern(obj.get("engine")),
            model=_intern(obj.get("model")),
            settings_hash=_intern(obj.get("settings_hash")),
            flags_json=_compact([f for f in obj.get("flags") or [] if isinstance(f, dict)], "[]"),
            confidence_json=_compact(
                {str(k): float(v) for k, v in confidence.items() if isinstance(v, int | float)},
                "{}",
            ),
            raw_text=_opt(obj.get("raw_text")) if keep_text else None,
            timestamp=_opt(obj.get("timestamp")),
            image_path=_opt(obj.get("image_path")),
            line=line,
        )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _compact(value: Any, empty: str) -> str:
    # decoded to str: orjson's bytes keep their over-allocated buffer (kilobytes each)
    return orjson.dumps(value).decode() if value else empty


def _intern(value: Any) -> str | None:
    return None if value is None else sys.intern(str(value))


def _validate(obj: dict[str, Any]) -> str | None:
    for key in ("sha256", "status"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            return f"result without a {key!r} (not a raw.jsonl line)"
    if obj["status"] not in ("succeeded", "failed"):
        return f"status {obj['status']!r} is neither 'succeeded' nor 'failed'"
    if not isinstance(obj.get("dwc") or {}, dict):
        return "'dwc' is not an object"
    if not isinstance(obj.get("confidence") or {}, dict):
        return "'confidence' is not an object"
    return None


@dataclass
class RunResults:
    """Everything needed from one run directory to export or evaluate it."""

    path: Path
    results: list[SpecimenResult]
    manifest: dict[str, Any]
    lines: int = 0
    notes: list[str] = field(default_factory=list)
    """Torn or skipped lines, one sentence each naming file and line, for a warning."""

    @property
    def succeeded(self) -> list[SpecimenResult]:
        """Results judged successful, in first-seen order."""
        return [r for r in self.results if r.succeeded]

    @property
    def failed(self) -> list[SpecimenResult]:
        """Results judged failed, in first-seen order."""
        return [r for r in self.results if not r.succeeded]

    @property
    def run_id(self) -> str:
        """The run id from ``run.json``, the results, or the folder name."""
        rid = self.manifest.get("run_id")
        if isinstance(rid, str) and rid:
            return rid
        for r in self.results:
            if r.run_id:
                return r.run_id
        return self.path.name

    @property
    def label(self) -> str:
        """``engine/model`` of this run (``engine`` alone when it has no model)."""
        engine = self.manifest.get("engine") or next(
            (r.engine for r in self.results if r.engine), None
        )
        model = self.manifest.get("model") or next((r.model for r in self.results if r.model), None)
        if engine and model and model != engine:
            return f"{engine}/{model}"
        return str(engine or model or "unknown")


def load_run(
    run_dir: str | os.PathLike[str], *, lenient: bool = False, keep_text: bool = False
) -> RunResults:
    """Read ``raw.jsonl`` and ``run.json`` of a run directory.

    A torn final line is skipped and noted; a corrupt line raises :class:`RunResultsError`
    naming it (``lenient=True`` skips and notes it instead). A missing ``run.json`` is
    fine (an empty manifest); an unreadable one is an error. ``raw_text`` (the engine's
    OCR text or answer) is only kept with ``keep_text=True``.
    """
    path = Path(run_dir)
    if not path.exists():
        raise RunResultsError(f"{path}: no such run directory")
    if not path.is_dir():
        raise RunResultsError(f"{path}: not a run directory (expected a folder)")
    raw = path / "raw.jsonl"
    if not raw.exists():
        raise RunResultsError(f"{path}: no raw.jsonl in this folder; is it a herbx run directory?")
    reader = JsonlReader(raw, lenient=lenient, validate=_validate, what="raw.jsonl")
    chosen: dict[str, SpecimenResult] = {}
    lines = 0
    try:
        for obj, line in reader:
            lines += 1
            result = SpecimenResult.from_line(obj, line, keep_text=keep_text)
            previous = chosen.get(result.sha256)
            if previous is not None and previous.succeeded and not result.succeeded:
                continue
            chosen[result.sha256] = result
    except JsonlError as exc:
        raise RunResultsError(str(exc)) from None
    return RunResults(
        path=path,
        results=list(chosen.values()),
        manifest=_manifest(path / "run.json"),
        lines=lines,
        notes=reader.report.notes(raw),
    )


def _manifest(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise RunResultsError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RunResultsError(f"{path}: not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise RunResultsError(f"{path}: not a JSON object")
    return value
