"""Nothing of the knowledge base is held by one process: a second one, with a data folder of
its own but the same database and vector store, searches, redacts and waits for vectors the
same, and follows a re-ingest made elsewhere (issue 26). On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.retrieval.knowledge_base import INDEX_CHECK_SECONDS, KnowledgeBase
from assistant.retrieval.people import company_people, company_terms
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.support.records import MonotonicClock

PROCEDURE = (
    "# Procédure d'astreinte\n\n"
    "En cas d'absence imprévue, l'intervenant appelle Mme Josiane Ferrand, responsable de "
    "l'astreinte, qui prévient la famille du bénéficiaire. Le planning de la tournée est tenu "
    "à jour par Bertrand Vasseur.\n"
)
HYGIENE = (
    "# Hygiène\n\nLes gants usagés sont jetés entre deux soins, dans le sac jaune. Le lavage "
    "des mains dure trente secondes.\n"
)
LATE = "# Clés\n\nLes clés de secours du dépôt de Brivomont sont au poste de sécurité.\n"
ASK = "import sys; from assistant.cli import app; app(['ask', sys.argv[1], '--json', '--k', '3'])"
QUESTIONS = ("absence imprévue astreinte", "gants usagés entre deux soins", "lavage des mains")


@pytest.fixture
def shared_url(database_url: str | None, tmp_path: Path) -> str:
    """One database for both processes: the PostgreSQL test database, or a SQLite file."""
    return database_url or f"sqlite:///{tmp_path / 'shared.db'}"


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "astreinte.md").write_text(PROCEDURE, encoding="utf-8")
    (folder / "hygiene.md").write_text(HYGIENE, encoding="utf-8")
    return folder


def _process(make_settings: SettingsFactory, tmp_path: Path, name: str, url: str) -> Settings:
    """A process's settings: its own data folder, the shared database."""
    return make_settings(data_dir=tmp_path / name, database_url=url)


def _fresh(settings: Settings) -> KnowledgeBase:
    """What a process that just started has: new objects, nothing loaded."""
    return KnowledgeBase(settings, None, Store.open(settings))


async def _hits(base: KnowledgeBase) -> list[list[str]]:
    retriever = base.retriever()
    return [[hit.id for hit in (await retriever.search(q, k=3)).hits] for q in QUESTIONS]


async def test_a_second_process_finds_redacts_and_waits_the_same(
    make_settings: SettingsFactory, tmp_path: Path, shared_url: str, documents: Path
) -> None:
    first = _fresh(_process(make_settings, tmp_path, "first", shared_url))
    # No embedding model: every passage waits for its vector, found by lexical search.
    report = await first.ingest(first.files([documents], None))
    assert report.ok
    assert report.vectors_missing > 0
    expected_hits = await _hits(first)
    assert all(expected_hits)

    second = _fresh(_process(make_settings, tmp_path, "second", shared_url))
    assert await _hits(second) == expected_hits
    assert sorted(second.pending.ids()) == sorted(first.pending.ids())
    assert second.without_vectors() == report.vectors_missing
    assert {"Josiane Ferrand", "Bertrand Vasseur"} <= company_people(second.database)
    assert company_people(second.database) == company_people(first.database)
    assert company_terms(second.database) == company_terms(first.database)
    # Nothing of it is on the second process's disk.
    assert not (tmp_path / "second").exists() or not any((tmp_path / "second").iterdir())


