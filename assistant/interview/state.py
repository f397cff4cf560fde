"""The session's coverage state, saved with the interview after every turn so that a restarted
process resumes exactly where the conversation stopped."""

from __future__ import annotations

import copy
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, Self

from pydantic import BaseModel, Field

from assistant.interview.decisions import SafetyDecision
from assistant.schemas import Phase

# A pause longer than this is not counted as interview time (a coffee, a phone call, a night).
MAX_COUNTED_PAUSE_SECONDS = 300.0


class ClosingStep(StrEnum):
    CONFIRM_SUMMARY = "confirm_summary"
    ANYTHING_ELSE = "anything_else"


class SessionState(BaseModel):
    questions: dict[Phase, int] = Field(default_factory=dict)
    answers: dict[Phase, int] = Field(default_factory=dict)
    signalled: list[Phase] = Field(default_factory=list)
    fallback_used: dict[Phase, int] = Field(default_factory=dict)
    active_seconds: float = 0.0
    last_activity: datetime | None = None
    closing_step: ClosingStep | None = None
    summary: list[str] = Field(default_factory=list)
    last_question: str | None = None
    # Each employee message that took a safety route, and what decided it (cue or classifier).
    safety: list[SafetyDecision] = Field(default_factory=list)
    # Set by a safeguarding disclosure: the next message says whether to go on or stop.
    paused_for_safeguarding: bool = False

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """The copy ``model_copy(deep=True)`` makes, for the session to change apart at every
        turn: containers copied, immutable values shared. ``copy.deepcopy`` visits each enum,
        number and date of the state instead, about ten times slower."""
        copied = self.__copy__()
        copied.__dict__.update({name: _copy_of(value) for name, value in self.__dict__.items()})
        return copied

    @property
    def total_questions(self) -> int:
        return sum(self.questions.values())

    def count_activity(self, now: datetime) -> None:
        if self.last_activity is not None:
            pause = (now - self.last_activity).total_seconds()
            self.active_seconds += min(max(pause, 0.0), MAX_COUNTED_PAUSE_SECONDS)
        self.last_activity = now


_IMMUTABLE = (str, int, float, bool, Enum, datetime, type(None))


def _copy_of(value: object) -> object:
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {key: _copy_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_of(item) for item in value]
    return copy.deepcopy(value)  # a model (a safety decision) or anything else: the full way
