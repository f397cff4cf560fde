"""A facilitator's own finding, built the same way from the command line and the web app."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from assistant.findings.codebook import Codebook
from assistant.findings.evidence import verify
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    Provenance,
    Turn,
)


class UnknownCodeError(ValueError):
    """The code is not in the codebook."""


class UnknownStageError(ValueError):
    """The value-chain stage is not in the codebook."""


class QuoteNotFoundError(ValueError):
    """The words are not the employee's own, word for word."""


def facilitator_finding(
    codebook: Codebook,
    interview_id: str,
    turns: Sequence[Turn],
    quote: str,
    *,
    code: str | None,
    stage: str,
    turn_index: int | None = None,
    activity: str = "-",
    counterpart: str = "-",
) -> Finding:
    """A finding a facilitator adds, its quote verified in the employee's turns (only in turn
    ``turn_index`` when given). To be stored with ``Store.add_facilitator_finding``.

    Raises UnknownCodeError, UnknownStageError, or QuoteNotFoundError when the words are not
    the employee's exact words.
    """
    if code is None or code not in codebook.code_ids:
        raise UnknownCodeError(code)
    if stage not in codebook.stage_ids:
        raise UnknownStageError(stage)
    candidates = [t for t in turns if turn_index is None or t.index == turn_index]
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
        automation_exposure=AutomationExposure.AUGMENTED,
        confidence=1.0,
        origin=FindingOrigin.FACILITATOR,
        status=FindingStatus.ACCEPTED,
        provenance=Provenance(codebook=codebook.ref, created_at=now),
        updated_at=now,
    )
