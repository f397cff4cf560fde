"""The interview guide, loaded from ``prompts/interview.guide.<language>.toml``.

The guide is data: the phases with their goals, fallback questions and coverage cues, the
fixed texts (framing, consent, safety, closing), and the words that mean yes, no or stop. The
code only walks through it.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.config import Settings
from assistant.errors import describe_validation_error
from assistant.promises import state_rules
from assistant.prompts import PromptError, PromptFile, load_prompt
from assistant.schemas import Phase
from assistant.text import fold_for_matching

GUIDE_PROMPT_ID = "interview.guide"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Framing(_Data):
    text: str
    consent_reminder: str
    declined: str


class Messages(_Data):
    model_unavailable: str
    interrupted: str
    off_mission: str
    stopped: str
    distress: str
    summary_intro: str
    summary_confirm: str
    correction_noted: str
    anything_else: str
    thanks: str
    empty: str
    too_long: str


class Words(_Data):
    yes: list[str]
    no: list[str]
    stop: list[str]
    nothing_more: list[str]


class SafetyCues(_Data):
    distress: list[str]
    off_mission: list[str]
    confidentiality: list[str]


class Routes(_Data):
    """The safety routes' scripted texts (see :mod:`assistant.interview.routes`)."""

    safeguarding: str
    safeguarding_procedure: str
    safeguarding_no_procedure: str
    safeguarding_query: str
    resumed: str
    hostility: str
    confidentiality: str
    withdrawal: str
    language_switched: str
    language_unsupported: str
    language_or: str
    language_names: dict[str, str]


class PhaseSpec(_Data):
    model_config = ConfigDict(frozen=True, extra="forbid", ignored_types=(cached_property,))

    id: Phase
    title: str
    goal: str
    focus: str
    min_questions: int = Field(ge=0)
    max_questions: int = Field(ge=1)
    grounding: str = ""
    grounding_instruction: str = ""
    signals: list[str] = []
    questions: list[str] = Field(min_length=1)

    @cached_property
    def signal_patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(pattern) for pattern in self.signals]

    def signalled_by(self, text: str) -> bool:
        folded = fold_for_matching(text)
        return any(pattern.search(folded) for pattern in self.signal_patterns)


class Guide(_Data):
    ref: str
    language: str
    framing: Framing
    messages: Messages
    words: Words
    safety: SafetyCues
    routes: Routes
    phases: list[PhaseSpec]

    def welcome(self, settings: Settings) -> str:
        """The framing and its consent question, the rules it states as ``settings`` keep them."""
        return state_rules(self.framing.text.strip(), settings, self.language)

    def phase(self, phase: Phase) -> PhaseSpec | None:
        return next((spec for spec in self.phases if spec.id == phase), None)

    def next_phase(self, phase: Phase) -> Phase:
        """The phase after ``phase``: the guide's order, then closing."""
        order = [spec.id for spec in self.phases] + [Phase.CLOSING, Phase.DONE]
        if phase == Phase.CONSENT:
            return order[0]
        return order[order.index(phase) + 1]


def load_guide(language: str) -> Guide:
    """The guide in ``language``, validated once per version of its file."""
    prompt = load_prompt(GUIDE_PROMPT_ID, language)
    return _validated(prompt)


@lru_cache(maxsize=8)
def _validated(prompt: PromptFile) -> Guide:
    try:
        return Guide.model_validate(
            {**prompt.content, "ref": prompt.ref, "language": prompt.language}
        )
    except ValidationError as error:
        raise PromptError(
            f"The interview guide {prompt.ref} is malformed at {describe_validation_error(error)}."
        ) from None
