"""The fake Ollama server, driven by the real ``ollama`` and ``langchain_ollama`` clients, on
the endpoints Terrain calls: chats streamed and whole, embeddings, the version and the model
list."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import ollama
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_ollama import ChatOllama
from pydantic import BaseModel

from assistant.llm.testing import word_vector
from tests.ollama_server import (
    DEFAULT_QUESTION,
    OLLAMA_VERSION,
    Fault,
    OllamaTestServer,
    Reply,
    free_port_url,
    split_tokens,
)

CHAT = "mistral-small3.2"
EMBED = "bge-m3"
HELLO = [{"role": "user", "content": "Bonjour, je travaille en EHPAD."}]
ANSWER = "Qu'est-ce qui vous a le plus marqué lors de la visite du matin, et pourquoi ?"


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT, EMBED)) as running:
        yield running


@pytest.fixture
def client(server: OllamaTestServer) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url) as connected:
        yield connected


def cosine(left: Sequence[float], right: Sequence[float]) -> float:
    dot = sum(a * b for a, b in zip(left, right, strict=True))
    return dot / math.sqrt(sum(a * a for a in left) * sum(b * b for b in right))


def chat(client: ollama.Client) -> str:
    parts = client.chat(model=CHAT, messages=HELLO, stream=True)
    return "".join(part.message.content or "" for part in parts)


def drain_chat(client: ollama.Client, received: list[str]) -> None:
    """Stream a chat into ``received`` piece by piece, so a failure keeps what arrived."""
    for part in client.chat(model=CHAT, messages=HELLO, stream=True):
        received.append(part.message.content or "")


# --------------------------------------------------------------------------------------------
# ollama.Client
# --------------------------------------------------------------------------------------------


def test_chat_streams_pieces_that_add_up_to_the_reply(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue(ANSWER)
    parts = list(client.chat(model=CHAT, messages=HELLO, stream=True))
    *pieces, final = parts
    assert len(pieces) > 5
    assert "".join(part.message.content or "" for part in pieces) == ANSWER
    assert not any(part.done for part in pieces)
    assert (final.done, final.done_reason, final.message.content) == (True, "stop", "")
    assert final.eval_count == len(pieces) == len(split_tokens(ANSWER))
    assert final.prompt_eval_count == 5  # words in the messages
    assert final.total_duration is not None


def test_scripted_replies_are_consumed_in_order_then_the_default_question(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue("Premier.", Reply(content="Deuxième."))
    assert [chat(client) for _ in range(3)] == ["Premier.", "Deuxième.", DEFAULT_QUESTION]


def test_a_whole_answer_is_one_object_as_ollama_sends_it(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue(ANSWER)
    whole = client.chat(model=CHAT, messages=HELLO, format={"type": "object"}, stream=False)
    assert isinstance(whole, ollama.ChatResponse)
    assert (whole.message.role, whole.message.content) == ("assistant", ANSWER)
    assert (whole.done, whole.done_reason) == (True, "stop")
    assert whole.eval_count == len(split_tokens(ANSWER))
    assert whole.prompt_eval_count == 5  # words in the messages
    assert whole.total_duration is not None
    assert server.chat_requests()[-1].body["stream"] is False


async def test_the_async_client_reads_a_whole_answer(server: OllamaTestServer) -> None:
    server.queue(ANSWER)
    whole = await ollama.AsyncClient(host=server.url).chat(model=CHAT, messages=HELLO, stream=False)
    assert whole.message.content == ANSWER


def test_a_whole_answer_fails_as_ollama_does(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.fail_next(Fault.HTTP_500)
    with pytest.raises(ollama.ResponseError) as failed:
        client.chat(model=CHAT, messages=HELLO, stream=False)
    assert failed.value.status_code == 500
    server.models.discard(CHAT)
    with pytest.raises(ollama.ResponseError, match="not found") as missing:
        client.chat(model=CHAT, messages=HELLO, stream=False)
    assert missing.value.status_code == 404
    server.models.add(CHAT)
    server.fail_next(Fault.MALFORMED_JSON)
    with pytest.raises(json.JSONDecodeError):
        client.chat(model=CHAT, messages=HELLO, stream=False)
    server.fail_next(Fault.DROP_MID_STREAM)
    with pytest.raises(httpx.RemoteProtocolError):
        client.chat(model=CHAT, messages=HELLO, stream=False)
    assert_recovers(server, client)


def test_embed_is_deterministic_normalised_and_semantic(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    texts = ["la visite du matin", "visites matinales", "facture impayée", "la visite du matin"]
    vectors = client.embed(model=EMBED, input=texts).embeddings
    assert len(vectors) == 4
    assert all(len(vector) == 512 for vector in vectors)
    assert all(math.isclose(math.hypot(*vector), 1.0) for vector in vectors)
    assert vectors[0] == vectors[3]
    assert list(vectors[0]) == word_vector("la visite du matin", 512)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
    assert len(client.embed(model=EMBED, input="bonjour").embeddings) == 1
    assert server.embed_calls == 2
    assert server.embedded_texts == 5


def test_version_and_the_list_of_pulled_models(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    names = sorted(model.model or "" for model in client.list().models)
    assert names == [f"{EMBED}:latest", f"{CHAT}:latest"]  # Ollama reports the full tag
    assert all(model.digest for model in client.list().models)
    assert httpx.get(f"{server.url}/api/version").json() == {"version": OLLAMA_VERSION}


def test_plain_http_requests(server: OllamaTestServer) -> None:
    missing = httpx.get(f"{server.url}/api/show")
    assert missing.status_code == 404  # an endpoint Terrain never calls
    assert "error" in missing.json()
    # Without "stream", Ollama streams NDJSON.
    response = httpx.post(f"{server.url}/api/chat", json={"model": CHAT, "messages": HELLO})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.headers["content-type"] == "application/x-ndjson"
    assert len(lines) > 2
    assert lines[-1]["done"] is True
    assert "".join(line["message"]["content"] for line in lines) == DEFAULT_QUESTION
    assert httpx.post(f"{server.url}/api/chat", content=b"{oops").status_code == 400


def test_model_names_match_with_or_without_the_latest_tag(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue("a")
    parts = client.chat(model=f"{CHAT}:latest", messages=HELLO, stream=True)
    assert "".join(part.message.content or "" for part in parts) == "a"


async def test_async_client_streams_a_chat_and_embeds(server: OllamaTestServer) -> None:
    server.queue(ANSWER)
    client = ollama.AsyncClient(host=server.url)
    pieces = [
        part.message.content or ""
        async for part in await client.chat(model=CHAT, messages=HELLO, stream=True)
    ]
    assert "".join(pieces) == ANSWER
    vectors = await client.embed(model=EMBED, input=["un", "deux"])
    assert len(vectors.embeddings) == 2


# --------------------------------------------------------------------------------------------
# langchain-ollama
# --------------------------------------------------------------------------------------------


class Moment(BaseModel):
    summary: str
    minutes: int


def test_chat_ollama_invoke_and_stream(server: OllamaTestServer) -> None:
    llm = ChatOllama(model=CHAT, base_url=server.url, temperature=0.2)
    server.queue(ANSWER, ANSWER)
    answer = llm.invoke([SystemMessage("Tu es enquêteur."), HumanMessage("Bonjour")])
    assert isinstance(answer, AIMessage)
    assert answer.content == ANSWER
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["output_tokens"] == len(split_tokens(ANSWER))
    chunks = list(llm.stream("Bonjour"))
    assert len(chunks) > 5
    assert "".join(str(chunk.content) for chunk in chunks) == ANSWER
    body = server.chat_requests()[0].body
    assert body["stream"] is True  # ChatOllama always streams, even for invoke
    assert body["options"]["temperature"] == 0.2
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "format" not in body


async def test_chat_ollama_ainvoke_sends_the_schema_as_format(server: OllamaTestServer) -> None:
    server.queue('{"summary": "La visite du matin.", "minutes": 20}')
    schema = Moment.model_json_schema()
    answer = await ChatOllama(model=CHAT, base_url=server.url).ainvoke("Résume", format=schema)
    assert Moment.model_validate_json(str(answer.content)) == Moment(
        summary="La visite du matin.", minutes=20
    )
    assert server.chat_requests()[-1].body["format"] == schema


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


def assert_recovers(server: OllamaTestServer, client: ollama.Client) -> None:
    server.queue("Et ensuite ?")
    assert chat(client) == "Et ensuite ?"
    assert client.embed(model=EMBED, input="ok").embeddings
    assert server.running
    assert server.errors == []


def test_http_500(server: OllamaTestServer, client: ollama.Client) -> None:
    server.queue("Gardée pour la requête suivante.")
    server.fail_next(Fault.HTTP_500)
    with pytest.raises(ollama.ResponseError) as caught:
        chat(client)
    assert caught.value.status_code == 500
    # The scripted reply was not used up by the failed request.
    assert chat(client) == "Gardée pour la requête suivante."
    assert_recovers(server, client)


def test_model_not_found(server: OllamaTestServer, client: ollama.Client) -> None:
    server.models.discard(CHAT)
    with pytest.raises(ollama.ResponseError, match="not found") as caught:
        chat(client)
    assert caught.value.status_code == 404
    assert caught.value.error == f'model "{CHAT}" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError, match="not found"):
        client.embed(model="nomic-embed-text", input="x")
    server.models.add(CHAT)
    server.fail_next(Fault.MODEL_NOT_FOUND)
    with pytest.raises(ollama.ResponseError, match="not found") as injected:
        ChatOllama(model=CHAT, base_url=server.url).invoke("Bonjour")
    assert injected.value.status_code == 404
    assert_recovers(server, client)


def test_stream_dropped_midway(server: OllamaTestServer, client: ollama.Client) -> None:
    server.queue(ANSWER)
    server.fail_next(Fault.DROP_MID_STREAM)
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        drain_chat(client, received)
    partial = "".join(received)
    assert partial
    assert ANSWER.startswith(partial)
    assert partial != ANSWER
    assert_recovers(server, client)


def test_dropped_connection_for_embeddings_and_in_chat_ollama(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.fail_next(Fault.DROP_MID_STREAM, count=2)
    with pytest.raises(httpx.RemoteProtocolError):
        client.embed(model=EMBED, input="x")
    with pytest.raises(httpx.RemoteProtocolError):
        ChatOllama(model=CHAT, base_url=server.url).invoke("Bonjour")
    assert_recovers(server, client)


def test_malformed_json(server: OllamaTestServer, client: ollama.Client) -> None:
    server.fail_next(Fault.MALFORMED_JSON, count=3)
    received: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        drain_chat(client, received)
    assert received  # one good line came before the broken one
    with pytest.raises(json.JSONDecodeError):
        client.embed(model=EMBED, input="x")
    with pytest.raises(json.JSONDecodeError):
        ChatOllama(model=CHAT, base_url=server.url).invoke("Bonjour")
    assert_recovers(server, client)


def test_a_fault_can_be_scripted_in_the_queue(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue(Reply(content=ANSWER, fault=Fault.DROP_MID_STREAM), "Reprenons.")
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        drain_chat(client, received)
    assert ANSWER.startswith("".join(received))
    assert chat(client) == "Reprenons."


def test_connection_refused() -> None:
    url = free_port_url()
    client = ollama.Client(host=url)
    with pytest.raises(ConnectionError):
        client.embed(model=EMBED, input="x")
    # Streaming requests bypass the client's translation: httpx's own error surfaces.
    with pytest.raises(httpx.ConnectError):
        list(client.chat(model=CHAT, messages=HELLO, stream=True))
    with pytest.raises(httpx.ConnectError):
        ChatOllama(model=CHAT, base_url=url).invoke("Bonjour")


def test_the_server_stops_with_kept_alive_connections() -> None:
    server = OllamaTestServer().start()
    with ollama.Client(host=server.url) as client:
        client.list()  # leaves a pooled keep-alive connection open
        server.stop()
        assert not server.running
        with pytest.raises(ConnectionError):
            client.list()


# --------------------------------------------------------------------------------------------
# Pacing, responders, records
# --------------------------------------------------------------------------------------------


class _FakeTime:
    """A clock that moves only when the server pauses: the pace is checked, not waited for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += max(seconds, 0.0)


