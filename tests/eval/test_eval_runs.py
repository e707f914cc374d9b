import csv
import random
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from herbx.analysis.eval_truth import TruthError, load_truth
from herbx.analysis.evaluate import evaluate_runs, score_pairs
from herbx.dwc.results import load_run
from herbx.testing.rundirs import RunBuilder
from herbx_cli.app import app

TRUTH = {
    "a.jpg": {
        "catalogNumber": "004512",
        "scientificName": "Carex nigra (L.) Reichard",
        "recordedBy": "J.H. Hudson",
        "eventDate": "12 July 1987",
        "country": "Canada",
        "decimalLatitude": "52.125",
        "decimalLongitude": "-106.633333",
    },
    "b.jpg": {
        "catalogNumber": "000077",
        "scientificName": "Salix bebbiana Sarg.",
        "recordedBy": "A. Côté",
        "eventDate": "1987-07",
        "country": "Canada",
        "decimalLatitude": "",
        "decimalLongitude": "",
    },
    "c.jpg": {
        "catalogNumber": "123456",
        "scientificName": "Poa pratensis L.",
        "recordedBy": "Breitung",
        "eventDate": "1963-08-14",
        "country": "Canada",
        "decimalLatitude": "-33.85",
        "decimalLongitude": "151.2",
    },
}

# What an imperfect engine read
OCR = {
    "a.jpg": dict(
        TRUTH["a.jpg"], scientificName="Carex nigra", eventDate="1987-07-12",
        decimalLatitude="52°07'30\"N", decimalLongitude="106°38'W",
    ),
    "b.jpg": dict(TRUTH["b.jpg"], recordedBy="A. Cote", catalogNumber="77"),
    "c.jpg": dict(TRUTH["c.jpg"], country="", eventDate="14 Aug 1963"),
}  # fmt: skip


