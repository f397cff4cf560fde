"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings, fused on relative scores.

The two rankings' scores have nothing in common (cosine similarity against BM25 weights), so
each is rescaled to [0, 1] over its own candidates (min-max) and the two are averaged; a passage
missing from one ranking gets 0 there. Unlike reciprocal rank fusion, this keeps the margins:
a passage far ahead in one ranking is not overtaken by passages that are merely middling in
both. When the embedding model cannot be reached, or is not the model that made the index's
vectors, the search goes on with the lexical ranking alone and says so once.

The vector store is opened only once the query has been embedded: a search that ends lexical
(no embedding model answering) never loads Chroma, which is most of a short command's time.
Past the embedding, a search whose every part is in this process's memory (the lexical index
checked within the last second, and a small knowledge base's vectors held for exact search)
runs right on the event loop: a fraction of a millisecond (0.3 ms for 5,000 passages' vectors),
less than the trip to a worker thread would cost. Any other search, which reads the database,
the vectors or Chroma, is one trip to a worker thread (the lexical index check, both rankings
and the fusion), off the event loop where other interviews are answered.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from assistant.errors import TerrainError
from assistant.llm import Embedder, ModelError
from assistant.retrieval.dense_index import DenseIndex
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import (
    EmbeddingSpace,
    EmbeddingSpaceMismatchError,
    VectorStore,
    same_model,
    where_clause,
)

log = logging.getLogger(__name__)

DENSE_WEIGHT = 0.5


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    LEXICAL = "lexical"


class Hit(BaseModel):
    """A retrieved passage and where it comes from."""

    id: str
    text: str
    source: str
    title: str
    page: int | None
    section: str
    collection: Collection
    score: float
    citation: str
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @classmethod
    def of(cls, record: ChunkRecord, score: float, dense: int | None, lexical: int | None) -> Hit:
        return cls(
            id=record.id,
            text=record.text,
            source=record.source,
            title=record.title,
            page=record.page,
            section=record.section,
            collection=record.collection,
            score=score,
            citation=record.citation,
            dense_rank=dense,
            lexical_rank=lexical,
        )


class SearchResult(BaseModel):
    hits: list[Hit]
    mode: SearchMode
    warning: str | None = None


@dataclass(frozen=True)
class CurrentIndex:
    """The lexical index to search, and whether it holds the vector store's passages as the
    store does (saved by the last ingest, none under way since): dense hits then take their
    text and metadata from it rather than from Chroma (or, for a small knowledge base, the
    nearest passages are computed in memory: :mod:`assistant.retrieval.dense_index`).
    ``token``: the saved index's, new at each ingest that wrote to the stores."""

    index: LexicalIndex
    matches_store: bool = False
    token: str | None = None


class Retriever:
    def __init__(
        self,
        open_store: Callable[[], VectorStore] | None,
        lexical: LexicalIndex | Callable[[], CurrentIndex],
        embedder: Embedder | None,
        *,
        exact_max_passages: int = 0,
        checked: Callable[[], CurrentIndex | None] | None = None,
    ) -> None:
        """``open_store`` gives the vector store, called at the first dense search (None:
        lexical search only). ``lexical`` is the lexical index, or what gives the current one
        before a search (another process may have saved a newer one); ``checked``, with it,
        what gives the current one without reading anything, when that is known (else None).
        ``exact_max_passages``: the most passages whose nearest are computed in memory rather
        than asked of Chroma, when the index is known to be the store's (0: always Chroma)."""
        if isinstance(lexical, LexicalIndex):
            fixed = CurrentIndex(lexical)
            self._current: Callable[[], CurrentIndex] = lambda: fixed
            self._checked: Callable[[], CurrentIndex | None] | None = self._current
        else:
            self._current, self._checked = lexical, checked
        self._open_store = open_store
        self._store: VectorStore | None = None
        self._space: EmbeddingSpace | None = None
        self._opening = threading.Lock()
        self._embedder = embedder
        self._exact = DenseIndex(exact_max_passages)
        self._warning: str | None = None if embedder else "no embedding model: lexical search only"

    async def search(
        self,
        query: str,
        *,
        k: int = 5,
        collection: Collection | None = None,
        filters: Mapping[str, str | int] | None = None,
    ) -> SearchResult:
        vector = await self._query_vector(query)
        wanted = dict(filters or {})
        held = self._in_memory(vector)
        if held is not None:
            return self._search(held, query, vector, k, collection, wanted)
        # The rest in one trip to a thread: the index check, both searches and the fusion.
        return await asyncio.to_thread(self._search, None, query, vector, k, collection, wanted)

    def _in_memory(self, vector: list[float] | None) -> CurrentIndex | None:
        """The index to search when nothing needs reading for this search, else None."""
        current = None if self._checked is None else self._checked()
        if current is None or vector is None:
            return current
        if (
            self._store is None  # not opened yet
            or not current.matches_store
            or current.token is None
            or not self._exact.holds(current.token, len(current.index.by_id))
        ):
            return None
        return current

    async def _query_vector(self, query: str) -> list[float] | None:
        """The query's vector, or None when the search is to be lexical."""
        if self._embedder is None or self._open_store is None or self._unavailable():
            return None
        try:
            [vector] = await self._embedder.embed([query])
        except ModelError as error:
            self._lexical_only(error)
            return None
        return vector

    def _search(
        self,
        current: CurrentIndex | None,
        query: str,
        vector: list[float] | None,
        k: int,
        collection: Collection | None,
        wanted: dict[str, str | int],
    ) -> SearchResult:
        """The search, in ``current`` (None: the current index, checked or read now)."""
        if current is None:
            current = self._current()
        depth = max(4 * k, 20)
        lexical_filters = wanted | ({"collection": collection.value} if collection else {})
        lexical = current.index.search(query, depth, lexical_filters)
        dense = None if vector is None else self._dense(vector, depth, collection, wanted, current)
        if dense is None:
            hits = [
                Hit.of(record, score, None, rank)
                for rank, (record, score) in enumerate(lexical[:k], start=1)
            ]
            return SearchResult(hits=hits, mode=SearchMode.LEXICAL, warning=self._warning)
        return SearchResult(hits=_fuse(dense, lexical, k), mode=SearchMode.HYBRID)

    def _dense(
        self,
        vector: list[float],
        depth: int,
        collection: Collection | None,
        wanted: Mapping[str, str | int],
        current: CurrentIndex,
    ) -> list[tuple[ChunkRecord, float]] | None:
        assert self._embedder is not None
        store = self._vector_store()
        space = self._space
        if space is not None and space.model and not same_model(space.model, self._embedder.name):
            self._lexical_only(EmbeddingSpaceMismatchError(space, self._embedder.name))
            return None
        if space is not None and len(vector) != space.dimensions:
            self._lexical_only(EmbeddingSpaceMismatchError(space, self._embedder.name, len(vector)))
            return None
        if current.matches_store and current.token is not None:
            exact = self._exact.nearest(
                store,
                current.token,
                current.index.by_id,
                vector,
                depth,
                collection=collection,
                wanted=wanted,
            )
            if exact is not None:
                return exact
        return store.nearest(
            vector,
            depth,
            collection=collection,
            where=where_clause(wanted),
            known=current.index.by_id if current.matches_store else None,
        )

    def _vector_store(self) -> VectorStore:
        """The store, opened on first use with the model and dimension of its vectors."""
        with self._opening:  # searches run in worker threads: one of them opens it
            if self._store is None:
                assert self._open_store is not None
                self._store = self._open_store()
                self._space = self._store.embedding_space()
            return self._store

    def _lexical_only(self, error: TerrainError) -> None:
        if isinstance(error, EmbeddingSpaceMismatchError):
            self._warning = f"{error.message} Lexical search only. Fix: {error.fix}"
        else:
            self._warning = f"embedding model unavailable, lexical search only: {error}"
        # Info, not warning: the result carries the warning to whoever shows it, and a
        # command line without logging configured would print it a second time.
        log.info(self._warning)

    def _unavailable(self) -> bool:
        # After one failure, stay lexical for this retriever rather than wait on every query.
        return self._warning is not None


def _rescaled(ranking: list[tuple[ChunkRecord, float]]) -> dict[str, float]:
    """Scores mapped onto [0, 1] within one ranking (all 1.0 when they are all equal)."""
    if not ranking:
        return {}
    scores = [score for _, score in ranking]
    low, high = min(scores), max(scores)
    spread = high - low
    return {record.id: (score - low) / spread if spread > 0 else 1.0 for record, score in ranking}


def _fuse(
    dense: list[tuple[ChunkRecord, float]], lexical: list[tuple[ChunkRecord, float]], k: int
) -> list[Hit]:
    records = {record.id: record for record, _ in [*dense, *lexical]}
    dense_rank = {record.id: rank for rank, (record, _) in enumerate(dense, start=1)}
    lexical_rank = {record.id: rank for rank, (record, _) in enumerate(lexical, start=1)}
    dense_score, lexical_score = _rescaled(dense), _rescaled(lexical)
    fused = {
        chunk_id: DENSE_WEIGHT * dense_score.get(chunk_id, 0.0)
        + (1 - DENSE_WEIGHT) * lexical_score.get(chunk_id, 0.0)
        for chunk_id in records
    }
    best = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[:k]
    return [Hit.of(records[i], fused[i], dense_rank.get(i), lexical_rank.get(i)) for i in best]
