"""Chunks and their vectors in Chroma.

Writes go through the Chroma collection with vectors we computed (the embedding model is
reached only through the model port, in batches we control); reads go through
langchain-chroma's vector store over the same collection. The collection has no embedding
function of its own, so Chroma never tries to download one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.retrieval.records import ChunkRecord, Collection

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

COLLECTION_NAME = "terrain-chunks"
_PAGE = 5000  # Chroma caps the size of one get; read in pages.

Where = dict[str, Any]


@dataclass(frozen=True)
class IndexedFile:
    content_hash: str
    chunk_ids: tuple[str, ...]


def where_clause(filters: Mapping[str, str | int]) -> Where | None:
    """Chroma's filter syntax for an exact match on each field."""
    if not filters:
        return None
    conditions = [{field: value} for field, value in filters.items()]
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


class VectorStore:
    def __init__(self, client: ClientAPI, name: str = COLLECTION_NAME) -> None:
        from langchain_chroma import Chroma

        self._collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._reader = Chroma(client=client, collection_name=name)

    def count(self) -> int:
        return self._collection.count()

    def chunk_ids(self) -> list[str]:
        return [chunk_id for chunk_id, _ in self._metadata(None, include_metadata=False)]

    def indexed_files(self, collection: Collection) -> dict[str, IndexedFile]:
        """Every file of ``collection`` in the index, by source, with its hash and chunk ids."""
        ids: dict[str, list[str]] = {}
        hashes: dict[str, str] = {}
        for chunk_id, metadata in self._metadata(where_clause({"collection": collection.value})):
            source = str(metadata["source"])
            ids.setdefault(source, []).append(chunk_id)
            hashes[source] = str(metadata["content_hash"])
        return {source: IndexedFile(hashes[source], tuple(ids[source])) for source in ids}

    def add(self, records: Sequence[ChunkRecord], vectors: Sequence[Sequence[float]]) -> None:
        if not records:
            return
        embeddings: list[Sequence[float]] = [list(vector) for vector in vectors]
        self._collection.upsert(
            ids=[record.id for record in records],
            embeddings=embeddings,
            documents=[record.text for record in records],
            metadatas=[record.to_metadata() for record in records],
        )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), _PAGE):
            self._collection.delete(ids=list(chunk_ids[start : start + _PAGE]))

    def records(self) -> Iterator[ChunkRecord]:
        """Every chunk, in pages."""
        offset = 0
        while True:
            page = self._collection.get(
                include=["documents", "metadatas"], limit=_PAGE, offset=offset
            )
            documents = page["documents"] or []
            metadatas = page["metadatas"] or []
            for chunk_id, text, metadata in zip(page["ids"], documents, metadatas, strict=True):
                yield ChunkRecord.from_stored(chunk_id, text, dict(metadata))
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def nearest(
        self, vector: Sequence[float], k: int, where: Where | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """The ``k`` chunks closest to ``vector``, with their cosine similarity."""
        found = self._reader.similarity_search_by_vector_with_relevance_scores(
            list(vector), k=k, filter=where
        )
        return [
            (ChunkRecord.from_stored(str(doc.id), doc.page_content, doc.metadata), 1 - distance)
            for doc, distance in found
        ]

    def _metadata(
        self, where: Where | None, *, include_metadata: bool = True
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        offset = 0
        while True:
            page = self._collection.get(
                where=where,
                include=["metadatas"] if include_metadata else [],
                limit=_PAGE,
                offset=offset,
            )
            metadatas = page["metadatas"] or [{} for _ in page["ids"]]
            yield from zip(page["ids"], metadatas, strict=True)
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE
