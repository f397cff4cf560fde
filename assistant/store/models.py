"""The tables, as SQLAlchemy's typed ORM. Internal to the store: callers get pydantic records.

Interviews and their turns; findings (where relational goods arise), their audit trail and the
jobs that extract them, all erased with their interview (ON DELETE CASCADE, and the store
deletes them explicitly too); users.

Nothing here is specific to one database: strings, booleans, integers, JSON and timezone-aware
timestamps work the same on SQLite and PostgreSQL. Enums are stored as their plain string values
(no native enum type), so adding a value never needs a migration.

An interview row never names its employee: ``owner_key`` is a keyed hash of the user name
(:func:`assistant.privacy.owner_key`), which only the server, holding the secret, can recompute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

# Deterministic constraint names, so that later migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite keeps no time zone: values are written as UTC and read back with ``tzinfo=UTC``.
    A naive datetime given by a caller is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        dict[str, str]: JSON(),
    }


class CampaignRow(Base):
    """A round of interviews (:class:`assistant.schemas.Campaign`); ``groups`` as JSON."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    focus: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    groups: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    opened_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class InterviewRow(Base):
    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    owner_key: Mapped[str | None] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    phase: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]]
    flagged: Mapped[bool] = mapped_column(Boolean)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(64))
    prompt_versions: Mapped[dict[str, str]]
    prompt_digests: Mapped[dict[str, str]]
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    # An imported transcript's digest of its turns, so that importing it again can be refused.
    content_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    # The employee's profile when the interview started (copied, never followed after).
    job: Mapped[str | None] = mapped_column(String(200))
    site: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    campaign_id: Mapped[str] = mapped_column(String(32), ForeignKey("campaigns.id"), index=True)


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("interview_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interview_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("interviews.id", ondelete="CASCADE")
    )
    index: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(32))
    scripted: Mapped[bool] = mapped_column(Boolean)
    complete: Mapped[bool] = mapped_column(Boolean)
    model: Mapped[str | None] = mapped_column(String(255))
    prompt: Mapped[str | None] = mapped_column(String(255))
    guard_rule: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Written into each sign-in token; raised to end every open session of the account.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The person's profile (free text): what reports group people by.
    job: Mapped[str | None] = mapped_column(String(200))
    site: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    # Set when an administrator gave the password (invitation, reset): it must be replaced.
    password_temporary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SignInFailuresRow(Base):
    """Recent failed sign-ins of one account (``account:NAME``) or address (``address:IP``)."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class FindingRow(Base):
    """A finding (see :class:`assistant.schemas.Finding`); quotes and provenance as JSON.

    ``created_at`` and ``position`` are the store's own: when the finding was stored, and its
    place in the batch stored with it, so that listings keep the extraction's order.
    """

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_interview_id_status", "interview_id", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    interview_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("interviews.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(255))
    activity: Mapped[str | None] = mapped_column(Text)
    counterpart: Mapped[str | None] = mapped_column(Text)
    value_chain_stage: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    prescribed_gap: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    automation_exposure: Mapped[str | None] = mapped_column(String(32))
    automation_reasons: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32), index=True)
    origin: Mapped[str] = mapped_column(String(32))
    proposed_code: Mapped[str | None] = mapped_column(String(255))
    provenance: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class FindingChangeRow(Base):
    """One facilitator action on a finding: the audit trail, erased with the finding."""

    __tablename__ = "finding_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    at: Mapped[datetime]


# The report build that is waiting or under way (kind and status values of schemas.JobKind and
# JobStatus), at most one: the condition of JobRow's partial unique index.
ACTIVE_REPORT_BUILD = "kind = 'report_build' AND status IN ('queued', 'running')"


class JobRow(Base):
    """A unit of deferred work; at most one per (kind, interview), so enqueueing is idempotent.
    A republish job names no interview (it follows an erasure); at most one of them waits.

    ``input_digest`` is the digest of what the job's last finished run read (for an extraction,
    the transcript), so that a changed input can be told from an unchanged one. A running job
    is leased: ``claim`` names the worker's claim, ``lease_expires_at`` when it runs out.
    ``params`` holds what the job was asked (a report build's options). At most one report
    build is queued or running at a time, whichever process asked for it (a partial unique
    index: two facilitators on two web processes cannot start two).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "interview_id"),
        Index(
            "uq_jobs_one_report_build",
            "kind",
            unique=True,
            sqlite_where=text(ACTIVE_REPORT_BUILD),
            postgresql_where=text(ACTIVE_REPORT_BUILD),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    interview_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(32), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]]
    input_digest: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    claim: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None]


class ReportRow(Base):
    """The report's draft (``number`` NULL, at most one) and its published versions.

    Which findings and interviews a version drew on are JSON lists: erasure reads them to
    withdraw every version that used an erased interview.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    content: Mapped[dict[str, Any]]
    finding_ids: Mapped[list[str]] = mapped_column(JSON)
    interview_ids: Mapped[list[str]] = mapped_column(JSON)
    quote_decisions: Mapped[dict[str, str]]
    built_by: Mapped[str] = mapped_column(String(255))
    built_at: Mapped[datetime]
    published_by: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(32))
    replaces: Mapped[int | None] = mapped_column(Integer, unique=True)
    campaign_id: Mapped[str | None] = mapped_column(String(32))


class AccessRow(Base):
    """The access log (:class:`assistant.schemas.AccessEntry`): no content, only who read what.
    Erasing an interview clears its entries' link to it (``interview_id`` and ``pseudonym``)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_format: Mapped[str | None] = mapped_column(String(16))
    report_version: Mapped[int | None] = mapped_column(Integer)
    interview_id: Mapped[str | None] = mapped_column(String(32), index=True)
    pseudonym: Mapped[str | None] = mapped_column(String(64))


class WorkerRow(Base):
    """A running worker and its latest heartbeat (``seen_at``); deleted when it stops cleanly."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]


# ---------------------------------------------------------------- the shared knowledge base
# Derived from the company's documents (never from transcripts): what every process reads so
# that any replica searches and redacts the same (:mod:`assistant.store.knowledge`).


class PendingPassageRow(Base):
    """A passage indexed for lexical search whose vector is still to be computed."""

    __tablename__ = "pending_passages"

    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    collection: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)


class DocumentPeopleRow(Base):
    """The people one company document names (and its proper nouns that name no one)."""

    __tablename__ = "document_people"

    source: Mapped[str] = mapped_column(String(1000), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    names: Mapped[list[str]] = mapped_column(JSON)
    terms: Mapped[list[str] | None] = mapped_column(JSON)


class LexicalIndexRow(Base):
    """The lexical index as last built (one row): its passages and its BM25 arrays."""

    __tablename__ = "lexical_index"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    marker: Mapped[str] = mapped_column(String(64))
    passages: Mapped[int] = mapped_column(Integer)
    records: Mapped[bytes] = mapped_column(LargeBinary)
    bm25: Mapped[bytes | None] = mapped_column(LargeBinary)
    built_at: Mapped[datetime]


class IngestRunRow(Base):
    """An ingest under way (or one that died): the lexical index may lag the stores."""

    __tablename__ = "ingest_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime]
