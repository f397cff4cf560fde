"""Chunks and their vectors in Chroma, one Chroma collection per knowledge collection.

Writes go through the Chroma collections with vectors we computed (the embedding model is
reached only through the model port, in batches we control); reads go through langchain-chroma's
vector store over the same collections. No collection has an embedding function of its own, so
Chroma never tries to download one.

The company's documents and the essay's sources live in separate Chroma collections rather than
one filtered by metadata: searching the company's documents is what interviews and extraction do
on every turn, and a metadata filter matching most of an index costs Chroma several times the
search itself (about 27 ms at 10,000 chunks, against 3 ms unfiltered).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.retrieval.records import ChunkRecord, Collection

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection as ChromaCollection
    from langchain_chroma import Chroma

COLLECTION_PREFIX = "terrain-"
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


def collection_of(chunk_id: str) -> Collection:
    """Chunk ids start with their collection (``company:…``)."""
    return Collection(chunk_id.split(":", 1)[0])


class VectorStore:
    def __init__(self, client: ClientAPI) -> None:
        from langchain_chroma import Chroma

        self._collections: dict[Collection, ChromaCollection] = {}
        self._readers: dict[Collection, Chroma] = {}
        for collection in Collection:
            name = COLLECTION_PREFIX + collection.value
            self._collections[collection] = client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            self._readers[collection] = Chroma(client=client, collection_name=name)

    def count(self) -> int:
        return sum(chroma.count() for chroma in self._collections.values())

    def chunk_ids(self) -> list[str]:
        return [
            chunk_id
            for collection in Collection
            for chunk_id, _ in self._metadata(collection, include_metadata=False)
        ]

    def indexed_files(self, collection: Collection) -> dict[str, IndexedFile]:
        """Every file of ``collection`` in the index, by source, with its hash and chunk ids."""
        ids: dict[str, list[str]] = {}
        hashes: dict[str, str] = {}
        for chunk_id, metadata in self._metadata(collection):
            source = str(metadata["source"])
            ids.setdefault(source, []).append(chunk_id)
            hashes[source] = str(metadata["content_hash"])
        return {source: IndexedFile(hashes[source], tuple(ids[source])) for source in ids}

    def add(self, records: Sequence[ChunkRecord], vectors: Sequence[Sequence[float]]) -> None:
        for collection in Collection:
            chosen = [i for i, record in enumerate(records) if record.collection == collection]
            if not chosen:
                continue
            embeddings: list[Sequence[float]] = [list(vectors[i]) for i in chosen]
            self._collections[collection].upsert(
                ids=[records[i].id for i in chosen],
                embeddings=embeddings,
                documents=[records[i].text for i in chosen],
                metadatas=[records[i].to_metadata() for i in chosen],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for collection in Collection:
            mine = [chunk_id for chunk_id in chunk_ids if collection_of(chunk_id) == collection]
            for start in range(0, len(mine), _PAGE):
                self._collections[collection].delete(ids=mine[start : start + _PAGE])

    def records(self) -> Iterator[ChunkRecord]:
        """Every chunk, in pages."""
        for collection in Collection:
            chroma = self._collections[collection]
            offset = 0
            while True:
                page = chroma.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
                documents = page["documents"] or []
                metadatas = page["metadatas"] or []
                for chunk_id, text, metadata in zip(page["ids"], documents, metadatas, strict=True):
                    yield ChunkRecord.from_stored(chunk_id, text, dict(metadata))
                if len(page["ids"]) < _PAGE:
                    break
                offset += _PAGE

    def nearest(
        self,
        vector: Sequence[float],
        k: int,
        *,
        collection: Collection | None = None,
        where: Where | None = None,
    ) -> list[tuple[ChunkRecord, float]]:
        """The ``k`` chunks closest to ``vector``, with their cosine similarity."""
        chosen = [collection] if collection else list(Collection)
        found: list[tuple[ChunkRecord, float]] = []
        for name in chosen:
            # An empty collection answers with no hits: no need to count it first.
            hits = self._readers[name].similarity_search_by_vector_with_relevance_scores(
                list(vector), k=k, filter=where
            )
            found += [
                (ChunkRecord.from_stored(str(doc.id), doc.page_content, doc.metadata), 1 - dist)
                for doc, dist in hits
            ]
        return heapq.nlargest(k, found, key=lambda pair: pair[1])

    def _metadata(
        self, collection: Collection, *, include_metadata: bool = True
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        chroma = self._collections[collection]
        offset = 0
        while True:
            page = chroma.get(
                include=["metadatas"] if include_metadata else [], limit=_PAGE, offset=offset
            )
            metadatas = page["metadatas"] or [{} for _ in page["ids"]]
            yield from zip(page["ids"], metadatas, strict=True)
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE
