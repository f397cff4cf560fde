"""The fake Ollama server, driven by the real ``ollama`` and ``langchain_ollama`` clients."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Any, Literal

import httpx
import ollama
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_ollama import ChatOllama, OllamaEmbeddings
from pydantic import BaseModel, Field

from tests.ollama_server import (
    DEFAULT_QUESTION,
    OLLAMA_VERSION,
    Fault,
    OllamaTestServer,
    Reply,
    embed_text,
    free_port_url,
    schema_example,
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


def chat_once(client: ollama.Client, *, stream: bool) -> str:
    if stream:
        parts = client.chat(model=CHAT, messages=HELLO, stream=True)
        return "".join(part.message.content or "" for part in parts)
    return client.chat(model=CHAT, messages=HELLO).message.content or ""


def drain_chat(client: ollama.Client, received: list[str], **kwargs: Any) -> None:
    """Stream a chat into ``received`` piece by piece, so a failure keeps what arrived."""
    for part in client.chat(model=CHAT, messages=HELLO, stream=True, **kwargs):
        received.append(part.message.content or "")


# --------------------------------------------------------------------------------------------
# ollama.Client
# --------------------------------------------------------------------------------------------


def test_chat_without_streaming_returns_the_scripted_reply(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue(ANSWER)
    response = client.chat(model=CHAT, messages=HELLO)
    assert response.message.role == "assistant"
    assert response.message.content == ANSWER
    assert response.done is True
    assert response.done_reason == "stop"
    assert response.model == CHAT
    assert response.prompt_eval_count == 5  # words in the messages
    assert response.eval_count == len(split_tokens(ANSWER))
    assert server.chat_requests()[-1].body["stream"] is False


def test_chat_streams_pieces_that_add_up_to_the_reply(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue(ANSWER)
    parts = list(client.chat(model=CHAT, messages=HELLO, stream=True))
    *pieces, final = parts
    assert len(pieces) > 5
    assert "".join(part.message.content or "" for part in pieces) == ANSWER
    assert not any(part.done for part in pieces)
    assert final.done is True
    assert final.message.content == ""
    assert final.eval_count == len(pieces)
    assert final.total_duration is not None
    assert final.prompt_eval_duration is not None


def test_scripted_replies_are_consumed_in_order_then_the_default_question(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue("Premier.", Reply(content="Deuxième."))
    answers = [client.chat(model=CHAT, messages=HELLO).message.content for _ in range(3)]
    assert answers == ["Premier.", "Deuxième.", DEFAULT_QUESTION]


def test_generate_with_and_without_streaming(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.queue("Une réponse complète.", "Une réponse en morceaux.")
    whole = client.generate(model=CHAT, prompt="Dis quelque chose", system="Sois bref")
    assert whole.response == "Une réponse complète."
    assert whole.done is True
    assert whole.prompt_eval_count == 5
    parts = list(client.generate(model=CHAT, prompt="Encore", stream=True))
    assert "".join(part.response or "" for part in parts) == "Une réponse en morceaux."
    assert parts[-1].done is True
    assert client.generate(model=CHAT, prompt="{}", format="json").response == "{}"


def test_tool_calls_and_thinking_reach_the_client(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    call = {"function": {"name": "note_moment", "arguments": {"minutes": 20}}}
    server.queue(
        Reply(tool_calls=[call], thinking="Je note."), Reply(content="Ok.", tool_calls=[call])
    )
    message = client.chat(model=CHAT, messages=HELLO).message
    assert message.thinking == "Je note."
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.name == "note_moment"
    assert message.tool_calls[0].function.arguments == {"minutes": 20}
    parts = list(client.chat(model=CHAT, messages=HELLO, stream=True))
    calls = [call for part in parts for call in part.message.tool_calls or []]
    assert [call.function.name for call in calls] == ["note_moment"]
    assert "".join(part.message.content or "" for part in parts) == "Ok."


def test_embed_is_deterministic_normalised_and_semantic(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    texts = [
        "la visite du matin",
        "visites matinales",
        "visite le matin",
        "facture impayée",
        "la visite du matin",
    ]
    vectors = client.embed(model=EMBED, input=texts).embeddings
    assert len(vectors) == 5
    assert all(len(vector) == 512 for vector in vectors)
    assert all(math.isclose(math.hypot(*vector), 1.0) for vector in vectors)
    assert vectors[0] == vectors[4]
    assert list(vectors[0]) == embed_text("la visite du matin", 512)
    unrelated = cosine(vectors[0], vectors[3])
    assert cosine(vectors[0], vectors[1]) > unrelated + 0.2
    assert cosine(vectors[0], vectors[2]) > unrelated + 0.4
    # Accents and case are folded; word forms share character 4-grams.
    assert embed_text("Facture IMPAYÉE", 64) == embed_text("facture impayee", 64)
    assert server.embed_calls == 1
    assert server.embedded_texts == 5


def test_embed_single_text_dimensions_empty_text_and_legacy_endpoint(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    single = client.embed(model=EMBED, input="bonjour").embeddings
    assert len(single) == 1
    short = client.embed(model=EMBED, input="bonjour", dimensions=32).embeddings[0]
    assert len(short) == 32
    assert math.isclose(math.hypot(*short), 1.0)
    empty = client.embed(model=EMBED, input=["", "  "]).embeddings
    assert empty[0] == empty[1]
    assert math.isclose(math.hypot(*empty[0]), 1.0)
    legacy = client.embeddings(model=EMBED, prompt="bonjour").embedding
    assert list(legacy) == list(single[0])
    assert server.embed_calls == 4
    assert server.embedded_texts == 5


def test_tags_show_version_and_ps(server: OllamaTestServer, client: ollama.Client) -> None:
    listing = client.list()
    names = sorted(model.model or "" for model in listing.models)
    assert names == [f"{EMBED}:latest", f"{CHAT}:latest"]  # Ollama reports the full tag
    for model in listing.models:
        assert model.details is not None
        assert model.details.format == "gguf"
        assert model.size
        assert model.digest
    embed_info = client.show(EMBED)
    assert embed_info.capabilities == ["embedding"]
    assert embed_info.modelinfo is not None
    architecture = embed_info.modelinfo["general.architecture"]
    assert embed_info.modelinfo[f"{architecture}.embedding_length"] == 512
    assert embed_info.modelinfo[f"{architecture}.context_length"] > 0
    assert client.show(f"{CHAT}:latest").capabilities == ["completion", "tools"]
    assert client.ps().models == []
    version = httpx.get(f"{server.url}/api/version").json()
    assert version == {"version": OLLAMA_VERSION}


def test_plain_http_endpoints(server: OllamaTestServer) -> None:
    assert httpx.get(server.url).text == "Ollama is running"
    assert httpx.head(server.url).status_code == 200
    missing = httpx.get(f"{server.url}/api/nothing")
    assert missing.status_code == 404
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
    assert client.chat(model=f"{CHAT}:latest", messages=HELLO).message.content == "a"
    ChatOllama(model=CHAT, base_url=server.url, validate_model_on_init=True)
    server.models.discard(CHAT)
    with pytest.raises(ValueError, match="not found in Ollama"):
        ChatOllama(model=CHAT, base_url=server.url, validate_model_on_init=True)


@pytest.mark.asyncio
async def test_async_client_streams_a_chat(server: OllamaTestServer) -> None:
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


class Mood(StrEnum):
    CALM = "calme"
    TENSE = "tendu"


class Person(BaseModel):
    role: Literal["soignant", "résident", "famille"]
    initials: str = Field(min_length=2, max_length=4)


class Moment(BaseModel):
    summary: str = Field(min_length=20)
    minutes: int = Field(ge=5, le=120)
    intensity: float = Field(gt=0, lt=1)
    mood: Mood
    people: list[Person] = Field(min_length=2)
    shared: bool
    follow_up: Person | None = None


class Finding(BaseModel):
    moment: Moment
    quotes: list[str] = Field(min_length=1, max_length=3)
    themes: set[str]


def test_chat_ollama_invoke_and_stream(server: OllamaTestServer) -> None:
    llm = ChatOllama(model=CHAT, base_url=server.url, temperature=0.2)
    server.queue(ANSWER, ANSWER)
    answer = llm.invoke([SystemMessage("Tu es enquêteur."), HumanMessage("Bonjour")])
    assert isinstance(answer, AIMessage)
    assert answer.content == ANSWER
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["output_tokens"] == len(split_tokens(ANSWER))
    assert answer.response_metadata["done"] is True
    chunks = list(llm.stream("Bonjour"))
    assert len(chunks) > 5
    assert "".join(str(chunk.content) for chunk in chunks) == ANSWER
    body = server.chat_requests()[0].body
    assert body["stream"] is True  # ChatOllama always streams, even for invoke
    assert body["options"]["temperature"] == 0.2
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "format" not in body


@pytest.mark.asyncio
async def test_chat_ollama_ainvoke(server: OllamaTestServer) -> None:
    server.queue(ANSWER)
    answer = await ChatOllama(model=CHAT, base_url=server.url).ainvoke("Bonjour")
    assert answer.content == ANSWER


def test_chat_ollama_json_schema_gets_a_conforming_default_answer(
    server: OllamaTestServer,
) -> None:
    llm = ChatOllama(model=CHAT, base_url=server.url)
    finding = llm.with_structured_output(Finding).invoke("Analyse cet entretien.")
    assert isinstance(finding, Finding)
    assert len(finding.moment.people) >= 2
    schema = Finding.model_json_schema()
    assert server.chat_requests()[-1].body["format"] == schema
    # `format` passed per call travels as-is, and so does the constructor's.
    raw = llm.invoke("Encore", format=schema)
    assert Finding.model_validate_json(str(raw.content))
    assert server.chat_requests()[-1].body["format"] == schema
    json_mode = ChatOllama(model=CHAT, base_url=server.url, format="json").invoke("JSON")
    assert json_mode.content == "{}"
    assert server.chat_requests()[-1].body["format"] == "json"


class RecordVisit(BaseModel):
    """Record a visit to a resident."""

    resident: str
    minutes: int


def test_chat_ollama_tool_calls(server: OllamaTestServer) -> None:
    arguments = {"resident": "Mme L.", "minutes": 20}
    server.queue(Reply(tool_calls=[{"function": {"name": "RecordVisit", "arguments": arguments}}]))
    llm = ChatOllama(model=CHAT, base_url=server.url).bind_tools([RecordVisit])
    answer = llm.invoke("Note la visite de Mme L., vingt minutes.")
    assert isinstance(answer, AIMessage)
    assert [(call["name"], call["args"]) for call in answer.tool_calls] == [
        ("RecordVisit", arguments)
    ]
    tools = server.chat_requests()[-1].body["tools"]
    assert tools[0]["function"]["name"] == "RecordVisit"
    assert set(tools[0]["function"]["parameters"]["properties"]) == {"resident", "minutes"}


def test_ollama_embeddings(server: OllamaTestServer) -> None:
    embeddings = OllamaEmbeddings(model=EMBED, base_url=server.url)
    documents = embeddings.embed_documents(["la visite du matin", "facture impayée"])
    assert len(documents) == 2
    assert embeddings.embed_query("la visite du matin") == documents[0]
    assert server.embed_calls == 2
    assert server.embedded_texts == 3


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


def assert_recovers(server: OllamaTestServer, client: ollama.Client) -> None:
    server.queue("Et ensuite ?")
    assert client.chat(model=CHAT, messages=HELLO).message.content == "Et ensuite ?"
    assert client.embed(model=EMBED, input="ok").embeddings
    assert server.running
    assert server.errors == []


@pytest.mark.parametrize("stream", [False, True])
def test_http_500(server: OllamaTestServer, client: ollama.Client, stream: bool) -> None:
    server.queue("Gardée pour la requête suivante.")
    server.fail_next(Fault.HTTP_500)
    with pytest.raises(ollama.ResponseError) as caught:
        chat_once(client, stream=stream)
    assert caught.value.status_code == 500
    # The scripted reply was not used up by the failed request.
    assert chat_once(client, stream=stream) == "Gardée pour la requête suivante."
    assert_recovers(server, client)


def test_model_not_found(server: OllamaTestServer, client: ollama.Client) -> None:
    server.models.discard(CHAT)
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model=CHAT, messages=HELLO)
    assert caught.value.status_code == 404
    assert caught.value.error == f'model "{CHAT}" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError, match="not found"):
        list(client.chat(model=CHAT, messages=HELLO, stream=True))
    with pytest.raises(ollama.ResponseError, match="not found"):
        client.embed(model="nomic-embed-text", input="x")
    with pytest.raises(ollama.ResponseError, match="not found"):
        client.show("nomic-embed-text")
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


def test_dropped_connection_without_streaming_and_in_chat_ollama(
    server: OllamaTestServer, client: ollama.Client
) -> None:
    server.fail_next(Fault.DROP_MID_STREAM, count=3)
    with pytest.raises(httpx.RemoteProtocolError):
        client.chat(model=CHAT, messages=HELLO)
    with pytest.raises(httpx.RemoteProtocolError):
        client.embed(model=EMBED, input="x")
    with pytest.raises(httpx.RemoteProtocolError):
        ChatOllama(model=CHAT, base_url=server.url).invoke("Bonjour")
    assert_recovers(server, client)


def test_malformed_json(server: OllamaTestServer, client: ollama.Client) -> None:
    server.fail_next(Fault.MALFORMED_JSON, count=4)
    received: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        drain_chat(client, received)
    assert received  # one good line came before the broken one
    with pytest.raises(json.JSONDecodeError):
        client.chat(model=CHAT, messages=HELLO)
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
    assert client.chat(model=CHAT, messages=HELLO).message.content == "Reprenons."


def test_connection_refused() -> None:
    url = free_port_url()
    client = ollama.Client(host=url)
    with pytest.raises(ConnectionError):
        client.chat(model=CHAT, messages=HELLO)
    with pytest.raises(ConnectionError):
        client.embed(model=EMBED, input="x")
    with pytest.raises(ConnectionError):
        OllamaEmbeddings(model=EMBED, base_url=url).embed_query("x")
    # Streaming requests bypass the client's translation: httpx's own error surfaces.
    with pytest.raises(httpx.ConnectError):
        list(client.chat(model=CHAT, messages=HELLO, stream=True))
    with pytest.raises(httpx.ConnectError):
        ChatOllama(model=CHAT, base_url=url).invoke("Bonjour")


def test_the_server_stops_promptly_with_kept_alive_connections() -> None:
    server = OllamaTestServer().start()
    with ollama.Client(host=server.url) as client:
        client.list()  # leaves a pooled keep-alive connection open
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 1
        assert not server.running
        with pytest.raises(ConnectionError):
            client.list()


# --------------------------------------------------------------------------------------------
# Latency, responders, records
# --------------------------------------------------------------------------------------------


def test_latency_simulation(server: OllamaTestServer, client: ollama.Client) -> None:
    server.time_to_first_token = 0.2
    server.tokens_per_second = 50
    server.queue(ANSWER, "Un deux trois quatre cinq")
    started = time.perf_counter()
    arrivals: list[float] = []
    for part in client.chat(model=CHAT, messages=HELLO, stream=True):
        if part.message.content:
            arrivals.append(time.perf_counter() - started)
    pieces = len(split_tokens(ANSWER))
    assert len(arrivals) == pieces
    assert 0.2 <= arrivals[0] < 0.6
    assert arrivals[-1] - arrivals[0] >= 0.8 * (pieces - 1) / 50
    assert arrivals[-1] < 0.2 + 3 * pieces / 50
    started = time.perf_counter()
    client.chat(model=CHAT, messages=HELLO)  # whole answer: first token plus generation time
    assert time.perf_counter() - started >= 0.2 + 0.8 * 5 / 50


def test_responders_and_recorded_requests(server: OllamaTestServer, client: ollama.Client) -> None:
    def echo(body: dict[str, Any]) -> str:
        return f"Vous avez dit : {body['messages'][-1]['content']}"

    server.respond_with(echo)
    server.queue(lambda body: Reply(content=f"Modèle {body['model']}"))
    first = client.chat(model=CHAT, messages=HELLO, format={"type": "object"})
    assert first.message.content == f"Modèle {CHAT}"
    second = client.chat(model=CHAT, messages=[{"role": "user", "content": "Rien."}])
    assert second.message.content == "Vous avez dit : Rien."
    server.respond_with(None)
    assert client.chat(model=CHAT, messages=HELLO).message.content == DEFAULT_QUESTION

    recorded = server.chat_requests()
    assert [r.body["messages"][-1]["content"] for r in recorded] == [
        HELLO[0]["content"],
        "Rien.",
        HELLO[0]["content"],
    ]
    assert recorded[0].body["format"] == {"type": "object"}
    assert "format" not in recorded[1].body
    assert all(r.method == "POST" for r in recorded)
    assert recorded[0].at <= recorded[1].at <= recorded[2].at


def test_a_failing_responder_becomes_a_500(server: OllamaTestServer, client: ollama.Client) -> None:
    def broken(body: dict[str, Any]) -> str:
        raise RuntimeError("bug in the test")

    server.respond_with(broken)
    with pytest.raises(ollama.ResponseError, match="bug in the test"):
        client.chat(model=CHAT, messages=HELLO)
    assert isinstance(server.errors[0], RuntimeError)
    server.reset()
    assert server.requests == []
    assert client.chat(model=CHAT, messages=HELLO).message.content == DEFAULT_QUESTION


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "Bonjour", "  Qu'est-ce que… vous en pensez ?\n\n", "a\tb  c ", '{"k": [1, 2]}'],
)
def test_split_tokens_is_lossless(text: str) -> None:
    assert "".join(split_tokens(text)) == text


SCHEMAS: list[dict[str, Any]] = [
    Finding.model_json_schema(),
    {
        "type": "object",
        "properties": {
            "kind": {"const": "moment"},
            "score": {"type": "number", "exclusiveMinimum": 1, "exclusiveMaximum": 2},
            "count": {"type": "integer", "minimum": 10, "maximum": 12},
            "labels": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b", "c"]},
                "minItems": 3,
                "uniqueItems": True,
            },
            "note": {"type": ["string", "null"], "minLength": 12},
            "choice": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/Pair"}]},
            "merged": {"allOf": [{"$ref": "#/definitions/Pair"}, {"required": ["extra"]}]},
            "when": {"type": "string", "format": "date-time"},
        },
        "required": ["kind", "score", "count", "labels"],
        "definitions": {
            "Pair": {
                "type": "object",
                "properties": {"left": {"type": "boolean"}, "right": {"type": "null"}},
                "required": ["left", "right"],
            }
        },
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_schema_examples_validate(schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(schema_example(schema), schema)


def test_schema_example_shapes() -> None:
    example = schema_example(SCHEMAS[1])
    assert example["kind"] == "moment"
    assert 1 < example["score"] < 2
    assert example["count"] == 10
    assert example["labels"] == ["a", "b", "c"]
    assert len(example["note"]) >= 12
    assert example["choice"] == {"left": True, "right": None}
    assert "extra" in example["merged"]
    finding = Finding.model_validate(schema_example(Finding.model_json_schema()))
    assert finding.moment.mood is Mood.CALM
    assert 5 <= finding.moment.minutes <= 120
