"""The synthetic sheet generator shipped in herbx.testing.labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from herbx.testing.labels import (
    LAYOUTS,
    SCORED_FIELDS,
    generate_sheet,
    generate_sheets,
    read_truth,
    score_terms,
    write_sheets,
)


def test_same_seed_same_sheet_and_truth() -> None:
    a = generate_sheet(11, size=(800, 534))
    b = generate_sheet(11, size=(800, 534))
    assert a.truth == b.truth
    assert a.image.tobytes() == b.image.tobytes()
    assert all(a.truth[f] for f in SCORED_FIELDS)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_labels_are_small_and_rotated_as_asked(rotation: int) -> None:
    sheet = generate_sheet(3, size=(1600, 1068), layout="form", rotation=rotation)
    assert sheet.rotation == rotation
    assert sheet.label_fraction < 0.10
    x0, y0, x1, y1 = sheet.label_box
    tall = (y1 - y0) > (x1 - x0)
    assert tall == (rotation in (90, 270))


def test_bad_rotation_is_refused() -> None:
    with pytest.raises(ValueError, match="rotation"):
        generate_sheet(1, rotation=45)


def test_write_and_read_truth(tmp_path: Path) -> None:
    sheets = list(generate_sheets(4, seed=5, size=(640, 427)))
    assert [s.layout for s in sheets] == list(LAYOUTS)
    csv_path = write_sheets(tmp_path, sheets)
    truth = read_truth(csv_path)
    assert sorted(truth) == [f"sheet-00{i}.jpg" for i in range(1, 5)]
    assert truth["sheet-001.jpg"]["eventDate"] == sheets[0].truth["eventDate"]
    assert (tmp_path / "sheet-004.jpg").stat().st_size > 1000


def test_score_terms_normalizes_before_comparing() -> None:
    truth = generate_sheet(2, size=(640, 427)).truth
    raw = {f: truth[f] for f in SCORED_FIELDS}
    raw["eventDate"] = truth["verbatimEventDate"]
    raw["locality"] = "  " + truth["locality"] + "."
    assert all(score_terms(raw, truth).values())
    raw["recordNumber"] = "999999"
    assert not score_terms(raw, truth)["recordNumber"]
