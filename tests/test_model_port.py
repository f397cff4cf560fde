"""The model port's Ollama adapter against the Ollama-protocol test server, through the real
clients; and the retry policy, with its pauses recorded instead of waited."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from dataclasses import replace

import pytest
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.llm import (
    ChatMessage,
    ModelNotFoundError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelTimeoutError,
    ModelUnavailableError,
    StructuredOutputError,
    chat_model_for,
    embedder_for,
    ollama,
    request_structured,
)
from assistant.llm.ollama import OllamaChatModel, OllamaProvider
from assistant.llm.retry import RetryPolicy, with_retries
from tests.conftest import SettingsFactory
from tests.ollama_server import Fault, OllamaTestServer, Reply, free_port_url

QUESTION = [ChatMessage.system("Tu es un facilitateur."), ChatMessage.user("Bonjour")]


class Episode(BaseModel):
    activity: str = Field(min_length=3)
    counterpart: str
    minutes: int = Field(ge=0, le=600)


async def test_streaming_chat_delivers_the_answer_in_pieces(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    answer = "Pouvez-vous me raconter la dernière visite qui vous a marqué ?"
    ollama_server.queue(answer)
    pieces = [piece async for piece in chat_model_for(settings).stream(QUESTION)]
    assert len(pieces) > 3
    assert "".join(pieces) == answer
    sent = ollama_server.chat_requests()[-1].body
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["model"] == settings.chat_model


async def test_request_returns_text_and_usage(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.queue("Comment cela s'est-il passé ?")
    response = await chat_model_for(settings).request(QUESTION)
    assert response.text == "Comment cela s'est-il passé ?"
    assert response.model == settings.chat_model
    assert response.completion_tokens is not None
    assert response.completion_tokens > 0


async def test_structured_output_valid_on_the_first_try(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.queue('{"activity": "toilette", "counterpart": "Mme L.", "minutes": 45}')
    result = await request_structured(chat_model_for(settings), QUESTION, Episode)
    assert result.value == Episode(activity="toilette", counterpart="Mme L.", minutes=45)
    assert result.attempts == 1
    # The schema travels as Ollama's `format`, so the model is constrained to it.
    assert ollama_server.chat_requests()[-1].body["format"] == Episode.model_json_schema()


async def test_structured_output_is_repaired_on_the_second_try(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.queue(
        '{"activity": "toilette", "counterpart": "Mme L.", "minutes": "quarante-cinq"}',
        '{"activity": "toilette", "counterpart": "Mme L.", "minutes": 45}',
    )
    result = await request_structured(chat_model_for(settings), QUESTION, Episode)
    assert result.attempts == 2
    assert result.value.minutes == 45
    repair = ollama_server.chat_requests()[-1].body["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "quarante-cinq" in repair[-2]["content"]
    assert "minutes" in repair[-1]["content"]  # the validation error is shown to the model


async def test_persistent_garbage_is_a_typed_failure(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.queue("pas du JSON", '{"activity": "x"}', "never used")
    with pytest.raises(StructuredOutputError) as caught:
        await request_structured(chat_model_for(settings), QUESTION, Episode)
    assert caught.value.attempts == 2
    assert caught.value.raw == '{"activity": "x"}'
    assert len(ollama_server.chat_requests()) == 2


class PauseRecorder:
    """Stands in for asyncio.sleep between retries: the pauses are recorded, not waited."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


async def test_retries_pause_with_a_doubling_backoff_then_give_up() -> None:
    recorder = PauseRecorder()
    attempts = 0

    async def unreachable() -> str:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("refused")

    policy = RetryPolicy(retries=3, backoff=0.5, sleep=recorder)
    with pytest.raises(ConnectionError):
        await with_retries(unreachable, policy=policy, retry_on=(ConnectionError,))
    assert (attempts, recorder.pauses) == (4, [0.5, 1.0, 2.0])


async def test_a_retry_that_succeeds_stops_retrying_and_others_are_not_retried() -> None:
    recorder = PauseRecorder()
    outcomes: list[BaseException | str] = [ConnectionError("refused"), "ok"]

    async def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    policy = RetryPolicy(retries=5, backoff=0.1, sleep=recorder)
    assert await with_retries(flaky, policy=policy, retry_on=(ConnectionError,)) == "ok"
    assert recorder.pauses == [0.1]
    outcomes[:] = [ValueError("not a connection failure"), "never reached"]
    with pytest.raises(ValueError, match="not a connection"):
        await with_retries(flaky, policy=policy, retry_on=(ConnectionError,))
    assert recorder.pauses == [0.1]


