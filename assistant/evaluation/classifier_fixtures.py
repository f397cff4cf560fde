"""The safety classifier's side of the scripted fixtures, and what its routes diverted.

A case's ``safety_scripted`` replies answer the classifier's requests in turn (the last one
again when used up); a case without them finds every message ordinary. The classifier's
requests are told apart by their schema, so that they never take an interviewer's reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.evaluation.cases import Case
from assistant.interview.decisions import DecisionSource
from assistant.interview.state import SessionState
from assistant.llm.testing import ModelRequest
from assistant.schemas import Phase, Speaker, Turn

ORDINARY_VERDICT = '{"category": "none", "confidence": 0.95, "language": null}'


def is_classifier_request(request: ModelRequest) -> bool:
    properties = (request.json_schema or {}).get("properties", {})
    return "category" in properties and "confidence" in properties


def scripted_verdicts(case: Case) -> Callable[[], str]:
    """The next of the case's classifier replies, each time it is called."""
    replies = list(case.safety_scripted) or [ORDINARY_VERDICT]

    def next_verdict() -> str:
        return replies.pop(0) if len(replies) > 1 else replies[0]

    return next_verdict


def diversions(turns: Sequence[Turn], state: SessionState) -> dict[str, float]:
    """How many of the employee's messages after consent took a safety route, and how many
    of those the classifier alone decided: on ordinary answers, each one is a false alarm."""
    messages = sum(
        1 for turn in turns if turn.speaker == Speaker.EMPLOYEE and turn.phase != Phase.CONSENT
    )
    by_classifier = sum(1 for d in state.safety if d.source == DecisionSource.CLASSIFIER)
    return {
        "messages": messages,
        "diverted": len(state.safety),
        "diverted_by_classifier": by_classifier,
    }
