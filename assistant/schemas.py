"""The domain's records, shared by the interview, the store, the findings and the adapters.

These are plain pydantic models: the store maps them to tables, the adapters to screens and
JSON. Nothing here knows how it is persisted or shown.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class UserRole(StrEnum):
    EMPLOYEE = "employee"
    FACILITATOR = "facilitator"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


class Speaker(StrEnum):
    INTERVIEWER = "interviewer"
    EMPLOYEE = "employee"


class Phase(StrEnum):
    """The interview guide's phases, in order."""

    CONSENT = "consent"
    ROLE = "role"
    EPISODE = "episode"
    PEOPLE = "people"
    GAP = "gap"
    AUTOMATION = "automation"
    CLOSING = "closing"
    DONE = "done"


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
