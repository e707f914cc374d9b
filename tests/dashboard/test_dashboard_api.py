"""The dashboard's HTTP API through Starlette's TestClient, on real run folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dashboard_helpers import simulated_run
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient
from typer.testing import CliRunner

from herbx.dashboard.app import create_app
from herbx.dashboard.runs import PathRefused, RunFollower, resolve_run
from herbx_cli.app import app as cli_app


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, TestClient]:
    root = tmp_path / "runs"
    images = tmp_path / "images"
    assert simulated_run(root / "good", images, [True] * 9 + [False]) == "completed"
    assert simulated_run(root / "team" / "bad", images, [False] * 10) == "stopped"
    return root, TestClient(create_app(root, poll_interval=0.05))


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def test_run_list_and_states(served: tuple[Path, TestClient]) -> None:
    _root, client = served
    runs = {r["path"]: r for r in client.get("/api/runs").json()["runs"]}
    assert set(runs) == {"good", "team/bad"}
    assert (runs["good"]["status"], runs["good"]["processed"]) == ("completed", 10)
    assert runs["good"]["success_rate"] == 0.9
    assert (runs["team/bad"]["status"], runs["team/bad"]["processed"]) == ("stopped", 5)

    bad = client.get("/api/run/team/bad/state").json()
    assert bad["failure_reasons"] == {"no_scientific_name": 5}
    stop = bad["validator"]["stop"]
    assert stop["reason"] == "early_validation_failed"
    assert bad["validator"]["checkpoint"]["passed"] is False
    assert [p[0] for p in bad["series"]] == [1, 2, 3, 4, 5]

    good = client.get("/api/run/good/state").json()
    assert good["series"][-1][2] == pytest.approx(0.9)
    assert good["recent"][0]["specimen_id"] == "HX0010" and good["recent"][0]["ok"] is False
    assert good["recent"][1]["fields"] == {
        "scientificName": "Carex nigra", "country": "Canada", "catalogNumber": "HX0009"
    }  # fmt: skip
    assert good["eta_seconds"] is None  # finished


def test_paths_outside_the_root_are_refused(
    served: tuple[Path, TestClient], tmp_path: Path
) -> None:
    root, client = served
    outside = tmp_path / "elsewhere"
    simulated_run(outside, tmp_path / "img2", [True])
    (root / "link").symlink_to(outside, target_is_directory=True)
    for url in (
        "/api/run/%2E%2E/elsewhere/state",
        "/api/run/good/%2E%2E/%2E%2E/elsewhere/state",
        "/api/run/link/state",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "outside the served folder" in response.json()["error"]
    assert client.get("/api/run/nothing-here/state").status_code == 404
    # an absolute path is read as a path inside the root, where there is no such run
    assert client.get(f"/api/run/{outside}/state").status_code == 404
    with pytest.raises(PathRefused):
        resolve_run(root, "../elsewhere")
    assert client.get("/static/../conftest.py").status_code == 404


def test_thumbnails_only_for_recorded_images(
    served: tuple[Path, TestClient], tmp_path: Path
) -> None:
    _root, client = served
    response = client.get("/api/run/good/thumb", params={"image": "sheets/HX0003.jpg"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
    secret = tmp_path / "images" / "secret.jpg"
    secret.write_bytes((tmp_path / "images" / "sheets" / "HX0001.jpg").read_bytes())
    for image in ("secret.jpg", "../images/secret.jpg", str(secret), "sheets/HX0099.jpg"):
        r = client.get("/api/run/good/thumb", params={"image": image})
        assert r.status_code == 404, image
    # the stopped run never reached specimen 9, so it cannot serve that image either
    r = client.get("/api/run/team/bad/thumb", params={"image": "sheets/HX0009.jpg"})
    assert r.status_code == 404


def test_stream_of_a_finished_run_ends(served: tuple[Path, TestClient]) -> None:
    _root, client = served
    with client.stream("GET", "/api/run/team/bad/stream") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = b"".join(response.iter_bytes())
    chunks = body.decode().split("\n\n")
    assert chunks[0].startswith("event: snapshot\ndata: {")
    assert '"status":"stopped"' in chunks[0]
    assert chunks[1] == "event: end\ndata: {}"


def test_metrics_endpoint_and_page(served: tuple[Path, TestClient]) -> None:
    _root, client = served
    text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    ratio = {s.labels["run_id"]: s.value for s in families["herbx_run_success_ratio"].samples}
    assert ratio == {"good": 0.9, "bad": 0.0}
    page = client.get("/")
    assert page.status_code == 200 and "herbx dashboard" in page.text
    for asset in ("app.js", "chart.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert "http" not in client.get("/").text.replace("http://www.w3.org", "")


def test_dashboard_never_writes(served: tuple[Path, TestClient]) -> None:
    root, client = served
    before = _tree(root)
    client.get("/api/runs")
    client.get("/api/run/good/state")
    client.get("/api/run/good/thumb", params={"image": "sheets/HX0001.jpg"})
    client.get("/metrics")
    with client.stream("GET", "/api/run/good/stream") as r:
        b"".join(r.iter_bytes())
    assert _tree(root) == before


def test_follower_reads_only_complete_lines(tmp_path: Path) -> None:
    log = tmp_path / "r" / "events.jsonl"
    simulated_run(tmp_path / "r", tmp_path / "img", [True, False, True])
    lines = log.read_bytes().splitlines(keepends=True)
    partial = tmp_path / "p" / "events.jsonl"
    partial.parent.mkdir()
    partial.write_bytes(b"".join(lines[:3]) + lines[3][:20])
    f = RunFollower(partial)
    assert f.poll() is True
    seen = f.view.events
    assert f.poll() is False
    with open(partial, "ab") as fh:
        fh.write(lines[3][20:] + b"".join(lines[4:]))
    assert f.poll() is True
    assert f.view.events == len(lines) > seen
    assert (f.view.processed, f.view.successful, f.view.status) == (3, 2, "completed")
    os.truncate(partial, 0)
    partial.write_bytes(lines[0])
    assert f.poll() is True and f.view.events == 1


def test_cli_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["dashboard", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"herbx: error: {tmp_path / 'nope'}: not a folder"
