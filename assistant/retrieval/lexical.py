"""The lexical index: BM25 (bm25s) over every passage of the knowledge base.

Chroma holds the passages that have a vector and the pending store those still without one;
this index is derived from both and rebuilt whenever an ingest changes anything, so they never
drift apart. It is saved in the database (``store.knowledge``) with the chunk records it was
built from and a marker of the chunk ids, so that a stale copy is detected.

Why the database rather than rebuilding it from the vector store in each process: building
costs seconds per 10,000 passages (analysis and indexing), and a process must not answer from
a copy older than another's. The saved copy carries a token, new at each save: a process
reuses the copy it loaded while the token is the database's, and loads the new one otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from assistant.retrieval.analysis import passage_terms, query_terms
from assistant.retrieval.records import ChunkRecord


def corpus_marker(chunk_ids: Iterable[str]) -> str:
    """A fingerprint of a set of chunk ids, to tell whether an index matches the store."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class LexicalIndex:
    def __init__(self, records: list[ChunkRecord], bm25: bm25s.BM25 | None) -> None:
        self.records = records
        self.by_id = {record.id: record for record in records}
        self._bm25 = bm25
        self._masks: dict[tuple[tuple[str, str | int], ...], npt.NDArray[np.bool_]] = {}

    @property
    def marker(self) -> str:
        return corpus_marker(record.id for record in self.records)

    @classmethod
    def build(cls, records: Iterable[ChunkRecord]) -> LexicalIndex:
        kept = list(records)
        if not kept:
            return cls([], None)
        bm25 = bm25s.BM25()
        corpus = [_indexed_terms(record) for record in kept]
        bm25.index(corpus, show_progress=False)
        return cls(kept, bm25)

    def records_blob(self) -> bytes:
        """The passages, as compressed JSON lines."""
        lines = "".join(record.model_dump_json() + "\n" for record in self.records)
        return gzip.compress(lines.encode(), compresslevel=1)

    def bm25_blob(self) -> bytes | None:
        """bm25s's own files, in one zip (None for an empty index)."""
        if self._bm25 is None:
            return None
        with tempfile.TemporaryDirectory(prefix="terrain-bm25-") as folder:
            self._bm25.save(folder, show_progress=False)
            packed = io.BytesIO()
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
                for path in sorted(Path(folder).iterdir()):
                    archive.write(path, path.name)
        return packed.getvalue()

    @classmethod
    def from_blobs(cls, records: bytes, bm25: bytes | None) -> LexicalIndex:
        """The index :meth:`records_blob` and :meth:`bm25_blob` saved."""
        kept = [
            ChunkRecord.model_validate_json(line)
            for line in gzip.decompress(records).splitlines()
            if line
        ]
        if not kept or bm25 is None:
            return cls(kept, None)
        with tempfile.TemporaryDirectory(prefix="terrain-bm25-") as folder:
            with zipfile.ZipFile(io.BytesIO(bm25)) as archive:
                archive.extractall(folder)
            return cls(kept, bm25s.BM25.load(folder, show_progress=False))

    def search(
        self, query: str, k: int, filters: Mapping[str, str | int] | None = None
    ) -> list[tuple[ChunkRecord, float]]:
        """The ``k`` best chunks for ``query`` among those matching ``filters``, with scores."""
        terms = query_terms(query)
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        if filters:
            scores = np.where(self._mask(filters), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(top, key=lambda i: -scores[i])
        return [(self.records[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def _mask(self, filters: Mapping[str, str | int]) -> npt.NDArray[np.bool_]:
        key = tuple(sorted(filters.items()))
        if key not in self._masks:
            rows = [record.to_metadata() for record in self.records]
            self._masks[key] = np.array(
                [all(row.get(field) == value for field, value in key) for row in rows]
            )
        return self._masks[key]


def _indexed_terms(record: ChunkRecord) -> list[str]:
    # Headings and the title say what a passage is about: index them with it.
    context = f"{record.title}\n{record.section}\n{record.text}"
    return passage_terms(context, "en" if record.language == "en" else "fr")
