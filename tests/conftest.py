"""Shared fixtures: the network guard, the Ollama-protocol test server, isolated settings, a
store of the test's own; and the ``slow`` marker's hooks (tests/support/slow_marker.py): each
slow test declares it, and a test without it that goes over the fast tests' budget fails."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.store import Store
from tests import network_guard
from tests.ollama_server import OllamaTestServer
from tests.postgres import PostgresCluster, PostgresMissingError, postgres_cluster

# The slow marker, declared by each slow test or module and checked against a budget.
from tests.support.slow_marker import (  # noqa: F401 (hooks pytest finds here)
    pytest_addoption,
    pytest_ignore_collect,
    pytest_runtest_makereport,
    pytest_runtest_setup,
)

CHAT_MODEL = "mistral-small3.2"
EMBED_MODEL = "bge-m3"


# Chainlit writes into its working folder as soon as it is imported: a throwaway one, never the
# source tree, whichever tests are collected (tests/web/conftest.py does the same for its own).
os.environ.setdefault("CHAINLIT_APP_ROOT", tempfile.mkdtemp(prefix="terrain-chainlit-"))

# Modules whose tests run once on SQLite and once on a throwaway PostgreSQL: every test in them
# that uses a store (``tmp_store``, ``make_settings``, ``settings``, or ``database_url``).
BOTH_DATABASES = frozenset(
    {
        "test_store.py",
        "test_store_findings.py",
        "test_accounts_erase.py",
        "test_findings_jobs.py",
        "test_worker.py",
        "test_report_publishing.py",
        "test_erasure_leaves_no_copy.py",
        "test_retention.py",
        "test_report_build_jobs.py",
        "test_campaigns.py",
        "test_shared_knowledge.py",
        "test_grouped_writes.py",
    }
)


def pytest_sessionstart(session: pytest.Session) -> None:
    network_guard.install()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames and metafunc.definition.path.name in BOTH_DATABASES:
        # PostgreSQL's runs start a server (once per session): with the slow tests.
        postgresql = pytest.param("postgresql", marks=pytest.mark.slow)
        metafunc.parametrize("database_url", ["sqlite", postgresql], indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL server, with the tests' database migrated; skips without one."""
    try:
        with postgres_cluster() as cluster:
            yield cluster
    except PostgresMissingError as missing:
        pytest.skip(str(missing))


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> str:
    """The session's PostgreSQL test database, emptied (tests/postgres.py)."""
    postgres.empty()
    return postgres.url


@pytest.fixture
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """None: the test's store is a SQLite file of its own (the default). In the modules of
    ``BOTH_DATABASES``, also the URL of the PostgreSQL test database, migrated and emptied,
    and given to the commands the test runs (TERRAIN_DATABASE_URL)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    cluster.empty()
    monkeypatch.setenv("TERRAIN_DATABASE_URL", cluster.url)
    return cluster.url


@pytest.fixture
def ollama_server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as server:
        yield server


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str | None) -> SettingsFactory:
    """Settings isolated in the test's own folder (and database), with quick retries."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "chat_model": CHAT_MODEL,
            "embed_model": EMBED_MODEL,
            "retry_backoff": 0.01,
            "connect_timeout": 2.0,
            "request_timeout": 10.0,
        }
        if database_url is not None:
            values["database_url"] = database_url
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture
def settings(make_settings: SettingsFactory, ollama_server: OllamaTestServer) -> Settings:
    return make_settings(ollama_host=ollama_server.url)


@pytest.fixture(scope="session")
def _migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the current schema, migrated once for the whole session."""
    path = tmp_path_factory.mktemp("schema") / "terrain.db"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    store.close()
    return path


@pytest.fixture
def tmp_store(
    tmp_path: Path, database_url: str | None, request: pytest.FixtureRequest
) -> Iterator[Store]:
    """A store of the test's own, on a copy of the migrated database: copying a file costs
    far less than running the migrations for every test (or the emptied PostgreSQL one)."""
    if database_url is not None:
        with Store(database_url) as store:
            yield store
        return
    migrated: Path = request.getfixturevalue("_migrated_database")
    path = tmp_path / "terrain.db"
    shutil.copyfile(migrated, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.close()
