"""Token cost from the ``[pricing]`` table: USD per million input and output tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herbx.config import read_toml, shipped_file


def shipped_pricing() -> dict[str, Any]:
    """The ``[pricing]`` table shipped with herbx."""
    table = read_toml(shipped_file("herbx.toml")).get("pricing", {})
    return dict(table) if isinstance(table, Mapping) else {}


def price_for(table: Mapping[str, Any], *models: str | None) -> tuple[float, float] | None:
    """``(input, output)`` USD per million tokens for the first model found in ``table``.

    A model is looked up as given, then without its provider prefix
    (``openai/gpt-4o-mini`` -> ``gpt-4o-mini``).
    """
    for model in models:
        if not model:
            continue
        for key in (model, model.split("/", 1)[-1]):
            entry = table.get(key)
            if isinstance(entry, Mapping):
                try:
                    return float(entry.get("input", 0.0)), float(entry.get("output", 0.0))
                except (TypeError, ValueError):
                    continue
    return None


def cost_usd(price: tuple[float, float], prompt_tokens: int, completion_tokens: int) -> float:
    """Cost of one call.

    >>> round(cost_usd((0.15, 0.60), 1000, 200), 8)
    0.00027
    """
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000
