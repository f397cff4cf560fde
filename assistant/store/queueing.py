"""Queueing a job inside a commit that is already open, so that an interview's end (its last
turn, or its import) and the queueing of its extraction are saved together or not at all: an
interview that ended with something said is never left without its extraction job.

The rule of what can be extracted (:func:`said_beyond_consent`) is stated here once; the
extraction jobs (:mod:`assistant.findings.jobs`) ask the same function.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.schemas import JobKind, JobStatus, Phase, Speaker
from assistant.store.models import JobRow, TurnRow


def said_beyond_consent(said: Iterable[tuple[Speaker | str, Phase | str]]) -> bool:
    """Whether the employee said anything beyond their answer to the consent form, given who
    spoke at which phase, turn by turn: only then is there something to extract."""
    return any(
        Speaker(speaker) == Speaker.EMPLOYEE and Phase(phase) != Phase.CONSENT
        for speaker, phase in said
    )


def enqueue_in(session: Session, kind: JobKind, interview_id: str, now: datetime) -> JobRow:
    """Queue a ``kind`` job for the interview in ``session``'s commit, once: an existing job
    that is queued, running or done stays as it is; a failed one is queued again (its attempts
    and creation time kept, its error cleared)."""
    kind_value = JobKind(kind).value
    row = session.scalar(
        select(JobRow)
        .where(JobRow.kind == kind_value, JobRow.interview_id == interview_id)
        .with_for_update()
    )
    if row is None:
        row = JobRow(
            id=uuid.uuid4().hex,
            kind=kind_value,
            interview_id=interview_id,
            status=JobStatus.QUEUED.value,
            attempts=0,
            error=None,
            result={},
            input_digest=None,
            params={},
            claim=None,
            lease_expires_at=None,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
    elif row.status == JobStatus.FAILED.value:
        row.status = JobStatus.QUEUED.value
        row.error = None
        row.claim = None
        row.lease_expires_at = None
        row.updated_at = now
    return row


def queue_extraction_on_end(session: Session, interview_id: str, now: datetime) -> JobRow | None:
    """Queue the extraction of an interview that is ending in ``session``'s commit, when the
    employee said something beyond consent; None when there is nothing to extract."""
    session.flush()  # the turns added in this commit count too
    said = session.execute(
        select(TurnRow.speaker, TurnRow.phase).where(TurnRow.interview_id == interview_id)
    )
    if not said_beyond_consent((speaker, phase) for speaker, phase in said):
        return None
    return enqueue_in(session, JobKind.EXTRACTION, interview_id, now)
