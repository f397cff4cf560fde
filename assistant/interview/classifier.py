"""The safety classifier: a model reads each employee message before the interviewer replies.

The guide's cue words (:mod:`assistant.interview.safety`) catch what is said in fixed phrases,
with no model; what signals risk is rarely a fixed phrase, so a small versioned prompt
(``prompts/interview.safety.<language>.toml``) asks the model for one category and its
confidence. The classifier only adds to the cue words: when it fails, or no model answers, it
returns nothing and the cue words alone decide (see :mod:`assistant.interview.routes`).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from pydantic import BaseModel, Field

from assistant.interview.messages import language_name
from assistant.llm import ChatMessage, ChatModel, ModelError, request_structured
from assistant.prompts import PromptFile, load_prompt

log = logging.getLogger(__name__)

SAFETY_PROMPT_ID = "interview.safety"


class SafetyCategory(StrEnum):
    NONE = "none"
    DISTRESS = "distress"
    SAFEGUARDING = "safeguarding"  # someone in the employee's care is being harmed
    HOSTILITY = "hostility"
    OFF_MISSION = "off_mission"
    CONFIDENTIALITY = "confidentiality"  # who reads what
    WITHDRAWAL = "withdrawal"
    LANGUAGE_CHANGE = "language_change"


class SafetyVerdict(BaseModel):
    """What the classifier's model answers (the schema it is constrained to)."""

    category: SafetyCategory
    confidence: float = Field(ge=0, le=1)
    language: str | None = Field(
        default=None,
        max_length=12,
        description="For language_change: the ISO 639-1 code of the language asked for.",
    )


class SafetyClassifier:
    """Classifies one employee message with ``model``; None when it cannot."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    def prompt(self, language: str) -> PromptFile:
        return load_prompt(SAFETY_PROMPT_ID, language)

    async def classify(self, text: str, language: str) -> SafetyVerdict | None:
        prompt = self.prompt(language)
        request = prompt.render(language=language_name(language), message=text)
        try:
            # A verdict is a few tokens: asked in one piece, it costs the server a fraction of
            # the CPU that reading it streamed, piece by piece, would at every message.
            verdict = await request_structured(
                self.model, [ChatMessage.user(request)], SafetyVerdict, brief=True
            )
        except ModelError as error:
            # The kind of failure only: the message and the model's answer stay out of the logs.
            log.warning(
                "Safety classifier %s failed (%s): the guide's cue words alone decide.",
                prompt.ref,
                type(error).__name__,
            )
            return None
        return verdict.value
