"""Report builds as jobs of the worker, their progress in the database.

A facilitator's page queues a build (:func:`queue_build`); the worker (``terrain worker``, and
the one ``terrain serve`` supervises) claims it under a lease like an extraction and runs
:func:`assistant.report.publishing.build_draft`, writing how it stands (phase, model calls,
narratives kept and dropped) as the job's result as it goes: every web process reads the same
row, so any of them shows it, and nothing of a build lives in a web process. One build at a
time, whichever process asked (the store refuses a second one while one waits or runs). A
build that fails ends failed with its reason, and can be retried on the jobs page; one whose
worker stops goes back to the queue and runs again whole. A model that cannot be reached does
not fail it: the draft is built without narratives, and says so, as on the command line.

``terrain report build`` builds in-process, through the same job (claimed at once by the
command itself), so that the pages show its progress too and it cannot run beside another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.llm import ChatModel
from assistant.schemas import (
    Job,
    JobKind,
    ReportBuildPhase,
    ReportBuildProgress,
    ReportBuildRequest,
    ReportVersion,
)
from assistant.store import JobClaimLostError, Store
from assistant.store.jobs import DEFAULT_LEASE_SECONDS
from assistant.store.leases import keep_leased

log = logging.getLogger(__name__)

REPORT_BUILD = JobKind.REPORT_BUILD
STOPPED_REASON = "its worker stopped before it ended; it runs again from the start"
# Chooses the model for a build asked with narratives (None: none can be made).
ModelFactory = Callable[[Settings], ChatModel]


def queue_build(store: Store, request: ReportBuildRequest) -> Job:
    """Queue a report build for the worker. Raises JobBusyError while another one is queued
    or running."""
    return store.jobs.queue_report_build(request.model_dump(mode="json"))


def build_request(job: Job) -> ReportBuildRequest:
    return ReportBuildRequest.model_validate(job.params)


def build_progress(job: Job) -> ReportBuildProgress | None:
    """How the build stands, or None before a worker has started it."""
    return ReportBuildProgress.model_validate(job.result) if job.result else None


def _default_model(settings: Settings) -> ChatModel:
    from assistant.llm import chat_model_for

    return chat_model_for(settings)


@dataclass
class ReportBuildJobs:
    """The worker's report-build step (one of its ``other_jobs``)."""

    store: Store
    settings: Settings
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    model_for: ModelFactory = _default_model

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> ReportBuildJobs:
        return cls(store, settings, lease_seconds=settings.job_lease_seconds)

    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run the queued build (one at a time); returns it as it ended, done or failed."""
        finished: list[Job] = []
        while job := await asyncio.to_thread(
            self.store.jobs.claim_next, REPORT_BUILD, lease_seconds=self.lease_seconds
        ):
            ended = await self.run_claimed(job)
            if ended is None:
                continue
            finished.append(ended)
            if on_done:
                on_done(ended)
        return finished

    async def run_claimed(
        self,
        job: Job,
        on_progress: Callable[[ReportBuildProgress], Awaitable[None]] | None = None,
    ) -> Job | None:
        """Run a build this process holds, its progress recorded as it goes (and told to
        ``on_progress``); the job as it ended, or None if another worker took it meanwhile."""
        claim = job.claim or ""
        renewing = asyncio.create_task(
            keep_leased(
                self.store.jobs,
                job.id,
                claim=claim,
                lease_seconds=self.lease_seconds,
                what="report build",
            )
        )
        try:
            return await self._run(job, claim, on_progress)
        except asyncio.CancelledError:
            # The worker is stopping: the build goes back to the queue for the next one.
            with suppress(TerrainError):
                self.store.jobs.release(job.id, claim=claim, reason=STOPPED_REASON)
            raise
        except JobClaimLostError:
            log.warning("Report build %s was claimed again by another worker.", job.id)
            return None
        finally:
            renewing.cancel()
            with suppress(asyncio.CancelledError):
                await renewing

    async def _run(
        self,
        job: Job,
        claim: str,
        on_progress: Callable[[ReportBuildProgress], Awaitable[None]] | None,
    ) -> Job:
        from assistant.report.publishing import build_draft

        store = self.store

        async def recorded(progress: ReportBuildProgress) -> None:
            await asyncio.to_thread(
                partial(
                    store.jobs.progress,
                    job.id,
                    claim=claim,
                    progress=progress.model_dump(mode="json"),
                )
            )
            if on_progress is not None:
                await on_progress(progress)

        def fail(reason: str) -> Job:
            return store.jobs.fail(job.id, error=reason, claim=claim)

        try:
            request = build_request(job)
            model = self.model_for(self.settings) if request.with_model else None
            draft = await build_draft(
                store,
                self.settings,
                model,
                actor=request.requested_by,
                include_proposed=request.include_proposed,
                on_progress=recorded,
                campaign_id=request.campaign_id,
            )
            result = _finished(draft)
            if on_progress is not None:
                await on_progress(ReportBuildProgress.model_validate(result))
            return await asyncio.to_thread(
                partial(store.jobs.finish, job.id, result=result, claim=claim)
            )
        except JobClaimLostError:
            raise
        except TerrainError as error:
            return await asyncio.to_thread(fail, str(error))
        except Exception as error:  # a job must end failed, never stay running
            return await asyncio.to_thread(fail, f"unexpected error: {error!r}")


def _finished(draft: ReportVersion) -> dict[str, object]:
    """The done build's result: its last progress, and what the draft holds."""
    from assistant.report.publishing import report_of

    report = report_of(draft)
    narratives = report.narratives
    kept = len(report.recommendations) + sum(t.synthesis is not None for t in report.themes)
    progress = ReportBuildProgress(
        phase=ReportBuildPhase.DONE,
        model_calls=narratives.model_calls,
        narratives_kept=kept,
        narratives_dropped=narratives.dropped,
    )
    return {
        **progress.model_dump(mode="json"),
        "narratives": narratives.state.value,
        "findings": len(draft.finding_ids),
        "interviews": len(draft.interview_ids),
    }
