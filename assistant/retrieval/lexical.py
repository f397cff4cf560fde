"""The lexical index: BM25 (bm25s) over every passage of the knowledge base.

Chroma holds the passages that have a vector and the pending store those still without one;
this index is derived from both and rebuilt whenever an ingest changes anything, so they never
drift apart. It is saved next to the vector store with the chunk records it was built from, and
a marker of the chunk ids, so that a stale copy is detected.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from assistant.retrieval.analysis import passage_terms, query_terms
from assistant.retrieval.records import ChunkRecord

_RECORDS_FILE = "chunks.jsonl"
_MARKER_FILE = "marker.json"
_BM25_DIR = "bm25"


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

    def save(self, directory: Path) -> None:
        """Write the index atomically: a reader sees the old copy or the new, never half."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".lexical-"))
        with (staging / _RECORDS_FILE).open("w", encoding="utf-8") as out:
            for record in self.records:
                out.write(record.model_dump_json() + "\n")
        if self._bm25 is not None:
            self._bm25.save(str(staging / _BM25_DIR), show_progress=False)
        (staging / _MARKER_FILE).write_text(json.dumps({"marker": self.marker}))
        backup = directory.with_name(directory.name + ".old")
        if directory.exists():
            directory.rename(backup)
        staging.rename(directory)
        shutil.rmtree(backup, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The saved index, or None if there is none (or it is unreadable: rebuild it)."""
        try:
            with (directory / _RECORDS_FILE).open(encoding="utf-8") as lines:
                records = [ChunkRecord.model_validate_json(line) for line in lines]
            bm25 = None
            if records:
                bm25 = bm25s.BM25.load(str(directory / _BM25_DIR), show_progress=False)
        except (OSError, ValueError):
            return None
        return cls(records, bm25)

    @staticmethod
    def saved_marker(directory: Path) -> str | None:
        try:
            return str(json.loads((directory / _MARKER_FILE).read_text())["marker"])
        except (OSError, ValueError, KeyError):
            return None

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
