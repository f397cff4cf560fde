"""Small text helpers for the interview's deterministic checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SPACES = re.compile(r"\s+")
# A question ends with "?" (French puts a thin or normal space before it).
_QUESTION = re.compile(r"[^.!?…\n]*\?")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def fold(text: str) -> str:
    """Lower case, no accents, typographic apostrophes made plain, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", plain).strip()


def contains_phrase(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``phrases`` as whole words (case and accents ignored)."""
    folded = f" {re.sub(r'[^a-z0-9 ]', ' ', fold(text))} "
    for phrase in phrases:
        wanted = re.sub(r"[^a-z0-9 ]", " ", fold(phrase))
        if f" {_SPACES.sub(' ', wanted).strip()} " in _SPACES.sub(" ", folded):
            return True
    return False


def count_questions(text: str) -> int:
    return text.count("?")


def first_question(text: str) -> str:
    """The text up to and including its first question mark."""
    end = text.find("?")
    return text if end < 0 else text[: end + 1].strip()


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
