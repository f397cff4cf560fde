"""Extraction as persisted jobs: queued when an interview ends (by the store, in the commit
that ends it or imports it), run by `terrain extract` or a
worker (:mod:`assistant.findings.worker`), each ending done or failed with its reason, and safe
to run again.

A job is claimed under a lease that its worker renews while the model works; if the worker
dies, the lease runs out and another worker claims the job, and the dead one's claim can no
longer settle it. A model that cannot be reached is not the job's fault: the job goes back to
the queue with that reason, its attempt not counted, instead of failing.

Only an interview that has ended with something said is extracted: one still in progress is
left for when it closes. A done job records the digest of the transcript it read, so that a
transcript changed since (a turn added, a summary corrected) is queued again; ``force`` queues
it again on purpose. Re-running a job replaces only the findings that the model proposed and
nobody has reviewed yet, and never proposes again what a facilitator has decided on, so a
facilitator's work is never lost to a retry or a re-extraction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.findings.codebook import load_codebook
from assistant.findings.extraction import Extractor, transcript_digest
from assistant.llm import ChatModel, ModelUnavailableError, chat_model_for
from assistant.retrieval.search import Retriever
from assistant.schemas import (
    FindingOrigin,
    FindingStatus,
    Interview,
    InterviewStatus,
    Job,
    JobKind,
    JobStatus,
    Turn,
)
from assistant.store import InterviewNotFoundError, JobClaimLostError, Store
from assistant.store.jobs import DEFAULT_LEASE_SECONDS
from assistant.store.leases import keep_leased
from assistant.store.queueing import said_beyond_consent
from assistant.tokens import TokenCounter
from assistant.vocabulary import NotQueuedReason, QueuedBecause

log = logging.getLogger(__name__)

EXTRACTION = JobKind.EXTRACTION
# A job left "running" without a lease (claimed before leases existed) for this long belongs to
# a worker that died; a leased one is claimed again once its lease runs out.
STALE_AFTER_SECONDS = 3600.0
STOPPED_REASON = "its worker stopped before it ended; it runs again from the start"


NOT_QUEUED_DETAILS = {
    NotQueuedReason.IN_PROGRESS: "the interview is still in progress; it is extracted once it "
    "has ended",
    NotQueuedReason.DECLINED: "consent was refused, so nothing of the interview is kept",
    NotQueuedReason.NOTHING_SAID: "the employee said nothing beyond their consent, so there is "
    "nothing to code",
    NotQueuedReason.UP_TO_DATE: "already extracted, and its transcript has not changed since",
    NotQueuedReason.RUNNING: "another run is extracting it right now",
}
# Reasons an interview cannot be extracted at all, as opposed to needing no extraction now.


class QueuedExtraction(BaseModel):
    interview_id: str
    pseudonym: str = Field(description="The interview's pseudonym, as every page names it.")
    job_id: str
    because: QueuedBecause


class NotQueued(BaseModel):
    interview_id: str
    pseudonym: str = Field(description="The interview's pseudonym, as every page names it.")
    reason: NotQueuedReason
    detail: str = Field(description="The reason, in words.")


class Queueing(BaseModel):
    """What queueing did: the interviews whose jobs now wait to run, and those left out, why."""

    queued: list[QueuedExtraction] = Field(default_factory=list)
    not_queued: list[NotQueued] = Field(default_factory=list)

    def add(self, decision: QueuedExtraction | NotQueued) -> Queueing:
        if isinstance(decision, QueuedExtraction):
            self.queued.append(decision)
        else:
            self.not_queued.append(decision)
        return self


def why_not_extractable(interview: Interview, turns: Sequence[Turn]) -> NotQueuedReason | None:
    """Why this interview cannot be extracted, or None if it can be: it has ended (closed, or
    stopped early) and the employee said something beyond their consent."""
    if interview.status == InterviewStatus.IN_PROGRESS:
        return NotQueuedReason.IN_PROGRESS
    if interview.status == InterviewStatus.DECLINED:
        return NotQueuedReason.DECLINED
    said = said_beyond_consent((turn.speaker, turn.phase) for turn in turns)
    return None if said else NotQueuedReason.NOTHING_SAID


def _not_queued(interview: Interview, reason: NotQueuedReason) -> NotQueued:
    return NotQueued(
        interview_id=interview.id,
        pseudonym=interview.pseudonym,
        reason=reason,
        detail=NOT_QUEUED_DETAILS[reason],
    )


@dataclass
class ExtractionJobs:
    store: Store
    extractor: Extractor
    lease_seconds: float = DEFAULT_LEASE_SECONDS

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store,
        *,
        model: ChatModel | None = None,
        retriever: Retriever | None = None,
    ) -> ExtractionJobs:
        """The jobs of this installation, run with its model (or ``model``) and lease."""
        extractor = Extractor(
            model=model or chat_model_for(settings),
            codebook=load_codebook(settings.codebook),
            counter=TokenCounter(settings.tokenizer),
            retriever=retriever,
            window_tokens=settings.extraction_window_tokens,
            overlap_tokens=settings.extraction_overlap_tokens,
        )
        return cls(store, extractor, lease_seconds=settings.job_lease_seconds)

    def queue(self, interview_id: str, *, force: bool = False) -> Queueing:
        """Queue the interview's extraction if it needs one (or ``force``), or say why not.

        Raises InterviewNotFoundError for a missing interview.
        """
        interview = self.store.interviews.get(interview_id)
        if interview is None:
            raise InterviewNotFoundError(interview_id)
        previous = self._jobs_by_interview().get(interview_id)
        return Queueing().add(self._decide(interview, previous, force=force))

    def queue_pending(self, *, force: bool = False) -> Queueing:
        """Queue every ended interview (closed, or stopped early) never extracted, failed, or
        changed since its extraction (with ``force``, every ended one); the others are listed
        as left out, with the reason :func:`why_not_extractable` or the job gives."""
        previous = self._jobs_by_interview()
        outcome = Queueing()
        for interview in reversed(self.store.interviews.where()):  # oldest first
            outcome.add(self._decide(interview, previous.get(interview.id), force=force))
        return outcome

    def queued(self) -> list[Job]:
        return self.store.jobs.where(kind=EXTRACTION, status=JobStatus.QUEUED)

    def _jobs_by_interview(self) -> dict[str, Job]:
        jobs = self.store.jobs.where(kind=EXTRACTION)
        return {job.interview_id: job for job in jobs if job.interview_id is not None}

    def _decide(
        self, interview: Interview, previous: Job | None, *, force: bool
    ) -> QueuedExtraction | NotQueued:
        """Queue the interview's job if it needs running, given its job so far (if any)."""
        turns = self.store.interviews.turns(interview.id)
        if reason := why_not_extractable(interview, turns):
            return _not_queued(interview, reason)
        if previous is None or previous.status == JobStatus.FAILED:
            job = self.store.jobs.enqueue(EXTRACTION, interview.id)
            because = QueuedBecause.NEW if previous is None else QueuedBecause.RETRY
        elif previous.status == JobStatus.QUEUED:
            job, because = previous, QueuedBecause.WAITING
        elif previous.status == JobStatus.RUNNING:
            return _not_queued(interview, NotQueuedReason.RUNNING)
        else:
            if force:
                because = QueuedBecause.FORCED
            elif previous.input_digest != transcript_digest(turns):
                because = QueuedBecause.CHANGED
            else:
                return _not_queued(interview, NotQueuedReason.UP_TO_DATE)
            job = self.store.jobs.requeue(previous.id)
        # Another run may have taken or finished the job meanwhile: report what it is now.
        if job.status == JobStatus.RUNNING:
            return _not_queued(interview, NotQueuedReason.RUNNING)
        if job.status == JobStatus.DONE:
            return _not_queued(interview, NotQueuedReason.UP_TO_DATE)
        return QueuedExtraction(
            interview_id=interview.id, pseudonym=interview.pseudonym, job_id=job.id, because=because
        )

    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run every queued job, one at a time; returns them as they ended.

        Stops when the model cannot be reached: that job is given back to the queue with the
        reason (its attempt not counted) and the rest stay queued, since they would all fail
        the same way.
        """
        await asyncio.to_thread(self.store.jobs.requeue_stale, EXTRACTION, STALE_AFTER_SECONDS)
        finished: list[Job] = []
        while ended := await self.run_next():
            finished.append(ended)
            if on_done:
                on_done(ended)
            if ended.status == JobStatus.QUEUED:
                break
        return finished

    async def run_next(self) -> Job | None:
        """Claim the next job and run it: the job as it ended (done, failed with its reason, or
        queued again because the model cannot be reached); None once no job is waiting."""
        while job := await asyncio.to_thread(
            self.store.jobs.claim_next, EXTRACTION, lease_seconds=self.lease_seconds
        ):
            claim = job.claim or ""  # claim_next always gives one
            renewing = asyncio.create_task(
                keep_leased(
                    self.store.jobs,
                    job.id,
                    claim=claim,
                    lease_seconds=self.lease_seconds,
                    what="job",
                )
            )
            try:
                return await self._run(job, claim)
            except asyncio.CancelledError:
                # The worker is stopping: the job goes back to the queue for the next one.
                with suppress(TerrainError):
                    self.store.jobs.release(job.id, claim=claim, reason=STOPPED_REASON)
                raise
            except JobClaimLostError:
                log.warning("Job %s was claimed again by another worker: result dropped.", job.id)
            finally:
                renewing.cancel()
                with suppress(asyncio.CancelledError):
                    await renewing
        return None

    async def _run(self, job: Job, claim: str) -> Job:
        store = self.store

        def fail(reason: str) -> Job:
            return store.jobs.fail(job.id, error=reason, claim=claim)

        try:
            interview = (
                await asyncio.to_thread(store.interviews.get, job.interview_id)
                if job.interview_id
                else None
            )
            if interview is None:
                return await asyncio.to_thread(fail, "the interview no longer exists")
            turns = await asyncio.to_thread(store.interviews.turns, interview.id)
            # A job queued before these checks existed may name an interview still going on.
            if refusal := why_not_extractable(interview, turns):
                return await asyncio.to_thread(fail, NOT_QUEUED_DETAILS[refusal])
            findings = await asyncio.to_thread(store.findings.where, interview_id=interview.id)
            reviewed = [
                finding
                for finding in findings
                if finding.origin != FindingOrigin.MODEL or finding.status != FindingStatus.PROPOSED
            ]
            report = await self.extractor.extract(interview, turns, reviewed)
            # A worker whose claim was lost must not replace the findings of the one that has it.
            await asyncio.to_thread(
                store.jobs.renew, job.id, claim=claim, lease_seconds=self.lease_seconds
            )
            await asyncio.to_thread(
                store.findings.replace_model_findings, interview.id, report.findings
            )
            return await asyncio.to_thread(
                partial(
                    store.jobs.finish,
                    job.id,
                    result=report.summary(),
                    input_digest=transcript_digest(turns),
                    claim=claim,
                )
            )
        except JobClaimLostError:
            raise
        except ModelUnavailableError as error:
            # Not the job's fault: it waits for the model, without using up an attempt.
            return await asyncio.to_thread(
                partial(store.jobs.release, job.id, claim=claim, reason=str(error))
            )
        except TerrainError as error:
            return await asyncio.to_thread(fail, str(error))
        except Exception as error:  # a job must end failed, never stay running
            return await asyncio.to_thread(fail, f"unexpected error: {error!r}")
