"""The extraction worker: leased claims, a dead worker's job taken over, two workers that never
run the same job, a failing model that fails only its job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.findings.jobs import ExtractionJobs
from assistant.llm import ModelResponseError
from assistant.llm.testing import Fail, ModelRequest, Reply, ScriptedChatModel
from assistant.schemas import JobKind, JobStatus
from assistant.store import JobClaimLostError, Store
from tests.ollama_server import OllamaTestServer
from tests.support.extraction import coded_reply, extraction_reply
from tests.support.records import SettableClock, closed_interview

EXTRACTION = JobKind.EXTRACTION
TERRAIN = Path(sys.executable).with_name("terrain")


def test_a_job_whose_lease_ran_out_is_claimed_again_and_the_old_claim_cannot_settle_it(
    tmp_path: Path,
) -> None:
    clock = SettableClock()
    with Store(f"sqlite:///{tmp_path / 'terrain.db'}", clock=clock) as store:
        store.migrate()
        job = store.jobs.enqueue(EXTRACTION, store.interviews.create(language="fr").id)
        first = store.jobs.claim_next(EXTRACTION, lease_seconds=60)
        assert first is not None
        assert first.claim is not None
        assert store.jobs.claim_next(EXTRACTION, lease_seconds=60) is None  # leased
        clock.now += timedelta(seconds=50)
        store.jobs.renew(job.id, claim=first.claim, lease_seconds=60)
        clock.now += timedelta(seconds=50)
        assert store.jobs.claim_next(EXTRACTION, lease_seconds=60) is None  # renewed
        clock.now += timedelta(seconds=11)  # the first worker died
        second = store.jobs.claim_next(EXTRACTION, lease_seconds=60)
        assert second is not None
        assert (second.id, second.attempts) == (job.id, 2)
        assert second.claim not in (None, first.claim)
        with pytest.raises(JobClaimLostError):
            store.jobs.finish(job.id, result={}, claim=first.claim)
        with pytest.raises(JobClaimLostError):
            store.jobs.fail(job.id, error="late", claim=first.claim)
        done = store.jobs.finish(job.id, result={"findings": 0}, claim=second.claim)
        assert (done.status, done.claim, done.lease_expires_at) == (JobStatus.DONE, None, None)


def test_a_job_given_back_keeps_its_reason_and_uses_up_no_attempt(tmp_store: Store) -> None:
    job = tmp_store.jobs.enqueue(EXTRACTION, tmp_store.interviews.create(language="fr").id)
    claimed = tmp_store.jobs.claim_next(EXTRACTION)
    assert claimed is not None
    assert claimed.claim is not None
    back = tmp_store.jobs.release(job.id, claim=claimed.claim, reason="Ollama is not reachable")
    assert (back.status, back.attempts, back.error) == (
        JobStatus.QUEUED,
        0,
        "Ollama is not reachable",
    )


async def test_a_failing_model_fails_its_job_with_the_reason_and_the_next_job_runs(
    settings: Settings,
) -> None:
    with Store.open(settings) as store:
        markers = _marked_interviews(store, 2)
        first, second = markers["repère000"], markers["repère001"]

        def respond(request: ModelRequest) -> Reply:
            if "repère000" in request.last.content:
                return Fail(ModelResponseError("the model broke"))
            title = request.json_schema.get("title") if request.json_schema else None
            return coded_reply(request.last.content, title)

        model = ScriptedChatModel(respond=respond)
        jobs = ExtractionJobs.from_settings(settings, store, model=model)
        ended = {job.interview_id: job for job in await jobs.run_queued()}
        assert ended[first].status is JobStatus.FAILED
        assert "the model broke" in (ended[first].error or "")
        assert ended[second].status is JobStatus.DONE


async def test_an_unreachable_model_leaves_the_jobs_queued_with_the_reason(
    settings: Settings,
) -> None:
    with Store.open(settings) as store:
        closed_interview(store)
        closed_interview(store)
        model = ScriptedChatModel([Fail.unavailable()])
        jobs = ExtractionJobs.from_settings(settings, store, model=model)
        jobs.queue_pending()
        [ended] = await jobs.run_queued()  # the second is not tried: it would fail the same way
        assert ended.status is JobStatus.QUEUED
        assert "not reachable" in (ended.error or "")
        queued = store.jobs.where(kind=EXTRACTION, status=JobStatus.QUEUED)
        assert len(queued) == 2
        assert all(job.attempts == 0 for job in queued)


# -- worker processes ---------------------------------------------------------------------


def _environment(settings: Settings, server: OllamaTestServer, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TERRAIN_DATA_DIR": str(settings.data_dir),
        "OLLAMA_HOST": server.url,
        "TERRAIN_CHAT_MODEL": settings.chat_model,
        "TERRAIN_EMBED_MODEL": settings.embed_model,
        "TERRAIN_MAX_RETRIES": "0",
        **extra,
    }


def _marked_interviews(store: Store, count: int) -> dict[str, str]:
    """Closed interviews whose employee said a word of their own: marker -> interview id."""
    from assistant.schemas import InterviewStatus, InterviewUpdate, Phase, Speaker

    made = {}
    for number in range(count):
        marker = f"repère{number:03d}"
        interview = store.interviews.create(language="fr")
        store.interviews.record_consent(interview.id, given=True, version="test")
        store.interviews.add_turn(
            interview.id,
            speaker=Speaker.INTERVIEWER,
            text="Un moment précis ?",
            phase=Phase.EPISODE,
        )
        store.interviews.add_turn(
            interview.id,
            speaker=Speaker.EMPLOYEE,
            text=f"Hier, {marker}, je suis restée un peu plus pour écouter Mme R.",
            phase=Phase.EPISODE,
        )
        store.interviews.update(
            interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
        )
        store.jobs.enqueue(EXTRACTION, interview.id)
        made[marker] = interview.id
    return made


@pytest.mark.slow
def test_two_workers_on_one_database_run_each_job_exactly_once(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    with Store.open(settings) as store:
        markers = _marked_interviews(store, 12)
    ollama_server.respond_with(extraction_reply())
    environment = _environment(settings, ollama_server)
    workers = [
        subprocess.Popen(
            [str(TERRAIN), "worker", "--once", "--json"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()
    seen = Counter(
        marker
        for request in ollama_server.chat_requests()
        for marker in markers
        if marker in str(request.body["messages"])
    )
    assert seen == Counter(dict.fromkeys(markers, 1))
    with Store.open(settings) as store:
        jobs = store.jobs.where(kind=EXTRACTION)
    assert [(job.status, job.attempts) for job in jobs] == [(JobStatus.DONE, 1)] * len(markers)


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_it_to_another_worker(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    with Store.open(settings) as store:
        [interview_id] = _marked_interviews(store, 1).values()
    asked = threading.Event()
    held = threading.Event()
    answer = extraction_reply()

    def hold_the_first(body: dict[str, Any]) -> str:
        if not asked.is_set():
            asked.set()
            held.wait(30)  # the first worker dies while the model "thinks"
        return str(answer(body))

    ollama_server.respond_with(hold_the_first)
    environment = _environment(
        settings, ollama_server, TERRAIN_JOB_LEASE_SECONDS="5", TERRAIN_WORKER_POLL_SECONDS="0.5"
    )
    first = subprocess.Popen([str(TERRAIN), "worker"], env=environment, stdout=subprocess.DEVNULL)
    try:
        assert asked.wait(60), "the first worker never called the model"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        held.set()
        if first.poll() is None:
            first.kill()
    second = subprocess.Popen(
        [str(TERRAIN), "worker"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        job = None
        while time.monotonic() < deadline:
            with Store.open(settings) as store:
                [job] = store.jobs.where(kind=EXTRACTION)
            if job.status is JobStatus.DONE:
                break
            time.sleep(0.5)
        assert job is not None
        assert job.status is JobStatus.DONE, job
        assert (job.interview_id, job.attempts) == (interview_id, 2)
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=30)
    assert second.returncode == 0, stderr.decode()  # SIGTERM stops it cleanly


@pytest.mark.slow
def test_the_server_s_worker_extracts_a_closed_interview_and_stops_with_it(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, ollama_server: OllamaTestServer
) -> None:
    from assistant.web.launch import WORKER_NICENESS, extraction_worker

    for name, value in _environment(settings, ollama_server).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TERRAIN_WORKER_POLL_SECONDS", "0.2")
    ollama_server.respond_with(extraction_reply())
    with Store.open(settings) as store:
        with extraction_worker() as supervisor:
            process = supervisor.process
            assert process is not None
            # Background work: the employees' answers come first on a busy machine.
            ours = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(ours + WORKER_NICENESS, 19)
            interview_id = closed_interview(store)
            store.jobs.enqueue(EXTRACTION, interview_id)  # as closing an interview does
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                [job] = store.jobs.where(kind=EXTRACTION)
                if job.status is JobStatus.DONE:
                    break
                time.sleep(0.1)
            assert job.status is JobStatus.DONE
            assert store.findings.where(interview_id=interview_id)
        assert process.returncode == 0  # stopped cleanly by SIGTERM


def test_a_dead_worker_is_reaped_logged_and_started_again_with_a_back_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.web import launch

    monkeypatch.setattr(launch, "RESTART_FIRST_SECONDS", 0.05)
    caplog.set_level("WARNING", logger="assistant.web.launch")
    supervisor = launch.SupervisedWorker([sys.executable, "-c", "import time; time.sleep(600)"])
    supervisor.start()
    try:
        pids = []
        for restart in (1, 2):
            process = supervisor.process
            assert process is not None
            pids.append(process.pid)
            os.kill(process.pid, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                supervisor.process is process or supervisor.restarts < restart
            ):
                time.sleep(0.02)
            assert supervisor.restarts == restart
            assert supervisor.process is not process
            # Reaped by the supervisor: no zombie left behind.
            assert process.returncode == -signal.SIGKILL
            assert not Path(f"/proc/{process.pid}").exists() or (
                "Z" not in Path(f"/proc/{process.pid}/stat").read_text().split()[2]
            )
        logged = [r.getMessage() for r in caplog.records if "starting it again" in r.getMessage()]
        assert len(logged) == 2
        assert f"pid {pids[0]}" in logged[0]
        assert "killed by SIGKILL" in logged[0]
        assert "in 0 s (restart 1)" in logged[0]
    finally:
        supervisor.stop()
    assert supervisor.process is not None
    assert supervisor.process.returncode is not None  # stopped, and not started again
    assert supervisor.restarts == 2


async def test_a_running_worker_says_it_is_alive_and_forgets_itself_when_stopped(
    settings: Settings,
) -> None:
    import asyncio

    from assistant.findings.worker import SILENT_SECONDS, Worker

    with Store.open(settings) as store:
        worker = Worker(
            ExtractionJobs.from_settings(settings, store),
            poll_seconds=0.1,
            heartbeats=store.workers,
        )
        assert store.workers.alive(SILENT_SECONDS) == []
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not store.workers.alive(SILENT_SECONDS):
            await asyncio.sleep(0.05)
        [alive] = store.workers.alive(SILENT_SECONDS)
        assert (alive.id, alive.pid) == (worker.worker_id, os.getpid())
        stop.set()
        await running
        assert store.workers.alive(SILENT_SECONDS) == []


def test_a_worker_not_heard_from_for_a_while_is_no_longer_alive(tmp_path: Path) -> None:
    from assistant.findings.worker import SILENT_SECONDS

    clock = SettableClock()
    with Store(f"sqlite:///{tmp_path / 'terrain.db'}", clock=clock) as store:
        store.migrate()
        store.workers.beat("killed")
        clock.now += timedelta(seconds=SILENT_SECONDS - 1)
        store.workers.beat("alive")
        assert [w.id for w in store.workers.alive(SILENT_SECONDS)] == ["alive", "killed"]
        clock.now += timedelta(seconds=2)
        assert [w.id for w in store.workers.alive(SILENT_SECONDS)] == ["alive"]
        clock.now += timedelta(days=1, seconds=1)
        store.workers.beat("alive")  # and the killed worker's old row goes
        with store._database.reading() as session:
            from assistant.store.models import WorkerRow

            assert [row.id for row in session.query(WorkerRow)] == ["alive"]
