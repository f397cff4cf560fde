"""Exact dense search in memory (assistant/retrieval/dense_index.py): Chroma's answer, exact;
read again when another process's ingest saved a new index; Chroma asked past the size cap,
during an ingest, or when the vectors cannot be read."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.api.collection_configuration import CreateHNSWConfiguration
from chromadb.config import Settings as ChromaSettings

from assistant.config import Settings
from assistant.llm import embedder_for
from assistant.retrieval.dense_index import DenseIndex
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.search import Retriever
from assistant.retrieval.vector_store import COLLECTION_PREFIX, VectorStore, where_clause
from tests.support.records import MonotonicClock

PASSAGES = 3000
DIMENSIONS = 64
QUERIES = 90
DEPTH = 20
FILTERS: tuple[dict[str, str | int], ...] = ({}, {"language": "fr"}, {"source": "doc-7.md"})

SHIFTS = "# Planning\n\nLe planning des tournées du week-end est préparé le jeudi.\n"
LEAVE = "# Congés\n\nLes congés sont posés dans le logiciel avant le 15 du mois.\n"
KEYS = "# Clés\n\nLes clés de secours du dépôt de Brivomont sont au poste de sécurité.\n"
ASKED = "planning des tournées du week-end"


def _records(count: int) -> list[ChunkRecord]:
    now = datetime.now(UTC)
    records = []
    for number in range(count):
        collection = Collection.SOURCES if number % 5 == 0 else Collection.COMPANY
        source = f"doc-{number // 10}.md"
        records.append(
            ChunkRecord(
                id=f"{collection.value}:{source}#{number % 10}",
                text=f"passage {number}",
                collection=collection,
                source=source,
                title="Titre",
                chunk_index=number % 10,
                content_hash="0" * 64,
                ingested_at=now,
                language="en" if number % 3 == 0 else "fr",
            )
        )
    return records


def _random_store(
    folder: Path, hnsw: CreateHNSWConfiguration
) -> tuple[VectorStore, dict[str, ChunkRecord], np.ndarray]:
    """A real embedded Chroma holding random vectors, its collections made with ``hnsw``."""
    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
    )
    for collection in Collection:
        client.get_or_create_collection(
            COLLECTION_PREFIX + collection.value,
            embedding_function=None,
            configuration={"hnsw": hnsw | {"space": "cosine"}},
        )
    store = VectorStore(client)  # opens the collections made above
    records = _records(PASSAGES)
    vectors = np.random.default_rng(26).normal(size=(PASSAGES, DIMENSIONS)).astype(np.float32)
    store.add(records, vectors.tolist())
    return store, {record.id: record for record in records}, vectors


def _queries() -> Iterator[tuple[list[float], Collection | None, dict[str, str | int]]]:
    rng = np.random.default_rng(4)
    choices = (None, Collection.COMPANY, Collection.SOURCES)
    for number in range(QUERIES):
        vector = rng.normal(size=DIMENSIONS).tolist()
        yield vector, choices[number % 3], FILTERS[(number // 3) % len(FILTERS)]


def _brute_force(
    vectors: np.ndarray,
    known: dict[str, ChunkRecord],
    query: list[float],
    collection: Collection | None,
    wanted: dict[str, str | int],
) -> list[tuple[str, float]]:
    ids = list(known)
    matrix = vectors.astype(np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    scores = matrix @ (np.asarray(query) / np.linalg.norm(query))
    kept = [
        (chunk_id, float(score))
        for chunk_id, score in zip(ids, scores, strict=True)
        if (collection is None or known[chunk_id].collection == collection)
        and all(known[chunk_id].to_metadata().get(f) == v for f, v in wanted.items())
    ]
    return sorted(kept, key=lambda pair: (-pair[1], pair[0]))[:DEPTH]


@pytest.mark.slow
def test_in_memory_the_nearest_are_chromas_where_chroma_is_exact(tmp_path: Path) -> None:
    """With a graph built and searched wide enough to be exact on these vectors, Chroma's
    query and the in-memory search give the same ids in the same order, the same scores."""
    store, known, _ = _random_store(
        tmp_path, {"ef_construction": 400, "ef_search": 1000, "max_neighbors": 48}
    )
    exact = DenseIndex(PASSAGES)
    for vector, collection, wanted in _queries():
        mine = exact.nearest(store, "t", known, vector, DEPTH, collection=collection, wanted=wanted)
        chroma = store.nearest(
            vector, DEPTH, collection=collection, where=where_clause(wanted), known=known
        )
        assert mine is not None
        assert [record.id for record, _ in mine] == [record.id for record, _ in chroma]
        assert [score for _, score in mine] == pytest.approx([s for _, s in chroma], abs=1e-5)
        assert all(record is known[record.id] for record, _ in mine)
        assert (not wanted) or all(
            record.to_metadata()[field] == value
            for record, _ in mine
            for field, value in wanted.items()
        )


@pytest.mark.slow
def test_in_memory_the_nearest_are_exact_where_chroma_approximates(tmp_path: Path) -> None:
    """With Terrain's own collections (Chroma's default graph), the in-memory search is the
    brute-force answer; Chroma's approximate one finds most of it, at the same scores."""
    store, known, vectors = _random_store(tmp_path, {})
    exact = DenseIndex(PASSAGES)
    found = asked = 0
    for vector, collection, wanted in _queries():
        mine = exact.nearest(store, "t", known, vector, DEPTH, collection=collection, wanted=wanted)
        assert mine is not None
        truth = _brute_force(vectors, known, vector, collection, wanted)
        assert [record.id for record, _ in mine] == [chunk_id for chunk_id, _ in truth]
        assert [score for _, score in mine] == pytest.approx([s for _, s in truth], abs=1e-5)
        chroma = store.nearest(
            vector, DEPTH, collection=collection, where=where_clause(wanted), known=known
        )
        scores = dict(truth)
        for record, score in chroma:
            if record.id in scores:
                assert score == pytest.approx(scores[record.id], abs=1e-5)
        found += len({record.id for record, _ in chroma} & set(scores))
        asked += len(truth)
    print(f"Chroma's recall against the exact top {DEPTH}: {found}/{asked}")
    assert found / asked > 0.9


