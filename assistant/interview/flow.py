"""The interview's flow, as pure decisions: the session state and the employee's message in,
the plan out. No store, no model, no clock: each function here can be tested on its own, and the
session (:mod:`assistant.interview.session`) only carries out what they decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Template

from assistant.config import Settings
from assistant.interview.guide import Guide, PhaseSpec
from assistant.interview.safety import Concern, concern_in
from assistant.interview.state import ClosingStep, SessionState
from assistant.schemas import Phase, Speaker, Turn
from assistant.text import contains_phrase


def unfit_message(guide: Guide, settings: Settings, text: str) -> str | None:
    """Why the employee's (cleaned) message cannot be taken, to tell them; None: it can."""
    if not text:
        return guide.messages.empty
    limit = settings.max_message_chars
    if len(text) > limit:
        return Template(guide.messages.too_long).substitute(limit=limit)
    return None


class ConsentAnswer(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    UNCLEAR = "unclear"  # neither: the consent question is asked again


def consent_answer(guide: Guide, text: str) -> ConsentAnswer:
    """What ``text`` says to the consent question: a stop request or a no refuses, a yes (with
    no no) consents. The buttons' texts are the guide's plain yes and no, read the same way."""
    if concern_in(text, guide) == Concern.STOP or contains_phrase(text, guide.words.no):
        return ConsentAnswer.REFUSED
    if contains_phrase(text, guide.words.yes):
        return ConsentAnswer.GIVEN
    return ConsentAnswer.UNCLEAR


@dataclass(frozen=True)
class Plan:
    """The state once a message is counted as an answer, and the phase it leads to."""

    state: SessionState
    phase: Phase


def plan_answer(
    guide: Guide, settings: Settings, state: SessionState, phase: Phase, text: str
) -> Plan:
    """The plan once ``text`` is counted as an answer in ``phase``; ``state`` is not changed."""
    spec = phase_spec(guide, phase)
    planned = state.model_copy(deep=True)
    planned.answers[spec.id] = planned.answers.get(spec.id, 0) + 1
    if spec.signalled_by(text) and spec.id not in planned.signalled:
        planned.signalled.append(spec.id)
    return Plan(planned, next_phase(guide, settings, spec, planned))


def next_phase(guide: Guide, settings: Settings, spec: PhaseSpec, state: SessionState) -> Phase:
    """The phase after ``spec``'s, or the same while it is not covered; the closing once the
    time or the questions are nearly used up."""
    time_is_up = state.active_seconds >= settings.interview_minutes * 60 * 0.85
    questions_are_up = state.total_questions >= settings.interview_max_questions - 1
    if time_is_up or questions_are_up:
        return Phase.CLOSING
    asked = state.questions.get(spec.id, 0)
    covered = asked >= spec.max_questions or (
        asked >= spec.min_questions and spec.id in state.signalled
    )
    return guide.next_phase(spec.id) if covered else spec.id


def phase_spec(guide: Guide, phase: Phase) -> PhaseSpec:
    spec = guide.phase(phase)
    if spec is None:
        raise RuntimeError(f"no guide phase for {phase}")
    return spec


def summary_confirmed(guide: Guide, text: str, *, correcting: bool) -> bool:
    """Whether ``text`` confirms the summary as it stands (a correction never does, whatever
    its words)."""
    words = guide.words
    return (
        not correcting and contains_phrase(text, words.yes) and not contains_phrase(text, words.no)
    )


def fallback_question(state: SessionState, spec: PhaseSpec) -> str:
    """The guide's next question in ``spec``'s phase (the last one again once all were used)."""
    used = state.fallback_used.get(spec.id, 0)
    return spec.questions[min(used, len(spec.questions) - 1)]


def take_fallback_question(state: SessionState, spec: PhaseSpec) -> str:
    """:func:`fallback_question`, counted as used in ``state``."""
    question = fallback_question(state, spec)
    state.fallback_used[spec.id] = state.fallback_used.get(spec.id, 0) + 1
    return question


def question_again(guide: Guide, state: SessionState, phase: Phase) -> str:
    """The question the employee was last asked, to go on after a route's answer."""
    if phase == Phase.CLOSING:
        if state.closing_step == ClosingStep.CONFIRM_SUMMARY:
            return guide.messages.summary_confirm
        return guide.messages.anything_else
    return state.last_question or fallback_question(state, phase_spec(guide, phase))


def next_question(guide: Guide, state: SessionState, phase: Phase) -> str:
    """The guide's next question in ``phase``, counted as used (the closing step's, in
    closing)."""
    if phase == Phase.CLOSING:
        return question_again(guide, state, phase)
    return take_fallback_question(state, phase_spec(guide, phase))


def left_unanswered(turns: list[Turn]) -> Turn | None:
    """The last employee turn if only replies cut off midway (or none) follow it."""
    for turn in reversed(turns):
        if turn.speaker == Speaker.EMPLOYEE:
            return turn
        if turn.complete:
            return None
    return None
