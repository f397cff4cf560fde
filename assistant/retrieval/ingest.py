"""Ingest: files → chunks → vectors and lexical terms, incrementally and file by file.

A file whose bytes are unchanged since the last run is skipped before it is even parsed, so a
second run makes no embedding call. A changed file's new chunks are written before its old ones
are removed, so a failure midway never leaves a file half-indexed. A bad file is reported with
a human reason and the run goes on.

A passage is indexed even when it cannot be embedded (no embedding model answers, or the
configured one is not the model the index was built with): it waits among the pending passages,
found by lexical search, and the first run that can embed it does so from the stored text,
without parsing its file again. After the first embedding failure a run stops calling the
model: every later call would fail the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.errors import TerrainError
from assistant.llm import Embedder, ModelError, ModelNotFoundError, ModelUnavailableError
from assistant.retrieval.analysis import guess_language
from assistant.retrieval.chunking import chunk_blocks
from assistant.retrieval.loaders import DocumentError, load_document
from assistant.retrieval.pending import PendingPassages
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import (
    EmbeddingSpace,
    EmbeddingSpaceMismatchError,
    IndexedFile,
    VectorStore,
    same_model,
)
from assistant.tokens import TokenCounter

# Pending passages embedded per step: a bound on memory and the pace of the progress bar.
_FILL_BATCH = 256

# Files that describe a folder rather than the work.
_SKIPPED_NAMES = frozenset({"readme.md", "readme.txt", "readme"})


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


class FileFailure(BaseModel):
    source: str
    reason: str


class IngestReport(BaseModel):
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    failed: list[FileFailure] = []
    pruned: list[str] = []
    chunks_written: int = 0
    vectors_written: int = 0
    vectors_missing: int = Field(
        default=0, description="Passages of the index still without a vector after the run."
    )
    vectors_problem: str | None = Field(
        default=None, description="Why vectors could not be computed, if they could not."
    )
    vectors_fix: str | None = None
    reindexed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every file was read. Missing vectors are not a failure of the files."""
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.pruned)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # as shown in citations: relative to the folder that was ingested
    collection: Collection
    origin: str


@dataclass
class ChunkingOptions:
    max_tokens: int = 350
    overlap_tokens: int = 50
    max_bytes: int = 50_000_000
    tokenizer: str = "o200k_base"


ProgressCallback = Callable[[SourceFile, Outcome], None]
VectorsCallback = Callable[[int, int], None]  # passages embedded so far, passages to embed


def discover(roots: Sequence[Path], collection: Collection | None) -> Iterator[SourceFile]:
    """The files under ``roots``, in a stable order, with the collection each belongs to.

    Without an explicit collection, files in a folder named ``sources`` go to the sources
    collection and everything else to the company's.
    """
    for root in roots:
        origin = str(root.resolve())
        if root.is_file():
            yield SourceFile(root, root.name, collection or _collection_of(root, root), origin)
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            if path.name.lower() in _SKIPPED_NAMES:
                continue
            yield SourceFile(
                path, relative.as_posix(), collection or _collection_of(path, root), origin
            )


def _collection_of(path: Path, root: Path) -> Collection:
    folders = path.resolve().relative_to(root.resolve().parent).parts[:-1]
    return Collection.SOURCES if "sources" in folders else Collection.COMPANY


