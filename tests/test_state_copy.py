"""The session state's deep copy, made by hand for speed: equal to the original, and nothing
of it shared that the session could change."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.interview.decisions import DecisionSource, Route, SafetyDecision
from assistant.interview.state import ClosingStep, SessionState
from assistant.schemas import Phase


def full_state() -> SessionState:
    return SessionState(
        questions={Phase.EPISODE: 2},
        answers={Phase.EPISODE: 1},
        signalled=[Phase.EPISODE],
        fallback_used={Phase.EPISODE: 1},
        active_seconds=12.5,
        last_activity=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        closing_step=ClosingStep.CONFIRM_SUMMARY,
        summary=["a point"],
        last_question="What did you do?",
        safety=[SafetyDecision(turn_id=3, route=Route.STOP, source=DecisionSource.CUE)],
        paused_for_safeguarding=True,
    )


def test_a_deep_copy_is_equal_and_of_the_same_kind() -> None:
    state = full_state()
    copied = state.model_copy(deep=True)
    assert type(copied) is SessionState
    assert copied == state
    assert copied.model_dump() == state.model_dump()
    assert copied.model_fields_set == state.model_fields_set


def test_changing_a_deep_copy_leaves_the_original_as_it_was() -> None:
    state = full_state()
    before = state.model_dump()
    copied = state.model_copy(deep=True)
    copied.questions[Phase.EPISODE] += 1
    copied.answers[Phase.CLOSING] = 1
    copied.signalled.append(Phase.CLOSING)
    copied.fallback_used.clear()
    copied.summary.append("another point")
    copied.safety.append(
        SafetyDecision(turn_id=4, route=Route.DISTRESS, source=DecisionSource.CLASSIFIER)
    )
    copied.safety[0].confidence = 0.5
    copied.count_activity(datetime(2026, 1, 2, 3, 5, 5, tzinfo=UTC))
    assert state.model_dump() == before
