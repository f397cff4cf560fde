"""Exact nearest passages, computed in memory, for a knowledge base small enough to hold.

A search runs on every interview message. For a few hundred or a few thousand passages,
Chroma's query costs about a millisecond of CPU alone, and several under concurrency: its
machinery (the request, the filter, the reads of its segments), while the arithmetic, one
matrix–vector product over the passages' vectors, takes microseconds. So a process keeps the
vectors of each collection as one matrix, and a search is that product and a top-k.

Chroma stays the store of record: the matrix is read from it (pages of ``get``, the same
against a local folder and a Chroma server) and used only while it is known to hold Chroma's
vectors: built for the lexical index token saved by the last ingest (every ingest that writes
saves a new token when it ends), and only while no ingest is under way. Otherwise, past the
size cap, while another search is reading the vectors, or when reading them failed, the
search asks Chroma as before.

The scores are Chroma's: with its cosine space, a distance is 1 minus the cosine similarity,
and the search gives the similarity. Unlike Chroma's HNSW graph, the search is exact; among
equal scores, the passage with the smaller id comes first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import VectorStore

log = logging.getLogger(__name__)

Filter = tuple[tuple[str, str | int], ...]


@dataclass(frozen=True)
class _Matrix:
    """One collection's passages: ids in order, and their L2-normalised vectors as rows."""

    ids: tuple[str, ...]
    vectors: npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Held:
    """What was read for one saved index: the matrices (None: unusable, ask Chroma) and the
    rows each filter keeps, computed at its first use."""

    token: str
    matrices: dict[Collection, _Matrix] | None
    masks: dict[tuple[Collection, Filter], npt.NDArray[np.intp]]


class DenseIndex:
    """The passages' vectors held by this process, rebuilt when another ingest saved an index.

    ``max_passages``: the most passages (the lexical index's count) searched in memory; above
    it, or at 0, every search asks Chroma.
    """

    def __init__(self, max_passages: int) -> None:
        self.max_passages = max_passages
        self._building = threading.Lock()
        self._held: _Held | None = None  # replaced whole: a search reads one consistent copy

    def nearest(
        self,
        store: VectorStore,
        token: str,
        known: Mapping[str, ChunkRecord],
        vector: Sequence[float],
        k: int,
        *,
        collection: Collection | None = None,
        wanted: Mapping[str, str | int] | None = None,
    ) -> list[tuple[ChunkRecord, float]] | None:
        """The ``k`` passages closest to ``vector``, best first, with their cosine similarity,
        among those whose metadata equals ``wanted``; None when Chroma is to be asked.

        ``token`` and ``known``: the saved lexical index's token and its passages by id, which
        the caller knows to be the vector store's (no ingest under way since it was saved).
        """
        if self.max_passages <= 0 or len(known) > self.max_passages:
            return None
        query = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        held = self._held_for(store, token, known)
        if held is None or held.matrices is None or norm == 0 or not np.isfinite(norm):
            return None
        query = query / norm  # a new array: the caller's vector stays as it was
        key: Filter = tuple(sorted((wanted or {}).items()))
        found: list[tuple[ChunkRecord, float]] = []
        for name in [collection] if collection else list(Collection):
            matrix = held.matrices[name]
            if not matrix.ids:
                continue
            if matrix.vectors.shape[1] != len(query):
                return None  # another dimension: Chroma answers (and refuses) as before
            rows = _rows(held, name, key, known)
            scores = _similarities(matrix.vectors if rows is None else matrix.vectors[rows], query)
            for position in _best(scores, k):
                row = int(position) if rows is None else int(rows[position])
                found.append((known[matrix.ids[row]], float(scores[position])))
        found.sort(key=lambda pair: (-pair[1], pair[0].id))
        return found[:k]

    def holds(self, token: str, passages: int) -> bool:
        """Whether a search of the index ``token`` (of ``passages`` passages) is answered
        from the vectors held, with nothing to read."""
        held = self._held
        return (
            0 < passages <= self.max_passages
            and held is not None
            and held.token == token
            and held.matrices is not None
        )

    def _held_for(
        self, store: VectorStore, token: str, known: Mapping[str, ChunkRecord]
    ) -> _Held | None:
        """What was read for ``token``, read now if what is held was read for another (None:
        another search is reading them)."""
        held = self._held
        if held is not None and held.token == token:
            return held
        # Searches run in worker threads: one of them reads the vectors, and those that come
        # meanwhile ask Chroma rather than wait for it.
        if not self._building.acquire(blocking=False):
            return None
        try:
            held = self._held
            if held is None or held.token != token:
                held = self._held = _Held(token, self._read(store, token, known), {})
            return held
        finally:
            self._building.release()

    def _read(
        self, store: VectorStore, token: str, known: Mapping[str, ChunkRecord]
    ) -> dict[Collection, _Matrix] | None:
        try:
            matrices = {collection: _read_matrix(store, collection) for collection in Collection}
        except Exception as error:  # a cache: Chroma answers the search instead
            log.warning("Searching Chroma: cannot read the passages' vectors: %s", error)
            return None
        held = sum(len(matrix.ids) for matrix in matrices.values())
        if held > self.max_passages:
            return None
        strangers = [i for m in matrices.values() for i in m.ids if i not in known]
        if strangers:
            log.warning(
                "Searching Chroma: %d passages it holds are not in the lexical index saved "
                "(%s, for instance)",
                len(strangers),
                strangers[0],
            )
            return None
        log.debug("Holding %d passages' vectors for exact search (index %s)", held, token)
        return matrices


