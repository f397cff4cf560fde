"""The tasks that ask ahead, and the mark that a message is being answered.

While the safety classifier reads an employee's message, the next question is already asked
of the model: the employee waits for the longer of the two, not for both. The question is shown
(and the answer counted) only once the classifier has let the message through; otherwise it is
abandoned here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from assistant.interview.classifier import SafetyVerdict
from assistant.interview.flow import Plan
from assistant.interview.guard import GuardVerdict
from assistant.interview.interviewer import model_question
from assistant.schemas import Phase, Turn

if TYPE_CHECKING:
    from assistant.interview.session import InterviewSession

# The interviews whose employee message a session of this process is answering now: a resumed
# conversation must not answer it a second time.
_ANSWERING: set[str] = set()


def is_answered_now(interview_id: str) -> bool:
    return interview_id in _ANSWERING


@contextmanager
def answering(interview_id: str) -> Iterator[bool]:
    """Mark the interview as being answered; yields False when another session already is."""
    if interview_id in _ANSWERING:
        yield False
        return
    _ANSWERING.add(interview_id)
    try:
        yield True
    finally:
        _ANSWERING.discard(interview_id)


def classifying(session: InterviewSession, text: str) -> asyncio.Task[SafetyVerdict | None] | None:
    """The classifier reading ``text``, started now; never before consent (None then, or
    without a classifier)."""
    classifier = session.deps.classifier
    if classifier is None or session.phase == Phase.CONSENT:
        return None
    return asyncio.create_task(classifier.classify(text, session.interview.language))


def ask_ahead(
    session: InterviewSession, plan: Plan | None, turn: Turn
) -> asyncio.Task[GuardVerdict] | None:
    """The model's next question, asked now for the phase the plan leads to (not when the
    plan ends in the summary or the session is paused, which ask no question of it)."""
    if session.deps.model is None or plan is None or session.state.paused_for_safeguarding:
        return None
    if session.guide.phase(plan.phase) is None or plan.phase == Phase.CLOSING:
        return None
    return asyncio.create_task(model_question(session, plan.phase, turn, plan.state))


async def abandoned(task: asyncio.Task[Any] | None) -> None:
    """A reply asked ahead and not needed (the message took a safety route): stopped, and
    whatever it ended with (an answer, a model's failure) set aside."""
    if task is None:
        return
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
