"""The people the company's documents name, kept so that the report always redacts them.

A procedure or an organisation chart names the people an employee talks about ("call Mme
Ferrand"), and an employee quoting them later may name them by a first name or a surname alone.
At ingest, the company's documents (never the essay's sources) are read for person names
(:mod:`assistant.personal_data.names`). They are kept per document, with the hash of the
content they were read from, so that a document unchanged is not read again and a document
changed or removed takes its names with it.

They are kept in the database (``store.knowledge``), written in the same transaction as the
lexical index of the same passages: a report built by any worker, on any machine, redacts the
same people. Deriving them from the vector store at each report instead would mean running
spaCy over every company passage each time.

spaCy loads only when a company document is new or changed, never to read the names.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.personal_data.names import names_and_terms_in
from assistant.retrieval.records import ChunkRecord, Collection
from assistant.store import Store
from assistant.store.knowledge import DocumentNames


class DocumentPeople(BaseModel):
    content_hash: str
    names: list[str]
    terms: list[str] | None = Field(
        default=None,
        description="The document's own proper nouns that name no one (its products, sites, "
        "services); None when kept by a version that did not read them (it is read again).",
    )


class PeopleNamed(BaseModel):
    """The names found in each company document, by source."""

    documents: dict[str, DocumentPeople] = {}

    def names(self) -> set[str]:
        return {name for document in self.documents.values() for name in document.names}

    def terms(self) -> set[str]:
        """Proper nouns of the company's documents that are not people, minus any word that
        is also part of a person's name there (a name is never let through)."""
        terms = {t for document in self.documents.values() for t in document.terms or ()}
        name_words = {w.casefold() for name in self.names() for w in name.split()}
        return {t for t in terms if t.casefold() not in name_words}


def load_people(store: Store) -> PeopleNamed:
    """What the last ingest found (nothing before any ingest)."""
    return PeopleNamed(
        documents={
            source: DocumentPeople(
                content_hash=found.content_hash, names=found.names, terms=found.terms
            )
            for source, found in store.knowledge.people().items()
        }
    )


def company_people(store: Store, data_dir: Path | None = None) -> set[str]:
    """The person names of the company's ingested documents. ``data_dir``: a data folder that
    may still hold a previous version's file of them, moved into the database first (a report
    built before the next ingest redacts them all the same)."""
    if data_dir is not None:
        from assistant.retrieval.legacy import adopt_local_files

        adopt_local_files(data_dir, store)
    return load_people(store).names()


def company_terms(store: Store) -> set[str]:
    """The company's own products, sites and services named in its ingested documents: the
    report's redaction must not take them for people."""
    return load_people(store).terms()


def people_after(previous: PeopleNamed, records: Iterable[ChunkRecord]) -> PeopleNamed:
    """The people named in the company passages of ``records``: the documents new or changed
    since ``previous`` are read, those removed forgotten."""
    passages: dict[str, list[ChunkRecord]] = {}
    for record in records:
        if record.collection == Collection.COMPANY:
            passages.setdefault(record.source, []).append(record)
    documents: dict[str, DocumentPeople] = {}
    for source, chunks in sorted(passages.items()):
        content_hash = chunks[0].content_hash
        known = previous.documents.get(source)
        if known is not None and known.content_hash == content_hash and known.terms is not None:
            documents[source] = known
            continue
        texts = [c.text for c in sorted(chunks, key=lambda c: c.chunk_index)]
        names, terms = names_and_terms_in(texts)
        documents[source] = DocumentPeople(content_hash=content_hash, names=names, terms=terms)
    return PeopleNamed(documents=documents)


def as_stored(people: PeopleNamed) -> dict[str, DocumentNames]:
    return {
        source: DocumentNames(document.content_hash, document.names, document.terms)
        for source, document in people.documents.items()
    }
