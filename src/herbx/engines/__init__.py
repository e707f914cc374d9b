"""Extraction engines behind one small protocol (see :mod:`herbx.engines.base`)."""

from herbx.engines.base import (
    Engine,
    EngineError,
    EngineResult,
    SpecimenImage,
    SystemicEngineError,
    TransientEngineError,
    Usage,
)

__all__ = [
    "Engine",
    "EngineError",
    "EngineResult",
    "SpecimenImage",
    "SystemicEngineError",
    "TransientEngineError",
    "Usage",
]
