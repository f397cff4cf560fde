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
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_NOT_WORD_OR_SPACE = re.compile(r"[^a-z0-9 ]")


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def _marks_dropped(found: re.Match[str]) -> str:
    return "".join(char for char in found.group() if not unicodedata.combining(char))


def _without_case_and_accents(text: str) -> str:
    folded = text.casefold()
    if folded.isascii():  # most messages: nothing to decompose, no mark to drop
        return folded
    # Only the letters outside ASCII are looked at one by one: "é" decomposes to "e" and a
    # combining accent, and that accent alone is read here.
    return _NOT_ASCII.sub(_marks_dropped, unicodedata.normalize("NFKD", folded))


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


# -- text made safe to store and to show ----------------------------------------------------

REPLACEMENT = "\ufffd"
# Bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): they reorder
# what follows them on screen, so that a quote or a name can show other words than it holds.
# Marks (LRM, RLM, ALM) reorder nothing and are kept.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff" + BIDI_CONTROLS + "]", re.UNICODE
)


def clean_text(text: str) -> str:
    """``text`` as it can be stored and shown on any database and page: NUL and the other
    control characters (tab and line breaks apart), lone surrogates and bidi overrides each
    replaced by U+FFFD, visibly, so that nothing is silently lost and nothing reorders a page.

    PostgreSQL refuses NUL in text, and no database can encode a lone surrogate in UTF-8;
    cleaning the same way on both keeps SQLite and PostgreSQL holding the same words.
    """
    return _UNSAFE.sub(REPLACEMENT, text)


# Exact types that hold no text, most of what is sent to the database: returned as they are.
_NO_TEXT = frozenset(
    {type(None), bool, int, float, bytes, datetime, date, time, timedelta, Decimal, UUID}
)
_CONTAINERS = frozenset({tuple, list, dict})


def clean_value(value: object) -> object:
    """:func:`clean_text` applied to every string in ``value`` (lists, tuples, dicts: JSON).

    It runs on every parameter of every statement (the store's one cleaning boundary), so the
    common case is kept short: a plain string is cleaned at once, a value holding no text and
    a tuple, list or dict with nothing to clean in it are returned as they are, not rebuilt
    (so what it returns is not to be changed: it may be ``value`` itself).
    """
    if type(value) is str:
        return _UNSAFE.sub(REPLACEMENT, value)  # ``value`` itself when nothing is replaced
    kind = type(value)
    if kind in _NO_TEXT or (kind in _CONTAINERS and _nothing_to_clean(value)):
        return value
    # What is left (something to clean, nested containers, subclasses such as a StrEnum):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(key): clean_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(clean_value(item) for item in value)
    return value


def _nothing_to_clean(container: Any) -> bool:
    """Whether a tuple, list or dict holds only plain strings with nothing to replace, values
    that hold no text and containers of the same (keys and values, for a dict)."""
    items = (*container, *container.values()) if type(container) is dict else container
    for item in items:
        if type(item) is str:
            if _UNSAFE.search(item):
                return False
        elif type(item) not in _NO_TEXT and not (
            type(item) in _CONTAINERS and _nothing_to_clean(item)
        ):
            return False
    return True


def shortened(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis), to quote bad input back."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
