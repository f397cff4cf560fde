"""The web app as it runs: `terrain serve` in a subprocess, the fake Ollama, real accounts.

One server per test module (it takes a few seconds to start); each test opens its own
conversations. The fake model is scripted from the test process: the server reaches it over
loopback like a real Ollama.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from tests.ollama_server import OllamaTestServer
from tests.web.server import ACCOUNTS, CHAT_MODEL, EMBED_MODEL, WebServer
from tests.web.waiting import HANG_CAP_MS

try:  # Playwright's waits (an expect, a click) as every other: capped only against a hang
    from playwright.async_api import expect

    expect.set_options(timeout=HANG_CAP_MS)
except ImportError:  # pragma: no cover - the browser tests skip themselves then
    pass

# Chainlit writes into its working folder as soon as it is imported (by the unit tests of the
# data layer): a throwaway one, never the source tree.
os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="terrain-chainlit-"))


@pytest.fixture(scope="module")
def fake_ollama() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_script(fake_ollama: OllamaTestServer) -> Iterator[None]:
    fake_ollama.reset()
    yield
    fake_ollama.reset()


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama: OllamaTestServer
) -> Iterator[WebServer]:
    data_dir = tmp_path_factory.mktemp("web") / "data"
    server = WebServer(data_dir=data_dir, ollama_url=fake_ollama.url)
    server.add_accounts(ACCOUNTS)
    server.start()
    try:
        yield server
    finally:
        server.stop()
