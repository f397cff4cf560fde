"""Jobs: deferred work (an extraction, run by ``terrain extract`` or ``terrain worker``) kept as
rows, so that a restart loses none. :meth:`JobRepository.claim_next` hands each queued job to
exactly one worker, under a lease the worker renews while it works; a job whose lease runs out
(its worker died) is claimed again, and the dead worker's claim can no longer settle it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.schemas import Job, JobKind, JobStatus
from assistant.store.database import Repository, guarded
from assistant.store.errors import JobBusyError, JobClaimLostError, JobNotFoundError
from assistant.store.interview_erasure import interview_row
from assistant.store.models import JobRow
from assistant.store.queueing import enqueue_in

# How often claim_next() looks again when another worker took the job it chose.
CLAIM_ATTEMPTS = 20
# How long a claimed job stays its worker's without a renewal (the worker renews it meanwhile).
DEFAULT_LEASE_SECONDS = 60.0


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Queued, or running on a lease that has run out (its worker is presumed dead)."""
    return or_(
        JobRow.status == JobStatus.QUEUED.value,
        and_(
            JobRow.status == JobStatus.RUNNING.value,
            JobRow.lease_expires_at.is_not(None),
            JobRow.lease_expires_at < now,
        ),
    )


class JobRepository(Repository):
    """Jobs (``store.jobs``)."""

    @guarded("queueing a job")
    def enqueue(self, kind: JobKind, interview_id: str) -> Job:
        """Queue a ``kind`` job for the interview, once: enqueueing is idempotent.

        An existing job for (kind, interview) that is queued, running or done is returned
        unchanged; a failed one is queued again (its attempts and creation time kept, its error
        cleared). Raises InterviewNotFoundError for a missing interview.
        """
        for attempt in (1, 2):
            try:
                with self._db.writing() as session:
                    interview_row(session, interview_id)
                    row = enqueue_in(session, kind, interview_id, self._db.now())
                    return Job.model_validate(row)
            except IntegrityError:
                # Another writer queued it first (PostgreSQL): return that one.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @guarded("queueing a report build")
    def queue_report_build(
        self, params: dict[str, Any], *, lease_seconds: float | None = None
    ) -> Job:
        """Queue a report build asked with ``params``; with ``lease_seconds``, the build is
        claimed at once by the caller, who runs it (the command line), under that lease.

        One build at a time: raises JobBusyError, naming the build already queued or running,
        whichever process queued it (the database's unique index decides between two at once).
        """
        kind = JobKind.REPORT_BUILD.value
        active = and_(
            JobRow.kind == kind,
            JobRow.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
        )
        try:
            with self._db.writing() as session:
                busy = session.scalar(select(JobRow.id).where(active).limit(1))
                if busy is not None:
                    raise JobBusyError(busy)
                now = self._db.now()
                claimed = lease_seconds is not None
                row = JobRow(
                    id=uuid.uuid4().hex,
                    kind=kind,
                    interview_id=None,
                    status=(JobStatus.RUNNING if claimed else JobStatus.QUEUED).value,
                    attempts=1 if claimed else 0,
                    error=None,
                    result={},
                    input_digest=None,
                    params=dict(params),
                    claim=uuid.uuid4().hex if claimed else None,
                    lease_expires_at=now + timedelta(seconds=lease_seconds or 0)
                    if claimed
                    else None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                return Job.model_validate(row)
        except IntegrityError:
            # Another process queued one between our look and our insert (PostgreSQL).
            with self._db.reading() as session:
                busy = session.scalar(select(JobRow.id).where(active).limit(1))
            raise JobBusyError(busy or "?") from None

    @guarded("finding the latest job")
    def latest(self, kind: JobKind) -> Job | None:
        """The ``kind`` job queued last, or None."""
        query = (
            select(JobRow)
            .where(JobRow.kind == JobKind(kind).value)
            .order_by(JobRow.created_at.desc(), JobRow.id.desc())
            .limit(1)
        )
        with self._db.reading() as session:
            row = session.scalar(query)
            return None if row is None else Job.model_validate(row)

    @guarded("recording a job's progress")
    def progress(self, job_id: str, *, claim: str, progress: dict[str, Any]) -> Job:
        """Record how a running job stands, as its result so far (JSON), for every process
        to show. Raises JobClaimLostError if the job is no longer held under ``claim``."""
        with self._db.writing() as session:
            row = self._held(session, job_id, claim)
            row.result = dict(progress)
            row.updated_at = self._db.now()
            return Job.model_validate(row)

    @guarded("claiming a job")
    def claim_next(
        self, kind: JobKind, *, lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> Job | None:
        """Take the oldest ``kind`` job that is queued, or running on a lease that ran out (its
        worker died): RUNNING under a new claim, leased for ``lease_seconds``, one more attempt.
        None if there is none.

        Exactly one worker gets a job. On PostgreSQL the chosen row is locked and rows other
        workers hold are skipped (``FOR UPDATE SKIP LOCKED``); on SQLite the write transaction
        already holds the database's write lock (``BEGIN IMMEDIATE``). The update is also
        conditional on the job still being claimable, should a database do neither.
        """
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive.")
        kind_value = JobKind(kind).value
        for _ in range(CLAIM_ATTEMPTS):
            with self._db.writing() as session:
                now = self._db.now()
                claimable = and_(JobRow.kind == kind_value, _claimable(now))
                job_id = session.scalar(
                    select(JobRow.id)
                    .where(claimable)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if job_id is None:
                    return None
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(JobRow)
                        .where(JobRow.id == job_id, claimable)
                        .values(
                            status=JobStatus.RUNNING.value,
                            attempts=JobRow.attempts + 1,
                            claim=uuid.uuid4().hex,
                            lease_expires_at=now + timedelta(seconds=lease_seconds),
                            updated_at=now,
                        )
                        .execution_options(synchronize_session=False)
                    ),
                )
                if taken.rowcount == 1:
                    row = session.get(JobRow, job_id, populate_existing=True)
                    return None if row is None else Job.model_validate(row)
        return None

    @guarded("renewing a job's lease")
    def renew(self, job_id: str, *, claim: str, lease_seconds: float) -> Job:
        """Extend the lease of a job this worker runs, by ``lease_seconds`` from now.

        Raises JobClaimLostError if the job is no longer held under ``claim``.
        """
        with self._db.writing() as session:
            row = self._held(session, job_id, claim)
            now = self._db.now()
            row.lease_expires_at = now + timedelta(seconds=lease_seconds)
            row.updated_at = now
            return Job.model_validate(row)

    @guarded("giving a job back")
    def release(self, job_id: str, *, claim: str, reason: str) -> Job:
        """Queue again a job this worker could not run for a reason that is not the job's own
        (the model cannot be reached): the attempt is not counted, ``reason`` is kept as its
        error until it next runs. Raises JobClaimLostError if the claim was lost."""
        if not reason.strip():
            raise ValueError("A job given back needs the reason.")
        with self._db.writing() as session:
            row = self._held(session, job_id, claim)
            row.status = JobStatus.QUEUED.value
            row.attempts = max(row.attempts - 1, 0)
            row.error = reason
            row.claim = None
            row.lease_expires_at = None
            row.updated_at = self._db.now()
            return Job.model_validate(row)

    @staticmethod
    def _held(session: Session, job_id: str, claim: str) -> JobRow:
        row = session.get(JobRow, job_id, with_for_update=True)
        if row is None or row.status != JobStatus.RUNNING.value or row.claim != claim:
            raise JobClaimLostError(job_id)
        return row

    def _settle(self, job_id: str, claim: str | None, **values: Any) -> Job:
        with self._db.writing() as session:
            if claim is not None:
                row = self._held(session, job_id, claim)
            else:
                found = session.get(JobRow, job_id, with_for_update=True)
                if found is None:
                    raise JobNotFoundError(job_id)
                row = found
            settled = {**values, "claim": None, "lease_expires_at": None}
            for name, value in {**settled, "updated_at": self._db.now()}.items():
                setattr(row, name, value)
            return Job.model_validate(row)

    @guarded("finishing a job")
    def finish(
        self,
        job_id: str,
        *,
        result: dict[str, Any],
        input_digest: str | None = None,
        claim: str | None = None,
    ) -> Job:
        """The job is DONE, with its result (JSON) and the digest of the input it read.

        With ``claim``, only while the job is still held under it (JobClaimLostError
        otherwise). Raises JobNotFoundError if it was erased.
        """
        return self._settle(
            job_id,
            claim,
            status=JobStatus.DONE.value,
            result=dict(result),
            error=None,
            input_digest=input_digest,
        )

    @guarded("queueing a job again")
    def requeue(self, job_id: str) -> Job:
        """Queue a DONE or FAILED job again (its input changed, or on purpose), error cleared.

        Its attempts, result and input digest are kept until it next ends. A queued or running
        job is returned unchanged (a running one belongs to a worker). Raises JobNotFoundError,
        and JobBusyError for a report build while another one is queued or running.
        """
        try:
            with self._db.writing() as session:
                row = session.get(JobRow, job_id, with_for_update=True)
                if row is None:
                    raise JobNotFoundError(job_id)
                if row.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
                    row.status = JobStatus.QUEUED.value
                    row.error = None
                    row.claim = None
                    row.lease_expires_at = None
                    row.updated_at = self._db.now()
                    session.flush()
                return Job.model_validate(row)
        except IntegrityError:
            # The one-report-build-at-a-time index: another build waits or runs.
            with self._db.reading() as session:
                busy = session.scalar(
                    select(JobRow.id).where(
                        JobRow.kind == JobKind.REPORT_BUILD.value,
                        JobRow.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
                    )
                )
            raise JobBusyError(busy or "?") from None

    @guarded("recording a job's failure")
    def fail(self, job_id: str, *, error: str, claim: str | None = None) -> Job:
        """The job FAILED, for ``error`` (a reason a person can read, never a traceback).

        With ``claim``, only while the job is still held under it (JobClaimLostError).
        """
        if not error.strip():
            raise ValueError("A failed job needs the reason it failed.")
        return self._settle(job_id, claim, status=JobStatus.FAILED.value, error=error)

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
        clock (a dead worker). Returns how many were queued again; their attempts are kept.

        Leased jobs need none of this (:meth:`claim_next` takes one whose lease ran out); it is
        for jobs left running before leases existed, and clears the claim, so that a worker
        still alive after all cannot settle a job given to another."""
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
                    .values(
                        status=JobStatus.QUEUED.value,
                        claim=None,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                ),
            )
            return requeued.rowcount