class _EmbeddingGate:
    """The embedding model as ingest sees it: open until its first failure or a mismatch."""

    def __init__(self, store: VectorStore, embedder: Embedder | None, model: str) -> None:
        self._store = store
        self._embedder = embedder
        self.model = embedder.name if embedder else model
        self.problem: TerrainError | None = None
        self.space = store.embedding_space()

    def check_space(self) -> None:
        """Refuse to mix vectors of two models in one index (an empty one starts afresh)."""
        if self.space and self.space.model and not same_model(self.space.model, self.model):
            if self._store.count() == 0:
                self.space = None
            else:
                self.problem = EmbeddingSpaceMismatchError(self.space, self.model)

    @property
    def open(self) -> bool:
        return self._embedder is not None and self.problem is None

    async def vectors(self, texts: Sequence[str]) -> list[list[float]] | None:
        """One vector per text, or None (and ``problem`` says why) once the model fails."""
        if self._embedder is None:
            self.problem = self.problem or TerrainError("No embedding model is configured.")
            return None
        if self.problem is not None:
            return None
        try:
            return await self._embedder.embed(texts)
        except ModelError as error:
            self.problem = error
            return None

    async def vectors_for_index(self, records: Sequence[ChunkRecord]) -> list[list[float]] | None:
        """Vectors for ``records`` that fit the index, recording the model on the first write."""
        vectors = await self.vectors([embedding_text(record) for record in records])
        if not vectors:
            return vectors
        dimensions = len(vectors[0])
        if self.space is not None and self.space.dimensions != dimensions:
            self.problem = EmbeddingSpaceMismatchError(self.space, self.model, dimensions)
            return None
        if self.space is None or self.space.model is None:
            await asyncio.to_thread(self._store.claim, self.model, dimensions)
            self.space = EmbeddingSpace(self.model, dimensions)
        return vectors

    def fix(self) -> str | None:
        """How to get the vectors that could not be computed."""
        if self.problem is None:
            return None
        if isinstance(self.problem, EmbeddingSpaceMismatchError):
            return self.problem.fix
        if (
            isinstance(self.problem, ModelUnavailableError | ModelNotFoundError)
            and self.problem.server_fix
        ):
            return f"{self.problem.server_fix}, then `terrain ingest` again"
        if self._embedder is None or isinstance(
            self.problem, ModelUnavailableError | ModelNotFoundError
        ):
            return (
                f"start Ollama (`ollama serve`), run `ollama pull {self.model}`, "
                "then `terrain ingest` again"
            )
        again = "run `terrain ingest` again"
        return f"{self.problem.fix}, then {again}" if self.problem.fix else again


