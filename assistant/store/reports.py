"""The leadership report's draft and published versions (``store.reports``).

There is at most one draft. Publishing turns it into the next numbered version; leadership
reads the newest published one. Erasing an interview withdraws, in the erasure's own commit,
every version that drew on it, discards a draft that did, and queues a republish job
(:func:`withdraw_using`), so that no published words of an erased interview survive the commit;
the job then publishes each withdrawn version again without it, and the withdrawn version's
content is cleared in the same commit as its replacement's.

A replacement stands where the version it replaces stood: leadership reads the published
version whose first ancestor (following ``replaces``) is the newest, so that republishing an
old version never puts it before a newer one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    JobKind,
    JobStatus,
    QuoteDecision,
    ReportStatus,
    ReportVersion,
    WithdrawalReason,
)
from assistant.store.database import Repository, guarded
from assistant.store.errors import StoreError
from assistant.store.models import JobRow, ReportRow


class NoDraftError(StoreError):
    """There is no report draft to change or publish."""

    def __init__(self) -> None:
        super().__init__("There is no report draft.", fix="Build one first: terrain report build.")


def withdraw_using(session: Session, interview_ids: Collection[str], when: datetime) -> int:
    """Withdraw every published version that drew on one of ``interview_ids``, delete a draft
    that did, and queue their republishing, inside the caller's (the erasure's) transaction;
    every version, withdrawn ones included, forgets the ids of the erased interviews (its
    republishing reads only the interviews still there). Returns how many versions were
    withdrawn."""
    erased = set(interview_ids)
    withdrawn = 0
    for row in list(session.scalars(select(ReportRow))):
        if erased.isdisjoint(row.interview_ids):
            continue
        if row.status == ReportStatus.DRAFT.value:
            session.delete(row)
            continue
        row.interview_ids = [i for i in row.interview_ids if i not in erased]
        if row.status == ReportStatus.PUBLISHED.value:
            row.status = ReportStatus.WITHDRAWN.value
            row.withdrawn_at = when
            row.withdrawn_reason = WithdrawalReason.ERASURE.value
            withdrawn += 1
    if withdrawn:
        queue_republish(session, when)
    return withdrawn


def queue_republish(session: Session, when: datetime) -> None:
    """A republish job, unless one is already waiting (a running one may have read the
    versions before this erasure withdrew them: a new one is queued then)."""
    waiting = session.scalar(
        select(JobRow.id).where(
            JobRow.kind == JobKind.REPUBLISH.value, JobRow.status == JobStatus.QUEUED.value
        )
    )
    if waiting is None:
        session.add(
            JobRow(
                id=uuid.uuid4().hex,
                kind=JobKind.REPUBLISH.value,
                interview_id=None,
                status=JobStatus.QUEUED.value,
                attempts=0,
                error=None,
                result={},
                input_digest=None,
                claim=None,
                lease_expires_at=None,
                created_at=when,
                updated_at=when,
            )
        )


class ReportRepository(Repository):
    """The report's draft and versions (``store.reports``)."""

    @guarded("saving the report draft")
    def save_draft(
        self,
        content: Mapping[str, Any],
        *,
        finding_ids: Sequence[str],
        interview_ids: Sequence[str],
        built_by: str,
        campaign_id: str = DEFAULT_CAMPAIGN_ID,
    ) -> ReportVersion:
        """Store a newly built draft in place of the previous one (its decisions go with it),
        built from the interviews of ``campaign_id``."""
        with self._db.writing() as session:
            session.execute(delete(ReportRow).where(ReportRow.status == ReportStatus.DRAFT.value))
            row = ReportRow(
                number=None,
                status=ReportStatus.DRAFT.value,
                content=dict(content),
                finding_ids=list(finding_ids),
                interview_ids=list(interview_ids),
                quote_decisions={},
                built_by=built_by,
                built_at=self._db.now(),
                campaign_id=campaign_id,
            )
            session.add(row)
            session.flush()
            return ReportVersion.model_validate(row)

    @guarded("reading the report draft")
    def draft(self) -> ReportVersion | None:
        with self._db.reading() as session:
            row = self._draft_row(session)
            return None if row is None else ReportVersion.model_validate(row)

    @guarded("changing the report draft")
    def update_draft(
        self,
        *,
        content: Mapping[str, Any] | None = None,
        decisions: Mapping[str, QuoteDecision] | None = None,
    ) -> ReportVersion:
        """Replace the draft's content (a narrative edited) and/or add quote decisions (each
        replaces an earlier decision on the same quote). :class:`NoDraftError` without one."""
        with self._db.writing() as session:
            row = self._draft_row(session)
            if row is None:
                raise NoDraftError
            if content is not None:
                row.content = dict(content)
            if decisions:
                row.quote_decisions = {
                    **row.quote_decisions,
                    **{key: QuoteDecision(value).value for key, value in decisions.items()},
                }
            session.flush()
            return ReportVersion.model_validate(row)

    @guarded("publishing the report")
    def publish_draft(self, content: Mapping[str, Any], *, actor: str) -> ReportVersion:
        """The draft becomes the next numbered version, frozen with ``content`` (the draft as
        leadership may read it). :class:`NoDraftError` without a draft."""
        with self._db.writing() as session:
            row = self._draft_row(session)
            if row is None:
                raise NoDraftError
            row.number = self._next_number(session)
            row.status = ReportStatus.PUBLISHED.value
            row.content = dict(content)
            row.published_by = actor
            row.published_at = self._db.now()
            session.flush()
            return ReportVersion.model_validate(row)

    @guarded("republishing the report")
    def publish_replacement(
        self,
        withdrawn: ReportVersion,
        content: Mapping[str, Any],
        *,
        finding_ids: Sequence[str],
        interview_ids: Sequence[str],
        quote_decisions: Mapping[str, QuoteDecision],
        actor: str,
    ) -> ReportVersion:
        """A new version in place of ``withdrawn``, whose content is cleared in the same
        commit; unless one replaced it already (another worker republished first): then that
        one is returned."""
        try:
            with self._db.writing() as session:
                existing = self._replacement_of(session, withdrawn.number)
                if existing is not None:
                    return ReportVersion.model_validate(existing)
                now = self._db.now()
                row = ReportRow(
                    number=self._next_number(session),
                    status=ReportStatus.PUBLISHED.value,
                    content=dict(content),
                    finding_ids=list(finding_ids),
                    interview_ids=list(interview_ids),
                    quote_decisions={k: QuoteDecision(v).value for k, v in quote_decisions.items()},
                    built_by=actor,
                    built_at=now,
                    published_by=actor,
                    published_at=now,
                    replaces=withdrawn.number,
                    campaign_id=withdrawn.campaign_id,
                )
                session.add(row)
                old = session.scalar(select(ReportRow).where(ReportRow.id == withdrawn.id))
                if old is not None and old.status == ReportStatus.WITHDRAWN.value:
                    old.content = {}
                session.flush()
                replacement = ReportVersion.model_validate(row)
            # The cleared words may include an erased interview's: no copy of them stays.
            self._db.leave_no_copy((ReportRow.__tablename__,))
            return replacement
        except IntegrityError:
            # Another worker's replacement was committed first (the unique ``replaces``).
            with self._db.reading() as session:
                found = self._replacement_of(session, withdrawn.number)
                if found is None:
                    raise
                return ReportVersion.model_validate(found)

    @guarded("finding the versions to republish")
    def awaiting_replacement(self) -> list[ReportVersion]:
        """The versions an erasure withdrew that nothing replaces yet, oldest first."""
        replaced = select(ReportRow.replaces).where(ReportRow.replaces.is_not(None))
        query = (
            select(ReportRow)
            .where(
                ReportRow.status == ReportStatus.WITHDRAWN.value,
                ReportRow.withdrawn_reason == WithdrawalReason.ERASURE.value,
                ReportRow.number.not_in(replaced),
            )
            .order_by(ReportRow.number)
        )
        with self._db.reading() as session:
            return [ReportVersion.model_validate(row) for row in session.scalars(query)]

    @guarded("reading the report's versions")
    def versions(self) -> list[ReportVersion]:
        """Every numbered version, published or withdrawn, newest first."""
        query = (
            select(ReportRow).where(ReportRow.number.is_not(None)).order_by(ReportRow.number.desc())
        )
        with self._db.reading() as session:
            return [ReportVersion.model_validate(row) for row in session.scalars(query)]

    @guarded("reading a report version")
    def version(self, number: int) -> ReportVersion | None:
        with self._db.reading() as session:
            row = session.scalar(select(ReportRow).where(ReportRow.number == number))
            return None if row is None else ReportVersion.model_validate(row)

    @guarded("reading the published report")
    def latest_published(self, campaign_id: str | None = None) -> ReportVersion | None:
        """What leadership reads: the published version standing for the newest publication
        (a replacement stands where the version it replaces stood), of one campaign when
        ``campaign_id`` is given (a replacement keeps its campaign)."""
        query = select(ReportRow.number, ReportRow.replaces, ReportRow.status).where(
            ReportRow.number.is_not(None)
        )
        if campaign_id is not None:
            query = query.where(ReportRow.campaign_id == campaign_id)
        with self._db.reading() as session:
            numbered = session.execute(query).all()
            replaces = {number: replaced for number, replaced, _status in numbered}

            def first_of(number: int) -> int:
                while (replaced := replaces.get(number)) is not None:
                    number = replaced
                return number

            published = [
                number
                for number, _replaced, status in numbered
                if number is not None and status == ReportStatus.PUBLISHED.value
            ]
            if not published:
                return None
            chosen = max(published, key=lambda number: (first_of(number), number))
            row = session.scalar(select(ReportRow).where(ReportRow.number == chosen))
            return None if row is None else ReportVersion.model_validate(row)

    @staticmethod
    def _replacement_of(session: Session, number: int | None) -> ReportRow | None:
        return session.scalar(select(ReportRow).where(ReportRow.replaces == number))

    @staticmethod
    def _draft_row(session: Session) -> ReportRow | None:
        return session.scalar(select(ReportRow).where(ReportRow.status == ReportStatus.DRAFT.value))

    @staticmethod
    def _next_number(session: Session) -> int:
        return int(session.scalar(select(func.max(ReportRow.number))) or 0) + 1