def test_equal_scores_come_in_the_order_of_their_ids(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = VectorStore(client)
    records = _records(30)
    same = [1.0, 2.0, 3.0]
    vectors = [same if number % 2 else [3.0, 2.0, float(number)] for number in range(30)]
    store.add(records, vectors)
    known = {record.id: record for record in records}
    hits = DenseIndex(100).nearest(store, "t", known, same, 4, collection=Collection.COMPANY)
    assert hits is not None
    twins = sorted(r.id for r, v in zip(records, vectors, strict=True) if v is same)
    twins = [i for i in twins if i.startswith("company:")]
    assert [record.id for record, _ in hits] == twins[:4]
    assert [score for _, score in hits] == pytest.approx([1.0] * 4, abs=1e-6)


def test_while_one_search_reads_the_vectors_the_others_ask_chroma(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = VectorStore(client)
    records = _records(30)
    rng = np.random.default_rng(7)
    store.add(records, rng.normal(size=(30, 8)).tolist())
    known = {record.id: record for record in records}
    reading, go_on = threading.Event(), threading.Event()
    read = store.vectors

    def slow(collection: Collection) -> Any:
        reading.set()
        go_on.wait(timeout=60)
        return read(collection)

    store.vectors = slow  # type: ignore[method-assign]
    exact = DenseIndex(100)
    query = rng.normal(size=8).tolist()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(exact.nearest, store, "t", known, query, 3)
        assert reading.wait(timeout=60)
        assert exact.nearest(store, "t", known, query, 3) is None  # not waiting: Chroma
        go_on.set()
        found = first.result(timeout=60)
    assert found is not None
    assert exact.nearest(store, "t", known, query, 3) == found


# ---------------------------------------------------------------- through the retriever


@pytest.fixture
def dense_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which way each dense search went: "chroma" (``VectorStore.nearest``) or "memory"."""
    asked: list[str] = []
    chroma, memory = VectorStore.nearest, DenseIndex.nearest

    def asking_chroma(self: VectorStore, *args: Any, **kwargs: Any) -> Any:
        asked.append("chroma")
        return chroma(self, *args, **kwargs)

    def in_memory(self: DenseIndex, *args: Any, **kwargs: Any) -> Any:
        found = memory(self, *args, **kwargs)
        if found is not None:
            asked.append("memory")
        return found

    monkeypatch.setattr(VectorStore, "nearest", asking_chroma)
    monkeypatch.setattr(DenseIndex, "nearest", in_memory)
    return asked


@pytest.fixture
async def folder(settings: Settings, tmp_path: Path) -> Path:
    """Two documents, ingested as sources: the company's would have spaCy read them for the
    people they name (seconds of CPU at its first load), and search is the same for both."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "planning.md").write_text(SHIFTS, encoding="utf-8")
    (documents / "conges.md").write_text(LEAVE, encoding="utf-8")
    await _ingest(settings, documents)
    return documents


async def _ingest(settings: Settings, folder: Path, *, embedding: bool = True) -> KnowledgeBase:
    base = KnowledgeBase(settings, embedder_for(settings) if embedding else None)
    report = await base.ingest(base.files([folder], Collection.SOURCES))
    assert report.ok
    return base


def _reader(settings: Settings, clock: MonotonicClock | None = None) -> Retriever:
    """Another process's retriever: its own objects, the same database and Chroma. It checks
    the saved index at most once every INDEX_CHECK_SECONDS of ``clock``."""
    base = KnowledgeBase(settings, embedder_for(settings), clock=clock or MonotonicClock())
    return base.retriever()


async def test_a_small_knowledge_base_is_searched_in_memory_with_chromas_hits(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    in_memory = _reader(settings)
    chroma = _reader(settings.model_copy(update={"exact_search_max_passages": 0}))
    ranked = 0
    for query, collection in ((ASKED, None), ("poser ses congés", Collection.SOURCES)):
        got = await in_memory.search(query, k=3, collection=collection)
        assert dense_asked.pop() == "memory"
        assert got == await chroma.search(query, k=3, collection=collection)
        assert dense_asked.pop() == "chroma"
        ranked += sum(hit.dense_rank is not None for hit in got.hits)
    assert ranked


async def test_a_search_after_another_process_ingested_uses_the_new_vectors(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    clock = MonotonicClock()
    reader = _reader(settings, clock)
    before = await reader.search("clés de secours Brivomont", k=3)
    assert "memory" in dense_asked
    assert all("cles" not in hit.id for hit in before.hits)
    (folder / "cles.md").write_text(KEYS, encoding="utf-8")
    await _ingest(settings, folder)  # another process's ingest
    clock.past_the_index_check()
    dense_asked.clear()
    after = await reader.search("clés de secours Brivomont", k=3)
    assert dense_asked == ["memory"]
    [keys] = [hit for hit in after.hits if hit.source == "cles.md"]
    assert keys.dense_rank is not None  # its vector was read: the matrix is the new one


async def test_vectors_given_to_waiting_passages_are_read_again(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    """Embedding the pending passages leaves the passages as they were, not their vectors:
    the ingest saves a new index token all the same, and the next search reads them."""
    (folder / "cles.md").write_text(KEYS, encoding="utf-8")
    waiting = await _ingest(settings, folder, embedding=False)
    assert waiting.without_vectors() == 1
    clock = MonotonicClock()
    reader = _reader(settings, clock)
    before = await reader.search("clés de secours Brivomont", k=3)
    [keys] = [hit for hit in before.hits if hit.source == "cles.md"]
    assert keys.dense_rank is None  # found lexically only: it has no vector
    filled = await _ingest(settings, folder)
    assert filled.without_vectors() == 0
    clock.past_the_index_check()
    dense_asked.clear()
    after = await reader.search("clés de secours Brivomont", k=3)
    assert dense_asked == ["memory"]
    [keys] = [hit for hit in after.hits if hit.source == "cles.md"]
    assert keys.dense_rank is not None


async def test_past_the_cap_chroma_is_asked(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    passages = len(KnowledgeBase(settings, None).lexical_index().records)
    at_cap = _reader(settings.model_copy(update={"exact_search_max_passages": passages}))
    await at_cap.search(ASKED, k=2)
    past = _reader(settings.model_copy(update={"exact_search_max_passages": passages - 1}))
    await past.search(ASKED, k=2)
    assert dense_asked == ["memory", "chroma"]


async def test_a_retriever_for_one_search_asks_chroma(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    """A command's single search (``terrain ask``) does not read every vector first."""
    reader = KnowledgeBase(settings, embedder_for(settings)).retriever(many_searches=False)
    await reader.search(ASKED, k=2)
    assert dense_asked == ["chroma"]


async def test_during_an_ingest_chroma_is_asked(
    settings: Settings, folder: Path, dense_asked: list[str]
) -> None:
    base = KnowledgeBase(settings, None)
    clock = MonotonicClock()
    reader = _reader(settings, clock)
    await reader.search(ASKED, k=2)
    run = base.database.knowledge.ingest_started()  # another process's
    await reader.search(ASKED, k=2)  # within a second of its last check: the index it had
    clock.past_the_index_check()
    await reader.search(ASKED, k=2)
    base.database.knowledge.publish(ingest=run)
    clock.past_the_index_check()
    await reader.search(ASKED, k=2)
    assert dense_asked == ["memory", "memory", "chroma", "memory"]


async def test_vectors_that_cannot_be_read_leave_the_search_to_chroma_and_say_so_once(
    settings: Settings,
    folder: Path,
    dense_asked: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads: list[Collection] = []

    def failing(self: VectorStore, collection: Collection) -> Any:
        reads.append(collection)
        raise RuntimeError("Chroma went away")

    monkeypatch.setattr(VectorStore, "vectors", failing)
    reader = _reader(settings)
    with caplog.at_level(logging.WARNING, logger="assistant.retrieval.dense_index"):
        first = await reader.search(ASKED, k=2)
        second = await reader.search(ASKED, k=2)
    assert first == second
    assert first.hits
    assert dense_asked == ["chroma", "chroma"]
    assert len(reads) == 1
    assert [r.getMessage() for r in caplog.records if "Chroma went away" in r.getMessage()]
    assert len([r for r in caplog.records if r.name.endswith("dense_index")]) == 1


@pytest.fixture
def trips_to_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions a search sent to a worker thread (``asyncio.to_thread``, counted)."""
    import asyncio

    sent: list[str] = []
    to_thread = asyncio.to_thread

    async def counted(function: Any, /, *args: Any, **kwargs: Any) -> Any:
        sent.append(function.__name__)
        return await to_thread(function, *args, **kwargs)

    monkeypatch.setattr("assistant.retrieval.search.asyncio.to_thread", counted)
    return sent


async def test_a_search_with_all_it_needs_in_memory_runs_on_the_event_loop(
    settings: Settings, folder: Path, dense_asked: list[str], trips_to_threads: list[str]
) -> None:
    """The first search reads the index and the vectors in a worker thread; the next ones,
    within the index check's second, need nothing read and run where they are asked, with
    the same answer; once the check is due, a search goes to a thread again to make it."""
    clock = MonotonicClock()
    reader = _reader(settings, clock)
    first = await reader.search(ASKED, k=3)
    assert trips_to_threads == ["_search"]
    assert dense_asked == ["memory"]

    again = await reader.search(ASKED, k=3)
    assert again == first
    assert trips_to_threads == ["_search"]  # no second trip
    assert dense_asked == ["memory", "memory"]

    clock.past_the_index_check()
    assert await reader.search(ASKED, k=3) == first
    assert trips_to_threads == ["_search", "_search"]


async def test_a_search_that_must_ask_chroma_never_runs_on_the_event_loop(
    settings: Settings, folder: Path, dense_asked: list[str], trips_to_threads: list[str]
) -> None:
    chroma = _reader(settings.model_copy(update={"exact_search_max_passages": 0}))
    for _ in range(2):
        await chroma.search(ASKED, k=3)
    assert dense_asked == ["chroma", "chroma"]
    assert trips_to_threads == ["_search", "_search"]
