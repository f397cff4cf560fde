"""One lease keeper for every kind of job: it renews a running job's lease, and stops once the
claim is lost (another worker took the job)."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from assistant.schemas import Job, ReportBuildRequest
from assistant.store import Store
from assistant.store.leases import keep_leased

# Generous: the renewals come every third of this, however loaded the machine.
LEASE = 0.6
CAP_SECONDS = 60.0


def _claimed_build(store: Store) -> Job:
    request = ReportBuildRequest(requested_by="claire")
    return store.jobs.queue_report_build(request.model_dump(mode="json"), lease_seconds=LEASE)


async def _until(condition: object, cap: float = CAP_SECONDS) -> None:
    assert callable(condition)
    waited = 0.0
    while not await asyncio.to_thread(condition):
        assert waited < cap, "gave up waiting"
        await asyncio.sleep(0.05)
        waited += 0.05


async def test_the_lease_is_renewed_while_the_job_runs(tmp_store: Store) -> None:
    job = _claimed_build(tmp_store)
    assert job.lease_expires_at is not None
    assert job.claim is not None
    first = job.lease_expires_at
    keeper = asyncio.create_task(
        keep_leased(tmp_store.jobs, job.id, claim=job.claim, lease_seconds=LEASE)
    )

    def renewed() -> bool:
        current = tmp_store.jobs.latest(job.kind)
        assert current is not None
        return current.lease_expires_at is not None and current.lease_expires_at > first

    await _until(renewed)
    assert not keeper.done()
    keeper.cancel()
    with suppress(asyncio.CancelledError):
        await keeper


async def test_the_keeper_stops_once_another_worker_holds_the_job(tmp_store: Store) -> None:
    job = _claimed_build(tmp_store)
    assert job.claim is not None
    tmp_store.jobs.release(job.id, claim=job.claim, reason="test")  # the claim is lost
    keeper = asyncio.create_task(
        keep_leased(tmp_store.jobs, job.id, claim=job.claim, lease_seconds=LEASE)
    )
    await asyncio.wait_for(keeper, CAP_SECONDS)
    assert keeper.result() is None
