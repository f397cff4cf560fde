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


# Common function words of each detected language, folded as words() folds them (no accents,
# elisions split off: "qu'avez-vous" gives "qu", "avez", "vous"). A reply full of its language's
# own function words and holding none of another's is plainly in that language, and needs no
# detector. A word two lists share ("de", "la", "que", "is", "was") never decides: only the
# words of one list alone count for it, and a word of another list and not of its own counts
# against it. Letters that apostrophes split off in several languages ("s", "t", "d", "m":
# "it's", "s'est") are in no list: they tell nothing.
_FUNCTION_WORDS = {
    "fr": """a ai as au aux avait avant avec avez avons apres alors aussi bien c ca car ce cela
        celle celui ces cet cette chez ci comme comment combien dans de deja depuis des dit
        dites donc du elle elles en encore ensuite entre es est et etait etaient etes ete eu
        eux fait faire faites hier il ils j je l la laquelle le lequel les leur leurs lui
        ma mais me mes met mis moi mon n ne ni non nos notre nous on ont ou par parce pas
        pendant peu peut peuvent plus pour pourquoi pourriez pouvez puis qu quand que quel
        quelle quelles quels qui quoi sa sans se ses si son sont sous su suis sur ta tes
        toi ton tous tout toute toutes tres tu un une vos votre vous y
        afin autre autres avoir beaucoup chaque dont etre fois ici jamais lors moins oui rien
        souvent toujours vers""",
    "en": """a about after ai all also am an and any are as at be been before but by can could
        did do does doing done each for from had has have having he her here him his how
        i if in into is it its just ll me more most my no non not now of on or other our out
        over per re she should so some such than that the their them then there these they
        this those through to too up us ve very was we were what when where which while who
        whom why will with would you your yours
        again always because both during else ever may might must never next off often only
        own same still yes yet""",
    "de": """aber als an auch auf aus bei bin bis da das dass dem den denn der des dich die
        dir doch du ein eine einem einen einer er es etwas fur gibt habe haben hast hat hatte
        ich ihm ihn ihr ihre ihren im in ist ja kann kein keine man mehr mein meine mich mir
        mit nach nein nicht noch nur ob oder schon sehr sein sich sie sind so uber um und uns
        unter vom von vor war waren was welche wenn wer werden wie will wir wird wo wurde zu zum
        zur""",
    "es": """a al algo aqui asi como con cual cuando de del desde donde el ella ellos en entre
        era es esa ese eso esta estaba estan este esto fue ha han hay he hizo la las le les lo
        los mas me mi mis muy nada ni no nos o otra otro para pero poco por porque que quien
        se sea ser si sin sobre son su sus tambien te tiene tu un una uno usted ustedes y ya""",
    "it": """a ad agli ai al alla alle allo anche ancora c ce che chi ci come con cosa cui da dai
        dal dalla degli dei del della delle di dopo dove e ed era gli ha hai hanno ho i il in
        io l la le lei li lo loro lui ma mi mio molto ne nei nel nella noi non o per perche
        piu poi quale quando quel quella quelle quello questa questo qui sa se sei si sia sono
        su sua sue sui sul sulla suo ti tra tu tutto un una uno vi voi""",
    "pt": """a ao aos as com como da das de do dos e ela ele eles em entre era essa esse esta
        este eu foi ha isso isto ja la lhe mais mas me meu minha muito na nao nas nem no nos o
        os ou para pela pelo por porque quando que quem se sem ser seu sua tambem te tem um
        uma voce voces""",
    "nl": """aan al als bij dan dat de deze die dit door een en er geen had heb hebben hebt heeft
        het hier hij hoe hun ik in is je jij kan kunt maar me meer met mij mijn na naar niet
        nog nu of om onze ook op over te tot u uit uw van veel voor waar waarom wanneer was wat
        we wel werd wie wij worden wordt zal ze zich zij zijn zo zou""",
}
# Letters a text plainly in one of the interview's languages can hold: an accent of another
# language ("ñ", "ß", "ã") or a French accent in English is a cue lingua weighs and these word
# lists cannot; such a text is left to lingua.
_LETTER_OUTSIDE_ALPHABET = {
    "en": re.compile(r"[^\W\d_a-z]", re.IGNORECASE),
    "fr": re.compile(r"[^\W\d_a-zàâæçéèêëîïôœùûüÿ]", re.IGNORECASE),
}
# Function words of the language alone, at least: three, because the interviewer asks one
# short question ("Pouvez-vous me raconter un moment précis de votre journée d'hier ?" has
# three). Of the repository's questions, three lets 66 % of the French and 85 % of the English
# ones skip lingua (four: 51 % and 64 %), lingua agreeing on every one.
_PLAIN_MIN_OWN_WORDS = 3
_PLAIN_MIN_SHARE = 0.2  # of the text's words, that these make up at least
# Natural sentences hold a function word every few words. A longer run without one of the
# language's is likely a piece of another language written with nouns and adjectives alone
# ("… of its row personnes · thèmes affichés · constats").
_PLAIN_MAX_GAP = 4


def _function_words(language: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The function words of ``language`` alone, all of its own, and those of the others
    alone."""
    lists = {code: set(text.split()) for code, text in _FUNCTION_WORDS.items()}
    others = set().union(*(lists[code] for code in lists if code != language))
    mine = lists[language]
    return frozenset(mine - others), frozenset(mine), frozenset(others - mine)


_LISTS = {code: _function_words(code) for code in _LETTER_OUTSIDE_ALPHABET}


def plainly_in(text: str, language: str) -> bool:
    """Whether ``text`` is plainly in ``language`` (one of the interview's), by its function
    words: at least a few of that language alone, a fair share of the words, one every few
    words, and none of another detected language's, nor a letter outside its alphabet. Where
    this holds, lingua judges the same (tests/test_rules.py checks it on the repository's
    texts); False says nothing, the text is left to lingua."""
    if language not in _LISTS or _LETTER_OUTSIDE_ALPHABET[language].search(text):
        return False
    own, mine, foreign = _LISTS[language]
    text_words = words(text)
    count = gap = 0
    for word in text_words:
        if word in foreign:
            return False
        if word in mine:
            count += word in own
            gap = 0
        else:
            gap += 1
            if gap > _PLAIN_MAX_GAP:
                return False
    return count >= _PLAIN_MIN_OWN_WORDS and count >= _PLAIN_MIN_SHARE * len(text_words)
