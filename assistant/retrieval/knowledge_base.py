"""The knowledge base: one entry point for ingesting documents and searching them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.llm import Embedder
from assistant.retrieval.chroma import open_chroma
from assistant.retrieval.lexical import LexicalIndex, corpus_marker
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Retriever
from assistant.retrieval.vector_store import VectorStore

if TYPE_CHECKING:
    # Ingesting loads every document format's parser: searching needs none of them.
    from assistant.retrieval.ingest import IngestReport, ProgressCallback, SourceFile


class KnowledgeBase:
    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.lexical_dir = settings.data_dir / "lexical"

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
        on_file: ProgressCallback | None = None,
    ) -> IngestReport:
        from assistant.retrieval.ingest import ChunkingOptions, Ingestor

        if self.embedder is None:
            raise ValueError("ingesting needs an embedding model")
        options = ChunkingOptions(
            max_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
            max_bytes=int(self.settings.max_file_mb * 1_000_000),
            tokenizer=self.settings.tokenizer,
        )
        ingestor = Ingestor(self.store, self.embedder, options)
        report = await ingestor.run(files, prune=prune, on_file=on_file)
        if report.changed or self._lexical_is_stale():
            self.rebuild_lexical_index()
        return report

    def rebuild_lexical_index(self) -> LexicalIndex:
        index = LexicalIndex.build(self.store.records())
        index.save(self.lexical_dir)
        return index

    def lexical_index(self) -> LexicalIndex:
        """The saved lexical index, rebuilt first if it is missing or behind the store."""
        if self._lexical_is_stale():
            return self.rebuild_lexical_index()
        return LexicalIndex.load(self.lexical_dir) or self.rebuild_lexical_index()

    def retriever(self) -> Retriever:
        return Retriever(self.store, self.lexical_index(), self.embedder)

    def _lexical_is_stale(self) -> bool:
        saved = LexicalIndex.saved_marker(self.lexical_dir)
        return saved != corpus_marker(self.store.chunk_ids())
