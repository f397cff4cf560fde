"""Text analysis for the lexical index: words, stop words, stems, accents folded.

French and English share the index. A passage is stemmed in its own language (guessed from its
stop words); a query, whose language is often unclear from a few words, is stemmed both ways.
Accents are folded *after* stemming, because the Snowball stemmers expect accented words, so
that "reunion" finds "réunions" and "procédure" finds "procedures".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import Stemmer

from assistant.text import fold_case_and_accents

Language = Literal["fr", "en"]
_STEMMER_NAMES: dict[Language, str] = {"fr": "french", "en": "english"}

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_FRENCH_STOP_WORDS = frozenset(
    """a afin ai aie aient ait alors au aucun aussi autre aux avec avez avons avait avoir c
    ce ceci cela celle celles celui ces cet cette chaque chez comme comment d dans de des
    deux doit donc dont du elle elles en encore est et etaient etait ete etre eu eux fait
    faire il ils j je l la le les leur leurs lors lui m ma mais me meme mes moi mon n ne ni
    nos notre nous on ont ou par pas peu peut plus pour pourquoi qu quand que quel quelle
    quelles quels qui s sa sans se ses si son sont sous sur t ta te tes toi ton tous tout
    toute toutes tres tu un une vos votre vous y""".split()
)
_ENGLISH_STOP_WORDS = frozenset(
    """a about after all also am an and any are as at be been before being but by can could
    did do does doing done during each for from had has have having he her here hers him his
    how i if in into is it its itself just me more most my no nor not of off on once only or
    other our ours out over own same she should so some such than that the their theirs them
    then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours""".split()
)
_STOP_WORDS = _FRENCH_STOP_WORDS | _ENGLISH_STOP_WORDS


@lru_cache(maxsize=2)
def _stemmer(language: Language) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES[language])


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes and hyphens splitting them ("l'accueil" → l, accueil)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def guess_language(text: str) -> Language:
    """French or English, by which language's stop words are more frequent."""
    folded = [fold_case_and_accents(word) for word in words(text)]
    french = sum(word in _FRENCH_STOP_WORDS for word in folded)
    english = sum(word in _ENGLISH_STOP_WORDS for word in folded)
    return "en" if english > french else "fr"


def _terms(word_list: list[str], language: Language) -> list[str]:
    kept = [word for word in word_list if fold_case_and_accents(word) not in _STOP_WORDS]
    stems = _stemmer(language).stemWords(kept)
    return [folded for stem in stems if len(folded := fold_case_and_accents(stem)) > 1]


def passage_terms(text: str, language: Language | None = None) -> list[str]:
    """The index terms of a passage, stemmed in its language."""
    return _terms(words(text), language or guess_language(text))


def query_terms(text: str) -> list[str]:
    """The index terms of a query: its French and English stems, without repeats."""
    word_list = words(text)
    seen: dict[str, None] = {}
    for language in _STEMMER_NAMES:
        seen.update(dict.fromkeys(_terms(word_list, language)))
    return list(seen)