def test_the_stream_is_paced_like_a_model(server: OllamaTestServer, client: ollama.Client) -> None:
    fake = _FakeTime()
    server.clock, server.pause = fake.clock, fake.pause
    server.time_to_first_token = 0.3
    server.tokens_per_second = 40
    server.queue(ANSWER)
    assert chat(client) == ANSWER
    first, *between = fake.pauses
    assert first == 0.3
    assert between == pytest.approx([1 / 40] * (len(split_tokens(ANSWER)) - 1))


def test_a_whole_answer_waits_the_time_it_takes_to_generate(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    """A real server spends the same time generating an answer it sends whole: the time to the
    first token, then each next one, silent meanwhile."""
    fake = _FakeTime()
    server.clock, server.pause = fake.clock, fake.pause
    server.time_to_first_token = 0.3
    server.tokens_per_second = 40
    server.queue(ANSWER)
    assert client.chat(model=CHAT, messages=HELLO, stream=False).message.content == ANSWER
    assert fake.pauses == pytest.approx([0.3, (len(split_tokens(ANSWER)) - 1) / 40])


def test_responders_and_recorded_requests(server: OllamaTestServer, client: ollama.Client) -> None:
    def echo(body: dict[str, Any]) -> str:
        return f"Vous avez dit : {body['messages'][-1]['content']}"

    server.respond_with(echo)
    server.queue(lambda body: Reply(content=f"Modèle {body['model']}"))
    first = client.chat(model=CHAT, messages=HELLO, format={"type": "object"}, stream=True)
    assert "".join(part.message.content or "" for part in first) == f"Modèle {CHAT}"
    second = client.chat(model=CHAT, messages=[{"role": "user", "content": "Rien."}], stream=True)
    assert "".join(part.message.content or "" for part in second) == "Vous avez dit : Rien."
    server.respond_with(None)
    assert chat(client) == DEFAULT_QUESTION

    recorded = server.chat_requests()
    assert [r.body["messages"][-1]["content"] for r in recorded] == [
        HELLO[0]["content"],
        "Rien.",
        HELLO[0]["content"],
    ]
    assert recorded[0].body["format"] == {"type": "object"}
    assert "format" not in recorded[1].body
    assert all(r.method == "POST" for r in recorded)


def test_a_failing_responder_becomes_a_500(server: OllamaTestServer, client: ollama.Client) -> None:
    def broken(body: dict[str, Any]) -> str:
        raise RuntimeError("bug in the test")

    server.respond_with(broken)
    with pytest.raises(ollama.ResponseError, match="bug in the test"):
        chat(client)
    assert isinstance(server.errors[0], RuntimeError)
    server.reset()
    assert server.requests == []
    assert chat(client) == DEFAULT_QUESTION


@pytest.mark.parametrize(
    "text",
    ["", "Bonjour", "  Qu'est-ce que… vous en pensez ?\n\n", "a\tb  c ", '{"k": [1, 2]}'],
)
def test_split_tokens_is_lossless(text: str) -> None:
    assert "".join(split_tokens(text)) == text
