"""Several web replicas behind nginx, on this machine: PostgreSQL, ``chroma run``, nginx from
``deploy/nginx/terrain.conf``, two ``terrain serve --no-worker`` and one ``terrain worker``,
the fake Ollama as the model. Interviews run through the proxy; the replica one employee is on
is killed (``kill -9``) in the middle of their interview, and they go on through the other
with nothing lost; their interview is extracted, and a report is built and published, by the
worker's jobs."""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.auth import add_user
from assistant.findings.worker import SILENT_SECONDS
from assistant.schemas import InterviewStatus, JobKind, JobStatus, Speaker, UserRole
from assistant.store import Store
from tests.deploy.topology import (
    CAP_SECONDS,
    UPSTREAM_HEADER,
    Topology,
    chroma_executable,
    nginx_executable,
    topology,
)
from tests.ollama_server import OllamaTestServer
from tests.postgres import PostgresCluster
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.support.extraction import coded_reply
from tests.web.client import WebClient, plain
from tests.web.server import CHAT_MODEL, EMBED_MODEL, PASSWORD

pytestmark = pytest.mark.slow

EMPLOYEES = [f"employee{n}" for n in range(1, 9)]
ANSWERS = [
    "Hier matin, Mme R. était inquiète. Je me suis assise avec elle et je l'ai écoutée.",
    "Sa fille a appelé pendant la visite, je lui ai expliqué ce que j'avais vu.",
    "Ensuite j'ai noté la visite dans le cahier de liaison avant de partir.",
]
STOP = "Arrêter l'entretien"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_QUOTE_FORM = re.compile(r'action="/staff/report/quotes/(q[0-9a-f]{8})"')


def model(body: dict[str, Any]) -> str:
    """The interviewer's short question; asked for findings, one coding the last sentence of
    the first employee turn it is shown; a summary's points when another schema is asked."""
    schema = body.get("format")
    if isinstance(schema, dict) and "findings" in schema.get("properties", {}):
        return coded_reply(body["messages"][-1]["content"], None)
    if isinstance(schema, dict) and schema.get("title") == "RepairOutput":
        return json.dumps({"quotes": []})
    if isinstance(schema, dict):
        return json.dumps({"points": ["Vous accompagnez des personnes âgées à domicile."]})
    return "Comment cela s'est-il passé ensuite ?"


@pytest.fixture
def fake_model() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as server:
        server.respond_with(model)
        yield server


@pytest.fixture
def deployed(
    tmp_path: Path, postgres: PostgresCluster, fake_model: OllamaTestServer
) -> Iterator[Topology]:
    if nginx_executable() is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    if chroma_executable() is None:
        pytest.skip("chromadb's `chroma` server is not installed")
    postgres.empty()
    with Store(postgres.url) as store:
        for name in EMPLOYEES:
            add_user(store, name, UserRole.EMPLOYEE, PASSWORD)
        add_user(store, "fanny", UserRole.FACILITATOR, PASSWORD)
    extra = {
        "TERRAIN_WORKER_POLL_SECONDS": "0.2",
        "TERRAIN_REPORT_MIN_PEOPLE": "3",
        "TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES": "3",
    }
    with topology(
        tmp_path, database_url=postgres.url, ollama_url=fake_model.url, extra_env=extra
    ) as started:
        yield started


async def replica_of(client: WebClient) -> str:
    """The address of the replica nginx sends this signed-in person to."""
    async with client.http() as http:
        response = await http.get("/health")
    assert response.status_code == 200
    return response.headers[UPSTREAM_HEADER]


async def one_on_each_replica(web: Topology) -> tuple[WebClient, WebClient]:
    """Two signed-in employees that the proxy sends to different replicas (signing in again
    until it does: each sign-in is a new cookie, hashed anew)."""
    seen: dict[str, WebClient] = {}
    deadline = time.monotonic() + CAP_SECONDS
    while len(seen) < 2:
        for name in EMPLOYEES:
            assert time.monotonic() < deadline, "nginx sends everyone to one replica"
            client = WebClient(web.url, name, PASSWORD)
            await client.login()
            seen.setdefault(await replica_of(client), client)
            if len(seen) == 2:
                break
        else:
            await asyncio.sleep(1.0)  # a new second: new tokens
    first, second = seen.values()
    return first, second


async def consent(client: WebClient) -> None:
    await client.connect()
    await client.wait_for(lambda: "J'accepte" in client.labels())
    response = await client.click("J'accepte")
    assert response.status_code == 200, response.text
    await client.wait_for(lambda: "Retirer mon entretien" in client.labels())


def stored(web: Topology, thread_id: str) -> tuple[Any, list[Any]]:
    with Store(web.database_url) as store:
        return store.interviews.get(thread_id), store.interviews.turns(thread_id)


def said(web: Topology, thread_id: str) -> list[str]:
    return [t.text for t in stored(web, thread_id)[1] if t.speaker == Speaker.EMPLOYEE]


async def poll(condition: Any, what: str) -> None:
    deadline = time.monotonic() + CAP_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {CAP_SECONDS:.0f} s")
        await asyncio.sleep(0.1)


def held(asked: threading.Event, release: threading.Event) -> Any:
    """The model's next reply, held once asked until the test releases it."""

    def respond(body: dict[str, Any]) -> str:
        asked.set()
        release.wait(CAP_SECONDS)
        return model(body)

    return respond


