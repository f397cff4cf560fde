"""Redaction of everything leadership can read: Presidio over spaCy's French pipeline.

Presidio runs spaCy's ``fr_core_news_md`` (its PER entities) and recognizers written for what
that model misses in French text: phone numbers (the ``phonenumbers`` library, French and
international), e-mail addresses, and the patterns of :mod:`assistant.personal_data.patterns`
(postal addresses, dates of birth, a civility followed by a name, first names alone, health
details), and the names Terrain already knows (accounts, pseudonyms, people named in the
company's documents).

spaCy's English pipelines cannot be installed here, so English text goes through the same
French pipeline: its NER still finds many English names, and the pattern recognizers are
language-neutral or list both languages' words.

A quote that the checks still doubt is not shown at all: a capitalised word the tagger reads as
a proper noun in the middle of a sentence that no recognizer removed, or an entity found with a
low score. Other texts (narratives, labels) are redacted the same way but kept.

The report redacts what leadership reads with it, and facilitators' masking
(:mod:`assistant.masking`) labels what it finds. spaCy is slow to load: :func:`default_redactor`
builds the pipeline once, on first use, never when this module is imported.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.personal_data.patterns import (
    CIVILITY_NAME,
    DATE_OF_BIRTH,
    ENGLISH_STREET,
    FIRST_NAME_TOKEN,
    FRENCH_STREET,
    HEALTH,
    PHONE_FALLBACK,
    POSTCODE_CITY,
    UK_POSTCODE,
    first_names,
)

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from spacy.tokens import Doc

SPACY_MODEL = "fr_core_news_md"
# Presidio is asked for one language only: the French pipeline reads English text as well.
_ANALYSIS_LANGUAGE = "fr"
# Results at or above this score are removed; below it, they only make a quote doubtful.
REDACT_SCORE = 0.4


class Kind(StrEnum):
    """The kinds of personal data redaction removes."""

    PERSON = "PERSON"
    PHONE = "PHONE_NUMBER"
    EMAIL = "EMAIL_ADDRESS"
    ADDRESS = "ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    HEALTH = "HEALTH"


PLACEHOLDERS: dict[str, dict[Kind, str]] = {
    "fr": {
        Kind.PERSON: "[nom]",
        Kind.PHONE: "[téléphone]",
        Kind.EMAIL: "[e-mail]",
        Kind.ADDRESS: "[adresse]",
        Kind.DATE_OF_BIRTH: "[date de naissance]",
        Kind.HEALTH: "[santé]",
    },
    "en": {
        Kind.PERSON: "[name]",
        Kind.PHONE: "[phone]",
        Kind.EMAIL: "[e-mail]",
        Kind.ADDRESS: "[address]",
        Kind.DATE_OF_BIRTH: "[date of birth]",
        Kind.HEALTH: "[health detail]",
    },
}


@dataclass(frozen=True)
class Redaction:
    """A text with its personal data replaced, what was found, and whether doubt remains."""

    text: str
    kinds: tuple[Kind, ...] = ()
    doubtful: bool = False
    doubts: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Span:
    kind: Kind
    start: int
    end: int
    score: float
    priority: int = 0  # which recognizer wins where spans overlap: the higher


# The specific recognizers know better than the statistical NER, which knows better than a
# capitalised word found in a first-name list.
_PRIORITY = {"exact": 3, "ner": 2, "first_name": 1}
# Words that are capitalised for grammar, not because they name someone.
_NOT_NAMES = frozenset(
    {
        "I", "He", "She", "We", "They", "It", "The", "A", "An", "His", "Her", "My", "Our",
        "Il", "Elle", "On", "Je", "Nous", "Vous", "Ils", "Elles", "Le", "La", "Les", "Un",
        "Une", "Sa", "Son", "Ses", "Mon", "Ma", "Mes", "Ce", "Cette", "Avec", "Chez",
    }
)  # fmt: skip
# Words of speech, capitalised at the start of a spoken sentence, that the NER and the
# first-name lists take for names ("Ben d'abord…" is "well, first…", not Ben).
_SPOKEN_WORDS = frozenset(
    {
        "ben", "bah", "bon", "beh", "bé", "euh", "heu", "hein", "alors", "voilà", "voila",
        "bref", "enfin", "donc", "mais", "oui", "non", "ouais", "ah", "oh", "eh", "ok", "okay",
        "puis", "après", "tiens", "allez", "hop", "ouf", "là", "et", "sinon", "bien", "pis",
        "well", "so", "yeah", "yes", "no", "right", "anyway", "then",
    }
)  # fmt: skip
# A telephone number has at least this many digits; fewer is a year, a count or a short code.
_MIN_PHONE_DIGITS = 8
_CALENDAR = frozenset(
    {
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
        "samedi", "dimanche", "january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday",
    }
)  # fmt: skip


class Redactor:
    """Finds and replaces personal data; see the module docstring for the policy."""

    def __init__(
        self,
        known_names: Iterable[str] = (),
        allowed_terms: Iterable[str] = (),
    ) -> None:
        self.known_names = _known_name_pattern(known_names)
        self.allowed_terms = frozenset(term.casefold() for term in allowed_terms)
        self._analyzer = _analyzer()
        self._first_names = first_names()

    def spans(self, text: str) -> tuple[list[Span], list[str]]:
        """The personal data found in ``text`` and the doubts left (tokens, low scores)."""
        artifacts = self._analyzer.nlp_engine.process_text(text, _ANALYSIS_LANGUAGE)
        results: list[RecognizerResult] = self._analyzer.analyze(
            text=text, language=_ANALYSIS_LANGUAGE, nlp_artifacts=artifacts
        )
        found: list[Span] = []
        doubts: list[str] = []
        for result in results:
            kind = Kind(result.entity_type)
            words = text[result.start : result.end]
            if kind == Kind.PERSON and not self._names_someone(words):
                continue
            if kind == Kind.PHONE and sum(c.isdigit() for c in words) < _MIN_PHONE_DIGITS:
                continue
            if result.score < REDACT_SCORE:
                doubts.append(f"low score {kind}: {text[result.start : result.end]}")
                continue
            priority = _PRIORITY["ner"] if kind == Kind.PERSON else _PRIORITY["exact"]
            found.append(Span(kind, result.start, result.end, result.score, priority))
        found += self._pattern_spans(text)
        merged = _merge(found)
        doubts += self._doubtful_tokens(artifacts.tokens, merged)
        return merged, doubts

    def _names_someone(self, text: str) -> bool:
        """Whether an NER person span holds a capitalised word that is not mere grammar, a
        word of speech, nor the name of the company's own products or sites (allowed terms)."""
        if text.strip().casefold() in self.allowed_terms:
            return False
        words = re.findall(r"[\w'’.-]+", text)
        return any(
            w[:1].isupper()
            and w.strip(".") not in _NOT_NAMES
            and w.casefold() not in _SPOKEN_WORDS
            and w.casefold() not in self.allowed_terms
            for w in words
        )

    def _pattern_spans(self, text: str) -> list[Span]:
        exact = _PRIORITY["exact"]
        spans: list[Span] = []
        for match in CIVILITY_NAME.finditer(text):
            spans.append(Span(Kind.PERSON, match.start(), match.end(), 0.9, exact))
        for pattern in (FRENCH_STREET, POSTCODE_CITY, ENGLISH_STREET, UK_POSTCODE):
            for match in pattern.finditer(text):
                spans.append(Span(Kind.ADDRESS, match.start(), match.end(), 0.8, exact))
        for match in DATE_OF_BIRTH.finditer(text):
            start, end = match.start("date"), match.end("date")
            spans.append(Span(Kind.DATE_OF_BIRTH, start, end, 0.8, exact))
        for match in PHONE_FALLBACK.finditer(text):
            spans.append(Span(Kind.PHONE, match.start(), match.end(), 0.85, exact))
        for match in HEALTH.finditer(text):
            spans.append(Span(Kind.HEALTH, match.start(), match.end(), 0.8, exact))
        for match in FIRST_NAME_TOKEN.finditer(text):
            word = match.group()
            if word.casefold() in _SPOKEN_WORDS or word.casefold() in self.allowed_terms:
                continue
            if word in self._first_names or all(p in self._first_names for p in word.split("-")):
                spans.append(Span(Kind.PERSON, match.start(), match.end(), 0.6, 1))
        if self.known_names is not None:
            for match in self.known_names.finditer(text):
                spans.append(Span(Kind.PERSON, match.start(), match.end(), 1.0, exact + 1))
        return spans

    def _doubtful_tokens(self, doc: Doc, spans: Sequence[Span]) -> list[str]:
        doubts = []
        for token in doc:
            word = token.text
            if (
                token.pos_ == "PROPN"
                and word not in _NOT_NAMES
                and word[:1].isupper()
                and not word.isupper()
                and len(word) > 1
                and token.ent_type_ not in ("LOC", "ORG")
                and word.casefold() not in _CALENDAR
                and word.casefold() not in _SPOKEN_WORDS
                and word.casefold() not in self.allowed_terms
                and not any(s.start <= token.idx < s.end for s in spans)
            ):
                doubts.append(f"proper noun: {word}")
        return doubts

    def redact(self, text: str, language: str = "fr") -> Redaction:
        spans, doubts = self.spans(text)
        placeholders = PLACEHOLDERS.get(language, PLACEHOLDERS["en"])
        pieces: list[str] = []
        position = 0
        for span in spans:
            pieces += [text[position : span.start], placeholders[span.kind]]
            position = span.end
        pieces.append(text[position:])
        return Redaction(
            text="".join(pieces),
            kinds=tuple(dict.fromkeys(span.kind for span in spans)),
            doubtful=bool(doubts),
            doubts=tuple(doubts),
        )


