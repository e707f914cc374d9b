"""The ``ocr`` engine: offline RapidOCR reading plus the rule-based label parser.

Example::

    from PIL import Image
    from herbx.engines import SpecimenImage
    from herbx.engines.ocr import OcrEngine

    engine = OcrEngine(threads=2)
    result = engine.extract(SpecimenImage(path=p, pixels=Image.open(p)))
    result.terms["scientificName"], result.confidence["scientificName"]
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from herbx.config import ConfigError
from herbx.engines.base import EngineError, EngineResult, SpecimenImage
from herbx.engines.ocr.names import NameList
from herbx.engines.ocr.parser import PARSER_VERSION, LabelParser
from herbx.engines.ocr.reader import SheetReader, rapidocr_version

#: The ``[engines.ocr]`` keys handed to :class:`SheetReader` (the region geometry stays
#: internal: it is not part of :meth:`OcrEngine.settings`, so it is not configurable).
READER_SETTINGS = frozenset(
    {
        "threads",
        "detect_max_side",
        "text_height",
        "text_score",
        "box_thresh",
        "unclip_ratio",
        "rotation_score",
        "max_regions",
    }
)


class OcrEngine:
    """RapidOCR (models inside its wheel, nothing downloaded) plus :class:`LabelParser`.

    Every keyword is a key of the ``[engines.ocr]`` config section; all have defaults
    (those of :class:`SheetReader` for the reading settings, :data:`READER_SETTINGS`).
    The models load lazily on the first :meth:`extract`, so an unused engine pickles
    cheaply into worker processes.
    """

    name = "ocr"

    def __init__(
        self,
        *,
        name_threshold: float = 85.0,
        names_file: str | None = None,
        **reader: Any,
    ) -> None:
        # everything else is a SheetReader setting, with SheetReader's defaults
        unknown = set(reader) - READER_SETTINGS
        if unknown:
            raise ConfigError(f"unknown [engines.ocr] setting(s): {', '.join(sorted(unknown))}")
        threads = reader.get("threads", 1)
        if not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"[engines.ocr] threads must be at least 1, not {threads}")
        self.reader = SheetReader(**reader)
        self.name_threshold = name_threshold
        self.names_file = names_file
        self._parser: LabelParser | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_parser"] = None
        return state

    def _label_parser(self) -> LabelParser:
        if self._parser is None:
            if self.names_file:
                try:
                    names = NameList.from_file(self.names_file, threshold=self.name_threshold)
                except OSError as exc:
                    raise EngineError(
                        f"[engines.ocr] names_file {self.names_file}: {exc.strerror}",
                        reason="config_error",
                    ) from None
            else:
                names = NameList.shipped(threshold=self.name_threshold)
            self._parser = LabelParser(names)
        return self._parser

    def settings(self) -> dict[str, Any]:
        """What changes the output: RapidOCR version, thresholds, parser version, names."""
        r = self.reader
        names: str = "shipped"
        if self.names_file:
            names = Path(self.names_file).name
        return {
            "engine": self.name,
            "rapidocr": rapidocr_version(),
            "parser": PARSER_VERSION,
            "detect_max_side": r.detect_max_side,
            "text_height": r.text_height,
            "text_score": r.text_score,
            "box_thresh": r.box_thresh,
            "unclip_ratio": r.unclip_ratio,
            "rotation_score": r.rotation_score,
            "name_threshold": self.name_threshold,
            "names": names,
        }

    def extract(self, image: SpecimenImage) -> EngineResult:
        """Read the sheet and parse its labels into raw Darwin Core terms."""
        t0 = time.perf_counter()
        try:
            pixels = ImageOps.exif_transpose(image.pixels)
            if pixels.mode != "RGB":
                pixels = pixels.convert("RGB")
        except (OSError, ValueError) as exc:
            raise EngineError(
                f"{image.path}: unreadable image: {exc}", reason="bad_image"
            ) from None
        parser = self._label_parser()
        reading = self.reader.read_sheet(pixels)
        t1 = time.perf_counter()
        parsed = parser.parse(reading.lines, min_score=self.reader.text_score)
        t2 = time.perf_counter()
        raw_lines: list[str] = []
        for region in reading.regions:
            raw_lines.extend(line.text for line in region.lines)
        return EngineResult(
            terms=parsed.terms,
            confidence=parsed.confidence,
            raw_text="\n".join(raw_lines),
            model=f"rapidocr-{rapidocr_version()}",
            extra={
                "evidence": parsed.evidence,
                "ignored": parsed.ignored,
                "regions": [
                    {
                        "box": [round(v) for v in region.box],
                        "rotation": region.rotation,
                        "lines": len(region.lines),
                    }
                    for region in reading.regions
                ],
                "seconds": {
                    "detect": round(reading.seconds_detect, 3),
                    "read": round(reading.seconds_read, 3),
                    "parse": round(t2 - t1, 3),
                    "total": round(t2 - t0, 3),
                },
            },
        )

    def close(self) -> None:
        """Release the OCR models."""
        self.reader.close()


def load_image(path: str | Path) -> SpecimenImage:
    """Open ``path`` as a :class:`SpecimenImage` with EXIF orientation applied."""
    with Image.open(path) as img:
        pixels = ImageOps.exif_transpose(img)
        pixels.load()
    return SpecimenImage(path=Path(path), pixels=pixels)
