"""The access log (``store.access``): each staff read of a transcript, each export and each
report file taken, with who and when; never any of the content read.

An entry names the interview read by its id and pseudonym until that interview is erased:
:func:`forget_interview`, called in the erasure's own transaction, clears both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.schemas import AccessEntry, AccessKind
from assistant.store.database import Repository, as_utc, guarded
from assistant.store.models import AccessRow, InterviewRow


class AccessLogRepository(Repository):
    """The access log (``store.access``)."""

    @guarded("recording an access")
    def record(
        self,
        actor: str,
        kind: AccessKind,
        *,
        interview_id: str | None = None,
        file_format: str | None = None,
        report_version: int | None = None,
    ) -> AccessEntry:
        """Record that ``actor`` read or took ``kind`` now, in one commit. An interview that
        no longer exists is recorded as none."""
        if not actor.strip():
            raise ValueError("An access is always someone's: the actor cannot be empty.")
        with self._db.writing() as session:
            interview = None if interview_id is None else session.get(InterviewRow, interview_id)
            row = AccessRow(
                at=self._db.now(),
                actor=actor,
                kind=AccessKind(kind).value,
                file_format=file_format,
                report_version=report_version,
                interview_id=None if interview is None else interview.id,
                pseudonym=None if interview is None else interview.pseudonym,
            )
            session.add(row)
            session.flush()
            return AccessEntry.model_validate(row)

    @guarded("reading the access log")
    def entries(
        self,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[AccessEntry]:
        """The entries, newest first: only ``actor``'s, only from ``since`` on, at most
        ``limit``, when given."""
        query = select(AccessRow).order_by(AccessRow.at.desc(), AccessRow.id.desc())
        if actor is not None:
            query = query.where(AccessRow.actor == actor)
        if since is not None:
            query = query.where(AccessRow.at >= as_utc(since))
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as session:
            return [AccessEntry.model_validate(row) for row in session.scalars(query)]


def forget_interview(session: Session, interview_id: str) -> None:
    """Clear the entries' link to an interview being erased, in the erasure's transaction."""
    session.execute(
        update(AccessRow)
        .where(AccessRow.interview_id == interview_id)
        .values(interview_id=None, pseudonym=None)
    )
