"""The session's coverage state, saved with the interview after every turn so that a restarted
process resumes exactly where the conversation stopped."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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

    @property
    def total_questions(self) -> int:
        return sum(self.questions.values())

    def count_activity(self, now: datetime) -> None:
        if self.last_activity is not None:
            pause = (now - self.last_activity).total_seconds()
            self.active_seconds += min(max(pause, 0.0), MAX_COUNTED_PAUSE_SECONDS)
        self.last_activity = now
