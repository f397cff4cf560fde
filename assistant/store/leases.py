"""Keeping a claimed job's lease while the job runs, for every kind of job (extractions, report
builds): the worker renews it several times per lease, so that a slow database does not let it
run out under a live worker, and a dead worker's job is claimed again once it does."""

from __future__ import annotations

import asyncio
import logging

from assistant.errors import TerrainError
from assistant.store.errors import JobClaimLostError
from assistant.store.jobs import JobRepository

log = logging.getLogger(__name__)

# How many times a running job's lease is renewed within one lease's length.
RENEWALS_PER_LEASE = 3


async def keep_leased(
    jobs: JobRepository, job_id: str, *, claim: str, lease_seconds: float, what: str = "job"
) -> None:
    """Renew the lease of job ``job_id`` (held under ``claim``) until cancelled, or until the
    claim is lost (settling the job will say so). A renewal the database refuses for a while
    is tried again at the next one; ``what`` names the job in the log."""
    while True:
        await asyncio.sleep(lease_seconds / RENEWALS_PER_LEASE)
        try:
            await asyncio.to_thread(jobs.renew, job_id, claim=claim, lease_seconds=lease_seconds)
        except JobClaimLostError:
            return
        except TerrainError as error:  # the database is briefly unavailable: try again
            log.warning("Could not renew the lease of %s %s: %s", what, job_id, error)