def test_a_search_from_another_process_gives_the_same_hits(
    make_settings: SettingsFactory, tmp_path: Path, shared_url: str, documents: Path
) -> None:
    import asyncio

    first = _fresh(_process(make_settings, tmp_path, "first", shared_url))
    asyncio.run(first.ingest(first.files([documents], None)))
    retriever = first.retriever()
    expected = [hit.id for hit in asyncio.run(retriever.search(QUESTIONS[1], k=3)).hits]
    environment = {
        **os.environ,
        "TERRAIN_DATA_DIR": str(tmp_path / "elsewhere"),
        "TERRAIN_DATABASE_URL": shared_url,
        "TERRAIN_CONFIG": os.devnull,
        "OLLAMA_HOST": "http://127.0.0.1:9",  # no embedding model: lexical search
        "TERRAIN_MAX_RETRIES": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", ASK, QUESTIONS[1]],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [hit["id"] for hit in json.loads(result.stdout)] == expected


async def test_a_reingest_elsewhere_reaches_a_retriever_already_open(
    make_settings: SettingsFactory, tmp_path: Path, shared_url: str, documents: Path
) -> None:
    writer = _fresh(_process(make_settings, tmp_path, "writer", shared_url))
    await writer.ingest(writer.files([documents], None))
    # A web process builds its retriever once, at its first interview.
    clock = MonotonicClock()
    replica_settings = _process(make_settings, tmp_path, "replica", shared_url)
    replica = KnowledgeBase(replica_settings, None, Store.open(replica_settings), clock=clock)
    open_retriever = replica.retriever()
    assert not (await open_retriever.search("clés de secours Brivomont", k=3)).hits

    (documents / "cles.md").write_text(LATE, encoding="utf-8")
    (documents / "astreinte.md").unlink()
    report = await writer.ingest(writer.files([documents], None), prune=True)
    assert report.added == ["cles.md"]
    assert report.pruned == ["astreinte.md"]

    # Within INDEX_CHECK_SECONDS of its last check, the replica searches the index it had,
    # whole; past them, the new one.
    clock.now += INDEX_CHECK_SECONDS / 2
    before = (await open_retriever.search("absence imprévue astreinte", k=3)).hits
    assert "astreinte.md" in {hit.source for hit in before}
    clock.now += INDEX_CHECK_SECONDS
    found = (await open_retriever.search("clés de secours Brivomont", k=3)).hits
    assert [hit.source for hit in found][:1] == ["cles.md"]
    gone = (await open_retriever.search("absence imprévue astreinte", k=3)).hits
    assert "astreinte.md" not in {hit.source for hit in gone}
    # The removed document's passages and people are gone for every process too.
    later = _fresh(_process(make_settings, tmp_path, "later", shared_url))
    assert not [i for i in later.pending.ids() if "astreinte.md" in i]
    assert "Josiane Ferrand" not in company_people(later.database)


async def test_an_ingest_that_died_is_caught_up_by_the_next_process(
    make_settings: SettingsFactory, tmp_path: Path, shared_url: str, documents: Path
) -> None:
    writer = _fresh(_process(make_settings, tmp_path, "writer", shared_url))
    await writer.ingest(writer.files([documents], None))
    # An ingest that died after writing a passage, before saving the index and the people.
    writer.database.knowledge.ingest_started()
    record = next(writer.pending.records())
    late = record.model_copy(update={"id": "company:cles.md#0", "source": "cles.md",
                                     "text": "zygomorphe quinconce Brivomont"})  # fmt: skip
    writer.pending.put([late])

    reader = _fresh(_process(make_settings, tmp_path, "reader", shared_url))
    hits = (await reader.retriever().search("zygomorphe quinconce", k=3)).hits
    assert [hit.id for hit in hits] == ["company:cles.md#0"]
    # The next ingest ends the dead one's run and reads the people of what it wrote.
    await writer.ingest(writer.files([documents], None))
    assert writer.database.knowledge.lexical_state().ingests_under_way == 0


def test_a_previous_version_s_files_move_into_the_database(
    make_settings: SettingsFactory, tmp_path: Path, shared_url: str
) -> None:
    settings = _process(make_settings, tmp_path, "old", shared_url)
    data = settings.data_dir
    data.mkdir(parents=True)
    (data / "people-named.json").write_text(
        json.dumps(
            {
                "documents": {
                    "a.md": {
                        "content_hash": "h",
                        "names": ["Josiane Ferrand"],
                        "terms": ["Lormeval"],
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    with sqlite3.connect(data / "pending-passages.sqlite3") as connection:
        connection.execute(
            "CREATE TABLE passage (id TEXT PRIMARY KEY, collection TEXT NOT NULL, source TEXT "
            "NOT NULL, content_hash TEXT NOT NULL, record TEXT NOT NULL)"
        )
        connection.execute(
            "INSERT INTO passage VALUES (?, ?, ?, ?, ?)",
            ("company:a.md#0", "company", "a.md", "h", '{"id": "company:a.md#0"}'),
        )
    connection.close()
    (data / "lexical").mkdir()
    (data / "ingest-in-progress").touch()

    with Store.open(settings) as store:
        # A report built before any ingest of this version still redacts them.
        assert company_people(store, data) == {"Josiane Ferrand"}
        assert company_terms(store) == {"Lormeval"}
        assert store.knowledge.pending_ids() == ["company:a.md#0"]
    assert sorted(path.name for path in data.iterdir() if path.name != "terrain.db") == []
