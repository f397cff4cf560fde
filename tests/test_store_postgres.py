"""Job claims on PostgreSQL, where ``FOR UPDATE SKIP LOCKED`` keeps workers apart: a throwaway
server in a temporary folder, started when this machine has PostgreSQL's programs (``initdb``,
``pg_ctl``); skipped otherwise. It starts in a few seconds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.schemas import JobKind, JobStatus
from assistant.store import JobClaimLostError, Store
from tests.test_store_findings import SettableClock

pytestmark = pytest.mark.slow
EXTRACTION = JobKind.EXTRACTION
WORKERS = 8
JOBS = 120


def _postgres_program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser to start PostgreSQL as another user")
    return [runuser, "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str]) -> None:
    subprocess.run(_as_postgres_user(command), check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed here (no initdb, pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="terrain-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    data, port = folder / "data", _free_port()
    _run([initdb, "-D", str(data), "-A", "trust", "-U", "terrain"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
    _run(start)
    try:
        yield f"postgresql+psycopg://terrain@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres_user(stop), check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


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