def write_truth_csv(path: Path) -> Path:
    fields = ["file", *TRUTH["a.jpg"], "layout"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for name, terms in TRUTH.items():
            writer.writerow({"file": name, **terms, "layout": "typed"})
    return path


def make_run(tmp_path: Path, name: str, predictions: dict[str, dict[str, str]], **kw: str) -> Path:
    run = RunBuilder(tmp_path / name, **kw)
    for image, terms in predictions.items():
        run.add(f"sheets/{image}", terms)
    return run.write()


def test_per_field_accuracy(tmp_path: Path) -> None:
    truth = load_truth(write_truth_csv(tmp_path / "truth.csv"))
    assert truth.notes and "layout" in truth.notes[0]
    run = load_run(make_run(tmp_path, "ocr", OCR, engine="ocr", model="rapidocr"))
    report = evaluate_runs([run], truth)
    assert report.overall is None and len(report.groups) == 1
    g = report.groups[0]
    assert g.label == "ocr/rapidocr" and g.specimens == 3 and not g.missing
    name = g.field("scientificName")
    assert (name.exact, name.exact_canonical, name.truth_values) == (2, 3, 3)
    assert g.field("eventDate").accuracy == 1.0  # dates compare as dates
    assert g.field("decimalLatitude").accuracy == 1.0  # DMS read, compared as numbers
    assert g.field("decimalLatitude").truth_values == 2
    assert g.field("recordedBy").exact == 2
    assert g.field("catalogNumber").exact == 2  # 77 is not 000077
    country = g.field("country")
    assert (country.exact, country.coverage) == (2, pytest.approx(2 / 3))
    assert country.examples[0].image == "sheets/c.jpg" and country.examples[0].predicted == ""
    total = sum(f.truth_values for f in g.fields)
    assert g.accuracy == pytest.approx(sum(f.exact for f in g.fields) / total)
    assert g.all_correct == 0
    worst = [f.term for f in g.worst()]
    assert set(worst) == {"scientificName", "recordedBy", "catalogNumber", "country"}


def test_spurious_values_and_missing_truth(tmp_path: Path) -> None:
    truth = load_truth(write_truth_csv(tmp_path / "truth.csv"))
    predictions = {"b.jpg": dict(TRUTH["b.jpg"], decimalLatitude="10", decimalLongitude="10")}
    predictions["zzz.jpg"] = TRUTH["a.jpg"]
    report = evaluate_runs([load_run(make_run(tmp_path, "r", predictions))], truth)
    g = report.groups[0]
    assert g.specimens == 1
    assert g.field("decimalLatitude").spurious == 1
    assert g.field("decimalLatitude").truth_values == 0
    assert g.field("decimalLatitude").accuracy is None
    assert g.missing == ["a.jpg", "c.jpg"]
    assert g.unmatched == ["sheets/zzz.jpg"]
    assert g.all_correct == 1


def test_several_models_side_by_side(tmp_path: Path) -> None:
    truth = load_truth(write_truth_csv(tmp_path / "truth.csv"))
    ocr = load_run(make_run(tmp_path, "ocr", OCR, engine="ocr", model="rapidocr"))
    perfect = load_run(make_run(tmp_path, "llm", TRUTH, engine="openai", model="gpt-4o-mini"))
    report = evaluate_runs([ocr, perfect], truth)
    labels = [g.label for g in report.groups]
    assert labels == ["ocr/rapidocr", "openai/gpt-4o-mini"]
    assert report.groups[1].accuracy == 1.0 and report.groups[1].all_correct == 3
    assert report.overall is not None and report.overall.specimens == 6
    ocr_acc = report.groups[0].accuracy
    assert ocr_acc is not None and ocr_acc < report.overall.accuracy < 1.0  # type: ignore[operator]
    data = report.to_dict()
    assert data["groups"][1]["fields"][1]["accuracy_without_authorship"] == 1.0
    orjson.dumps(data)


def test_truth_by_sha256_jsonl_and_nested_dwc(tmp_path: Path) -> None:
    lines = [
        {"sha256": RunBuilder.sha_of(f"sheets/{name}"), "dwc": terms}
        for name, terms in TRUTH.items()
    ]
    path = tmp_path / "truth.jsonl"
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    truth = load_truth(path)
    assert truth.fields[:3] == ["catalogNumber", "scientificName", "recordedBy"]
    report = evaluate_runs([load_run(make_run(tmp_path, "r", TRUTH))], truth)
    assert report.groups[0].specimens == 3 and report.groups[0].accuracy == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("scientificName\nCarex nigra\n", "truth.csv:1: no key column"),
        ("file,scientificName\na.jpg,Carex nigra\na.jpg,Carex\n", "truth.csv:3: 'a.jpg' already"),
        ("file,scientificName\n,Carex nigra\n", "truth.csv:2: empty 'file'"),
        ("file,scientificName\na.jpg,Carex,extra\n", "truth.csv:2: more values"),
        ("file,scientificName\n", "no truth records"),
    ],
)
def test_bad_truth_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(content)
    with pytest.raises(TruthError, match=message):
        load_truth(path)


def test_bad_truth_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_text('{"image": "a.jpg", "country": "Canada"}\n{"country": "x"}\n')
    with pytest.raises(TruthError, match=r"truth\.jsonl:2: no 'sha256' or 'image'"):
        load_truth(path)
    with pytest.raises(TruthError, match="no such"):
        load_truth(tmp_path / "missing.csv")


