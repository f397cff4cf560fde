"""Ingest: files → chunks → vectors and lexical terms, incrementally and file by file.

A file whose bytes are unchanged since the last run is skipped before it is even parsed, so a
second run makes no embedding call. A changed file's new chunks are written before its old ones
are removed, so a failure midway never leaves a file half-indexed. A bad file is reported with
a human reason and the run goes on; only an unreachable embedding model stops it, because every
remaining file would fail the same way.
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

from pydantic import BaseModel

from assistant.llm import Embedder, ModelError, ModelNotFoundError, ModelUnavailableError
from assistant.retrieval.analysis import guess_language
from assistant.retrieval.chunking import chunk_blocks
from assistant.retrieval.loaders import DocumentError, load_document
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import IndexedFile, VectorStore
from assistant.tokens import TokenCounter

NOT_PROCESSED = "not processed"

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
    seconds: float = 0.0
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None

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


@dataclass
class Ingestor:
    store: VectorStore
    embedder: Embedder
    options: ChunkingOptions = field(default_factory=ChunkingOptions)

    def __post_init__(self) -> None:
        self._tokens = TokenCounter(self.options.tokenizer)

    async def run(
        self,
        files: Sequence[SourceFile],
        *,
        prune: bool = False,
        on_file: ProgressCallback | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        indexed: dict[Collection, dict[str, IndexedFile]] = {}
        for number, file in enumerate(files):
            if file.collection not in indexed:
                indexed[file.collection] = await asyncio.to_thread(
                    self.store.indexed_files, file.collection
                )
            previous = indexed[file.collection].get(file.source)
            try:
                outcome = await self._ingest_file(file, previous, report)
            except (ModelUnavailableError, ModelNotFoundError) as error:
                report.failed.append(FileFailure(source=file.source, reason=str(error)))
                report.stopped = str(error)
                remaining = files[number + 1 :]
                report.failed += [
                    FileFailure(source=f.source, reason=NOT_PROCESSED) for f in remaining
                ]
                break
            if on_file:
                on_file(file, outcome)
        if prune and report.stopped is None:
            report.pruned = await asyncio.to_thread(self._prune, files)
        report.seconds = time.perf_counter() - started
        return report

    async def _ingest_file(
        self,
        file: SourceFile,
        previous: IndexedFile | None,
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
            vectors = await self.embedder.embed([embedding_text(r) for r in records])
        except DocumentError as error:
            report.failed.append(FileFailure(source=file.source, reason=error.message))
            return Outcome.FAILED
        except (ModelUnavailableError, ModelNotFoundError):
            raise
        except ModelError as error:
            report.failed.append(FileFailure(source=file.source, reason=str(error)))
            return Outcome.FAILED
        await asyncio.to_thread(self.store.add, records, vectors)
        new_ids = {record.id for record in records}
        stale = [i for i in (previous.chunk_ids if previous else ()) if i not in new_ids]
        await asyncio.to_thread(self.store.delete, stale)
        report.chunks_written += len(records)
        if previous is None:
            report.added.append(file.source)
            return Outcome.ADDED
        report.updated.append(file.source)
        return Outcome.UPDATED

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
            for record in self.store.records()
            if record.origin in origins and (record.collection, record.source) not in present
        ]
        self.store.delete([record.id for record in stale])
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


def _os_reason(error: OSError) -> str:
    return f"cannot be read ({error.strerror or error})"
