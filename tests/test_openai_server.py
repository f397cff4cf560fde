"""The fake OpenAI-compatible server speaks the protocol as vLLM does, over plain HTTP and to
the real ``openai`` client."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from assistant.llm.testing import word_vector
from tests.ollama_server import Fault
from tests.openai_server import OpenAITestServer, ollama_view

KEY = "sk-fake"


@pytest.fixture
def server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(models=("chat", "embed"), api_key=KEY, embed_dim=8) as running:
        yield running


def post(server: OpenAITestServer, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(server.base_url + path, json=body, headers={"Authorization": f"Bearer {KEY}"})


def test_without_the_key_every_endpoint_is_a_401(server: OpenAITestServer) -> None:
    response = httpx.get(server.base_url + "/models")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "AuthenticationError"
    listed = httpx.get(server.base_url + "/models", headers={"Authorization": f"Bearer {KEY}"})
    assert [model["id"] for model in listed.json()["data"]] == ["chat", "embed"]


def test_a_streamed_answer_is_server_sent_events_ending_with_done(
    server: OpenAITestServer,
) -> None:
    server.queue("Bonjour à vous")
    response = post(
        server,
        "/chat/completions",
        {"model": "chat", "messages": [{"role": "user", "content": "x"}], "stream": True},
    )
    assert response.headers["content-type"] == "text/event-stream"
    events = [line.removeprefix("data: ") for line in response.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)
    assert text == "Bonjour à vous"
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks][-1] == "stop"


def test_responders_read_the_schema_where_the_fake_ollama_puts_it(
    server: OpenAITestServer,
) -> None:
    schema = {"title": "Episode", "type": "object"}
    body: dict[str, object] = {
        "model": "chat",
        "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "E", "schema": schema}},
    }
    seen: list[dict[str, object]] = []

    def respond(view: dict[str, object]) -> str:
        seen.append(view)
        return '{"ok": true}'

    server.respond_with(respond)
    answer = post(server, "/chat/completions", body).json()
    assert answer["choices"][0]["message"]["content"] == '{"ok": true}'
    assert seen == [ollama_view(body)]
    assert seen[0]["format"] == schema
    assert server.chat_requests()[-1].body == body  # recorded as sent


def test_embeddings_as_floats_or_base64_and_faults(server: OpenAITestServer) -> None:
    floats = post(server, "/embeddings", {"model": "embed", "input": ["un", "deux"]}).json()
    assert [item["embedding"] for item in floats["data"]] == [
        word_vector("un", 8),
        word_vector("deux", 8),
    ]
    packed = post(
        server, "/embeddings", {"model": "embed", "input": "un", "encoding_format": "base64"}
    ).json()["data"][0]["embedding"]
    assert list(struct.unpack("<8f", base64.b64decode(packed))) == pytest.approx(
        word_vector("un", 8), rel=1e-6
    )
    assert post(server, "/embeddings", {"model": "embed", "input": [[1, 2]]}).status_code == 400
    missing = post(server, "/embeddings", {"model": "bge-m3", "input": "un"})
    assert missing.status_code == 404
    assert "does not exist" in missing.json()["error"]["message"]
    server.fail_next(Fault.HTTP_500)
    assert post(server, "/embeddings", {"model": "embed", "input": "un"}).status_code == 500


def test_the_openai_client_reads_a_whole_answer_and_a_streams_usage_at_its_end(
    server: OpenAITestServer,
) -> None:
    """The real ``openai`` client: a non-streamed completion, typed; a stream that asks for its
    usage gets it in a last event with no choices, as vLLM sends it."""
    client = openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)
    server.queue("Bonjour à vous", "Bonjour à vous")
    messages: Any = [{"role": "user", "content": "Salut toi"}]
    whole = client.chat.completions.create(model="chat", messages=messages)
    assert whole.choices[0].message.content == "Bonjour à vous"
    assert whole.choices[0].finish_reason == "stop"
    assert whole.usage is not None
    assert (whole.usage.prompt_tokens, whole.usage.completion_tokens) == (2, 3)
    chunks = list(
        client.chat.completions.create(
            model="chat", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Bonjour à vous"
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_a_whole_answer_waits_the_time_it_takes_to_generate(server: OpenAITestServer) -> None:
    pauses: list[float] = []
    server.pause = pauses.append
    server.time_to_first_token = 0.3
    server.tokens_per_second = 40
    server.queue("Bonjour à vous")
    answer = post(server, "/chat/completions", {"model": "chat", "messages": [], "stream": False})
    assert answer.json()["choices"][0]["message"]["content"] == "Bonjour à vous"
    assert pauses[0] == 0.3
    assert pauses[1] == pytest.approx(2 / 40, abs=0.01)  # 3 tokens: 2 gaps after the first
