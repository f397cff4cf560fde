"""Passages indexed for lexical search whose vectors are still to be computed.

Chroma refuses a passage without its vector, so a passage ingested while no embedding model
answers (or while the configured model is not the one the index was built with) waits here.
Search reads these passages lexically; the next ingest that reaches the embedding model embeds
them from here and moves them to Chroma, without reading their files again.

They live in the database (``store.knowledge``), not beside the vector store: they cannot be
derived from Chroma (which holds only passages with a vector, and a placeholder vector would
make them nearest neighbours of nothing in particular), and every web process and worker must
see the same ones, whichever machine ran the ingest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import IndexedFile
from assistant.store import Store
from assistant.store.knowledge import PendingPassage


class PendingPassages:
    def __init__(self, store: Store) -> None:
        self._knowledge = store.knowledge

    def count(self) -> int:
        return self._knowledge.pending_count()

    def ids(self) -> list[str]:
        return self._knowledge.pending_ids()

    def records(self) -> Iterator[ChunkRecord]:
        for passage in self._knowledge.pending():
            yield ChunkRecord.model_validate_json(passage.record)

    def indexed_files(self, collection: Collection) -> dict[str, IndexedFile]:
        """Every waiting file of ``collection``, by source, with its hash and chunk ids."""
        ids: dict[str, list[str]] = {}
        hashes: dict[str, str] = {}
        for source, content_hash, chunk_id in self._knowledge.pending_files(collection.value):
            ids.setdefault(source, []).append(chunk_id)
            hashes[source] = content_hash
        return {source: IndexedFile(hashes[source], tuple(ids[source])) for source in ids}

    def put(self, records: Iterable[ChunkRecord]) -> None:
        """Add or replace passages, all in one transaction."""
        self._knowledge.put_pending(
            [
                PendingPassage(
                    r.id, r.collection.value, r.source, r.content_hash, r.model_dump_json()
                )
                for r in records
            ]
        )

    def remove(self, chunk_ids: Sequence[str]) -> None:
        self._knowledge.remove_pending(chunk_ids)
