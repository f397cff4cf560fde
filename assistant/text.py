"""Text helpers shared by the interview, retrieval and transcript import.

Two foldings, for two uses:

* :func:`fold_case_and_accents` compares *words* and short labels: "Écoute" and "ecoute" are the
  same word for the lexical index, the stop-word lists and speaker labels. It is cached, since it
  runs on every word indexed.
* :func:`fold_for_matching` puts a whole *message* in the form the guide's patterns and phrases
  are written in: folded as above, typographic apostrophes made plain ("j’ai" → "j'ai") and
  whitespace collapsed to single spaces. Not cached: messages are long and rarely repeat.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_NOT_WORD_OR_SPACE = re.compile(r"[^a-z0-9 ]")


def _without_case_and_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1 << 16)
def fold_case_and_accents(text: str) -> str:
    """Lower case without accents: "Écoute" → "ecoute"; spaces are kept as they are."""
    return _without_case_and_accents(text)


def fold_for_matching(text: str) -> str:
    """Lower case, no accents, typographic apostrophes made plain, spaces collapsed."""
    return " ".join(_without_case_and_accents(text.replace("’", "'")).split())


def contains_phrase(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``phrases`` as whole words (case and accents ignored)."""
    padded = f" {_words_only(text)} "
    return any(f" {wanted} " in padded for phrase in phrases if (wanted := _words_only(phrase)))


def _words_only(text: str) -> str:
    """Folded for matching, with everything but letters, digits and spaces made a space."""
    return " ".join(_NOT_WORD_OR_SPACE.sub(" ", fold_for_matching(text)).split())


def count_questions(text: str) -> int:
    return text.count("?")


def first_question(text: str) -> str:
    """The text up to and including its first question mark."""
    end = text.find("?")
    return text if end < 0 else text[: end + 1].strip()


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
