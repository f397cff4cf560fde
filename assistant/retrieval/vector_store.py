"""What chromadb gives us: nearest-neighbour search over our vectors, kept with text and metadata.

Chroma also persists them (a local folder or a Chroma server) and filters on exact metadata.

Vectors are computed by us (the embedding model is reached only through the model port, in
batches we control); no collection has an embedding function of its own, so Chroma never tries
to download one. Each collection records the embedding model and the dimension of its vectors
in its metadata, so that a query from another model is caught before Chroma refuses it.

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

import numpy as np
import numpy.typing as npt

from assistant.errors import TerrainError
from assistant.retrieval.records import ChunkRecord, Collection

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection as ChromaCollection
    from chromadb.api.types import GetResult, Include, QueryResult

COLLECTION_PREFIX = "terrain-"
_PAGE = 5000  # Chroma caps the size of one get; read in pages.
_MODEL_KEY = "embedding_model"
_DIMENSIONS_KEY = "embedding_dimensions"

Where = dict[str, Any]


@dataclass(frozen=True)
class IndexedFile:
    content_hash: str
    chunk_ids: tuple[str, ...]


@dataclass(frozen=True)
class EmbeddingSpace:
    """The model that made an index's vectors and their dimension.

    ``model`` is None for an index written before Terrain recorded it: only the dimension of
    its vectors is known then.
    """

    model: str | None
    dimensions: int


def same_model(first: str, second: str) -> bool:
    """Whether two Ollama model names are the same model (``bge-m3`` is ``bge-m3:latest``)."""
    return first.removesuffix(":latest") == second.removesuffix(":latest")


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
        self._client = client
        self._collections: dict[Collection, ChromaCollection] = {}
        for collection in Collection:
            self._collections[collection] = self._open(collection)

    def _open(self, collection: Collection) -> ChromaCollection:
        return self._client.get_or_create_collection(
            COLLECTION_PREFIX + collection.value,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def count(self) -> int:
        return sum(chroma.count() for chroma in self._collections.values())

    def embedding_space(self) -> EmbeddingSpace | None:
        """The model and dimension of the vectors held, or None when nothing says (empty)."""
        for chroma in self._collections.values():
            metadata = chroma.metadata or {}
            if _MODEL_KEY in metadata and _DIMENSIONS_KEY in metadata:
                return EmbeddingSpace(str(metadata[_MODEL_KEY]), int(metadata[_DIMENSIONS_KEY]))
        for chroma in self._collections.values():
            sample = chroma.get(limit=1, include=["embeddings"])["embeddings"]
            if sample is not None and len(sample):
                return EmbeddingSpace(None, len(sample[0]))
        return None

    def claim(self, model: str, dimensions: int) -> None:
        """Record ``model`` and ``dimensions`` as the index's own; empty collections start afresh.

        Chroma keeps the dimension of the first vector a collection received even once it is
        emptied, so an empty collection is recreated rather than reused.
        """
        metadata: dict[str, str | int] = {_MODEL_KEY: model, _DIMENSIONS_KEY: dimensions}
        for collection, chroma in self._collections.items():
            if chroma.count() == 0:
                self._client.delete_collection(chroma.name)
                chroma = self._collections[collection] = self._open(collection)
            chroma.modify(metadata=metadata)

    def reset(self) -> None:
        """Remove every vector and the record of the model that made them."""
        for collection, chroma in self._collections.items():
            self._client.delete_collection(chroma.name)
            self._collections[collection] = self._open(collection)

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
            for page in self._pages(collection, ["documents", "metadatas"]):
                yield from self._from_page(page).values()

    def vectors(
        self, collection: Collection
    ) -> Iterator[tuple[list[str], npt.NDArray[np.float32]]]:
        """The ids and vectors of ``collection``, in pages (a vector per row)."""
        for page in self._pages(collection, ["embeddings"]):
            embeddings = page["embeddings"]
            if embeddings is None or not len(page["ids"]):
                embeddings = np.zeros((0, 0), dtype=np.float32)
            yield page["ids"], np.asarray(embeddings, dtype=np.float32)

    def _pages(self, collection: Collection, include: Include) -> Iterator[GetResult]:
        """``collection`` read whole with ``include``, a page of ``get`` at a time."""
        chroma = self._collections[collection]
        offset = 0
        while True:
            # A new list each time: chromadb may add to the one it is given.
            page = chroma.get(include=list(include), limit=_PAGE, offset=offset)
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def nearest(
        self,
        vector: Sequence[float],
        k: int,
        *,
        collection: Collection | None = None,
        where: Where | None = None,
        known: Mapping[str, ChunkRecord] | None = None,
    ) -> list[tuple[ChunkRecord, float]]:
        """The ``k`` chunks closest to ``vector``, with their cosine similarity.

        ``known``: the store's passages by id, when the caller holds them as the store does
        (the lexical index saved by the last ingest). Chroma is then asked for ids and
        distances only: reading the passages' text and metadata is half its time per query.
        A passage missing from ``known`` is read from Chroma all the same.
        """
        chosen = [collection] if collection else list(Collection)
        query: list[Sequence[float]] = [list(vector)]
        # A new list each time: chromadb may add to the one it is given.
        include: Include = (
            ["distances"] if known is not None else ["documents", "metadatas", "distances"]
        )
        found: list[tuple[ChunkRecord, float]] = []
        for name in chosen:
            # An empty collection answers with no hits: no need to count it first.
            answer = self._collections[name].query(
                query_embeddings=query, n_results=k, where=where, include=include
            )
            ids = answer["ids"][0]
            distances = (answer["distances"] or [[]])[0]
            records = (
                self._from_answer(ids, answer)
                if known is None
                else self._known_or_read(name, ids, known)
            )
            found += [
                (records[chunk_id], 1 - distance)
                for chunk_id, distance in zip(ids, distances, strict=True)
                if chunk_id in records  # removed since Chroma answered: no longer a passage
            ]
        return heapq.nlargest(k, found, key=lambda pair: pair[1])

    @staticmethod
    def _from_answer(ids: list[str], answer: QueryResult) -> dict[str, ChunkRecord]:
        documents = (answer["documents"] or [[]])[0]
        return _records(ids, documents, (answer["metadatas"] or [[]])[0])

    def _known_or_read(
        self, collection: Collection, ids: list[str], known: Mapping[str, ChunkRecord]
    ) -> dict[str, ChunkRecord]:
        records = {chunk_id: known[chunk_id] for chunk_id in ids if chunk_id in known}
        missing = [chunk_id for chunk_id in ids if chunk_id not in records]
        if missing:
            chroma = self._collections[collection]
            records |= self._from_page(chroma.get(ids=missing, include=["documents", "metadatas"]))
        return records

    @staticmethod
    def _from_page(page: GetResult) -> dict[str, ChunkRecord]:
        return _records(page["ids"], page["documents"] or [], page["metadatas"] or [])

    def _metadata(
        self, collection: Collection, *, include_metadata: bool = True
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for page in self._pages(collection, ["metadatas"] if include_metadata else []):
            metadatas = page["metadatas"] or [{} for _ in page["ids"]]
            yield from zip(page["ids"], metadatas, strict=True)


class EmbeddingSpaceMismatchError(TerrainError):
    """The configured embedding model is not the one that made the index's vectors."""

    def __init__(self, index: EmbeddingSpace, model: str, dimensions: int | None = None) -> None:
        made_by = f"{index.model!r}" if index.model else "another model"
        got = f" ({dimensions} dimensions)" if dimensions is not None else ""
        fix = f"run `terrain ingest --reindex` to embed every passage again with {model!r}"
        if index.model:
            fix += f", or set TERRAIN_EMBED_MODEL back to {index.model!r}"
        super().__init__(
            f"The index holds vectors of {made_by} ({index.dimensions} dimensions), not of the "
            f"configured embedding model {model!r}{got}.",
            fix=fix,
        )


def _records(
    ids: Sequence[str], documents: Sequence[str], metadatas: Sequence[Mapping[str, Any]]
) -> dict[str, ChunkRecord]:
    """Chroma's passages, as it gives them in parallel lists, by id."""
    return {
        chunk_id: ChunkRecord.from_stored(chunk_id, text, dict(metadata))
        for chunk_id, text, metadata in zip(ids, documents, metadatas, strict=True)
    }
