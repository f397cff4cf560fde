"""Shared fixtures: the network guard, the Ollama-protocol test server, isolated settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from tests import network_guard
from tests.ollama_server import OllamaTestServer

CHAT_MODEL = "mistral-small3.2"
EMBED_MODEL = "bge-m3"


def pytest_sessionstart(session: pytest.Session) -> None:
    network_guard.install()


@pytest.fixture
def ollama_server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as server:
        yield server


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings isolated in the test's own folder, with quick retries."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "chat_model": CHAT_MODEL,
            "embed_model": EMBED_MODEL,
            "retry_backoff": 0.01,
            "connect_timeout": 2.0,
            "request_timeout": 10.0,
        }
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory, ollama_server: OllamaTestServer) -> Settings:
    return make_settings(ollama_host=ollama_server.url)
