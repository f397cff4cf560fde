"""Republishing after an erasure, as a job the worker runs.

An erasure withdraws, in its own commit, every report version that drew on the erased
interview, and queues one republish job (:func:`assistant.store.reports.withdraw_using`): the
employee who withdraws never waits for the redactor's spaCy pipeline to load, and until the job
has run leadership reads the newest version that did not use the interview, or nothing. The
worker claims the job under a lease like an extraction; running it again is harmless, since a
withdrawn version is replaced at most once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.schemas import Job, JobKind
from assistant.store import JobClaimLostError, Store
from assistant.store.jobs import DEFAULT_LEASE_SECONDS

log = logging.getLogger(__name__)

REPUBLISH = JobKind.REPUBLISH


@dataclass
class RepublishJobs:
    store: Store
    settings: Settings
    lease_seconds: float = DEFAULT_LEASE_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> RepublishJobs:
        return cls(store, settings, lease_seconds=settings.job_lease_seconds)

    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run every queued republish job; returns them as they ended (done or failed)."""
        finished: list[Job] = []
        while job := await asyncio.to_thread(
            self.store.jobs.claim_next, REPUBLISH, lease_seconds=self.lease_seconds
        ):
            try:
                ended = await asyncio.to_thread(self._run, job, job.claim or "")
            except JobClaimLostError:
                log.warning("Job %s was claimed again by another worker: result dropped.", job.id)
                continue
            finished.append(ended)
            if on_done:
                on_done(ended)
        return finished

    def _run(self, job: Job, claim: str) -> Job:
        from assistant.report.publishing import republish_after_erasure

        try:
            replacements = republish_after_erasure(self.store, self.settings)
        except TerrainError as error:
            return self.store.jobs.fail(job.id, error=str(error), claim=claim)
        except Exception as error:  # a job must end failed, never stay running
            return self.store.jobs.fail(job.id, error=f"unexpected error: {error!r}", claim=claim)
        result = {
            "republished": [v.number for v in replacements],
            "replaced": [v.replaces for v in replacements],
        }
        return self.store.jobs.finish(job.id, result=result, claim=claim)
