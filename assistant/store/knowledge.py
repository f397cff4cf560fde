"""The knowledge base's state that every process shares (``store.knowledge``).

Passages waiting for a vector, the people each company document names, the lexical index as
last built, and the ingests under way. All are derived from the company's documents (never
from transcripts); :mod:`assistant.retrieval` decides what they mean. Here they are plain
values: a passage is its JSON, the lexical index two blobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from assistant.store.database import Repository, guarded
from assistant.store.models import (
    DocumentPeopleRow,
    IngestRunRow,
    LexicalIndexRow,
    PendingPassageRow,
)

# Ids per statement: well under the bound on parameters of every database.
_BATCH = 500
_LEXICAL_ROW = 1


@dataclass(frozen=True)
class PendingPassage:
    id: str
    collection: str
    source: str
    content_hash: str
    record: str  # the passage as JSON


@dataclass(frozen=True)
class DocumentNames:
    content_hash: str
    names: list[str]
    terms: list[str] | None


@dataclass(frozen=True)
class SavedLexicalIndex:
    token: str  # new at every save: a process holding this token holds this index
    marker: str  # the fingerprint of the passages' ids it was built from
    passages: int
    records: bytes
    bm25: bytes | None


@dataclass(frozen=True)
class LexicalState:
    """The saved index's token and marker, and how many ingests are recorded as under way."""

    token: str | None
    marker: str | None
    ingests_under_way: int


@dataclass(frozen=True)
class LexicalCheck:
    """The saved index's token (None before any), and whether any ingest is recorded as under
    way (while one is, the saved index may lag the stores)."""

    token: str | None
    ingest_under_way: bool


# Built once: it runs before every search, and building it costs more than SQLite's answer.
_LEXICAL_CHECK = select(
    select(LexicalIndexRow.token).where(LexicalIndexRow.id == _LEXICAL_ROW).scalar_subquery(),
    select(func.count()).select_from(IngestRunRow).scalar_subquery(),
)


