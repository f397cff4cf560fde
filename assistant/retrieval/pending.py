"""Passages indexed for lexical search whose vectors are still to be computed.

Chroma refuses a passage without its vector, so a passage ingested while no embedding model
answers (or while the configured model is not the one the index was built with) waits here, in a
SQLite file beside the lexical index. Search reads these passages lexically; the next ingest
that reaches the embedding model embeds them from here and moves them to Chroma, without
reading their files again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path

from assistant.retrieval.records import ChunkRecord, Collection
from assistant.retrieval.vector_store import IndexedFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS passage (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    record TEXT NOT NULL
)
"""


class PendingPassages:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute(_SCHEMA)
        return connection

    def _query(self, sql: str, *parameters: str) -> list[tuple[str, ...]]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as connection:
            return list(connection.execute(sql, parameters))

    def count(self) -> int:
        return len(self._query("SELECT 1 FROM passage"))

    def ids(self) -> list[str]:
        return [row[0] for row in self._query("SELECT id FROM passage")]

    def records(self) -> Iterator[ChunkRecord]:
        for (record,) in self._query("SELECT record FROM passage ORDER BY id"):
            yield ChunkRecord.model_validate_json(record)

    def indexed_files(self, collection: Collection) -> dict[str, IndexedFile]:
        """Every waiting file of ``collection``, by source, with its hash and chunk ids."""
        rows = self._query(
            "SELECT source, content_hash, id FROM passage WHERE collection = ? ORDER BY id",
            collection.value,
        )
        ids: dict[str, list[str]] = {}
        hashes: dict[str, str] = {}
        for source, content_hash, chunk_id in rows:
            ids.setdefault(source, []).append(chunk_id)
            hashes[source] = content_hash
        return {source: IndexedFile(hashes[source], tuple(ids[source])) for source in ids}

    def put(self, records: Iterable[ChunkRecord]) -> None:
        """Add or replace passages, all in one transaction."""
        rows = [
            (r.id, r.collection.value, r.source, r.content_hash, r.model_dump_json())
            for r in records
        ]
        if not rows:
            return
        with closing(self._connect()) as connection, connection:
            connection.executemany("INSERT OR REPLACE INTO passage VALUES (?, ?, ?, ?, ?)", rows)

    def remove(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids or not self.path.exists():
            return
        with closing(self._connect()) as connection, connection:
            connection.executemany("DELETE FROM passage WHERE id = ?", [(i,) for i in chunk_ids])
