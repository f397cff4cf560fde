"""Job claims on PostgreSQL, where ``FOR UPDATE SKIP LOCKED`` keeps workers apart, by many
threads at once: on the session's throwaway server (tests/postgres.py), skipped when this
machine has no PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from assistant.schemas import JobKind, JobStatus
from assistant.store import JobClaimLostError, Store
from tests.support.records import SettableClock

pytestmark = pytest.mark.slow
EXTRACTION = JobKind.EXTRACTION
WORKERS = 8
JOBS = 120


def test_workers_on_postgresql_claim_each_job_exactly_once(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.migrate()
        queued = {
            store.jobs.enqueue(EXTRACTION, store.interviews.create(language="fr").id).id
            for _ in range(JOBS)
        }
    claims: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with Store(postgres_url) as own:  # an engine, and connections, of its own
            while (job := own.jobs.claim_next(EXTRACTION, lease_seconds=600)) is not None:
                with lock:
                    claims.append(job.id)
                own.jobs.finish(job.id, result={}, claim=job.claim)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    counted = Counter(job_id for job_id in claims if job_id in queued)
    assert counted == Counter(dict.fromkeys(queued, 1))
    with Store(postgres_url) as store:
        done = {job.id for job in store.jobs.where(kind=EXTRACTION, status=JobStatus.DONE)}
    assert queued <= done


def test_on_postgresql_a_lease_that_ran_out_passes_the_job_on(postgres_url: str) -> None:
    clock = SettableClock()
    with Store(postgres_url, clock=clock) as store:
        store.migrate()
        for job in store.jobs.where(kind=EXTRACTION, status=JobStatus.QUEUED):
            assert job.interview_id is not None  # an extraction always names its interview
            store.interviews.erase(job.interview_id)
        job = store.jobs.enqueue(EXTRACTION, store.interviews.create(language="fr").id)
        first = store.jobs.claim_next(EXTRACTION, lease_seconds=60)
        assert first is not None
        assert first.id == job.id
        assert store.jobs.claim_next(EXTRACTION, lease_seconds=60) is None
        clock.now += timedelta(seconds=61)
        second = store.jobs.claim_next(EXTRACTION, lease_seconds=60)
        assert second is not None
        assert (second.id, second.attempts) == (job.id, 2)
        with pytest.raises(JobClaimLostError):
            store.jobs.finish(job.id, result={}, claim=first.claim)