def test_cli_text_and_json(tmp_path: Path) -> None:
    truth = write_truth_csv(tmp_path / "truth.csv")
    ocr = make_run(tmp_path, "ocr", OCR, engine="ocr", model="rapidocr")
    llm = make_run(tmp_path, "llm", TRUTH, engine="openai", model="gpt-4o-mini")
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(ocr), str(llm), "--truth", str(truth)])
    assert result.exit_code == 0, result.output
    assert "ocr/rapidocr: 3 specimens" in result.stdout
    assert "accuracy by engine/model" in result.stdout
    assert "worst fields:" in result.stdout
    assert "sheets/c.jpg: truth 'Canada', got '(nothing)'" in result.stdout
    assert "not terms herbx extracts, ignored: layout" in result.stderr
    js = runner.invoke(app, ["eval", str(ocr), "-t", str(truth), "--json", "--fields",
                             "scientificName,eventDate"])  # fmt: skip
    assert js.exit_code == 0, js.output
    data = orjson.loads(js.stdout)
    assert data["fields"] == ["scientificName", "eventDate"]
    assert data["groups"][0]["fields"][0]["exact_without_authorship"] == 3


@pytest.mark.parametrize("case", ["no_raw", "bad_truth", "bad_field", "corrupt"])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    truth = write_truth_csv(tmp_path / "truth.csv")
    run = make_run(tmp_path, "r", TRUTH)
    args = ["eval", str(run), "--truth", str(truth)]
    expected = ""
    if case == "no_raw":
        (tmp_path / "empty").mkdir()
        args[1] = str(tmp_path / "empty")
        expected = "no raw.jsonl"
    elif case == "bad_truth":
        (tmp_path / "bad.csv").write_text("name\nx\n")
        args[-1] = str(tmp_path / "bad.csv")
        expected = "bad.csv:1: no key column"
    elif case == "bad_field":
        args += ["--fields", "habitat"]
        expected = "--fields: the truth file gives no habitat"
    else:
        raw = run / "raw.jsonl"
        raw.write_bytes(b"{oops}\n" + raw.read_bytes())
        expected = f"{raw}:1: not valid JSON"
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("herbx: error: ")


def test_same_numbers_as_the_label_benchmark_scorer(tmp_path: Path) -> None:
    """herbx eval and the engine benchmark's scorer agree on generated labels."""
    labels = pytest.importorskip("herbx.testing.labels")
    rng = random.Random(7)
    truths = [labels.random_truth(rng, layout=labels.LAYOUTS[i % 4]) for i in range(40)]
    run = RunBuilder(tmp_path / "gen")
    expected: dict[str, int] = dict.fromkeys(labels.SCORED_FIELDS, 0)
    rows = []
    for i, truth in enumerate(truths):
        raw = {k: v for k, v in truth.items() if not k.startswith("_")}
        # imperfect reads: verbatim dates, dropped or garbled fields
        if i % 3 == 0:
            raw["eventDate"] = truth["verbatimEventDate"]
        if i % 4 == 1:
            raw["recordedBy"] = ""
        if i % 5 == 2:
            raw["locality"] = raw["locality"].replace("o", "0")
        if i % 7 == 3:
            raw["catalogNumber"] = raw["catalogNumber"][1:]
        for f, ok in labels.score_terms(raw, truth).items():
            expected[f] += ok
        run.add(f"sheet-{i:03d}.jpg", raw)
        rows.append({"file": f"sheet-{i:03d}.jpg", **{f: truth[f] for f in labels.SCORED_FIELDS}})
    run.write()
    with open(tmp_path / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", *labels.SCORED_FIELDS])
        writer.writeheader()
        writer.writerows(rows)
    report = evaluate_runs([load_run(tmp_path / "gen")], load_truth(tmp_path / "truth.csv"))
    got = {f.term: f.exact for f in report.groups[0].fields}
    assert got == expected
    assert 0 < sum(got.values()) < 40 * len(got)


def test_score_pairs_directly() -> None:
    g = score_pairs(
        [("x.jpg", {"country": "Canada"}, {"country": "canada"}),
         ("y.jpg", {"country": "Canada"}, {"country": "Kanada"})],
        ["country"],
    )  # fmt: skip
    f = g.field("country")
    assert (f.exact, f.truth_values, f.accuracy) == (1, 2, 0.5)
    assert f.similarity is not None and 0.9 < f.similarity < 1.0
