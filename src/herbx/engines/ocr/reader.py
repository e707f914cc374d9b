"""Reading a whole sheet with RapidOCR: detect on a reduced image, read regions at full size.

RapidOCR's own pipeline shrinks a photo to ``max_side_len`` (2000 px) before detecting and
recognising, which loses the small print of a label on a 6000x4000 sheet. This module
detects text boxes on a reduced copy, groups them into regions (label, stamp, slip, colour
chart...), maps each region back to the full-size image, pads it, scales it so its text is
about the height the recognizer wants, and reads it there. Regions whose text runs
vertically are read turned by 90 and by 270 degrees; regions the recognizer reads poorly are
also tried upside down; the reading with the best confidence-weighted length wins.

The RapidOCR object is created lazily on first use and never pickled, so a reader (and the
engine holding it) can be sent to a worker process before it has been used.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
from PIL import Image

from herbx.engines.ocr.layout import (
    Box,
    OcrLine,
    group_regions,
    is_vertical,
    quad_to_box,
    union_box,
)


def rapidocr_version() -> str:
    """The installed RapidOCR version (part of the engine's settings)."""
    try:
        return metadata.version("rapidocr")
    except metadata.PackageNotFoundError:  # pragma: no cover - dependency is required
        return "missing"


@dataclass
class RegionReading:
    """What was read in one region of the sheet."""

    box: Box
    rotation: int
    lines: list[OcrLine]
    tried: list[int] = field(default_factory=list)


@dataclass
class SheetReading:
    """All regions of a sheet, the scale detection ran at, and the time spent."""

    regions: list[RegionReading]
    detect_scale: float
    seconds_detect: float = 0.0
    seconds_read: float = 0.0

    @property
    def lines(self) -> list[OcrLine]:
        """Every line of every region."""
        return [line for region in self.regions for line in region.lines]


class SheetReader:
    """Detect-then-crop OCR of a herbarium sheet (see the module docstring).

    Example::

        reader = SheetReader(threads=2)
        reading = reader.read_sheet(Image.open("sheet.jpg"))
        [line.text for line in reading.lines]
    """

    def __init__(
        self,
        *,
        threads: int = 2,
        detect_max_side: int = 1600,
        text_height: int = 36,
        text_score: float = 0.5,
        box_thresh: float = 0.5,
        unclip_ratio: float = 1.3,
        rotation_score: float = 0.9,
        region_reach: float = 1.6,
        region_pad: float = 1.5,
        max_regions: int = 12,
    ) -> None:
        self.threads = threads
        self.detect_max_side = detect_max_side
        self.text_height = text_height
        self.text_score = text_score
        self.box_thresh = box_thresh
        self.unclip_ratio = unclip_ratio
        self.rotation_score = rotation_score
        self.region_reach = region_reach
        self.region_pad = region_pad
        self.max_regions = max_regions
        self._ocr: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_ocr"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- RapidOCR -----------------------------------------------------------------------
    def ocr(self) -> Any:
        """The RapidOCR object, created on first use with the models inside its wheel."""
        if self._ocr is None:
            os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
            from rapidocr import RapidOCR

            self._ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.text_score": self.text_score,
                    "Global.max_side_len": 4000,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    "Det.box_thresh": self.box_thresh,
                    "Det.unclip_ratio": self.unclip_ratio,
                }
            )
        return self._ocr

    def close(self) -> None:
        """Drop the models (they are reloaded on next use)."""
        self._ocr = None

    def detect(self, rgb: np.ndarray) -> list[Box]:
        """Text boxes of an RGB array, in that array's pixel coordinates."""
        result = self.ocr()(rgb, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(result, "boxes", None)
        if boxes is None:
            return []
        return [quad_to_box(q) for q in boxes]

    def recognize(self, rgb: np.ndarray) -> list[tuple[str, float, Box]]:
        """Detect and read an RGB array with RapidOCR's own pipeline (no angle classifier)."""
        result = self.ocr()(rgb, use_det=True, use_cls=False, use_rec=True)
        txts = getattr(result, "txts", None)
        if not txts:
            return []
        out = []
        for text, score, quad in zip(txts, result.scores, result.boxes, strict=False):
            if text.strip():
                out.append((str(text), float(score), quad_to_box(quad)))
        return out

    # -- whole sheet --------------------------------------------------------------------
    def read_sheet(self, image: Image.Image) -> SheetReading:
        """Read every text region of ``image`` (RGB or convertible), upright."""
        import time

        rgb_image = image if image.mode == "RGB" else image.convert("RGB")
        width, height = rgb_image.size
        scale = min(1.0, self.detect_max_side / max(width, height))
        if scale < 1.0:
            small = rgb_image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))),
                Image.Resampling.BILINEAR,
            )
        else:
            small = rgb_image
        with self._lock:
            t0 = time.perf_counter()
            boxes = self.detect(np.asarray(small))
            t1 = time.perf_counter()
            regions = []
            groups = group_regions(boxes, reach=self.region_reach)[: self.max_regions]
            for index, group in enumerate(groups):
                region_boxes = [boxes[i] for i in group]
                regions.append(self._read_region(rgb_image, region_boxes, scale, index))
            t2 = time.perf_counter()
        regions = [r for r in regions if r.lines]
        return SheetReading(regions, scale, t1 - t0, t2 - t1)

    def _read_region(
        self, image: Image.Image, boxes: list[Box], scale: float, index: int
    ) -> RegionReading:
        width, height = image.size
        x0, y0, x1, y1 = union_box(boxes)
        text_h = float(np.median([min(b[2] - b[0], b[3] - b[1]) for b in boxes])) / scale
        pad = self.region_pad * text_h + 4
        box = (
            max(0.0, x0 / scale - pad),
            max(0.0, y0 / scale - pad),
            min(float(width), x1 / scale + pad),
            min(float(height), y1 / scale + pad),
        )
        crop = image.crop((round(box[0]), round(box[1]), round(box[2]), round(box[3])))
        # Bring the text to about the height the recognizer works at: tall text only costs
        # time, tiny text loses letters (up to 2x enlargement).
        shrink = min(2.0, self.text_height / max(text_h, 1.0))
        if not 0.95 < shrink < 1.05:
            crop = crop.resize(
                (max(1, round(crop.width * shrink)), max(1, round(crop.height * shrink))),
                Image.Resampling.LANCZOS,
            )
        # Likely orientations first; stop at the first reading the recognizer is sure of.
        candidates = [90, 270, 0, 180] if is_vertical(boxes) else [0, 180, 90, 270]
        best: tuple[float, int, list[tuple[str, float, Box]]] | None = None
        tried = []
        for angle in candidates:
            turned = crop.rotate(angle, expand=True) if angle else crop
            # RapidOCR turns tall text boxes itself, so a sideways reading can look confident;
            # only lines that run horizontally in this orientation count.
            found = [f for f in self.recognize(np.asarray(turned)) if not _sideways(f)]
            tried.append(angle)
            quality = _quality(found)
            if best is None or quality > best[0]:
                best = (quality, angle, found)
            # Sure means confident *and* covering most of what the detector saw.
            enough = len(found) >= 0.5 * len(boxes)
            if enough and _mean_score(found) >= self.rotation_score:
                break
            best_enough = len(best[2]) >= 0.5 * len(boxes)
            if len(tried) == 2 and best_enough and _mean_score(best[2]) >= 0.75:
                break
        assert best is not None
        _, angle, found = best
        lines = [OcrLine(text, score, b, index) for text, score, b in found]
        return RegionReading(box=box, rotation=angle, lines=lines, tried=tried)


def _sideways(item: tuple[str, float, Box]) -> bool:
    text, _, (x0, y0, x1, y1) = item
    return len(text.strip()) > 1 and (y1 - y0) > 1.2 * (x1 - x0)


def _quality(found: list[tuple[str, float, Box]]) -> float:
    return sum(score * score * len(text.strip()) for text, score, _ in found)


def _mean_score(found: list[tuple[str, float, Box]]) -> float:
    total = sum(len(text) for text, _, _ in found)
    if total == 0:
        return 0.0
    return sum(score * len(text) for text, score, _ in found) / total