def _rows(
    held: _Held, collection: Collection, key: Filter, known: Mapping[str, ChunkRecord]
) -> npt.NDArray[np.intp] | None:
    """The rows of ``collection`` whose metadata matches ``key`` exactly, as Chroma's ``where``
    does (None: no filter, every row)."""
    if not key:
        return None
    if (collection, key) not in held.masks:
        assert held.matrices is not None
        ids = held.matrices[collection].ids
        metadata = [known[chunk_id].to_metadata() for chunk_id in ids]
        matching = [all(row.get(field) == value for field, value in key) for row in metadata]
        held.masks[collection, key] = np.flatnonzero(np.array(matching, dtype=bool))
    return held.masks[collection, key]


def _read_matrix(store: VectorStore, collection: Collection) -> _Matrix:
    ids: list[str] = []
    pages: list[npt.NDArray[np.float32]] = []
    for page_ids, embeddings in store.vectors(collection):
        if page_ids:
            ids += page_ids
            pages.append(embeddings)
    if not ids:
        return _Matrix((), np.zeros((0, 0), dtype=np.float32))
    vectors = np.concatenate(pages)
    order = sorted(range(len(ids)), key=ids.__getitem__)  # rows by id: ties go to the smaller
    vectors = vectors[order]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms > 0, norms, 1)
    return _Matrix(tuple(ids[i] for i in order), np.ascontiguousarray(vectors))


def _similarities(
    vectors: npt.NDArray[np.float32], query: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Each row's dot product with ``query``, in this thread alone.

    Not ``vectors @ query``: numpy hands that to OpenBLAS, which splits a product of a few
    thousand rows across threads that spin while they wait; on a busy 2-core machine that cost
    4 to 20 times the CPU of the product itself (8 threads at once, 5,000 rows of 1,024: 21 ms
    of CPU a product against 1 ms here). ``einsum`` computes it in numpy's own loop.
    """
    scores: npt.NDArray[np.float32] = np.einsum("ij,j->i", vectors, query)
    return scores


def _best(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """The positions of the ``k`` highest scores, highest first; equal scores by position."""
    if k <= 0 or not len(scores):
        return np.zeros(0, dtype=np.intp)
    if k < len(scores):
        threshold = scores[np.argpartition(-scores, k - 1)[k - 1]]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    order = np.argsort(-scores[candidates], kind="stable")
    return candidates[order][:k]