class KnowledgeRepository(Repository):
    """The shared state of the knowledge base (``store.knowledge``)."""

    # ------------------------------------------------------------- pending passages

    @guarded("saving passages without vectors")
    def put_pending(self, passages: Sequence[PendingPassage]) -> None:
        """Add or replace passages, all in one transaction."""
        if not passages:
            return
        with self._db.writing() as session:
            ids = [passage.id for passage in passages]
            for start in range(0, len(ids), _BATCH):
                batch = ids[start : start + _BATCH]
                session.execute(delete(PendingPassageRow).where(PendingPassageRow.id.in_(batch)))
            session.execute(
                insert(PendingPassageRow),
                [
                    {
                        "id": p.id,
                        "collection": p.collection,
                        "source": p.source,
                        "content_hash": p.content_hash,
                        "record": p.record,
                    }
                    for p in {p.id: p for p in passages}.values()
                ],
            )

    @guarded("removing passages without vectors")
    def remove_pending(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._db.writing() as session:
            for start in range(0, len(ids), _BATCH):
                batch = list(ids[start : start + _BATCH])
                session.execute(delete(PendingPassageRow).where(PendingPassageRow.id.in_(batch)))

    @guarded("counting passages without vectors")
    def pending_ids(self) -> list[str]:
        with self._db.reading() as session:
            return list(
                session.scalars(select(PendingPassageRow.id).order_by(PendingPassageRow.id))
            )

    @guarded("counting passages without vectors")
    def pending_count(self) -> int:
        with self._db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(PendingPassageRow)) or 0)

    @guarded("reading passages without vectors")
    def pending(self) -> list[PendingPassage]:
        """The waiting passages, by id."""
        query = select(PendingPassageRow).order_by(PendingPassageRow.id)
        with self._db.reading() as session:
            return [
                PendingPassage(row.id, row.collection, row.source, row.content_hash, row.record)
                for row in session.scalars(query)
            ]

    @guarded("reading passages without vectors")
    def pending_files(self, collection: str) -> list[tuple[str, str, str]]:
        """(source, content hash, id) of each waiting passage of ``collection``, by id: what
        an ingest compares files with, without reading the passages."""
        query = (
            select(PendingPassageRow.source, PendingPassageRow.content_hash, PendingPassageRow.id)
            .where(PendingPassageRow.collection == collection)
            .order_by(PendingPassageRow.id)
        )
        with self._db.reading() as session:
            return [(row[0], row[1], row[2]) for row in session.execute(query)]

    # ------------------------------------------------------------- people named

    @guarded("reading the people company documents name")
    def people(self) -> dict[str, DocumentNames]:
        """By document source: the names read from it and the hash of the content read."""
        with self._db.reading() as session:
            return {
                row.source: DocumentNames(row.content_hash, list(row.names), row.terms)
                for row in session.scalars(select(DocumentPeopleRow))
            }

    # ------------------------------------------------------------- lexical index

    @guarded("checking the lexical index")
    def lexical_state(self) -> LexicalState:
        with self._db.reading() as session:
            saved = session.execute(
                select(LexicalIndexRow.token, LexicalIndexRow.marker).where(
                    LexicalIndexRow.id == _LEXICAL_ROW
                )
            ).first()
            running = session.scalar(select(func.count()).select_from(IngestRunRow)) or 0
        token, marker = (saved[0], saved[1]) if saved else (None, None)
        return LexicalState(token, marker, int(running))

    @guarded("checking the lexical index")
    def lexical_check(self) -> LexicalCheck:
        """The saved index's token and whether an ingest is under way: what a process checks
        before a search, in one statement (it runs on every search)."""
        with self._db.reading_rows() as connection:
            saved, ingests = connection.execute(_LEXICAL_CHECK).one()
        return LexicalCheck(saved, bool(ingests))

    @guarded("reading the lexical index")
    def lexical_index(self) -> SavedLexicalIndex | None:
        with self._db.reading() as session:
            row = session.get(LexicalIndexRow, _LEXICAL_ROW)
            if row is None:
                return None
            return SavedLexicalIndex(row.token, row.marker, row.passages, row.records, row.bm25)

    # ------------------------------------------------------------- ingests

    @guarded("recording an ingest")
    def ingest_started(self) -> str:
        """Record an ingest under way: until it ends, readers check the index against the
        stores. Returns its id, for :meth:`publish`."""
        run = uuid.uuid4().hex
        with self._db.writing() as session:
            session.add(IngestRunRow(id=run, started_at=self._db.now()))
        return run

    @guarded("saving the knowledge base's shared state")
    def publish(
        self,
        *,
        marker: str | None = None,
        records: bytes = b"",
        bm25: bytes | None = None,
        passages: int = 0,
        people: Mapping[str, DocumentNames] | None = None,
        ingest: str | None = None,
    ) -> str | None:
        """In one transaction: save the lexical index (when ``marker`` is given), replace the
        people named (when ``people`` is given), and end ``ingest`` with every ingest that
        started before it (the index built now covers what they wrote; one still running
        publishes again when it ends).
        Returns the new lexical index's token."""
        token = uuid.uuid4().hex if marker is not None else None
        with self._db.writing() as session:
            if marker is not None:
                session.execute(delete(LexicalIndexRow))
                session.add(
                    LexicalIndexRow(
                        id=_LEXICAL_ROW,
                        token=token,
                        marker=marker,
                        passages=passages,
                        records=records,
                        bm25=bm25,
                        built_at=self._db.now(),
                    )
                )
            if people is not None:
                session.execute(delete(DocumentPeopleRow))
                if people:
                    session.execute(
                        insert(DocumentPeopleRow),
                        [
                            {
                                "source": source,
                                "content_hash": names.content_hash,
                                "names": names.names,
                                "terms": names.terms,
                            }
                            for source, names in people.items()
                        ],
                    )
            if ingest is not None:
                started = session.scalar(
                    select(IngestRunRow.started_at).where(IngestRunRow.id == ingest)
                )
                ended = IngestRunRow.id == ingest
                if started is not None:
                    ended = ended | (IngestRunRow.started_at <= started)
                session.execute(delete(IngestRunRow).where(ended))
        return token
