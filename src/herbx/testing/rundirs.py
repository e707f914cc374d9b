"""Build run directories (``raw.jsonl`` + ``run.json``) without running an engine.

For tests of code that reads runs (export, evaluation): each record is normalized and
judged exactly as the runner does, so the lines look like a real run's.

Example::

    from herbx.testing.rundirs import RunBuilder

    run = RunBuilder(tmp_path / "r1", engine="ocr")
    run.add("sheets/DAS_1.jpg", {"scientificName": "Carex nigra", ...})
    run.add("sheets/blank.jpg", {}, reason="bad_image")
    run.write()
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from herbx.dwc.normalize import normalize_terms
from herbx.dwc.success import SuccessRule


class RunBuilder:
    """Collects specimen results and writes them as a herbx run directory."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        run_id: str | None = None,
        engine: str = "simulate",
        model: str | None = None,
        rule: SuccessRule | None = None,
    ) -> None:
        self.path = Path(path)
        self.run_id = run_id or self.path.name
        self.engine = engine
        self.model = model or engine
        self.rule = rule or SuccessRule()
        self.lines: list[dict[str, Any]] = []

    @staticmethod
    def sha_of(image: str) -> str:
        """A stable fake sha256 for an image name (tests rarely have the bytes)."""
        return hashlib.sha256(image.encode()).hexdigest()

    def add(
        self,
        image: str,
        raw_terms: Mapping[str, Any],
        *,
        confidence: Mapping[str, float] | None = None,
        reason: str | None = None,
        sha256: str | None = None,
        raw_text: str | None = None,
    ) -> dict[str, Any]:
        """Add one result; ``reason`` forces a failure (``engine_error``, ``bad_image``...)."""
        record = normalize_terms(raw_terms)
        verdict = self.rule.evaluate(record.terms)
        ok = verdict.ok and reason is None
        seq = len(self.lines) + 1
        line = {
            "v": 1,
            "run_id": self.run_id,
            "specimen_id": Path(image).stem,
            "sequence": seq,
            "image": image,
            "image_path": f"/data/images/{image}",
            "sha256": sha256 or self.sha_of(image),
            "status": "succeeded" if ok else "failed",
            "reason": None if ok else (reason or verdict.reason),
            "message": None if ok else (reason or verdict.message),
            "engine": self.engine,
            "model": self.model,
            "settings_hash": hashlib.sha256(f"{self.engine}/{self.model}".encode()).hexdigest()[
                :16
            ],
            "dwc": record.terms if reason is None else {},
            "flags": [f.to_dict() for f in record.flags],
            "confidence": dict(confidence or {t: 0.9 for t in record.terms}),
            "raw_text": raw_text,
            "timings": {"load_ms": 3.0, "engine_ms": 40.0, "total_ms": 43.0},
            "usage": None,
            "timestamp": f"2026-11-26T19:{seq // 60:02d}:{seq % 60:02d}.000000Z",
        }
        self.lines.append(line)
        return line

    def write(self, *, manifest: bool = True) -> Path:
        """Write ``raw.jsonl`` (and ``run.json``); returns the run directory."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / "raw.jsonl", "wb") as fh:
            for line in self.lines:
                fh.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        if manifest:
            ok = sum(1 for x in self.lines if x["status"] == "succeeded")
            doc = {
                "herbx_version": "test",
                "run_id": self.run_id,
                "engine": self.engine,
                "model": self.model,
                "config": {},
                "input": "/data/images",
                "counts": {"succeeded": ok, "failed": len(self.lines) - ok},
                "started_at": "2026-11-26T19:00:00Z",
                "ended_at": "2026-11-26T19:10:00Z",
                "status": "completed",
            }
            (self.path / "run.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        return self.path
