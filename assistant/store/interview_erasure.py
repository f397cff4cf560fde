"""Erasing interviews: one, an owner's, or those past their retention, with all they hold.

Erasing an interview (or refusing consent) deletes what it holds in every aggregate: turns,
findings with their audit trail, and jobs, in the same commit, which also withdraws every
published report version that drew on it and queues the job that republishes them without it
(:mod:`assistant.report.republishing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, select
from sqlalchemy.orm import Session

from assistant.schemas import Interview, InterviewStatus, JobKind, JobStatus
from assistant.store.access_log import forget_interview
from assistant.store.database import Repository, guarded
from assistant.store.errors import InterviewNotFoundError
from assistant.store.models import (
    AccessRow,
    FindingChangeRow,
    FindingRow,
    InterviewRow,
    JobRow,
    ReportRow,
    TurnRow,
)
from assistant.store.reports import withdraw_using

# What erasing an interview deletes from, or changes: the tables whose old copies go after it
# (the access log's entries lose their link to the interview: its id and pseudonym).
ERASED_TABLES = tuple(
    row.__tablename__
    for row in (TurnRow, FindingRow, FindingChangeRow, JobRow, InterviewRow, ReportRow, AccessRow)
)


def interview_row(session: Session, interview_id: str) -> InterviewRow:
    """The interview's row; InterviewNotFoundError if there is none."""
    row = session.get(InterviewRow, interview_id)
    if row is None:
        raise InterviewNotFoundError(interview_id)
    return row


def delete_content(session: Session, interview_id: str, now: datetime) -> None:
    """Delete what the interview holds: turns, findings with their audit trail, and jobs;
    withdraw the report versions that drew on it and discard a draft that did.

    Explicit deletes, not only the foreign keys' ON DELETE CASCADE: erasure must not depend on
    the database enforcing them.
    """
    of_interview = select(FindingRow.id).where(FindingRow.interview_id == interview_id)
    session.execute(delete(FindingChangeRow).where(FindingChangeRow.finding_id.in_(of_interview)))
    session.execute(delete(FindingRow).where(FindingRow.interview_id == interview_id))
    session.execute(delete(JobRow).where(JobRow.interview_id == interview_id))
    session.execute(delete(TurnRow).where(TurnRow.interview_id == interview_id))
    withdraw_using(session, [interview_id], now)
    forget_interview(session, interview_id)  # the access log keeps no link to it


class InterviewErasure(Repository):
    """The erasing half of ``store.interviews``."""

    # -- erasing -----------------------------------------------------------------------------

    @guarded("erasing an interview")
    def erase(self, interview_id: str) -> None:
        """Delete the interview, its turns, findings (with their audit trail) and jobs, in one
        commit, then the copies the database keeps of them (:func:`leave_no_copy`)."""
        with self._db.writing() as session:
            row = interview_row(session, interview_id)
            delete_content(session, interview_id, self._db.now())
            session.delete(row)
        self._db.leave_no_copy(ERASED_TABLES)

    @guarded("erasing an owner's interviews")
    def erase_owned_by(self, owner_key: str) -> list[Interview]:
        """Delete every interview of ``owner_key``, with all they hold, in one commit; returns
        the interviews erased (as they were), newest first."""
        if not owner_key.strip():
            raise ValueError("An owner key cannot be empty.")
        return self._erase_where(InterviewRow.owner_key == owner_key)

    @guarded("erasing the interviews past their retention")
    def erase_unchanged_since(self, moment: datetime, *, dry_run: bool = False) -> list[Interview]:
        """Delete every interview not in progress whose last change (its end) is before
        ``moment``, with all they hold, in one commit, which also records the erasure as a done
        RETENTION job (how many, until when) when there were any; returns them, newest first.
        With ``dry_run``, only returns them."""
        condition = (InterviewRow.updated_at < moment) & (
            InterviewRow.status != InterviewStatus.IN_PROGRESS.value
        )
        if dry_run:
            with self._db.reading() as session:
                return [Interview.model_validate(r) for r in session.scalars(_newest(condition))]

        def record(session: Session, erased: list[Interview]) -> None:
            now = self._db.now()
            session.add(
                JobRow(
                    id=uuid.uuid4().hex,
                    kind=JobKind.RETENTION.value,
                    interview_id=None,
                    status=JobStatus.DONE.value,
                    attempts=1,
                    error=None,
                    result={"erased": len(erased), "ended_before": moment.isoformat()},
                    input_digest=None,
                    claim=None,
                    lease_expires_at=None,
                    created_at=now,
                    updated_at=now,
                )
            )

        return self._erase_where(condition, record=record)

    def _erase_where(
        self,
        condition: ColumnElement[bool],
        *,
        record: Callable[[Session, list[Interview]], None] | None = None,
    ) -> list[Interview]:
        with self._db.writing() as session:
            rows = list(session.scalars(_newest(condition)))
            erased = [Interview.model_validate(row) for row in rows]
            for row in rows:
                delete_content(session, row.id, self._db.now())
                session.delete(row)
            if erased and record is not None:
                record(session, erased)
        if erased:
            self._db.leave_no_copy(ERASED_TABLES)
        return erased


def _newest(condition: ColumnElement[bool]) -> Select[InterviewRow]:
    return (
        select(InterviewRow)
        .where(condition)
        .order_by(InterviewRow.created_at.desc(), InterviewRow.id.desc())
    )
