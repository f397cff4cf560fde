"""The domain's records, shared by the interview, the store, the findings and the adapters.

These are plain pydantic models: the store maps them to tables, the adapters to screens and
JSON. Nothing here knows how it is persisted or shown.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.vocabulary import AccessKind as AccessKind
from assistant.vocabulary import CampaignStatus as CampaignStatus
from assistant.vocabulary import GuardRule as GuardRule
from assistant.vocabulary import JobKind as JobKind
from assistant.vocabulary import JobStatus as JobStatus
from assistant.vocabulary import Phase as Phase
from assistant.vocabulary import QuoteDecision as QuoteDecision
from assistant.vocabulary import ReportBuildPhase as ReportBuildPhase
from assistant.vocabulary import ReportStatus as ReportStatus
from assistant.vocabulary import UserRole as UserRole
from assistant.vocabulary import WithdrawalReason as WithdrawalReason


class Speaker(StrEnum):
    INTERVIEWER = "interviewer"
    EMPLOYEE = "employee"


class InterviewStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    DECLINED = "declined"  # consent refused: nothing beyond the refusal is kept
    STOPPED = "stopped"  # ended early: by the employee, or for their safety


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Interview(Record):
    id: str
    pseudonym: str
    owner_key: str | None = Field(
        default=None,
        description="Keyed hash of the owning employee's user name (privacy.owner_key); None "
        "for an interview held in the terminal or imported.",
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
    prompt_digests: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 of each prompt file used, by prompt id: an edit without a new "
        "version shows here.",
    )
    source: str = Field(
        default="terrain", description="'terrain', or the file it was imported from."
    )
    created_at: datetime
    updated_at: datetime
    job: str | None = Field(default=None, description="The employee's job when it started.")
    site: str | None = Field(default=None, description="The employee's site when it started.")
    team: str | None = Field(default=None, description="The employee's team when it started.")
    campaign_id: str = Field(
        default="default", description="The campaign it belongs to (DEFAULT_CAMPAIGN_ID)."
    )

    @property
    def profile(self) -> Profile:
        return Profile(job=self.job, site=self.site, team=self.team)


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
    guard_rule: GuardRule | None = Field(
        default=None,
        description="The output guard's rule that replaced the model's message by this one.",
    )
    created_at: datetime

    @property
    def number(self) -> int:
        """The turn's number as people count and name it, from 1."""
        return self.index + 1


class InterviewUpdate(BaseModel):
    """The interview fields a caller may change; a field left out stays as it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: InterviewStatus | None = None
    phase: Phase | None = None
    state: dict[str, Any] | None = None
    language: str | None = Field(default=None, min_length=2, max_length=12)


class User(Record):
    name: str
    role: UserRole
    display_name: str | None = None
    created_at: datetime
    disabled: bool = Field(default=False, description="A disabled account cannot sign in.")
    token_version: int = Field(
        default=0, description="Raised to end the account's open sessions (sign-in tokens)."
    )
    job: str | None = None
    site: str | None = None
    team: str | None = None
    password_temporary: bool = Field(
        default=False,
        description="The password was given by an administrator (an invitation or a reset): "
        "the person chooses their own before anything else.",
    )

    @property
    def profile(self) -> Profile:
        return Profile(job=self.job, site=self.site, team=self.team)


PROFILE_FIELDS = ("job", "site", "team")
MAX_PROFILE_CHARS = 200


class Profile(BaseModel):
    """A person's job, site and team (free text, each None when unknown): what reports and
    researchers' exports group people by. An interview keeps the one its employee had when it
    started."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)
    site: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)
    team: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)

    def merged(self, other: Profile) -> Profile:
        """This profile, with what ``other`` gives in place of what it has."""
        return Profile(
            job=other.job or self.job, site=other.site or self.site, team=other.team or self.team
        )


class AccountUpdate(BaseModel):
    """The account fields an administrator may change; a field left out stays as it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: UserRole | None = None
    disabled: bool | None = None
    password_hash: str | None = Field(default=None, repr=False)
    password_temporary: bool = Field(
        default=True,
        description="With a new password hash: whether it was given by someone else (true), "
        "or chosen by the person (false).",
    )
    profile: Profile | None = Field(
        default=None, description="The new job, site and team (all three; None: unknown)."
    )
    display_name: str | None = None


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

    @property
    def turn_number(self) -> int:
        """The quoted turn's number as people count and name it, from 1 (see Turn.number)."""
        return self.turn_index + 1


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
    # None is unknown: what a facilitator adding a finding did not say (the model must say it).
    activity: str | None = None
    counterpart: str | None = None
    value_chain_stage: str
    evidence: list[Quote] = Field(min_length=1)
    prescribed_gap: PrescribedGap | None = None
    automation_exposure: AutomationExposure | None = None
    automation_reasons: str = ""
    confidence: float | None = Field(default=None, ge=0, le=1)
    status: FindingStatus = FindingStatus.PROPOSED
    origin: FindingOrigin = FindingOrigin.MODEL
    proposed_code: str | None = Field(
        default=None, description="The code the model proposed, kept when a facilitator edits it."
    )
    provenance: Provenance
    updated_at: datetime


class ReviewAction(StrEnum):
    """What a facilitator does to a finding, as the audit trail records it."""

    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
    ADD = "add"


