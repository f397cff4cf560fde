"""Jobs: deferred work (an extraction, run by ``terrain extract``) kept as rows, so that a
restart loses none. :meth:`JobRepository.claim_next` hands each queued job to exactly one
worker; :meth:`JobRepository.requeue_stale` gives back the jobs of a worker that died."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from assistant.schemas import Job, JobKind, JobStatus
from assistant.store.database import Repository, guarded
from assistant.store.errors import JobNotFoundError
from assistant.store.interviews import interview_row
from assistant.store.models import JobRow

# How often claim_next() looks again when another worker took the job it chose.
CLAIM_ATTEMPTS = 20


class JobRepository(Repository):
    """Jobs (``store.jobs``)."""

    @guarded("queueing a job")
    def enqueue(self, kind: JobKind, interview_id: str) -> Job:
        """Queue a ``kind`` job for the interview, once: enqueueing is idempotent.

        An existing job for (kind, interview) that is queued, running or done is returned
        unchanged; a failed one is queued again (its attempts and creation time kept, its error
        cleared). Raises InterviewNotFoundError for a missing interview.
        """
        kind_value = JobKind(kind).value
        for attempt in (1, 2):
            try:
                with self._db.writing() as session:
                    interview_row(session, interview_id)
                    row = session.scalar(
                        select(JobRow)
                        .where(JobRow.kind == kind_value, JobRow.interview_id == interview_id)
                        .with_for_update()
                    )
                    now = self._db.now()
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
                            created_at=now,
                            updated_at=now,
                        )
                        session.add(row)
                    elif row.status == JobStatus.FAILED.value:
                        row.status = JobStatus.QUEUED.value
                        row.error = None
                        row.updated_at = now
                    return Job.model_validate(row)
            except IntegrityError:
                # Another writer queued it first (PostgreSQL): return that one.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @guarded("claiming a job")
    def claim_next(self, kind: JobKind) -> Job | None:
        """Take the oldest queued ``kind`` job: RUNNING, one more attempt. None if none is queued.

        Safe with several workers: the job is taken by a conditional update (only while it is
        still queued), so exactly one worker gets it; the others look for the next one.
        """
        kind_value = JobKind(kind).value
        for _ in range(CLAIM_ATTEMPTS):
            with self._db.writing() as session:
                job_id = session.scalar(
                    select(JobRow.id)
                    .where(JobRow.kind == kind_value, JobRow.status == JobStatus.QUEUED.value)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(1)
                )
                if job_id is None:
                    return None
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(JobRow)
                        .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
                        .values(
                            status=JobStatus.RUNNING.value,
                            attempts=JobRow.attempts + 1,
                            updated_at=self._db.now(),
                        )
                        .execution_options(synchronize_session=False)
                    ),
                )
                if taken.rowcount == 1:
                    row = session.get(JobRow, job_id, populate_existing=True)
                    return None if row is None else Job.model_validate(row)
        return None

    def _settle(self, job_id: str, **values: Any) -> Job:
        with self._db.writing() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                raise JobNotFoundError(job_id)
            for name, value in {**values, "updated_at": self._db.now()}.items():
                setattr(row, name, value)
            return Job.model_validate(row)

    @guarded("finishing a job")
    def finish(
        self, job_id: str, *, result: dict[str, Any], input_digest: str | None = None
    ) -> Job:
        """The job is DONE, with its result (JSON) and the digest of the input it read.

        Raises JobNotFoundError if it was erased.
        """
        return self._settle(
            job_id,
            status=JobStatus.DONE.value,
            result=dict(result),
            error=None,
            input_digest=input_digest,
        )

    @guarded("queueing a job again")
    def requeue(self, job_id: str) -> Job:
        """Queue a DONE or FAILED job again (its input changed, or on purpose), error cleared.

        Its attempts, result and input digest are kept until it next ends. A queued or running
        job is returned unchanged (a running one belongs to a worker). Raises JobNotFoundError.
        """
        with self._db.writing() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                raise JobNotFoundError(job_id)
            if row.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
                row.status = JobStatus.QUEUED.value
                row.error = None
                row.updated_at = self._db.now()
            return Job.model_validate(row)

    @guarded("recording a job's failure")
    def fail(self, job_id: str, *, error: str) -> Job:
        """The job FAILED, for ``error`` (a reason a person can read, never a traceback)."""
        if not error.strip():
            raise ValueError("A failed job needs the reason it failed.")
        return self._settle(job_id, status=JobStatus.FAILED.value, error=error)

    @guarded("listing jobs")
    def where(self, *, kind: JobKind | None = None, status: JobStatus | None = None) -> list[Job]:
        """Jobs, oldest first, optionally of one kind and/or in one status."""
        query = select(JobRow).order_by(JobRow.created_at, JobRow.id)
        if kind is not None:
            query = query.where(JobRow.kind == JobKind(kind).value)
        if status is not None:
            query = query.where(JobRow.status == JobStatus(status).value)
        with self._db.reading() as session:
            return [Job.model_validate(row) for row in session.scalars(query)]

    @guarded("requeueing stale jobs")
    def requeue_stale(self, kind: JobKind, older_than_seconds: float) -> int:
        """Queue again the RUNNING ``kind`` jobs untouched for longer than that, by the store's
        clock (a dead worker). Returns how many were queued again; their attempts are kept."""
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds cannot be negative.")
        now = self._db.now()
        cutoff = now - timedelta(seconds=older_than_seconds)
        with self._db.writing() as session:
            requeued = cast(
                CursorResult[Any],
                session.execute(
                    update(JobRow)
                    .where(
                        JobRow.kind == JobKind(kind).value,
                        JobRow.status == JobStatus.RUNNING.value,
                        JobRow.updated_at < cutoff,
                    )
                    .values(status=JobStatus.QUEUED.value, updated_at=now)
                    .execution_options(synchronize_session=False)
                ),
            )
            return requeued.rowcount