@dataclass
class Ingestor:
    store: VectorStore
    pending: PendingPassages
    embedder: Embedder | None
    options: ChunkingOptions = field(default_factory=ChunkingOptions)
    embed_model: str = ""  # named in the advice when there is no embedder
    # Called once, before the run's first write to the stores (an unchanged run writes none).
    before_writing: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._tokens = TokenCounter(self.options.tokenizer)
        self._wrote = False

    def _writing(self) -> None:
        if not self._wrote and self.before_writing is not None:
            self.before_writing()
        self._wrote = True

    async def run(
        self,
        files: Sequence[SourceFile],
        *,
        prune: bool = False,
        reindex: bool = False,
        on_file: ProgressCallback | None = None,
        on_vectors: VectorsCallback | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        gate = await asyncio.to_thread(_EmbeddingGate, self.store, self.embedder, self.embed_model)
        if reindex:
            report.reindexed = await self._set_vectors_aside(gate)
        else:
            await asyncio.to_thread(gate.check_space)
        indexed: dict[Collection, dict[str, IndexedFile]] = {}
        for file in files:
            if file.collection not in indexed:
                indexed[file.collection] = await asyncio.to_thread(
                    self._indexed_files, file.collection
                )
            previous = indexed[file.collection].get(file.source)
            outcome = await self._ingest_file(file, previous, gate, report)
            if on_file:
                on_file(file, outcome)
        if prune:
            report.pruned = await asyncio.to_thread(self._prune, files)
        await self._embed_pending(gate, report, on_vectors)
        report.vectors_missing = await asyncio.to_thread(self.pending.count)
        if gate.problem is not None:
            report.vectors_problem = gate.problem.message
            report.vectors_fix = gate.fix()
        report.seconds = time.perf_counter() - started
        return report

    def _indexed_files(self, collection: Collection) -> dict[str, IndexedFile]:
        """The files of ``collection`` in Chroma or among the pending passages (newer)."""
        files = self.store.indexed_files(collection)
        for source, waiting in self.pending.indexed_files(collection).items():
            stored = files[source].chunk_ids if source in files else ()
            ids = tuple(dict.fromkeys([*stored, *waiting.chunk_ids]))
            files[source] = IndexedFile(waiting.content_hash, ids)
        return files

    async def _set_vectors_aside(self, gate: _EmbeddingGate) -> bool:
        """Move every passage to the pending ones and empty Chroma, for the configured model.

        The model is asked first, so that an unreachable one leaves the index as it was.
        """
        probe = await gate.vectors(["Terrain"])
        if not probe:
            return False

        def move() -> None:
            self._writing()
            self.pending.put(self.store.records())
            self.store.reset()
            self.store.claim(gate.model, len(probe[0]))

        await asyncio.to_thread(move)
        gate.space = EmbeddingSpace(gate.model, len(probe[0]))
        return True

    async def _ingest_file(
        self,
        file: SourceFile,
        previous: IndexedFile | None,
        gate: _EmbeddingGate,
        report: IngestReport,
    ) -> Outcome:
        try:
            content_hash = await asyncio.to_thread(_sha256, file.path)
        except OSError as error:
            report.failed.append(FileFailure(source=file.source, reason=_os_reason(error)))
            return Outcome.FAILED
        if previous is not None and previous.content_hash == content_hash:
            report.unchanged.append(file.source)
            return Outcome.UNCHANGED
        try:
            records = await asyncio.to_thread(self._chunk, file, content_hash)
        except DocumentError as error:
            report.failed.append(FileFailure(source=file.source, reason=_document_reason(error)))
            return Outcome.FAILED
        vectors = await gate.vectors_for_index(records) if gate.open else None
        old_ids = previous.chunk_ids if previous else ()
        await asyncio.to_thread(self._replace, records, vectors, old_ids)
        report.chunks_written += len(records)
        if vectors is not None:
            report.vectors_written += len(records)
        if previous is None:
            report.added.append(file.source)
            return Outcome.ADDED
        report.updated.append(file.source)
        return Outcome.UPDATED

    def _replace(
        self,
        records: list[ChunkRecord],
        vectors: list[list[float]] | None,
        old_ids: Sequence[str],
    ) -> None:
        """Write a file's new passages, then remove its old ones."""
        self._writing()
        new_ids = {record.id for record in records}
        stale = [chunk_id for chunk_id in old_ids if chunk_id not in new_ids]
        if vectors is not None:
            self.store.add(records, vectors)
            self.store.delete(stale)
            self.pending.remove(old_ids)
        else:
            self.pending.put(records)
            self.pending.remove(stale)
            self.store.delete(old_ids)  # their vectors were made from the old text

    async def _embed_pending(
        self, gate: _EmbeddingGate, report: IngestReport, on_vectors: VectorsCallback | None
    ) -> None:
        if not gate.open:
            return
        waiting = await asyncio.to_thread(lambda: list(self.pending.records()))
        for start in range(0, len(waiting), _FILL_BATCH):
            batch = waiting[start : start + _FILL_BATCH]
            vectors = await gate.vectors_for_index(batch)
            if vectors is None:
                return
            await asyncio.to_thread(self._move_to_store, batch, vectors)
            report.vectors_written += len(batch)
            if on_vectors:
                on_vectors(start + len(batch), len(waiting))

    def _move_to_store(self, records: list[ChunkRecord], vectors: list[list[float]]) -> None:
        self._writing()
        self.store.add(records, vectors)
        self.pending.remove([record.id for record in records])

    def _chunk(self, file: SourceFile, content_hash: str) -> list[ChunkRecord]:
        document = load_document(file.path, max_bytes=self.options.max_bytes)
        chunks = chunk_blocks(
            document.blocks,
            self._tokens,
            max_tokens=self.options.max_tokens,
            overlap_tokens=self.options.overlap_tokens,
        )
        language = guess_language(" ".join(block.text for block in document.blocks[:50]))
        now = datetime.now(UTC)
        return [
            ChunkRecord(
                id=f"{file.collection.value}:{file.source}#{index}",
                text=chunk.text,
                collection=file.collection,
                source=file.source,
                title=document.title,
                page=chunk.page,
                section=chunk.section,
                chunk_index=index,
                content_hash=content_hash,
                ingested_at=now,
                language=language,
                origin=file.origin,
            )
            for index, chunk in enumerate(chunks)
        ]

    def _prune(self, files: Sequence[SourceFile]) -> list[str]:
        """Remove the chunks of files that were under the ingested folders and are gone."""
        present = {(f.collection, f.source) for f in files}
        origins = {f.origin for f in files}
        stale = [
            record
            for record in [*self.store.records(), *self.pending.records()]
            if record.origin in origins and (record.collection, record.source) not in present
        ]
        if stale:
            self._writing()
        self.store.delete([record.id for record in stale])
        self.pending.remove([record.id for record in stale])
        return sorted({record.source for record in stale})


def embedding_text(record: ChunkRecord) -> str:
    """What is embedded: the passage with the title and headings that situate it."""
    return "\n".join(part for part in (record.title, record.section, record.text) if part)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _document_reason(error: DocumentError) -> str:
    # The loader's message starts with the file's name; the report already names the file.
    return error.message.removeprefix(f"{error.path.name}: ")


def _os_reason(error: OSError) -> str:
    return f"cannot be read ({error.strerror or error})"
