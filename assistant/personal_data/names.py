"""The person names a document holds, and its proper nouns that name no one.

Read from the company's documents at ingest (:mod:`assistant.retrieval.people` keeps them beside
the index), so that the report's redaction removes a person the documents name even when an
employee later gives only their first name or surname, and lets the company's own products,
sites and services through. spaCy's ``fr_core_news_md`` PER entities (it reads English text
too) and a civility followed by a name; spaCy loads on the first document read, never when this
module is imported.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.personal_data.patterns import CIVILITY_NAME
from assistant.personal_data.redaction import SPACY_MODEL

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

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

        return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "morphologizer"])
