"""Engines by name: the built-ins plus third-party engines from entry points.

A third party adds an engine without touching herbx by declaring an entry point in the
``herbx.engines`` group that points at an engine class (or any factory)::

    [project.entry-points."herbx.engines"]
    myengine = "my_package.engine:MyEngine"

The object may carry ``kind = "cpu"`` (run in processes) or ``"io"`` (threads, the default)
and a ``description``; its docstring's first line is used otherwise. ``create_engine``
calls ``Factory.from_settings(settings)`` when it exists, else ``Factory(**settings)``.
A plugin that fails to load is logged, listed by :func:`plugin_warnings` and skipped: it
never breaks herbx.

Example::

    from herbx.engines.registry import available_engines, create_engine

    sorted(available_engines())          # ['ocr', 'openai', 'simulate', ...]
    engine = create_engine("simulate", {"success_rate": 0.5, "seed": 7})
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal, cast

from herbx.engines.base import Engine

ENTRY_POINT_GROUP = "herbx.engines"

log = logging.getLogger("herbx.engines")

EngineKind = Literal["cpu", "io"]


class UnknownEngineError(ValueError):
    """No engine has this name. ``str()`` lists the names that exist."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        super().__init__(f"unknown engine {name!r}; available engines: {', '.join(available)}")


@dataclass(frozen=True)
class EngineInfo:
    """What the registry knows about one engine.

    ``kind`` tells the runner how to parallelise it: ``"io"`` engines run in threads,
    ``"cpu"`` engines in processes. ``origin`` is ``"builtin"`` or ``"plugin:<dist>"``.
    ``target`` is the ``module:attribute`` that builds it.
    """

    name: str
    kind: EngineKind
    description: str
    origin: str
    target: str

    def to_dict(self) -> dict[str, str]:
        """Plain dict for ``--json`` output."""
        return {
            "name": self.name,
            "kind": self.kind,
            "origin": self.origin,
            "description": self.description,
            "target": self.target,
        }


_BUILTINS: tuple[EngineInfo, ...] = (
    EngineInfo(
        "ocr",
        "cpu",
        "Offline OCR (RapidOCR) plus a rule-based label parser; the default.",
        "builtin",
        "herbx.engines.ocr:OcrEngine",
    ),
    EngineInfo(
        "openai",
        "io",
        "Any OpenAI-compatible vision model (OpenRouter, OpenAI, Ollama, vLLM, LM Studio).",
        "builtin",
        "herbx.engines.openai:OpenAIEngine",
    ),
    EngineInfo(
        "simulate",
        "io",
        "Deterministic simulator with seeded success rate, latency and failure schedule.",
        "builtin",
        "herbx.engines.simulate:SimulatedEngine",
    ),
)

_lock = threading.Lock()
_plugins: dict[str, EngineInfo] | None = None
_warnings: list[str] = []


def _describe(obj: Any) -> str:
    desc = getattr(obj, "description", None)
    if isinstance(desc, str) and desc.strip():
        return desc.strip()
    doc = getattr(obj, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _scan_plugins() -> tuple[dict[str, EngineInfo], list[str]]:
    found: dict[str, EngineInfo] = {}
    problems: list[str] = []
    builtin_names = {info.name for info in _BUILTINS}
    try:
        eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # a corrupt installed distribution must not break the CLI
        return found, [f"cannot read {ENTRY_POINT_GROUP} entry points: {exc}"]
    for ep in eps:
        dist = ep.dist.name if ep.dist is not None else "unknown"
        where = f"engine plugin {ep.name!r} from {dist} ({ep.value})"
        if ep.name in builtin_names or ep.name in found:
            problems.append(f"{where} skipped: the name {ep.name!r} is already taken")
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # any import-time failure of third-party code
            problems.append(f"{where} skipped: {type(exc).__name__}: {exc}")
            continue
        kind = getattr(obj, "kind", "io")
        if kind not in ("cpu", "io"):
            problems.append(f"{where} skipped: kind must be 'cpu' or 'io', not {kind!r}")
            continue
        found[ep.name] = EngineInfo(
            ep.name, cast(EngineKind, kind), _describe(obj), f"plugin:{dist}", ep.value
        )
    return found, problems


def _plugin_infos(refresh: bool) -> dict[str, EngineInfo]:
    global _plugins, _warnings
    with _lock:
        if _plugins is None or refresh:
            importlib.invalidate_caches()
            _plugins, _warnings = _scan_plugins()
            for problem in _warnings:
                log.warning("%s", problem)
        return _plugins


def available_engines(*, refresh: bool = False) -> dict[str, EngineInfo]:
    """All engines by name: built-ins first, then plugins. ``refresh`` rescans entry points."""
    engines = {info.name: info for info in _BUILTINS}
    engines.update(_plugin_infos(refresh))
    return engines


def plugin_warnings() -> list[str]:
    """One line per plugin that was skipped in the last scan (empty when all loaded)."""
    _plugin_infos(False)
    return list(_warnings)


def engine_info(name: str) -> EngineInfo:
    """The :class:`EngineInfo` of ``name``; :class:`UnknownEngineError` if there is none."""
    engines = available_engines()
    if name not in engines:
        raise UnknownEngineError(name, sorted(engines))
    return engines[name]


def engine_kind(name: str) -> str:
    """``"io"`` (run in threads) or ``"cpu"`` (run in processes) for engine ``name``."""
    return engine_info(name).kind


def _load_target(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def create_engine(
    name: str, settings: Mapping[str, Any] | None = None, *, config: Mapping[str, Any] | None = None
) -> Engine:
    """Build engine ``name`` from its settings (the ``[engines.<name>]`` config section).

    ``config``, the full effective configuration, is optional; when given, the ``openai``
    engine takes its price table from its ``[pricing]`` section.

    Raises :class:`UnknownEngineError` for a name nobody provides, and whatever the engine
    raises for bad settings (``herbx.config.ConfigError`` for the built-ins).
    """
    info = engine_info(name)
    opts: dict[str, Any] = dict(settings or {})
    wants_pricing = info.origin == "builtin" and name == "openai" and "pricing" not in opts
    if wants_pricing and config is not None and "pricing" in config:
        opts["pricing"] = config["pricing"]
    factory = _load_target(info.target)
    from_settings = getattr(factory, "from_settings", None)
    if callable(from_settings):
        return cast(Engine, from_settings(opts))
    return cast(Engine, cast(Callable[..., Any], factory)(**opts))
