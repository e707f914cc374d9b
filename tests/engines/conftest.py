"""Fixtures for the engine tests. Only ``openai_``-prefixed fixtures live here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_openai_server import OPENAI_TEST_KEY, FakeOpenAIServer


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A chat-completions server on 127.0.0.1 that accepts only ``OPENAI_TEST_KEY``."""
    server = FakeOpenAIServer(api_key=OPENAI_TEST_KEY).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_env() -> dict[str, str]:
    """An environment holding the test key, as the engine would find it."""
    return {"HERBX_API_KEY": OPENAI_TEST_KEY}
