"""The people the company's documents name, kept so that the report always redacts them.

A procedure or an organisation chart names the people an employee talks about ("call Mme
Ferrand"), and an employee quoting them later may name them by a first name or a surname alone.
At ingest, the company's documents (never the essay's sources) are read for person names
(:mod:`assistant.personal_data.names`). They are kept per document, with the hash of the
content they were read from, in ``people-named.json`` beside the index, so that a document
unchanged is not read again and a document changed or removed takes its names with it.

spaCy loads only when a company document is new or changed, never to read the names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from assistant.personal_data.names import names_and_terms_in
from assistant.retrieval.records import ChunkRecord, Collection

PEOPLE_FILE = "people-named.json"


class DocumentPeople(BaseModel):
    content_hash: str
    names: list[str]
    terms: list[str] | None = Field(
        default=None,
        description="The document's own proper nouns that name no one (its products, sites, "
        "services); None in a file written before they were read (the document is read again).",
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


def people_file(data_dir: Path) -> Path:
    return data_dir / PEOPLE_FILE


def load_people(data_dir: Path) -> PeopleNamed:
    """What the last ingest found (nothing, before any ingest or if the file is unreadable:
    the next ingest writes it again)."""
    try:
        return PeopleNamed.model_validate_json(people_file(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return PeopleNamed()


def company_people(data_dir: Path) -> set[str]:
    """The person names of the company's ingested documents."""
    return load_people(data_dir).names()


def company_terms(data_dir: Path) -> set[str]:
    """The company's own products, sites and services named in its ingested documents: the
    report's redaction must not take them for people."""
    return load_people(data_dir).terms()


def update_people(data_dir: Path, records: Iterable[ChunkRecord]) -> PeopleNamed:
    """Bring the file in line with the company passages in the index: read the documents new
    or changed since, forget those removed. Writes the file only when it changed."""
    previous = load_people(data_dir)
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
    current = PeopleNamed(documents=documents)
    if current != previous or not people_file(data_dir).exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = people_file(data_dir).with_suffix(".tmp")
        temporary.write_text(json.dumps(current.model_dump(), ensure_ascii=False, indent=1))
        temporary.replace(people_file(data_dir))
    return current
