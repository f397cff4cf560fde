"""The interviewer's prompt stays within its token budget, counted whole as the model reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.interview.guide import load_guide
from assistant.interview.prompt_builder import PromptContext, build_messages
from assistant.interview.state import SessionState
from assistant.prompts import load_prompt
from assistant.schemas import Phase, Speaker, Turn
from assistant.tokens import TokenCounter

ANSWER = "Je suis auxiliaire et je raconte en détail ce qui s'est passé ce jour-là. " * 12
QUESTION = "Et ensuite, qu'avez-vous fait ?"


def _turns(exchanges: int) -> list[Turn]:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    said = [(Speaker.INTERVIEWER, QUESTION), (Speaker.EMPLOYEE, ANSWER)] * exchanges
    return [
        Turn(
            id=n,
            interview_id="i",
            index=n,
            speaker=who,
            text=text,
            phase=Phase.EPISODE,
            created_at=now,
        )
        for n, (who, text) in enumerate(said)
    ]


# Budgets where the notes, counted line by line apart from the instructions around them, and the
# line saying how many answers are not shown, took the whole over (found by a sweep).
@pytest.mark.parametrize(("exchanges", "budget"), [(10, 915), (10, 1182), (10, 1461), (25, 1500)])
def test_the_prompt_counted_whole_is_within_the_budget(exchanges: int, budget: int) -> None:
    guide = load_guide("fr")
    spec = guide.phase(Phase.EPISODE)
    assert spec is not None
    context = PromptContext(
        template=load_prompt("interviewer.system", "fr"),
        phase=spec,
        state=SessionState(),
        target_minutes=45,
        max_questions=20,
        canary="TERRAIN-8fb100477361c4d9",
    )
    counter = TokenCounter()
    messages = build_messages(context, _turns(exchanges), [], counter, budget)
    assert "earlier answers not shown" in messages[0].content
    assert counter.count_messages(m.content for m in messages) <= budget
