from pathlib import Path

import orjson
import pytest

from herbx.dwc.results import RunResultsError, load_run
from herbx.jsonl import JsonlError, JsonlReader
from herbx.testing.rundirs import RunBuilder

GOOD = {
    "scientificName": "Carex nigra (L.) Reichard",
    "recordedBy": "J.H. Hudson",
    "eventDate": "12 July 1987",
    "country": "Canada",
    "stateProvince": "Saskatchewan",
}


def test_last_line_per_image_wins_but_success_is_not_lost(tmp_path: Path) -> None:
    run = RunBuilder(tmp_path / "r1")
    run.add("a.jpg", {"country": "Canada"})  # failed first...
    run.add("b.jpg", GOOD)
    run.add("a.jpg", GOOD)  # ...then succeeded on resume
    run.add("b.jpg", {}, reason="engine_error")  # a later failure must not erase b
    run.write()
    loaded = load_run(tmp_path / "r1")
    assert [(r.image, r.status, r.line) for r in loaded.results] == [
        ("a.jpg", "succeeded", 3),
        ("b.jpg", "succeeded", 2),
    ]
    assert loaded.lines == 4
    assert loaded.run_id == "r1" and loaded.label == "simulate"


def test_torn_tail_is_noted_and_skipped(tmp_path: Path) -> None:
    run = RunBuilder(tmp_path / "r1")
    run.add("a.jpg", GOOD)
    run.add("b.jpg", GOOD)
    path = run.write()
    raw = path / "raw.jsonl"
    raw.write_bytes(raw.read_bytes() + b'{"v": 1, "sha256": "abc", "stat')
    loaded = load_run(path)
    assert len(loaded.results) == 2
    assert loaded.notes == [f"{raw}:3: torn final line (interrupted write); skipped"]


def test_fenced_torn_line_in_the_middle_is_skipped(tmp_path: Path) -> None:
    """A resumed run fences a torn tail with a newline and appends after it."""
    run = RunBuilder(tmp_path / "r1")
    first = run.add("a.jpg", GOOD)
    second = run.add("b.jpg", GOOD)
    path = run.write()
    raw = path / "raw.jsonl"
    torn = orjson.dumps(second)[:40]
    raw.write_bytes(orjson.dumps(first) + b"\n" + torn + b"\n" + orjson.dumps(second) + b"\n")
    loaded = load_run(path)
    assert [r.image for r in loaded.results] == ["a.jpg", "b.jpg"]
    assert loaded.notes == [f"{raw}:2: line cut short by an interrupted write; skipped"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"not json at all\n", "not valid JSON"),
        (b"[1, 2]\n", "not an object"),
        (b'{"v": 1, "status": "succeeded"}\n', "without a 'sha256'"),
        (b'{"sha256": "x", "status": "maybe"}\n', "neither 'succeeded' nor 'failed'"),
    ],
)
def test_corrupt_middle_line_names_file_and_line(tmp_path: Path, bad: bytes, reason: str) -> None:
    run = RunBuilder(tmp_path / "r1")
    first = run.add("a.jpg", GOOD)
    path = run.write()
    raw = path / "raw.jsonl"
    raw.write_bytes(orjson.dumps(first) + b"\n" + bad + orjson.dumps(first) + b"\n")
    with pytest.raises(RunResultsError) as info:
        load_run(path)
    message = str(info.value)
    assert message.startswith(f"{raw}:2: ") and reason in message
    assert "\n" not in message
    lenient = load_run(path, lenient=True)
    assert len(lenient.results) == 1
    assert lenient.notes[0].startswith(f"{raw}:2: ")


def test_missing_or_wrong_run_directory(tmp_path: Path) -> None:
    with pytest.raises(RunResultsError, match="no such run directory"):
        load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunResultsError, match=r"no raw\.jsonl in this folder"):
        load_run(tmp_path / "empty")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(RunResultsError, match="expected a folder"):
        load_run(tmp_path / "file.txt")
    run = RunBuilder(tmp_path / "r2")
    run.add("a.jpg", GOOD)
    run.write()
    (tmp_path / "r2" / "run.json").write_text("{broken")
    with pytest.raises(RunResultsError, match=r"run\.json: not valid JSON"):
        load_run(tmp_path / "r2")


def test_jsonl_reader_reports(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"a": 2}\n{"a": 3')
    reader = JsonlReader(path)
    assert [obj["a"] for obj, _ in reader] == [1, 2]
    assert reader.report.torn_tail_line == 4 and not reader.report.clean
    with pytest.raises(JsonlError, match="no such file"):
        list(JsonlReader(tmp_path / "missing.jsonl"))
