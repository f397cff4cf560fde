"""The knowledge base and the doctor against a real Chroma server (``TERRAIN_CHROMA_URL``).

The server is the one chromadb ships (``chroma run``), started once for this module on a free
loopback port, with its data in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.doctor import CheckResult, run_checks
from assistant.llm import embedder_for
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.search import SearchMode
from tests.conftest import EMBED_MODEL, SettingsFactory
from tests.ollama_server import OllamaTestServer, free_port_url

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT = 30.0
VECTOR_STORE_CHECK = "Vector store opens"

DOCUMENTS = {
    "astreinte.md": (
        "# Astreinte de nuit\n\n"
        "Le numéro d'astreinte répond la nuit et le week-end. La coordinatrice de garde "
        "rappelle la famille dans le quart d'heure et note l'appel dans le cahier de "
        "transmissions.\n"
    ),
    "facturation.md": (
        "# Facturation\n\n"
        "Les factures des bénéficiaires partent le cinq du mois. Une facture contestée est "
        "revue par la comptable avec le relevé des heures signé au domicile.\n"
    ),
    "hygiene.md": (
        "# Hygiène\n\n"
        "L'aide à domicile change de gants entre deux soins et jette les gants usagés dans le "
        "sac prévu. Le matériel est désinfecté à la fin de chaque visite.\n"
    ),
}


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("chroma")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Straight to the server: a proxy set in the environment must not carry loopback traffic.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _heartbeat(url: str) -> bool:
    try:
        with _DIRECT.open(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Chroma server running for this module's tests."""
    executable = _chroma_executable()
    if executable is None:
        pytest.skip("the `chroma` executable (chromadb's server) is not installed")
    folder = tmp_path_factory.mktemp("chroma-server")
    log = folder / "server.log"
    # chromadb 1.x's server is Rust and sends no product telemetry (its log says "No telemetry
    # is configured"); the variables are for an older, Python server, which reads them.
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY__ENABLED": "false"}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [executable, "run", "--path", str(folder / "data"), "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _heartbeat(url):
            if process.poll() is not None:
                pytest.fail(f"chroma run exited with {process.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no Chroma heartbeat at {url} after {STARTUP_TIMEOUT:.0f} s:\n{_tail(log)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)


@pytest.fixture
def server_settings(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer, chroma_url: str
) -> Settings:
    return make_settings(ollama_host=ollama_server.url, chroma_url=chroma_url)


def _vector_store_check(results: list[CheckResult]) -> CheckResult:
    [check] = [result for result in results if result.name == VECTOR_STORE_CHECK]
    return check


async def test_the_knowledge_base_ingests_into_the_server_and_searches_it(
    server_settings: Settings,
    make_settings: SettingsFactory,
    ollama_server: OllamaTestServer,
    chroma_url: str,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    base = KnowledgeBase(server_settings, embedder_for(server_settings))

    first = await base.ingest(base.files([folder], None))
    assert first.ok, first.failed
    assert first.added == sorted(DOCUMENTS)
    assert first.chunks_written >= len(DOCUMENTS)
    assert base.store.count() == first.chunks_written
    assert not server_settings.chroma_dir.exists()  # nothing went to a local Chroma folder
    calls = ollama_server.embed_calls
    assert calls > 0

    second = await base.ingest(base.files([folder], None))
    assert second.ok
    assert second.unchanged == first.added
    assert second.chunks_written == 0
    assert ollama_server.embed_calls == calls

    # The server keeps the model that made the vectors; a reindex recreates its collections.
    status = base.status()
    assert (status.embedding_model, status.dimensions) == (EMBED_MODEL, ollama_server.embed_dim)
    reindexed = await base.ingest(base.files([folder], None), reindex=True)
    assert reindexed.reindexed
    assert reindexed.vectors_written == first.chunks_written
    assert base.status().without_vectors == 0

    result = await base.retriever().search("Qui répond au téléphone d'astreinte la nuit ?", k=3)
    assert result.mode is SearchMode.HYBRID
    assert result.hits[0].source == "astreinte.md"
    assert "numéro d'astreinte" in result.hits[0].text

    # Another installation pointed at the same server finds the chunks without ingesting.
    elsewhere = make_settings(
        ollama_host=ollama_server.url, chroma_url=chroma_url, data_dir=tmp_path / "other"
    )
    other = KnowledgeBase(elsewhere, embedder_for(elsewhere))
    found = await other.retriever().search("gants usagés entre deux soins", k=3)
    assert found.mode is SearchMode.HYBRID
    assert found.hits[0].source == "hygiene.md"


async def test_doctor_reports_the_chroma_server(server_settings: Settings, chroma_url: str) -> None:
    check = _vector_store_check(await run_checks(server_settings))
    assert check.ok, check
    assert check.detail == chroma_url


async def test_doctor_names_the_setting_when_no_chroma_server_answers(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    closed = free_port_url()
    settings = make_settings(ollama_host=ollama_server.url, chroma_url=closed)
    check = _vector_store_check(await run_checks(settings))
    assert not check.ok
    assert closed in check.detail
    assert check.fix is not None
    assert "TERRAIN_CHROMA_URL" in check.fix