async def test_an_employee_whose_replica_dies_goes_on_through_the_other_and_the_report_publishes(
    deployed: Topology, fake_model: OllamaTestServer
) -> None:
    web = deployed
    began = time.monotonic()
    doomed_client, survivor = await one_on_each_replica(web)
    doomed = web.replica_at(await replica_of(doomed_client))
    other = web.replica_at(await replica_of(survivor))
    assert doomed is not other
    await asyncio.gather(consent(doomed_client), consent(survivor))
    await asyncio.gather(doomed_client.send(ANSWERS[0]), survivor.send(ANSWERS[0]))
    thread_id = doomed_client.thread_id
    assert thread_id

    # In the middle of the interview: the message is sent and stored, the model is answering.
    asked, release = threading.Event(), threading.Event()
    fake_model.queue(held(asked, release))
    await doomed_client.send_nowait(ANSWERS[1])
    await poll(asked.is_set, "the model asked for the reply")
    doomed.kill()
    release.set()
    await doomed_client.disconnect()
    assert said(web, thread_id)[-1] == ANSWERS[1]

    # The page reconnects, as the browser does, to the same address: the proxy passes the dead
    # replica over and the other one reopens the conversation from the database.
    await doomed_client.connect(thread_id)
    await doomed_client.wait_for(lambda: doomed_client.resumed is not None)
    assert doomed_client.resume_error is None
    assert web.replica_at(await replica_of(doomed_client)) is other
    await poll(
        lambda: stored(web, thread_id)[1][-1].speaker == Speaker.INTERVIEWER,
        "the pending message answered on the other replica",
    )
    _, turns = stored(web, thread_id)
    await doomed_client.wait_for(lambda: plain(doomed_client.last()) == turns[-1].text)
    await doomed_client.send(ANSWERS[2])
    # Nothing lost, nothing twice; the transcript goes on.
    assert said(web, thread_id)[-3:] == ANSWERS
    assert len(said(web, thread_id)) == len(set(said(web, thread_id)))
    assert stored(web, thread_id)[1][-1].speaker == Speaker.INTERVIEWER
    resumed_at = time.monotonic() - began

    # The employee on the surviving replica never noticed.
    await survivor.send(ANSWERS[1])
    assert survivor.thread_id
    assert said(web, survivor.thread_id)[-2:] == ANSWERS[:2]

    # Ended, the interview is extracted by the worker, a process of its own.
    await doomed_client.click(STOP)
    await doomed_client.wait_for(lambda: doomed_client.labels() == ["Retirer mon entretien"])
    interview, _ = stored(web, thread_id)
    assert interview.status == InterviewStatus.STOPPED
    with Store(web.database_url) as store:

        def extracted() -> bool:
            jobs = store.jobs.where(kind=JobKind.EXTRACTION)
            return any(j.interview_id == thread_id and j.status is JobStatus.DONE for j in jobs)

        await poll(extracted, "the worker extracted the interview")
        # By `terrain worker` alone: the replicas (--no-worker) run none beside them.
        beating = {beat.pid for beat in store.workers.alive(SILENT_SECONDS)}
        assert beating == {worker.pid for worker in web.workers}
        [finding] = store.findings.where(interview_id=thread_id)
        # Verbatim evidence from the employee's own words.
        assert any(finding.evidence[0].text in text for text in said(web, thread_id))
        store_study(store, scripted(12))  # a campaign's reviewed findings, for the report
    await asyncio.gather(doomed_client.disconnect(), survivor.disconnect())

    # A facilitator, through the proxy, has the report built (by the worker) and publishes it.
    facilitator = WebClient(web.url, "fanny", PASSWORD)
    await facilitator.login()
    async with facilitator.http() as http:

        async def form_token() -> str:
            report = await http.get("/staff/report")
            found = _CSRF.search(report.text)
            assert found, (report.status_code, report.headers, report.text[:300])
            return found.group(1)

        asked_build = await http.post(
            "/staff/report/build", data={"narratives": "none", "csrf": await form_token()}
        )
        assert asked_build.status_code == 303, asked_build.text[:500]
        with Store(web.database_url) as store:

            def built() -> bool:
                jobs = store.jobs.where(kind=JobKind.REPORT_BUILD)
                assert all(job.status is not JobStatus.FAILED for job in jobs), jobs
                return bool(jobs) and all(job.status is JobStatus.DONE for job in jobs)

            await poll(built, "the worker built the report")
        page = html.unescape((await http.get("/staff/report")).text)
        for quote in dict.fromkeys(_QUOTE_FORM.findall(page)):
            decided = await http.post(
                f"/staff/report/quotes/{quote}",
                data={"decision": "approved", "csrf": await form_token()},
            )
            assert decided.status_code == 303
        published = await http.post("/staff/report/publish", data={"csrf": await form_token()})
        assert published.headers["location"] == "/staff/report?done=published"
    with Store(web.database_url) as store:
        version = store.reports.latest_published()
        assert version is not None
        assert version.number == 1
    print(
        f"\n[replicas] resumed on the other replica {resumed_at:.1f} s into the test; "
        f"report published {time.monotonic() - began:.1f} s in"
    )
