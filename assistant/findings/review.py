"""A facilitator's own finding, built the same way from the command line and the web app."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from assistant.findings.codebook import Codebook
from assistant.findings.evidence import verify
from assistant.schemas import Finding, FindingOrigin, FindingStatus, Provenance, Speaker, Turn


class UnknownCodeError(ValueError):
    """The code is not in the codebook."""


class UnknownStageError(ValueError):
    """The value-chain stage is not in the codebook."""


class QuoteNotFoundError(ValueError):
    """The words are not the employee's own, word for word."""


class NoSuchTurnError(ValueError):
    """The interview has no turn with this number."""

    def __init__(self, number: int, count: int) -> None:
        super().__init__(f"There is no turn {number} in this interview (turns 1 to {count}).")
        self.number = number
        self.count = count


class InterviewerTurnError(ValueError):
    """The turn named is the interviewer's: a quote comes from the employee's turns."""

    def __init__(self, number: int) -> None:
        super().__init__(
            f"Turn {number} is the interviewer's: a quote must be the employee's own words, "
            "from one of their turns."
        )
        self.number = number


def facilitator_finding(
    codebook: Codebook,
    interview_id: str,
    turns: Sequence[Turn],
    quote: str,
    *,
    code: str | None,
    stage: str,
    turn_number: int | None = None,
    activity: str | None = None,
    counterpart: str | None = None,
) -> Finding:
    """A finding a facilitator adds, its quote verified in the employee's turns (only in turn
    ``turn_number``, counted from 1, when given). To be stored with
    ``store.findings.add_by_facilitator``.

    What the facilitator does not give stays unknown (None): activity, counterpart,
    automation exposure and confidence are never made up.

    Raises UnknownCodeError, UnknownStageError, NoSuchTurnError, InterviewerTurnError, or
    QuoteNotFoundError when the words are not the employee's exact words.
    """
    if code is None or code not in codebook.code_ids:
        raise UnknownCodeError(code)
    if stage not in codebook.stage_ids:
        raise UnknownStageError(stage)
    candidates = list(turns)
    if turn_number is not None:
        named = next((turn for turn in turns if turn.number == turn_number), None)
        if named is None:
            raise NoSuchTurnError(turn_number, len(turns))
        if named.speaker != Speaker.EMPLOYEE:
            raise InterviewerTurnError(turn_number)
        candidates = [named]
    evidence = verify(quote, candidates)
    if evidence is None:
        raise QuoteNotFoundError(quote)
    now = datetime.now(UTC)
    return Finding(
        id=uuid.uuid4().hex,
        interview_id=interview_id,
        code=code,
        activity=activity,
        counterpart=counterpart,
        value_chain_stage=stage,
        evidence=[evidence],
        origin=FindingOrigin.FACILITATOR,
        status=FindingStatus.ACCEPTED,
        provenance=Provenance(codebook=codebook.ref, created_at=now),
        updated_at=now,
    )
