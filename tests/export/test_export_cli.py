import zipfile
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from herbx.testing.rundirs import RunBuilder
from herbx_cli.app import app

GOOD = {
    "catalogNumber": "004512",
    "institutionCode": "DAS",
    "scientificName": "Carex nigra (L.) Reichard",
    "recordedBy": "J.H. Hudson",
    "eventDate": "12 July 1987",
    "country": "Canada",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = RunBuilder(tmp_path / "r1")
    run.add("a.jpg", GOOD)
    run.add("b.jpg", {"catalogNumber": "000000"})
    return run.write()


def test_export_dwca_with_metadata_flags(runner: CliRunner, run_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["export", str(run_dir), "--title", "Sedges", "--creator", "J. Hudson",
         "--license", "cc-by"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    archive = run_dir / "export" / "dwca.zip"
    assert f"wrote {archive}" in result.stdout
    assert "1 failed record(s) left out" in result.stdout
    with zipfile.ZipFile(archive) as zf:
        eml = zf.read("eml.xml").decode()
    assert "<title>Sedges</title>" in eml and "by/4.0" in eml


def test_export_csv_json_include_failed(runner: CliRunner, run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["export", str(run_dir), "-f", "csv", "-o", str(out), "--include-failed", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["rows"] == 2 and summary["excluded_failed"] == 0
    assert summary["files"] == [str(out / "occurrence.csv"), str(out / "provenance.csv")]
    assert "dynamicProperties" in summary["columns"]


def test_missing_raw_jsonl_is_bad_input(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notarun").mkdir()
    result = runner.invoke(app, ["export", str(tmp_path / "notarun")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"herbx: error: {tmp_path / 'notarun'}: no raw.jsonl in this folder; "
        "is it a herbx run directory?"
    )
    assert "Traceback" not in result.output


def test_corrupt_line_is_bad_input_naming_the_line(runner: CliRunner, run_dir: Path) -> None:
    raw = run_dir / "raw.jsonl"
    lines = raw.read_bytes().splitlines(keepends=True)
    raw.write_bytes(lines[0] + b"garbage\n" + lines[1])
    result = runner.invoke(app, ["export", str(run_dir)])
    assert result.exit_code == 2
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"herbx: error: {raw}:2: not valid JSON")
    lenient = runner.invoke(app, ["export", str(run_dir), "--lenient"])
    assert lenient.exit_code == 0
    assert f"{raw}:2:" in lenient.stderr


def test_torn_tail_is_reported_and_skipped(runner: CliRunner, run_dir: Path) -> None:
    raw = run_dir / "raw.jsonl"
    raw.write_bytes(raw.read_bytes() + b'{"v": 1, "run_id": "r1", "sha')
    result = runner.invoke(app, ["export", str(run_dir), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    assert f"herbx: warning: {raw}:3: torn final line" in result.stderr
    assert len((run_dir / "export" / "occurrence.jsonl").read_bytes().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--license", "proprietary"], "not one GBIF accepts"),
        (["--format", "pdf"], "export.format: 'pdf' is not one of"),
        (["--occurrence-id", "uuid"], "export.occurrence_id"),
    ],
)
def test_bad_options_are_bad_input(
    runner: CliRunner, run_dir: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["export", str(run_dir), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_metadata_from_config_file(runner: CliRunner, run_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "my.toml"
    cfg.write_text('[export]\ntitle = "From config"\nlicense = "CC0-1.0"\ncreator = "Me"\n')
    result = runner.invoke(app, ["export", str(run_dir), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    with zipfile.ZipFile(run_dir / "export" / "dwca.zip") as zf:
        assert "<title>From config</title>" in zf.read("eml.xml").decode()


def test_nothing_succeeded_is_warned(runner: CliRunner, tmp_path: Path) -> None:
    run = RunBuilder(tmp_path / "dead")
    run.add("a.jpg", {})
    result = runner.invoke(app, ["export", str(run.write()), "-f", "csv"])
    assert result.exit_code == 0
    assert "no record to export: 1 failed record(s) left out" in result.stderr
    assert (
        (tmp_path / "dead" / "export" / "occurrence.csv")
        .read_text()
        .startswith('"occurrenceID","basisOfRecord"')
    )
