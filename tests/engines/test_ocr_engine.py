"""The ocr engine end to end on generated sheets (real RapidOCR, models from its wheel)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from herbx.config import ConfigError, load_config
from herbx.engines import EngineResult, SpecimenImage
from herbx.engines.ocr import OcrEngine, load_image
from herbx.engines.registry import create_engine
from herbx.testing.labels import SCORED_FIELDS, generate_sheet, read_truth, score_terms


@pytest.fixture(scope="session")
def engine() -> Iterator[OcrEngine]:
    eng = OcrEngine()
    yield eng
    eng.close()


def _extract(engine: OcrEngine, image: Image.Image, name: str = "sheet.jpg") -> EngineResult:
    return engine.extract(SpecimenImage(path=Path(name), pixels=image))


def test_engine_contract_without_loading_models() -> None:
    eng = OcrEngine(threads=1, name_threshold=90)
    clone = pickle.loads(pickle.dumps(eng))  # sent to a worker before first use
    assert clone.name == "ocr"
    settings = clone.settings()
    assert settings["rapidocr"] == "3.10.0"
    assert settings["name_threshold"] == 90
    assert {"parser", "text_score", "detect_max_side"} <= set(settings)
    with pytest.raises(ConfigError, match="unknown"):
        OcrEngine(colour="red")
    # the registry builds it from the shipped [engines.ocr] section
    built = create_engine("ocr", load_config()["engines"]["ocr"])
    assert isinstance(built, OcrEngine)
    assert built.settings() == OcrEngine().settings()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "layout", "rotation"),
    [(101, "typed", 0), (102, "form", 90), (103, "keyword", 180), (104, "disease", 270)],
)
def test_reads_small_rotated_labels_on_full_sheets(
    engine: OcrEngine, seed: int, layout: str, rotation: int
) -> None:
    sheet = generate_sheet(seed, size=(1600, 1068), layout=layout, rotation=rotation)
    assert sheet.label_fraction < 0.10
    result = _extract(engine, sheet.image)
    scores = score_terms(result.terms, sheet.truth)
    wrong = {f: (result.terms.get(f), sheet.truth[f]) for f, ok in scores.items() if not ok}
    assert not wrong, f"{wrong}\n{result.raw_text}"
    assert set(SCORED_FIELDS) <= set(result.confidence)
    assert result.raw_text and "calibrite" not in result.terms.values()
    assert any(r["rotation"] == (360 - rotation) % 360 for r in result.extra["regions"])


@pytest.mark.slow
def test_exif_orientation_is_applied(engine: OcrEngine, tmp_path: Path) -> None:
    sheet = generate_sheet(105, size=(1600, 1068), layout="typed", rotation=0)
    # Store the pixels turned on their side with an EXIF tag saying how to turn them back.
    stored = sheet.image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "exif.jpg"
    stored.save(path, quality=92, exif=exif)
    assert load_image(path).size == (1600, 1068)
    with Image.open(path) as raw:  # pixels not transposed: the engine must do it
        raw.load()
        result = _extract(engine, raw, "exif.jpg")
    assert all(score_terms(result.terms, sheet.truth).values()), result.raw_text


@pytest.mark.slow
def test_blank_sheet_gives_empty_record(engine: OcrEngine) -> None:
    result = _extract(engine, Image.new("RGB", (800, 600), (240, 236, 226)))
    assert result.terms == {}
    assert result.raw_text == ""


@pytest.mark.slow
def test_shipped_example_sheets_match_their_truth(engine: OcrEngine) -> None:
    folder = Path(__file__).resolve().parents[2] / "examples" / "images"
    truth = read_truth(folder / "truth.csv")
    assert 5 <= len(truth) <= 8
    right = total = 0
    for name, row in truth.items():
        path = folder / name
        assert path.stat().st_size < 300_000
        result = engine.extract(load_image(path))
        scores = score_terms(result.terms, row)
        right += sum(scores.values())
        total += len(scores)
    assert right / total >= 0.95


def test_reading_settings_are_sheet_reader_keywords_with_its_defaults() -> None:
    import inspect

    from herbx.engines.ocr.engine import READER_SETTINGS
    from herbx.engines.ocr.reader import SheetReader

    params = inspect.signature(SheetReader.__init__).parameters
    assert set(READER_SETTINGS) <= set(params)
    eng = OcrEngine()
    for key in READER_SETTINGS:  # one place holds each default
        assert getattr(eng.reader, key) == params[key].default
    with pytest.raises(ConfigError, match="threads must be at least 1"):
        OcrEngine(threads=0)