def _known_name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Every known name, whole and by its parts of three letters or more."""
    variants: set[str] = set()
    for name in names:
        name = name.strip()
        if not name:
            continue
        variants.add(name)
        variants.update(part for part in re.split(r"[\s_.]+", name) if len(part) >= 3)
    if not variants:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    # A known name inside a compound ("Dupont-Moreau") takes the whole compound with it.
    return re.compile(
        rf"(?<![\w-])(?:[\w'’]+-)*(?:{alternatives})(?:-[\w'’]+)*(?![\w-])", re.IGNORECASE
    )


def _merge(spans: list[Span]) -> list[Span]:
    """Where spans overlap, the higher priority wins and the other is dropped; spans of equal
    priority are joined (of the kind with the higher score)."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.priority, s.start, -s.end)):
        overlapping = [c for c in chosen if c.start < span.end and span.start < c.end]
        if any(c.priority > span.priority for c in overlapping):
            continue
        for other in overlapping:
            chosen.remove(other)
            best = other if other.score >= span.score else span
            span = Span(
                best.kind,
                min(span.start, other.start),
                max(span.end, other.end),
                max(span.score, other.score),
                span.priority,
            )
        chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _analyzer() -> AnalyzerEngine:
    """Presidio's engine over the French spaCy pipeline, built once per process."""
    with _lock:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            EmailRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
        )

        # The bundled public-suffix snapshot, never a download.
        offline_suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        class OfflineEmailRecognizer(EmailRecognizer):
            def validate_result(self, pattern_text: str) -> bool:
                return bool(offline_suffixes(pattern_text.split("@")[-1]).fqdn)

        engine = SpacyNlpEngine(
            models=[{"lang_code": _ANALYSIS_LANGUAGE, "model_name": SPACY_MODEL}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={"PER": "PERSON", "PERSON": "PERSON"},
                labels_to_ignore=["LOC", "ORG", "MISC", "GPE", "NORP", "DATE"],
                low_score_entity_names=[],
            ),
        )
        registry = RecognizerRegistry(supported_languages=[_ANALYSIS_LANGUAGE])
        registry.add_recognizer(
            SpacyRecognizer(supported_language=_ANALYSIS_LANGUAGE, supported_entities=["PERSON"])
        )
        registry.add_recognizer(OfflineEmailRecognizer(supported_language=_ANALYSIS_LANGUAGE))
        registry.add_recognizer(
            PhoneRecognizer(
                supported_language=_ANALYSIS_LANGUAGE,
                supported_regions=("FR", "BE", "CH", "LU", "GB", "US", "DE", "ES", "IT"),
            )
        )
        return AnalyzerEngine(
            registry=registry,
            nlp_engine=engine,
            supported_languages=[_ANALYSIS_LANGUAGE],
        )


@lru_cache(maxsize=8)
def _cached_redactor(known: frozenset[str], allowed: frozenset[str]) -> Redactor:
    return Redactor(known, allowed)


def default_redactor(
    known_names: Iterable[str] = (), allowed_terms: Iterable[str] = ()
) -> Redactor:
    """A redactor sharing the process's one spaCy pipeline (loaded on the first call)."""
    return _cached_redactor(frozenset(known_names), frozenset(allowed_terms))
