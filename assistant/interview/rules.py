"""The checks code can make on a message the model wrote, each a pure function of its text.

:mod:`assistant.interview.guard` applies them together, before the employee sees anything.
Words are compared folded (case, accents and punctuation ignored), so a leak cannot hide
behind capitals or commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from assistant.text import fold_for_matching

if TYPE_CHECKING:
    from lingua import LanguageDetector

_WORD = re.compile(r"[a-z0-9]+")

# Bare domain names are recognised by the endings people meet in practice; any dotted word
# would also catch "etc.and" typed without a space.
_TOP_LEVEL_DOMAINS = (
    "com|org|net|fr|eu|io|ai|co|uk|de|be|ch|ca|es|it|nl|info|biz|app|dev|me|ly|gov|edu|"
    "xyz|site|online|shop|tv|link|to|gg"
)
_LINKS_AND_MARKUP = re.compile(
    "|".join(
        (
            r"\b(?:https?|ftp)://",  # a URL
            r"\bwww\.",
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an e-mail address
            r"!?\[[^\]\n]*\]\([^)\n]*\)",  # a Markdown link or image
            rf"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TOP_LEVEL_DOMAINS})\b(?!\.\w)",
            r"</?[a-z][a-z0-9]*\b[^<>]*>",  # an HTML tag
            r"\*\*[^*\n]+\*\*|__[^_\n]+__",  # strong emphasis
            r"(?<![\w*])\*[^*\s][^*\n]*\*(?![\w*])|(?<![\w_])_[^_\s][^_\n]*_(?![\w_])",
            r"^\s{0,3}#{1,6}\s",  # a heading
            r"^\s*(?:[-*+•]|\d+[.)])\s",  # a list item
            r"^\s*>",  # a quotation block
            r"`",  # code, inline or fenced
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)

# The languages the detector tells apart: the interview's two, and those a model most often
# drifts into. Fewer languages make a detector both faster and surer of short sentences.
_DETECTED_LANGUAGES = ("FRENCH", "ENGLISH", "GERMAN", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH")
MIN_WORDS_TO_JUDGE_LANGUAGE = 4


def words(text: str) -> list[str]:
    """The words of ``text``, folded: "Qu'avez-vous fait ?" → ["qu", "avez", "vous", "fait"]."""
    return _WORD.findall(fold_for_matching(text))


def runs(sequence: list[str], length: int) -> Iterable[tuple[str, ...]]:
    """Every run of ``length`` consecutive words of ``sequence``."""
    return (tuple(sequence[i : i + length]) for i in range(len(sequence) - length + 1))


def link_or_markup(text: str) -> str | None:
    """The first URL, e-mail address, link, image or piece of markup in ``text``, if any."""
    found = _LINKS_AND_MARKUP.search(text)
    return None if found is None else found.group(0)


@cache
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        *(getattr(Language, name) for name in _DETECTED_LANGUAGES)
    ).build()


def load_language_detector() -> None:
    """Load the detector now (tens of milliseconds), so that the first reply's check on the
    event loop does not pay for it."""
    _detector()


def language_of(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in (lingua's detector, loaded
    once), or None when it has no words to tell."""
    detected = _detector().detect_language_of(text)
    return None if detected is None else detected.iso_code_639_1.name.lower()
