"""The people the company's documents name, kept so that the report always redacts them.

A procedure or an organisation chart names the people an employee talks about ("call Mme
Ferrand"), and an employee quoting them later may name them by a first name or a surname alone.
At ingest, the company's documents (never the essay's sources) are read for person names:
spaCy's ``fr_core_news_md`` PER entities (it reads English text too) and a civility followed
by a name. They are kept per document, with the hash of the content they were read from, in
``people-named.json`` beside the index, so that a document unchanged is not read again and a
document changed or removed takes its names with it.

spaCy loads only when a company document is new or changed, never to read the names.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from assistant.retrieval.records import ChunkRecord, Collection

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PEOPLE_FILE = "people-named.json"
# A word of a name: capitalised letters, with a hyphen or an apostrophe inside.
_NAME_WORD = re.compile(r"[A-ZÀ-Ý][a-zà-ÿ]+(?:[-'’][A-ZÀ-Ýa-zà-ÿ][a-zà-ÿ]+)*")
# Words capitalised at the start of a sentence or a heading, which the tagger may take for names.
_NOT_NAMES = frozenset(
    {
        "Le", "La", "Les", "Un", "Une", "Des", "Ce", "Cette", "Il", "Elle", "The", "A", "An",
        "This", "He", "She", "We", "They", "Madame", "Monsieur", "Mademoiselle", "Docteur",
        "Mme", "Mlle", "Mmes", "Mr", "Mrs", "Ms", "Miss", "Dr", "Pr", "Doctor", "Professeur",
    }
)  # fmt: skip
_MAX_NAME_WORDS = 4


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


def names_in(texts: Iterable[str]) -> list[str]:
    """The person names in ``texts``: each civility followed by a name, and each PER entity
    that looks like a person's full name (two to four capitalised words, none of them also
    written in lower case in the document, nor tagged a place or an organisation there)."""
    return names_and_terms_in(texts)[0]


def names_and_terms_in(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """The person names in ``texts`` (see :func:`names_in`) and the document's proper nouns
    that name no one: the places, organisations and other names (a product, a service) the
    tagger finds, and their words, when no civility precedes them and they are not also a
    person's name there."""
    from assistant.report.redaction import CIVILITY_NAME

    texts = list(texts)
    names: set[str] = set()
    for text in texts:
        names.update(m.group("name") for m in CIVILITY_NAME.finditer(text))
    lowercase_words = {w for text in texts for w in re.findall(r"\b[a-zà-ÿ][\w'’-]*", text)}
    nlp = _pipeline()
    other_entities: set[str] = set()
    candidates: set[str] = set()
    for doc in nlp.pipe(texts):
        candidates.update(_person_entities(doc))
        other_entities.update(e.text for e in doc.ents if e.label_ in ("LOC", "ORG", "MISC"))
    for candidate in candidates - other_entities:
        words = candidate.split()
        if any(word.casefold() in lowercase_words for word in words):
            continue
        names.add(candidate)
    kept = sorted(name for name in names if any(len(w) >= 3 for w in re.split(r"[\s.]+", name)))
    name_words = {w.casefold() for name in kept for w in name.split()}
    terms: set[str] = set()
    for entity in other_entities:
        words = [w for w in entity.split() if _NAME_WORD.fullmatch(w) and w not in _NOT_NAMES]
        for term in (entity, *words):
            if len(term) >= 3 and not any(w.casefold() in name_words for w in term.split()):
                terms.add(term)
    return kept, sorted(terms)


def _person_entities(doc: Doc) -> Iterable[str]:
    for entity in doc.ents:
        if entity.label_ not in ("PER", "PERSON"):
            continue
        words = entity.text.split()
        if not 2 <= len(words) <= _MAX_NAME_WORDS:
            continue
        if all(_NAME_WORD.fullmatch(w) and w not in _NOT_NAMES for w in words):
            yield " ".join(words)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _pipeline() -> Language:
    """spaCy's French pipeline with only what finds entities, loaded once per process."""
    with _lock:
        import spacy

        from assistant.report.redaction import SPACY_MODEL

        return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer"])
