"""The knowledge base: one entry point for ingesting documents and searching them.

Its passages are those in Chroma (with their vectors) and the pending ones (without, yet); the
lexical index is built from both, so that search finds every passage ingested. The people the
company's documents name are read from both as well (:mod:`assistant.retrieval.people`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.config import Settings
from assistant.llm import Embedder
from assistant.retrieval.chroma import open_chroma
from assistant.retrieval.lexical import LexicalIndex, corpus_marker
from assistant.retrieval.pending import PendingPassages
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.search import Retriever
from assistant.retrieval.vector_store import VectorStore
from assistant.wording import counted


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
    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.lexical_dir = settings.data_dir / "lexical"
        self.pending = PendingPassages(settings.data_dir / "pending-passages.sqlite3")

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
        from assistant.retrieval.people import people_file, update_people

        options = ChunkingOptions(
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
            max_bytes=int(self.settings.max_file_mb * 1_000_000),
            tokenizer=self.settings.tokenizer,
        )
        ingestor = Ingestor(
            self.store, self.pending, self.embedder, options, embed_model=self.settings.embed_model
        )
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._writing_flag.touch()
        report = await ingestor.run(
            files, prune=prune, reindex=reindex, on_file=on_file, on_vectors=on_vectors
        )
        if report.changed or self._lexical_is_stale():
            self.rebuild_lexical_index()
        if report.changed or not people_file(self.settings.data_dir).exists():
            await asyncio.to_thread(update_people, self.settings.data_dir, self.records())
        # Only once the lexical index matches the store: a crash before leaves the flag, and
        # the next search checks the store again.
        self._writing_flag.unlink(missing_ok=True)
        return report

    def without_vectors(self) -> int:
        """How many passages wait for a vector (read without opening the vector store)."""
        return len(set(self.pending.ids()))

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
        index = LexicalIndex.build(self.records())
        index.save(self.lexical_dir)
        return index

    def lexical_index(self) -> LexicalIndex:
        """The saved lexical index, rebuilt first if it is missing or behind the store."""
        if self._lexical_is_stale():
            return self.rebuild_lexical_index()
        return LexicalIndex.load(self.lexical_dir) or self.rebuild_lexical_index()

    def retriever(self) -> Retriever:
        return Retriever(lambda: self.store, self.lexical_index(), self.embedder)

    def _lexical_is_stale(self) -> bool:
        saved = LexicalIndex.saved_marker(self.lexical_dir)
        if saved is not None and self._only_writer() and not self._writing_flag.exists():
            # Every write to a local index goes through ingest(), which rebuilds the lexical
            # index before lowering the flag: without the flag, the two agree.
            return False
        return saved != corpus_marker(set(self.store.chunk_ids()) | set(self.pending.ids()))

    def _only_writer(self) -> bool:
        """Whether only this machine's ingest writes the vector store (a local Chroma folder;
        a Chroma server may be written by other machines)."""
        return not self.settings.chroma_url

    @property
    def _writing_flag(self) -> Path:
        """Present while an ingest may have written passages the lexical index lacks."""
        return self.settings.data_dir / "ingest-in-progress"
