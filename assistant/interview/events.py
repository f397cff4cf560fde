"""What a session tells its adapter (terminal or web) while it answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assistant.schemas import InterviewStatus, Phase


class EventKind(StrEnum):
    TOKEN = "token"  # noqa: S105 - the model's message once the output guard passed it
    MESSAGE = "message"  # the interviewer's whole message, as stored: replaces streamed pieces
    NOTICE = "notice"  # information about the session, not part of the transcript
    PHASE = "phase"  # the interview moved to another phase
    ENDED = "ended"  # the interview is over
    REVISED = "revised"  # the latest summary message, as it now reads after a strike
    STRUCK = "struck"  # the point the employee struck from the summary
    # The employee asked to withdraw: the adapter asks for confirmation (the text is the
    # question), then calls InterviewSession.withdraw, or goes on when declined.
    WITHDRAWAL_REQUESTED = "withdrawal_requested"


@dataclass(frozen=True)
class SessionEvent:
    kind: EventKind
    text: str = ""
    phase: Phase | None = None
    scripted: bool = False
    complete: bool = True
    status: InterviewStatus | None = None
