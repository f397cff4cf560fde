"""The domain's records, shared by the interview, the store, the findings and the adapters.

These are plain pydantic models: the store maps them to tables, the adapters to screens and
JSON. Nothing here knows how it is persisted or shown.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.vocabulary import Phase as Phase
from assistant.vocabulary import UserRole as UserRole


class Speaker(StrEnum):
    INTERVIEWER = "interviewer"
    EMPLOYEE = "employee"


class InterviewStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    DECLINED = "declined"  # consent refused: nothing beyond the refusal is kept
    STOPPED = "stopped"  # ended early: by the employee, or for their safety
    WITHDRAWN = "withdrawn"  # the employee asked for erasure


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Interview(Record):
    id: str
    pseudonym: str
    owner: str | None = Field(
        default=None, description="User name of the employee who owns it (None in the terminal)."
    )
    language: str
    status: InterviewStatus = InterviewStatus.IN_PROGRESS
    phase: Phase = Phase.CONSENT
    state: dict[str, Any] = Field(
        default_factory=dict, description="The session's coverage state (JSON), for resuming."
    )
    flagged: bool = False
    flag_reason: str | None = None
    consent_given: bool | None = None
    consent_at: datetime | None = None
    consent_version: str | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    source: str = Field(
        default="terrain", description="'terrain', or the file it was imported from."
    )
    created_at: datetime
    updated_at: datetime


class Turn(Record):
    id: int
    interview_id: str
    index: int = Field(ge=0, description="Position in the interview, from 0.")
    speaker: Speaker
    text: str
    phase: Phase
    scripted: bool = Field(default=False, description="Asked from the guide, without the model.")
    complete: bool = Field(default=True, description="False when the model's answer was cut off.")
    model: str | None = None
    prompt: str | None = Field(default=None, description="Prompt id@version that produced it.")
    created_at: datetime


class User(Record):
    name: str
    role: UserRole
    display_name: str | None = None
    created_at: datetime


# ------------------------------------------------------------------------------- findings


class AutomationExposure(StrEnum):
    """How exposed the task is to automation, in the employee's own account."""

    AUTOMATABLE = "automatable"  # a tool could do it
    AUGMENTED = "augmented"  # a tool could help, a person stays in charge
    HUMAN_ESSENTIAL = "human_essential"  # it must stay human


class FindingStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"


class FindingOrigin(StrEnum):
    MODEL = "model"
    FACILITATOR = "facilitator"


class Quote(BaseModel):
    """Verbatim evidence: ``text`` is exactly ``turn.text[start:end]`` of an employee turn."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1)
    turn_index: int = Field(ge=0)
    start: int = Field(ge=0, description="Offset in the turn's text, in characters (code points).")
    end: int = Field(ge=0, description="End offset, exclusive.")


class PassageCitation(BaseModel):
    """A company passage, as retrieved, that the employee's account departs from."""

    source: str
    page: int | None = None
    section: str = ""
    text: str


class PrescribedGap(BaseModel):
    description: str = Field(min_length=1)
    passage: PassageCitation | None = None


class Provenance(BaseModel):
    model: str | None = None
    prompt: str | None = Field(default=None, description="Prompt id@version.")
    codebook: str | None = Field(default=None, description="Codebook id@version.")
    created_at: datetime


class Finding(Record):
    """Where a relational good arises, tied to the employee's own words."""

    id: str
    interview_id: str
    code: str
    activity: str
    counterpart: str
    value_chain_stage: str
    evidence: list[Quote] = Field(min_length=1)
    prescribed_gap: PrescribedGap | None = None
    automation_exposure: AutomationExposure
    automation_reasons: str = ""
    confidence: float = Field(ge=0, le=1)
    status: FindingStatus = FindingStatus.PROPOSED
    origin: FindingOrigin = FindingOrigin.MODEL
    proposed_code: str | None = Field(
        default=None, description="The code the model proposed, kept when a facilitator edits it."
    )
    provenance: Provenance
    updated_at: datetime


class FindingChange(Record):
    """One facilitator action on a finding, for the audit trail."""

    id: int
    finding_id: str
    actor: str
    action: str  # accept, edit, reject, add
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class JobKind(StrEnum):
    EXTRACTION = "extract"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Record):
    """A unit of background work (an extraction), persisted so it survives restarts."""

    id: str
    kind: str
    interview_id: str
    status: JobStatus = JobStatus.QUEUED
    attempts: int = 0
    error: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