async def test_connection_refused_is_typed_after_the_configured_retries(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(ollama_host=free_port_url(), max_retries=2, retry_backoff=0.1)
    recorder = PauseRecorder()
    provider = OllamaProvider.from_settings(settings)
    assert (provider.retry.retries, provider.retry.backoff) == (2, 0.1)
    paced = replace(provider, retry=replace(provider.retry, sleep=recorder))
    with pytest.raises(ModelUnavailableError) as caught:
        await OllamaChatModel(paced, settings.chat_model).request(QUESTION)
    # Two retries after 0.1 s and 0.2 s of backoff, then the typed error; no endless waiting.
    assert recorder.pauses == [0.1, 0.2]
    assert "ollama serve" in str(caught.value)
    assert settings.ollama_host in str(caught.value)


async def test_connection_refused_while_streaming_and_embedding(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(ollama_host=free_port_url(), max_retries=0)
    with pytest.raises(ModelUnavailableError):
        _ = [piece async for piece in chat_model_for(settings).stream(QUESTION)]
    with pytest.raises(ModelUnavailableError):
        await embedder_for(settings).embed(["bonjour"])


async def test_a_model_that_is_not_pulled_names_the_pull_command(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.models.discard(settings.chat_model)
    with pytest.raises(ModelNotFoundError) as caught:
        await chat_model_for(settings).request(QUESTION)
    assert f"ollama pull {settings.chat_model}" in str(caught.value)
    with pytest.raises(ModelNotFoundError, match="ollama pull nomic"):
        await embedder_for(settings, "nomic-embed-text").embed(["bonjour"])


async def test_a_server_error_is_typed_and_not_retried(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.fail_next(Fault.HTTP_500)
    with pytest.raises(ModelResponseError, match="HTTP 500"):
        await chat_model_for(settings).request(QUESTION)
    assert len(ollama_server.chat_requests()) == 1


async def test_a_stream_dropped_midway_keeps_the_partial_answer(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    answer = "Qui était présent ce jour-là, et qu'avez-vous fait en premier ?"
    ollama_server.queue(Reply(content=answer, fault=Fault.DROP_MID_STREAM))
    received: list[str] = []
    with pytest.raises(ModelStreamInterruptedError) as caught:
        async for piece in chat_model_for(settings).stream(QUESTION):
            received.append(piece)
    assert received
    assert caught.value.partial == "".join(received)
    assert answer.startswith(caught.value.partial)
    assert caught.value.partial != answer


async def test_malformed_output_from_the_server_is_typed(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    ollama_server.fail_next(Fault.MALFORMED_JSON)
    with pytest.raises(ModelResponseError):
        await chat_model_for(settings).request(QUESTION)
    ollama_server.queue("Et ensuite ?")
    assert (await chat_model_for(settings).request(QUESTION)).text == "Et ensuite ?"


async def test_embeddings_are_batched_and_keep_their_order(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    settings = make_settings(ollama_host=ollama_server.url, embed_batch_size=32)
    texts = [f"passage numéro {i:03d} sur la visite du matin" for i in range(70)]
    embedder = embedder_for(settings)
    vectors = await embedder.embed(texts)
    assert len(vectors) == 70
    assert ollama_server.embed_calls == 3  # 32 + 32 + 6
    assert vectors[41] == (await embedder.embed([texts[41]]))[0]
    assert vectors[0] != vectors[1]


def test_the_http_session_is_closed_with_its_event_loop(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    """Each command runs its own event loop: the adapter's connections end with it, without the
    garbage collector's "Unclosed client session" warnings on the terminal."""
    ollama_server.queue("Bonjour.")
    model = chat_model_for(settings)
    loops: list[asyncio.AbstractEventLoop] = []

    async def ask() -> str:
        loops.append(asyncio.get_running_loop())
        return "".join([piece async for piece in model.stream(QUESTION)])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(ask()) == "Bonjour."
        session_of_the_loop = ollama._sessions_by_loop.get(loops[0])
        gc.collect()
    assert not session_of_the_loop, "the loop's session was not forgotten when the loop ended"
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


async def test_ollama_is_reached_directly_whatever_proxy_the_environment_sets(
    settings: Settings, ollama_server: OllamaTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/model-servers.md: a proxy set for the internet never sees what employees say."""
    dead_proxy = free_port_url()  # nothing listens there: going through it would fail
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    ollama_server.queue("Bonjour.")
    pieces = [piece async for piece in chat_model_for(settings).stream(QUESTION)]
    assert "".join(pieces) == "Bonjour."


async def test_the_request_timeout_bounds_the_wait_for_each_piece_not_the_whole_answer(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    """docs/settings.md: TERRAIN_REQUEST_TIMEOUT is the wait for the next piece; an answer
    that keeps coming for longer than that is read whole."""
    settings = make_settings(ollama_host=ollama_server.url, request_timeout=2.0)
    answer = " ".join(["Pouvez-vous me dire ce qui s'est passé ce matin-là ?"] * 2)
    ollama_server.tokens_per_second = 10.0  # a piece every 0.1 s: 32 pieces, over 3 s
    ollama_server.queue(answer)
    started = time.monotonic()
    assert (await chat_model_for(settings).request(QUESTION)).text == answer
    assert time.monotonic() - started > 2.0  # longer than the timeout, in pieces


async def test_a_model_silent_for_longer_than_the_request_timeout_is_a_timeout(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    settings = make_settings(ollama_host=ollama_server.url, request_timeout=0.5)
    ollama_server.time_to_first_token = 3.0
    ollama_server.queue("Bonjour.")
    with pytest.raises(ModelTimeoutError):
        await chat_model_for(settings).request(QUESTION)


async def test_lines_split_or_joined_by_the_network_are_read_whole() -> None:
    """Ollama's lines arrive as the network cuts them: one split across two reads, two in one
    read, the last without its newline. Each is read whole, once."""
    import socket

    from aiohttp import web

    sent = [
        b'{"message":{"content":"Qui "},"done":false}\n{"message":{"cont',
        b'ent":"\xc3\xa9tait "},"done":false}\n',
        b'\n{"message":{"content":"l\xc3\xa0 ?"},"done":false}\n{"done":true}',
    ]

    async def chat(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for part in sent:
            await response.write(part)
            await asyncio.sleep(0.01)  # separate reads, most likely; the answer is the same
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/api/chat", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    try:
        await web.SockSite(runner, listening).start()
        host = f"http://127.0.0.1:{listening.getsockname()[1]}"
        model = OllamaChatModel(OllamaProvider(host), "m")
        pieces = [piece async for piece in model.stream(QUESTION)]
    finally:
        await runner.cleanup()
        listening.close()
    assert pieces == ["Qui ", "était ", "là ?"]
