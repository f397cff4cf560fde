"""The output guard: every message the model writes for the employee is checked whole before
the employee sees any of it.

Rules, by name (:class:`~assistant.vocabulary.GuardRule`), in the order they are tried:

* ``leak``: no run of more than ``max_shared_words`` words shared with what the model was
  given and the employee never said: its instructions, the guide, the retrieved passages. The
  prompt's canary appearing is always a leak. Words the employee wrote themselves may be
  reflected back, even when a passage holds them too.
* ``link``: no URL, e-mail address, link, image or markup (HTML, Markdown emphasis, headings,
  lists, code).
* ``language``: the interview's language, for a message long enough to tell.
* ``questions``: exactly one question. A second question trailing a message is only trimmed
  (the first stands as the message); a message that asks none, three or more, or whose first
  question is too short to stand alone, breaks the rule.
* ``length``: at most ``max_chars`` characters, once a trailing question is trimmed.

A message that breaks a rule is replaced by the guide's next question; the session records the
rule on that turn. Streaming does not show pieces early: the rules on questions, length and
language judge the whole message, and a leak or a link can come in its last words, so the reply
is buffered and checked once it is complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from assistant.interview.guide import Guide
from assistant.interview.rules import (
    MIN_WORDS_TO_JUDGE_LANGUAGE,
    language_of,
    link_or_markup,
    plainly_in,
    runs,
    words,
)
from assistant.text import count_questions, first_question, fold_for_matching
from assistant.vocabulary import GuardRule

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
# A first "question" shorter than this ("Really?", "D'accord ?") is no question to keep alone.
MIN_WORDS_OF_A_QUESTION = 3
# Lines up to this long have their words kept between messages (see _words_of).
_CACHED_TEXT_CHARS = 4000


@dataclass(frozen=True)
class GuardVerdict:
    """What the guard made of a message."""

    text: str  # the message as it may be delivered, when no rule was broken
    rule: GuardRule | None = None  # the rule it broke: it must not reach the employee
    trimmed: bool = False  # a trailing second question was dropped


def guide_texts(guide: Guide) -> list[str]:
    """The guide's own texts the model must not recite (its fallback questions excepted: they
    are what replaces a broken message)."""
    texts = [*guide.framing.model_dump().values(), *guide.messages.model_dump().values()]
    for phase in guide.phases:
        texts += [phase.title, phase.goal, phase.focus, phase.grounding_instruction]
    return texts


class OutputGuard:
    """The rules for one prompt: any number of messages (a reply, its regeneration) are
    checked against its leak sources.

    A message is short and a prompt long: a leak is looked for from the message's side. Its
    runs of words are sought in the sources' words, where a source word opens one of them
    (a set lookup per word, no tuple built), and only a run found there is then sought in what
    the employee said. Nothing is read before a message is checked, and the words of lines met
    again (the instructions', the guide's, the passages', the employee's earlier answers) are
    folded once per process."""

    def __init__(
        self,
        *,
        language: str,
        max_chars: int,
        max_shared_words: int,
        sources: Iterable[str],
        said: Iterable[str] = (),
        canary: str = "",
    ) -> None:
        self.language = language
        self.max_chars = max_chars
        self._run = max_shared_words + 1
        self._sources = list(sources)
        self._source_words: list[Sequence[str]] | None = None
        self._said = list(said)
        # Its random last part alone is enough to tell: "TERRAIN-" is only there to be seen.
        self._canary = _NOT_ALPHANUMERIC.split(fold_for_matching(canary))[-1]

    def check(self, text: str, *, complete: bool = True) -> GuardVerdict:
        """The verdict on ``text``; ``complete=False`` for a reply cut off midway, which may
        not have reached its question yet."""
        text = text.strip()
        if self._leaks(text):
            return GuardVerdict(text, GuardRule.LEAK)
        if link_or_markup(text) is not None:
            return GuardVerdict(text, GuardRule.LINK)
        if self._in_another_language(text):
            return GuardVerdict(text, GuardRule.LANGUAGE)
        delivered, trimmed = text, False
        questions = count_questions(text)
        if questions == 0 and complete:
            return GuardVerdict(text, GuardRule.QUESTIONS)
        if questions > 1:
            delivered, trimmed = first_question(text), True
            if questions > 2 or len(words(delivered)) < MIN_WORDS_OF_A_QUESTION:
                return GuardVerdict(text, GuardRule.QUESTIONS)
        if len(delivered) > self.max_chars:
            return GuardVerdict(text, GuardRule.LENGTH)
        return GuardVerdict(delivered, trimmed=trimmed)

    def check_statement(self, text: str) -> GuardRule | None:
        """The rule a text that is not a question (a point of the summary) breaks, if any."""
        if self._leaks(text):
            return GuardRule.LEAK
        if link_or_markup(text) is not None:
            return GuardRule.LINK
        if self._in_another_language(text):
            return GuardRule.LANGUAGE
        return None

    def _leaks(self, text: str) -> bool:
        if self._canary and self._canary in _NOT_ALPHANUMERIC.sub("", fold_for_matching(text)):
            return True
        wanted = set(runs(words(text), self._run))
        if not wanted:
            return False
        if self._source_words is None:  # read at the first check, kept for the next ones
            self._source_words = [_words_of(text) for text in self._sources]
        shared = _found_in(wanted, self._source_words, self._run)
        if not shared:
            return False
        return bool(shared - _found_in(shared, map(_words_of, self._said), self._run))

    def _in_another_language(self, text: str) -> bool:
        # A reply plainly in the interview's language (most are) needs no detector: the word
        # lists answer in microseconds where lingua takes a fraction of a millisecond.
        if len(words(text)) < MIN_WORDS_TO_JUDGE_LANGUAGE or plainly_in(text, self.language):
            return False
        found = language_of(text)
        return found is not None and found != self.language


def _found_in(
    wanted: set[tuple[str, ...]], texts: Iterable[Sequence[str]], length: int
) -> set[tuple[str, ...]]:
    """The runs of ``wanted`` (each ``length`` words) that occur in one of ``texts`` (each
    given as its words)."""
    openers = {run[0] for run in wanted}
    found: set[tuple[str, ...]] = set()
    for sequence in texts:
        for start in range(len(sequence) - length + 1):
            if sequence[start] in openers:
                run = tuple(sequence[start : start + length])
                if run in wanted:
                    found.add(run)
                    if len(found) == len(wanted):
                        return found
    return found


@lru_cache(maxsize=4096)
def _words_of_cached(text: str) -> tuple[str, ...]:
    return tuple(words(text))


def _words_of(text: str) -> Sequence[str]:
    """The folded words of ``text``, line by line: the lines of a prompt (the instructions, the
    guide's, the passages, the employee's answers) come back at every message, though the
    whole prompt is new each time. No word spans a line break, so the words of the lines, end
    to end, are the words of the whole. Those of lines up to _CACHED_TEXT_CHARS are kept."""
    if "\n" in text:
        return tuple(chain.from_iterable(_words_of(line) for line in text.split("\n")))
    if len(text) > _CACHED_TEXT_CHARS:
        return words(text)
    return _words_of_cached(text)
