"""The engine registry: built-ins, a real entry-point plugin, a broken one, the CLI listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herbx.engines.base import Engine, SpecimenImage
from herbx.engines.openai import OpenAIEngine
from herbx.engines.registry import (
    UnknownEngineError,
    available_engines,
    create_engine,
    engine_kind,
    plugin_warnings,
)
from herbx.engines.simulate import SimulatedEngine
from herbx_cli.app import app

PLUGIN_MODULE = '''
"""Reads nothing, finds a fern."""

class FernEngine:
    """Always finds a fern."""

    name = "fern"
    kind = "cpu"

    def __init__(self, epithet="vulgare"):
        self.epithet = epithet

    def settings(self):
        return {"epithet": self.epithet}

    def extract(self, image):
        from herbx.engines.base import EngineResult
        return EngineResult(terms={"scientificName": f"Polypodium {self.epithet} L."})

    def close(self):
        pass
'''


def build_plugin_dist(root: Path) -> Path:
    """A tiny installed distribution: a module and a dist-info with entry points."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "herbx_fern_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    (root / "herbx_broken_plugin.py").write_text("raise ImportError('needs libfoo')\n")
    info = root / "herbx_fern_plugin-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: herbx-fern-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [herbx.engines]
            fern = herbx_fern_plugin:FernEngine
            broken = herbx_broken_plugin:Engine
            simulate = herbx_fern_plugin:FernEngine
            """
        ),
        encoding="utf-8",
    )
    return root


@pytest.fixture
def plugin_path(tmp_path: Path) -> Iterator[Path]:
    root = build_plugin_dist(tmp_path / "site")
    sys.path.insert(0, str(root))
    try:
        available_engines(refresh=True)
        yield root
    finally:
        sys.path.remove(str(root))
        for mod in ("herbx_fern_plugin", "herbx_broken_plugin"):
            sys.modules.pop(mod, None)
        available_engines(refresh=True)


def test_builtins_and_kinds() -> None:
    engines = available_engines()
    assert {"ocr", "openai", "simulate"} <= set(engines)
    assert engine_kind("ocr") == "cpu"
    assert engine_kind("openai") == "io" and engine_kind("simulate") == "io"
    assert all(engines[n].origin == "builtin" for n in ("ocr", "openai", "simulate"))


def test_unknown_engine_lists_the_names() -> None:
    with pytest.raises(UnknownEngineError) as info:
        create_engine("tesseract", {})
    assert isinstance(info.value, ValueError)
    assert "unknown engine 'tesseract'" in str(info.value)
    assert "ocr, openai, simulate" in str(info.value)
    with pytest.raises(UnknownEngineError):
        engine_kind("tesseract")


def test_create_builtin_engines_from_settings() -> None:
    sim = create_engine("simulate", {"success_rate": 0.5, "seed": 9})
    assert isinstance(sim, SimulatedEngine) and isinstance(sim, Engine)
    assert sim.settings()["seed"] == 9
    cfg = {"pricing": {"m/x": {"input": 1.0, "output": 2.0}}}
    oa = create_engine("openai", {"base_url": "http://127.0.0.1:9/v1", "model": "m/x"}, config=cfg)
    assert isinstance(oa, OpenAIEngine)
    assert oa._pricing == cfg["pricing"]
    oa.close()


def test_a_real_plugin_is_found_and_a_broken_one_is_skipped(
    plugin_path: Path, tmp_path: Path
) -> None:
    engines = available_engines()
    fern = engines["fern"]
    assert fern.origin == "plugin:herbx-fern-plugin"
    assert fern.kind == "cpu" and fern.description == "Always finds a fern."
    assert engines["simulate"].origin == "builtin"  # a plugin cannot take a built-in's name
    assert "broken" not in engines
    warnings = plugin_warnings()
    assert any("'broken'" in w and "needs libfoo" in w for w in warnings)
    assert any("'simulate'" in w and "already taken" in w for w in warnings)

    engine = create_engine("fern", {"epithet": "glycyrrhiza"})
    img = SpecimenImage(path=tmp_path / "x.jpg", pixels=None)  # type: ignore[arg-type]
    assert engine.extract(img).terms == {"scientificName": "Polypodium glycyrrhiza L."}


def test_cli_lists_plugins_and_warns_about_broken_ones(plugin_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["engines", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows][:3] == ["ocr", "openai", "simulate"]
    assert {"name": "fern", "kind": "cpu", "origin": "plugin:herbx-fern-plugin"}.items() <= next(
        r for r in rows if r["name"] == "fern"
    ).items()


def test_installed_cli_survives_a_broken_plugin(tmp_path: Path) -> None:
    root = build_plugin_dist(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}
    herbx = Path(sys.executable).with_name("herbx")
    proc = subprocess.run(
        [str(herbx), "engines", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.split()[:3] == ["fern", "cpu", "plugin:herbx-fern-plugin"] for line in lines)
    assert proc.stderr.count("engine plugin 'broken'") == 1 and "needs libfoo" in proc.stderr
    assert "Traceback" not in proc.stderr
