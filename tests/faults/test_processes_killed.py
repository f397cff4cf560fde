"""`kill -9` of `terrain serve` while the model answers, and of the worker it supervises."""

from __future__ import annotations

import html
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.findings.worker import SILENT_SECONDS
from assistant.schemas import JobKind, JobStatus, Speaker
from tests.faults.conftest import CAP_SECONDS, ServerFactory, children, is_zombie, poll, recovered
from tests.ollama_server import OllamaTestServer
from tests.support.employee_chat import ANSWERS, consented, interviewer
from tests.support.extraction import extraction_reply
from tests.support.records import closed_interview
from tests.web.client import plain

pytestmark = pytest.mark.slow


def held(asked: threading.Event, release: threading.Event, answer: Any) -> Any:
    """A model's answer that waits, once asked, until the test releases it."""

    def respond(body: dict[str, Any]) -> Any:
        asked.set()
        release.wait(CAP_SECONDS)
        return answer(body)

    return respond


async def test_a_server_killed_while_the_model_answers_answers_the_message_on_resume(
    tmp_path: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer)
    web = make_server(tmp_path / "data")
    client = await consented(web, "alice")
    await client.send(ANSWERS[0])
    thread_id = client.thread_id
    assert thread_id

    asked, release = threading.Event(), threading.Event()
    fake_ollama.queue(held(asked, release, interviewer))
    await client.send_nowait(ANSWERS[1])
    await poll(asked.is_set)  # the model is answering: the message is stored, its reply is not
    assert web.process is not None
    web.process.kill()  # kill -9
    web.process.wait()
    killed_at = time.monotonic()
    release.set()
    await client.disconnect()
    _, turns = _interview(web, thread_id)
    assert (turns[-1].speaker, turns[-1].text) == (Speaker.EMPLOYEE, ANSWERS[1])

    web.start()
    ready_at = time.monotonic()
    await client.connect(thread_id)
    await client.wait_for(lambda: client.resumed is not None, timeout=CAP_SECONDS)
    # The reply comes by itself, without the employee writing again.
    await poll(lambda: _interview(web, thread_id)[1][-1].speaker == Speaker.INTERVIEWER)
    _, turns = _interview(web, thread_id)
    await client.wait_for(lambda: plain(client.last()) == turns[-1].text, timeout=CAP_SECONDS)
    seconds = time.monotonic() - killed_at
    answered = time.monotonic() - ready_at
    said = [turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    assert said[1:] == [ANSWERS[0], ANSWERS[1]]  # nothing lost, nothing twice
    assert not turns[-1].scripted  # the model's question, as if nothing had happened
    await client.send(ANSWERS[2])  # and the interview goes on
    assert _interview(web, thread_id)[1][-2].text == ANSWERS[2]
    await client.disconnect()
    recovered(
        "kill -9 of terrain serve while the model answers",
        f"message kept; answered on resume without writing again, {answered:.2f} s after the "
        f"restarted server was ready ({seconds - answered:.2f} s to restart it)",
        seconds,
    )


async def test_a_killed_worker_is_reaped_started_again_and_its_job_completes(
    tmp_path: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer
) -> None:
    web = make_server(
        tmp_path / "data", TERRAIN_WORKER_POLL_SECONDS="0.2", TERRAIN_JOB_LEASE_SECONDS="5"
    )
    assert web.process is not None
    server_pid = web.process.pid
    with web.store() as store:
        first = await poll_worker(store, server_pid)
        facilitator = web.client("fanny")
        await facilitator.login()
        async with facilitator.http() as http:
            page = html.unescape((await http.get("/staff/jobs")).text)
        assert "Processus d'extraction en marche : 1." in page

        # A job under way when the worker dies.
        asked, release = threading.Event(), threading.Event()
        fake_ollama.respond_with(held(asked, release, extraction_reply()))
        interview_id = closed_interview(store)
        store.jobs.enqueue(JobKind.EXTRACTION, interview_id)
        await poll(asked.is_set)
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        fake_ollama.respond_with(extraction_reply())
        release.set()

        await poll(lambda: not is_zombie(first) and first not in children(server_pid))
        second = await poll_worker(store, server_pid, other_than=first)
        back = time.monotonic() - killed_at
        [job] = store.jobs.where(kind=JobKind.EXTRACTION)
        await poll(lambda: store.jobs.where(kind=JobKind.EXTRACTION)[0].status is JobStatus.DONE)
        done = time.monotonic() - killed_at
        [job] = store.jobs.where(kind=JobKind.EXTRACTION)
        assert job.attempts == 2  # the killed worker's claim ran out; the new worker ran it
        assert store.findings.where(interview_id=interview_id)
        assert second != first
    log = web.output()
    assert f"The extraction worker (pid {first}) stopped (killed by SIGKILL)" in log
    assert f"The extraction worker is running again (pid {second})" in log
    recovered(
        "kill -9 of the worker under terrain serve",
        "reaped, logged, started again",
        back,
    )
    recovered(
        "kill -9 of the worker during an extraction",
        "the job completed in the new worker (lease 5 s)",
        done,
    )


async def poll_worker(store: Any, server_pid: int, other_than: int | None = None) -> int:
    """The pid of the server's worker once it is alive (a child with a fresh heartbeat)."""
    found: list[int] = []

    def alive() -> bool:
        beats = {beat.pid for beat in store.workers.alive(SILENT_SECONDS)}
        found[:] = [pid for pid in children(server_pid) if pid in beats and pid != other_than]
        return bool(found)

    await poll(alive, every=0.1)
    return found[0]


def _interview(web: Any, thread_id: str) -> Any:
    with web.store() as store:
        return store.interviews.get(thread_id), store.interviews.turns(thread_id)