class FindingEdit(BaseModel):
    """A facilitator's edit: the fields given (even as None, for unknown) replace the finding's;
    the fields left out stay as they are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str | None = None
    activity: str | None = None
    counterpart: str | None = None
    value_chain_stage: str | None = None
    evidence: list[Quote] | None = None
    prescribed_gap: PrescribedGap | None = None
    automation_exposure: AutomationExposure | None = None
    automation_reasons: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)

    @property
    def changes(self) -> dict[str, Any]:
        """The fields given, by name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class FindingChange(Record):
    """One facilitator action on a finding, for the audit trail."""

    id: int
    finding_id: str
    actor: str
    action: ReviewAction
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime


class Job(Record):
    """A unit of deferred work (an extraction, run by `terrain extract`), persisted so that a
    restart loses none."""

    id: str
    kind: JobKind
    interview_id: str | None = Field(
        default=None, description="The interview an extraction reads; None for a republish."
    )
    status: JobStatus = JobStatus.QUEUED
    attempts: int = 0
    error: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    input_digest: str | None = Field(
        default=None, description="Digest of the input its last finished run read."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="What the job was asked to do (a report build: ReportBuildRequest).",
    )
    created_at: datetime
    updated_at: datetime
    claim: str | None = Field(
        default=None, description="The running job's claim: only its holder may settle it."
    )
    lease_expires_at: datetime | None = Field(
        default=None, description="When a running job's worker is presumed dead."
    )


class ReportVersion(Record):
    """The draft (``number`` None) or a published version of the leadership report.

    ``content`` is the report as its JSON export (:func:`assistant.report.report_json`): every
    rendering is a pure function of it, so a version is rendered again from it alone.
    """

    id: int
    number: int | None
    status: ReportStatus
    content: dict[str, Any]
    finding_ids: list[str]
    interview_ids: list[str]
    quote_decisions: dict[str, QuoteDecision]
    built_by: str
    built_at: datetime
    published_by: str | None = None
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: WithdrawalReason | None = None
    replaces: int | None = Field(
        default=None, description="The number of the withdrawn version this one replaces."
    )
    campaign_id: str | None = Field(
        default=None, description="The campaign whose interviews it drew on."
    )


class AccessEntry(Record):
    """One entry of the access log: who, when, what; never any of the content read.

    ``interview_id`` and ``pseudonym`` name the interview read, until it is erased: erasure
    clears them (the entry stays, naming no one)."""

    id: int
    at: datetime
    actor: str
    kind: AccessKind
    file_format: str | None = None
    report_version: int | None = Field(
        default=None, description="The report version exported; None for the draft or none."
    )
    interview_id: str | None = None
    pseudonym: str | None = None


class WorkerHeartbeat(Record):
    """A running worker as its latest heartbeat shows it (``terrain worker``, or the one that
    ``terrain serve`` supervises)."""

    id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime


class ReportBuildRequest(BaseModel):
    """What a report build was asked for (a REPORT_BUILD job's ``params``)."""

    requested_by: str = Field(description="The account (or command-line user) who asked.")
    include_proposed: bool = Field(default=False, description="Count unreviewed findings too.")
    with_model: bool = Field(default=True, description="Have the model write the narratives.")
    campaign_id: str = Field(
        default="default", description="The campaign whose interviews the report draws on."
    )


class ReportBuildProgress(BaseModel):
    """How a report build stands (a REPORT_BUILD job's ``result``, written as it goes, so that
    any server process can show it)."""

    phase: ReportBuildPhase
    model_calls: int = Field(default=0, description="Requests to the model so far.")
    narratives_kept: int = Field(default=0, description="Narratives checked and kept so far.")
    narratives_dropped: int = Field(
        default=0, description="Drafts dropped so far (citing no finding, or malformed)."
    )


# -- campaigns ---------------------------------------------------------------------------------

# The campaign the interviews held before campaigns existed went into (migration 0015), and
# every interview created without naming one.
DEFAULT_CAMPAIGN_ID = "default"
MAX_CAMPAIGN_NAME_CHARS = 200
EVERYONE = "everyone"


class CampaignGroup(BaseModel):
    """A group invited to a campaign: everyone with this job, site or team (``field``), or
    everyone (``field`` "everyone", no value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(description="'job', 'site', 'team' or 'everyone'.")
    value: str | None = None

    def includes(self, profile: Profile) -> bool:
        if self.field == EVERYONE:
            return True
        mine = getattr(profile, self.field, None)
        wanted = self.value
        return mine is not None and wanted is not None and mine.casefold() == wanted.casefold()

    @property
    def label(self) -> str:
        return EVERYONE if self.field == EVERYONE else f"{self.field}={self.value}"


class Campaign(Record):
    """A round of interviews: who is invited, when, and what the interviewer keeps to."""

    id: str
    name: str
    status: CampaignStatus = CampaignStatus.OPEN
    opens_on: date | None = Field(default=None, description="First day open; None: at once.")
    closes_on: date | None = Field(default=None, description="Last day open; None: no end.")
    focus: str = Field(default="", description="What the interviewer keeps to, in its prompt.")
    language: str | None = Field(
        default=None, description="The interviews' language (its guide); None: the employee's."
    )
    groups: list[CampaignGroup] = Field(
        default_factory=list, description="Who is invited; empty: everyone."
    )
    opened_by: str
    created_at: datetime
    closed_at: datetime | None = None

    def invites(self, profile: Profile) -> bool:
        return not self.groups or any(group.includes(profile) for group in self.groups)

    def is_open_on(self, day: date) -> bool:
        return (
            self.status == CampaignStatus.OPEN
            and (self.opens_on is None or self.opens_on <= day)
            and (self.closes_on is None or day <= self.closes_on)
        )
