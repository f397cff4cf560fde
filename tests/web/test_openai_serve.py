"""`terrain serve` with ``TERRAIN_MODEL_PROVIDER=openai``: an employee's whole interview in the
web app, streamed from the fake OpenAI-compatible server, then extracted by the server's own
worker through the same server. No Ollama is reachable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.schemas import InterviewStatus
from tests.ollama_server import free_port_url
from tests.openai_server import OpenAITestServer
from tests.support.employee_chat import ANSWERS, consented, interview_of, interviewer
from tests.support.extraction import extraction_reply
from tests.web.server import ACCOUNTS, CHAT_MODEL, EMBED_MODEL, WebServer

pytestmark = pytest.mark.slow

KEY = "sk-serve-2b7e"
EXTRACTION_WAIT = 120  # seconds at most; the poll ends as soon as the findings are stored


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(models=(CHAT_MODEL, EMBED_MODEL), api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def openai_web(
    tmp_path_factory: pytest.TempPathFactory, openai_server: OpenAITestServer
) -> Iterator[WebServer]:
    server = WebServer(
        data_dir=tmp_path_factory.mktemp("web-openai") / "data",
        ollama_url=free_port_url(),  # an Ollama call would fail
        extra_env={
            "TERRAIN_MODEL_PROVIDER": "openai",
            "TERRAIN_OPENAI_BASE_URL": openai_server.base_url,
            "TERRAIN_OPENAI_API_KEY": KEY,
            "TERRAIN_WORKER_POLL_SECONDS": "0.2",
        },
    )
    server.add_accounts(ACCOUNTS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def interviewer_then_coder(body: dict[str, Any]) -> str:
    """The interviewer of the web tests, and the extraction's coder once asked for findings."""
    schema = body.get("format") or {}
    if "findings" in schema.get("properties", {}) or schema.get("title") == "RepairOutput":
        answer: str = extraction_reply()(body)
        return answer
    return interviewer(body)


async def test_an_interview_in_the_browser_is_streamed_and_extracted_by_the_server_s_worker(
    openai_web: WebServer, openai_server: OpenAITestServer
) -> None:
    openai_server.respond_with(interviewer_then_coder)
    openai_server.tokens_per_second = 40
    client = await consented(openai_web, "alice")
    openai_server.tokens_per_second = None
    first = client.shown()[-1]
    assert first.streamed, "the first question should have been streamed, once checked"
    assert first.content.startswith(first.streamed_text)
    for answer in ANSWERS:
        await client.send(answer)
    await client.wait_for(lambda: "C'est juste" in client.labels())
    await client.click("C'est juste")
    await client.wait_for_text("autre chose")
    await client.send("Non, c'est tout.")
    await client.wait_for_text("L\\'entretien est terminé")
    interview, _ = interview_of(openai_web, client.thread_id)
    assert interview.status == InterviewStatus.CLOSED
    await client.disconnect()

    findings: list[Any] = []
    deadline = time.monotonic() + EXTRACTION_WAIT
    while not findings and time.monotonic() < deadline:
        with openai_web.store() as store:
            findings = store.findings.where(interview_id=interview.id)
        await asyncio.sleep(0.2)
    assert findings, openai_web.output()[-3000:]
    assert {finding.provenance.model for finding in findings} == {CHAT_MODEL}

    chats = [request.body for request in openai_server.chat_requests()]
    assert any(body.get("stream") for body in chats)
    assert any("response_format" in body for body in chats)
    assert KEY not in openai_web.output()
