"""The knowledge base: one entry point for ingesting documents and searching them.

Its passages are those in Chroma (with their vectors) and the pending ones (without, yet); the
lexical index is built from both, so that search finds every passage ingested. The people the
company's documents name are read from both as well (:mod:`assistant.retrieval.people`).

Nothing of it is held by one process: the vector store (a Chroma server when several processes
search) and the database hold it all, and every process that shares the two answers the same.
An ingest, whichever process runs it, records itself in the database while it writes, then
saves the lexical index and the people named in one transaction; a process searching checks
the database's index token before a search (at most once every ``INDEX_CHECK_SECONDS``) and
loads a newer index when there is one. The
vector store and the database go together: two databases over one Chroma server would each
keep an index of their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.llm import Embedder
from assistant.retrieval.chroma import open_chroma
from assistant.retrieval.legacy import adopt_local_files
from assistant.retrieval.lexical import LexicalIndex, corpus_marker
from assistant.retrieval.pending import PendingPassages
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.search import CurrentIndex, Retriever
from assistant.retrieval.vector_store import VectorStore
from assistant.store import Store
from assistant.store.knowledge import DocumentNames
from assistant.wording import counted

log = logging.getLogger(__name__)

# How long a search relies on the last check of the saved index rather than asking the
# database again: the check is a query of its own, and an interview searches at every answer.
# An index saved by another process is searched from at most this long after it is saved; one
# saved by this object, at once. Until then the searches see the previous index whole, its
# passages with their vectors, never a mix of the two.
INDEX_CHECK_SECONDS = 1.0


class IndexStatus(BaseModel):
    """How many passages the index holds, how many still lack a vector, and whose vectors."""

    passages: int
    without_vectors: int
    embedding_model: str | None = None
    dimensions: int | None = None


def without_vectors(count: int) -> str:
    """What ``count`` passages without a vector mean for search, and what to do about them."""
    are = "is" if count == 1 else "are"
    return (
        f"{counted(count, 'passage')} of the index {are} without a vector, found by lexical "
        "search only: run `terrain ingest` once the embedding model answers."
    )


if TYPE_CHECKING:
    # Ingesting loads every document format's parser: searching needs none of them.
    from assistant.retrieval.ingest import (
        IngestReport,
        ProgressCallback,
        SourceFile,
        VectorsCallback,
    )


class KnowledgeBase:
    """``database``: the store to share the index's state through (opened from ``settings``
    when not given)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None,
        database: Store | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self._given_database = database
        self._clock = clock
        # The lexical index this object loaded, with the database's token for it: reused while
        # the token is the database's (checked before a search, at most once a second), never
        # served after.
        self._loaded: tuple[str, LexicalIndex] | None = None
        # The last check's answer and when it was given (INDEX_CHECK_SECONDS).
        self._checked: tuple[float, CurrentIndex] | None = None

    @cached_property
    def database(self) -> Store:
        store = self._given_database or Store.open(self.settings)
        adopt_local_files(self.settings.data_dir, store)
        return store

    @cached_property
    def pending(self) -> PendingPassages:
        return PendingPassages(self.database)

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore(open_chroma(self.settings))

    def files(self, paths: Sequence[Path], collection: Collection | None) -> list[SourceFile]:
        from assistant.retrieval.ingest import discover

        return list(discover(paths or [self.settings.knowledge_dir], collection))

    async def ingest(
        self,
        files: Sequence[SourceFile],
        *,
        prune: bool = False,
        reindex: bool = False,
        on_file: ProgressCallback | None = None,
        on_vectors: VectorsCallback | None = None,
    ) -> IngestReport:
        """Index ``files``; with ``reindex``, embed every passage again with the embedder."""
        from assistant.retrieval.ingest import ChunkingOptions, Ingestor

        options = ChunkingOptions(
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
            max_bytes=int(self.settings.max_file_mb * 1_000_000),
            tokenizer=self.settings.tokenizer,
        )
        knowledge = (await asyncio.to_thread(lambda: self.database)).knowledge
        run: str | None = None

        def record_run() -> None:
            # Before the first write: until the run ends, readers check the saved index
            # against the stores. A run that writes nothing records nothing.
            nonlocal run
            run = knowledge.ingest_started()
            self._checked = None  # this object's searches see its ingest under way at once

        ingestor = Ingestor(
            self.store,
            self.pending,
            self.embedder,
            options,
            embed_model=self.settings.embed_model,
            before_writing=record_run,
        )
        before = await asyncio.to_thread(knowledge.lexical_state)
        report = await ingestor.run(
            files, prune=prune, reindex=reindex, on_file=on_file, on_vectors=on_vectors
        )
        # Another ingest under way or dead before this one may have written passages the saved
        # index and people lack: bring both in line with the stores then, as after a change.
        behind = before.token is None or before.ingests_under_way > 0
        # A run that wrote saves a new index (a new token) even when the passages are the same
        # (vectors given to pending passages, or made again by another model): processes
        # holding the vectors in memory (dense_index) read them again at a new token.
        if report.changed or behind or run is not None:
            if run is None:
                await asyncio.to_thread(record_run)
            assert run is not None
            await asyncio.to_thread(self._publish_all, run)
        return report

    def _publish_all(self, run: str) -> None:
        """Save the lexical index and the people named of the stores' passages as they are
        now, and end the ingest ``run``, in one transaction."""
        from assistant.retrieval.people import as_stored, load_people, people_after

        records = list(self.records())
        index = LexicalIndex.build(records)
        people = people_after(load_people(self.database), records)
        self._save(index, people=as_stored(people), run=run)

    def _save(
        self,
        index: LexicalIndex,
        *,
        people: Mapping[str, DocumentNames] | None = None,
        run: str | None = None,
    ) -> None:
        token = self.database.knowledge.publish(
            marker=index.marker,
            records=index.records_blob(),
            bm25=index.bm25_blob(),
            passages=len(index.records),
            people=people,
            ingest=run,
        )
        assert token is not None
        self._loaded = (token, index)
        self._checked = None

    def without_vectors(self) -> int:
        """How many passages wait for a vector (read without opening the vector store)."""
        return self.pending.count()

    def status(self) -> IndexStatus:
        space = self.store.embedding_space()
        waiting = set(self.pending.ids())
        return IndexStatus(
            passages=len(waiting | set(self.store.chunk_ids())),
            without_vectors=len(waiting),
            embedding_model=space.model if space else None,
            dimensions=space.dimensions if space else None,
        )

    def records(self) -> Iterator[ChunkRecord]:
        """Every passage once; a pending copy is newer than the one in Chroma."""
        waiting = list(self.pending.records())
        ids = {record.id for record in waiting}
        yield from waiting
        yield from (record for record in self.store.records() if record.id not in ids)

    def rebuild_lexical_index(self) -> LexicalIndex:
        """Build the lexical index from the stores and save it for every process."""
        index = LexicalIndex.build(self.records())
        self._save(index)
        return index

    def lexical_index(self) -> LexicalIndex:
        """The saved lexical index, rebuilt first if there is none or it is behind the stores."""
        if self._lexical_is_stale():
            return self.rebuild_lexical_index()
        return self.current_lexical_index()

    def current_lexical_index(self) -> LexicalIndex:
        """The lexical index the database holds now (see :meth:`current_index`)."""
        return self.current_index().index

    def current_index(self) -> CurrentIndex:
        """The lexical index the database holds now: the one loaded already while its token is
        the database's (one small query), else loaded. It matches the vector store when no
        ingest is under way: every write goes through an ingest, which saves the index before
        it ends. If the database cannot be read, the one loaded last (a search goes on; the
        next one checks again)."""
        relied_on = self.checked_index()
        if relied_on is not None:
            return relied_on
        now = self._clock()
        current = self._current_index()
        self._checked = (now, current)
        return current

    def checked_index(self) -> CurrentIndex | None:
        """The last check's answer while it may be relied on (INDEX_CHECK_SECONDS), else
        None: what a search can use without reading anything."""
        checked = self._checked
        if checked is not None and 0 <= self._clock() - checked[0] < INDEX_CHECK_SECONDS:
            return checked[1]
        return None

    def _current_index(self) -> CurrentIndex:
        try:
            check = self.database.knowledge.lexical_check()
            if self._loaded is not None and self._loaded[0] == check.token:
                return CurrentIndex(
                    self._loaded[1], matches_store=not check.ingest_under_way, token=check.token
                )
            saved = self.database.knowledge.lexical_index()
        except TerrainError as error:
            if self._loaded is None:
                raise
            log.warning("Cannot check the lexical index, searching the one loaded: %s", error)
            return CurrentIndex(self._loaded[1])
        if saved is None:
            return CurrentIndex(self.rebuild_lexical_index())
        index = LexicalIndex.from_blobs(saved.records, saved.bm25)
        self._loaded = (saved.token, index)
        # Saved after the check, or before it: the check's word on ingests holds for its token.
        return CurrentIndex(
            index,
            matches_store=saved.token == check.token and not check.ingest_under_way,
            token=saved.token,
        )

    def retriever(self, *, many_searches: bool = True) -> Retriever:
        """A retriever that searches the newest lexical index saved, whoever saved it.

        ``many_searches=False`` for one search (a command): reading every vector into memory
        for the exact search would cost more than the one Chroma query it saves."""
        self.lexical_index()
        return Retriever(
            lambda: self.store,
            self.current_index,
            self.embedder,
            exact_max_passages=self.settings.exact_search_max_passages if many_searches else 0,
            checked=self.checked_index,
        )

    def _lexical_is_stale(self) -> bool:
        """No index saved, or an ingest under way (or dead) and the saved index's passages
        are not the stores'. Without an ingest under way, the saved index is the stores':
        every write goes through ingest(), which saves the index before it ends."""
        state = self.database.knowledge.lexical_state()
        if state.token is None:
            return True
        if not state.ingests_under_way:
            return False
        return state.marker != corpus_marker(set(self.store.chunk_ids()) | set(self.pending.ids()))
