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
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.interview.guide import Guide
from assistant.interview.rules import (
    MIN_WORDS_TO_JUDGE_LANGUAGE,
    language_of,
    link_or_markup,
    runs,
    words,
)
from assistant.text import count_questions, first_question, fold_for_matching
from assistant.vocabulary import GuardRule

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
# A first "question" shorter than this ("Really?", "D'accord ?") is no question to keep alone.
MIN_WORDS_OF_A_QUESTION = 3


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
    """The rules for one prompt: its leak sources are read once, then any number of messages
    (a reply, its regeneration) are checked against them."""

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
        own_words = {run for text in said for run in runs(words(text), self._run)}
        self._forbidden = {
            run for text in sources for run in runs(words(text), self._run)
        } - own_words
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
        return any(run in self._forbidden for run in runs(words(text), self._run))

    def _in_another_language(self, text: str) -> bool:
        if len(words(text)) < MIN_WORDS_TO_JUDGE_LANGUAGE:
            return False
        found = language_of(text)
        return found is not None and found != self.language
