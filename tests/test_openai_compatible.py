"""The OpenAI-compatible adapter against the fake OpenAI-compatible server: whole and streamed
answers, JSON-schema structured output with its repair, embeddings, the key, the typed errors,
and the one place that chooses the provider."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from assistant.config import Settings
from assistant.llm import (
    ChatMessage,
    ModelNoContentError,
    ModelNotFoundError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelUnavailableError,
    StructuredOutputError,
    chat_model_for,
    embedder_for,
    request_structured,
)
from assistant.llm.ollama import OllamaChatModel, OllamaEmbedder
from assistant.llm.openai_compatible import OpenAIChatModel, OpenAIEmbedder
from assistant.llm.testing import word_vector
from tests.conftest import CHAT_MODEL, EMBED_MODEL, SettingsFactory
from tests.ollama_server import Fault, Reply, free_port_url
from tests.openai_server import OpenAITestServer

KEY = "sk-test-7f3a9c"
ROOT = Path(__file__).resolve().parents[1]


class Episode(BaseModel):
    what: str
    minutes: int


@pytest.fixture
def server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(models=(CHAT_MODEL, EMBED_MODEL), api_key=KEY) as running:
        yield running


@pytest.fixture
def openai_settings(make_settings: SettingsFactory, server: OpenAITestServer) -> Settings:
    return make_settings(
        model_provider="openai", openai_base_url=server.base_url, openai_api_key=KEY
    )


QUESTION = [ChatMessage.system("Tu mènes un entretien."), ChatMessage.user("Bonjour")]


async def test_a_whole_answer_with_its_usage_and_thinking_off(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue("Quel est votre métier ?")
    answer = await chat_model_for(openai_settings).request(QUESTION)
    assert answer.text == "Quel est votre métier ?"
    assert answer.model == CHAT_MODEL
    assert (answer.prompt_tokens, answer.completion_tokens) == (5, 5)  # the fake counts words
    [sent] = server.chat_requests()
    assert sent.body["messages"] == [
        {"role": "system", "content": "Tu mènes un entretien."},
        {"role": "user", "content": "Bonjour"},
    ]
    assert "response_format" not in sent.body
    assert sent.body["chat_template_kwargs"] == {"enable_thinking": False}
    assert sent.body["temperature"] == openai_settings.temperature


async def test_thinking_on_leaves_the_chat_template_alone(
    make_settings: SettingsFactory, server: OpenAITestServer
) -> None:
    settings = make_settings(
        model_provider="openai",
        openai_base_url=server.base_url,
        openai_api_key=KEY,
        openai_thinking=True,
    )
    await chat_model_for(settings).request(QUESTION)
    assert "chat_template_kwargs" not in server.chat_requests()[-1].body


async def test_structured_output_is_asked_by_json_schema_and_repaired_once(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue('{"what": "visite"}', '{"what": "visite", "minutes": 30}')
    result = await request_structured(chat_model_for(openai_settings), QUESTION, Episode)
    assert result.value == Episode(what="visite", minutes=30)
    assert result.attempts == 2
    first, repair = server.chat_requests()
    # The one form vLLM >= 0.12, llama-server and SGLang all read (no guided_json).
    assert first.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Episode", "schema": Episode.model_json_schema(), "strict": True},
    }
    assert "guided_json" not in first.body
    assert repair.body["messages"][-2] == {"role": "assistant", "content": '{"what": "visite"}'}
    assert "minutes" in repair.body["messages"][-1]["content"]


async def test_structured_output_wrong_twice_is_a_structured_output_error(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue("pas du JSON", '{"what": 3}')
    with pytest.raises(StructuredOutputError) as caught:
        await request_structured(chat_model_for(openai_settings), QUESTION, Episode)
    assert caught.value.attempts == 2
    assert caught.value.raw == '{"what": 3}'


async def test_the_stream_yields_the_answer_piece_by_piece(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue("Comment s'est passée votre matinée ?")
    pieces = [piece async for piece in chat_model_for(openai_settings).stream(QUESTION)]
    assert len(pieces) > 3
    assert "".join(pieces) == "Comment s'est passée votre matinée ?"
    sent = server.chat_requests()[-1].body
    assert sent["stream"] is True
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}


async def test_a_stream_cut_off_keeps_what_arrived(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue("Un deux trois quatre cinq six sept huit")
    server.fail_next(Fault.DROP_MID_STREAM)
    received: list[str] = []
    with pytest.raises(ModelStreamInterruptedError) as caught:
        async for piece in chat_model_for(openai_settings).stream(QUESTION):
            received.append(piece)
    assert received
    assert caught.value.partial == "".join(received)
    assert caught.value.partial.startswith("Un deux")


async def test_a_reasoning_model_that_gives_no_answer_is_a_clear_error(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    model = chat_model_for(openai_settings)
    server.queue(Reply(content="", reasoning="L'utilisateur dit bonjour, je vais..."))
    with pytest.raises(ModelNoContentError) as whole:
        await model.request(QUESTION)
    server.queue(Reply(content="", reasoning="L'utilisateur dit bonjour, je vais..."))
    with pytest.raises(ModelNoContentError) as streamed:
        _ = [piece async for piece in model.stream(QUESTION)]
    for error in (whole.value, streamed.value):
        assert "reasoning" in error.message
        assert error.fix is not None
        assert "TERRAIN_OPENAI_THINKING" in error.fix
        # The reasoning itself is never passed on: not as an answer, not in the error.
        assert "je vais" not in str(error)


async def test_reasoning_before_an_answer_is_not_shown(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.queue(Reply(content="Quel est votre métier ?", reasoning="Je dois demander."))
    pieces = [piece async for piece in chat_model_for(openai_settings).stream(QUESTION)]
    assert "".join(pieces) == "Quel est votre métier ?"


async def test_embeddings_are_sent_as_text_in_batches_and_come_back_in_order(
    make_settings: SettingsFactory, server: OpenAITestServer
) -> None:
    settings = make_settings(
        model_provider="openai",
        openai_base_url=server.base_url,
        openai_api_key=KEY,
        embed_batch_size=2,
    )
    texts = ["la toilette", "une visite", "la famille", "un collègue", "les clés"]
    vectors = await embedder_for(settings).embed(texts)
    assert vectors == [word_vector(text, server.embed_dim) for text in texts]
    sent = [r.body for r in server.requests if r.path == "/v1/embeddings"]
    # Raw text (no tiktoken token arrays, so nothing to download), floats, in batches.
    assert [body["input"] for body in sent] == [texts[0:2], texts[2:4], texts[4:]]
    assert {body["encoding_format"] for body in sent} == {"float"}
    assert {body["model"] for body in sent} == {EMBED_MODEL}


async def test_an_embedding_server_that_fails_is_a_typed_error(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    server.fail_next(Fault.HTTP_500)
    with pytest.raises(ModelResponseError, match="HTTP 500"):
        await embedder_for(openai_settings).embed(["une visite"])


async def test_a_model_the_server_does_not_serve_is_named_with_the_fix(
    openai_settings: Settings,
) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        await chat_model_for(openai_settings, "qwen3-8b").request(QUESTION)
    assert "qwen3-8b" in caught.value.message
    assert caught.value.fix is not None
    assert "--served-model-name" in caught.value.fix


async def test_an_unreachable_server_is_retried_then_named(
    make_settings: SettingsFactory,
) -> None:
    url = free_port_url() + "/v1"
    settings = make_settings(model_provider="openai", openai_base_url=url, max_retries=1)
    with pytest.raises(ModelUnavailableError) as caught:
        await chat_model_for(settings).request(QUESTION)
    assert url in caught.value.message
    assert "OpenAI-compatible" in caught.value.message
    assert caught.value.fix is not None
    assert "TERRAIN_OPENAI_BASE_URL" in caught.value.fix
    with pytest.raises(ModelUnavailableError):
        await embedder_for(settings).embed(["une visite"])


async def test_the_key_is_sent_never_logged_and_a_wrong_one_is_named(
    make_settings: SettingsFactory,
    server: OpenAITestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    good = make_settings(
        model_provider="openai", openai_base_url=server.base_url, openai_api_key=KEY
    )
    await chat_model_for(good).request(QUESTION)
    await embedder_for(good).embed(["une visite"])
    assert KEY not in repr(good)
    bad = make_settings(
        model_provider="openai", openai_base_url=server.base_url, openai_api_key="sk-wrong"
    )
    with pytest.raises(ModelResponseError) as caught:
        await chat_model_for(bad).request(QUESTION)
    assert "HTTP 401" in caught.value.message
    assert caught.value.fix is not None
    assert "TERRAIN_OPENAI_API_KEY" in caught.value.fix
    assert "sk-wrong" not in str(caught.value)
    assert caplog.records  # the clients did log at debug level
    assert KEY not in caplog.text
    assert "sk-wrong" not in caplog.text


def test_the_key_is_read_from_either_variable(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai")
    assert make_settings().openai_api_key.get_secret_value() == "from-openai"  # type: ignore[union-attr]
    monkeypatch.setenv("TERRAIN_OPENAI_API_KEY", "from-terrain")
    assert make_settings().openai_api_key.get_secret_value() == "from-terrain"  # type: ignore[union-attr]


def test_the_factory_builds_the_configured_provider(
    make_settings: SettingsFactory, openai_settings: Settings
) -> None:
    ollama = make_settings()
    assert ollama.model_provider == "ollama"
    assert isinstance(chat_model_for(ollama), OllamaChatModel)
    assert isinstance(embedder_for(ollama), OllamaEmbedder)
    assert isinstance(chat_model_for(openai_settings), OpenAIChatModel)
    assert isinstance(embedder_for(openai_settings), OpenAIEmbedder)


@pytest.mark.slow
def test_only_the_factory_and_the_doctor_know_which_provider_is_used() -> None:
    found = subprocess.run(
        [
            "grep",
            "-rlE",
            r"model_provider|import openai_compatible|openai_compatible import",
            "assistant",
            "--include=*.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert sorted(found) == [
        "assistant/config.py",
        "assistant/doctor.py",
        "assistant/llm/__init__.py",
    ]


async def test_a_stream_of_a_model_not_served_or_unreadable_is_a_typed_error(
    openai_settings: Settings, server: OpenAITestServer
) -> None:
    with pytest.raises(ModelNotFoundError):
        _ = [piece async for piece in chat_model_for(openai_settings, "qwen3-8b").stream(QUESTION)]
    server.queue("Un deux trois quatre")
    server.fail_next(Fault.MALFORMED_JSON)
    with pytest.raises(ModelStreamInterruptedError) as caught:
        _ = [piece async for piece in chat_model_for(openai_settings).stream(QUESTION)]
    assert caught.value.partial == "Un"
    assert "could not be read" in str(caught.value)
