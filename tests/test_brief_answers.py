"""Brief answers asked whole: the safety classifier's verdict is asked in one piece (one JSON
object to read, not a line per token), everything else still streams; a brief answer slower than
the request timeout is a timeout, and a server's errors are the same typed errors as streamed.

Against the fake Ollama server, then the fake OpenAI-compatible one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from assistant.config import Settings
from assistant.interview.classifier import SafetyCategory, SafetyClassifier
from assistant.llm import (
    ChatMessage,
    ModelNoContentError,
    ModelNotFoundError,
    ModelResponseError,
    ModelTimeoutError,
    chat_model_for,
    request_structured,
)
from assistant.llm.testing import ScriptedChatModel
from tests.conftest import CHAT_MODEL, EMBED_MODEL, SettingsFactory
from tests.ollama_server import Fault, OllamaTestServer, Reply, split_tokens
from tests.openai_server import OpenAITestServer

QUESTION = [ChatMessage.system("Tu es un facilitateur."), ChatMessage.user("Bonjour")]
VERDICT = '{"category": "distress", "confidence": 0.8, "language": null}'


class Verdict(BaseModel):
    category: str
    confidence: float


async def test_a_brief_request_is_asked_whole_and_the_others_stream(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    model = chat_model_for(settings)
    ollama_server.queue(VERDICT, VERDICT)
    brief = await model.request(QUESTION, json_schema={"type": "object"}, brief=True)
    joined = await model.request(QUESTION, json_schema={"type": "object"})
    assert brief.text == joined.text == VERDICT
    assert [request.body["stream"] for request in ollama_server.chat_requests()] == [False, True]
    # The usage Ollama reports comes with the whole answer as with the stream's last line.
    assert brief.completion_tokens == joined.completion_tokens
    assert brief.completion_tokens is not None
    assert brief.prompt_tokens == joined.prompt_tokens


async def test_request_structured_passes_brief_on_and_streams_by_default(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    model = chat_model_for(settings)
    ollama_server.queue(VERDICT, VERDICT)
    await request_structured(model, QUESTION, Verdict, brief=True)
    await request_structured(model, QUESTION, Verdict)
    assert [request.body["stream"] for request in ollama_server.chat_requests()] == [False, True]


async def test_the_safety_classifier_asks_its_verdict_whole_from_ollama(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    verdict = await SafetyClassifier(chat_model_for(settings)).classify("Je n'en peux plus.", "fr")
    assert verdict is not None
    assert verdict.category is SafetyCategory.NONE  # the fake's ordinary verdict
    (asked,) = ollama_server.chat_requests()
    assert asked.body["stream"] is False
    assert asked.body["format"]["title"] == "SafetyVerdict"


async def test_the_safety_classifier_asks_brief_and_only_it() -> None:
    """In process: the classifier's request says brief; request_structured's default (the
    extraction, the summary, the report) does not."""
    model = ScriptedChatModel([VERDICT, VERDICT])
    verdict = await SafetyClassifier(model).classify("Je n'en peux plus.", "fr")
    assert verdict is not None
    assert verdict.category is SafetyCategory.DISTRESS
    await request_structured(model, QUESTION, Verdict)
    assert [request.brief for request in model.requests] == [True, False]


async def test_a_brief_answer_slower_than_the_request_timeout_is_a_timeout(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    """Asked whole, the server is silent until the whole answer is generated: the timeout
    bounds all of it. Streamed, the same answer keeps coming and is read whole."""
    settings = make_settings(ollama_host=ollama_server.url, request_timeout=1.0)
    answer = " ".join(["Pouvez-vous me dire ce qui s'est passé ?"] * 2)  # 20 pieces
    ollama_server.tokens_per_second = 10.0  # a piece every 0.1 s: about 2 s in all
    ollama_server.queue(answer, answer)
    model = chat_model_for(settings)
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError, match="within 1 s"):
        await model.request(QUESTION, brief=True)
    assert time.monotonic() - started >= 1.0
    assert (await model.request(QUESTION)).text == answer


async def test_a_brief_answer_within_the_timeout_waits_for_the_whole_generation(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    settings = make_settings(ollama_host=ollama_server.url, request_timeout=30.0)
    ollama_server.time_to_first_token = 0.2
    ollama_server.tokens_per_second = 20.0
    ollama_server.queue(VERDICT)
    started = time.monotonic()
    response = await chat_model_for(settings).request(QUESTION, brief=True)
    assert response.text == VERDICT
    # The fake spends the time a model would: the first token, then one every 0.05 s.
    assert time.monotonic() - started >= 0.2 + (len(split_tokens(VERDICT)) - 1) / 20.0


async def test_a_brief_request_maps_the_servers_errors_to_the_typed_errors(
    settings: Settings, ollama_server: OllamaTestServer
) -> None:
    model = chat_model_for(settings)
    ollama_server.fail_next(Fault.HTTP_500)
    with pytest.raises(ModelResponseError, match="HTTP 500"):
        await model.request(QUESTION, brief=True)
    assert len(ollama_server.chat_requests()) == 1  # not retried
    ollama_server.queue(Reply(content=VERDICT, fault=Fault.MALFORMED_JSON))
    with pytest.raises(ModelResponseError, match="could not be read"):
        await model.request(QUESTION, brief=True)
    ollama_server.respond_with(lambda body: Reply(content="", fault=Fault.MODEL_NOT_FOUND))
    with pytest.raises(ModelNotFoundError, match=f"ollama pull {settings.chat_model}"):
        await model.request(QUESTION, brief=True)
    ollama_server.respond_with(None)
    ollama_server.models.discard(settings.chat_model)
    with pytest.raises(ModelNotFoundError):
        await model.request(QUESTION, brief=True)
    ollama_server.models.add(settings.chat_model)
    ollama_server.queue(VERDICT)
    assert (await model.request(QUESTION, brief=True)).text == VERDICT


# --------------------------------------------------------------------------------------------
# The OpenAI-compatible adapter: brief through ChatOpenAI in one piece, the rest streamed
# --------------------------------------------------------------------------------------------

KEY = "sk-test-brief"


@pytest.fixture
def openai_server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(models=(CHAT_MODEL, EMBED_MODEL), api_key=KEY) as running:
        yield running


def openai_settings(
    make_settings: SettingsFactory, server: OpenAITestServer, **more: Any
) -> Settings:
    return make_settings(
        model_provider="openai", openai_base_url=server.base_url, openai_api_key=KEY, **more
    )


async def test_openai_a_brief_request_is_asked_whole_and_the_others_stream_with_their_usage(
    make_settings: SettingsFactory, openai_server: OpenAITestServer
) -> None:
    model = chat_model_for(openai_settings(make_settings, openai_server))
    openai_server.queue(VERDICT, VERDICT)
    brief = await model.request(QUESTION, json_schema={"title": "Verdict"}, brief=True)
    joined = await model.request(QUESTION, json_schema={"title": "Verdict"})
    assert brief.text == joined.text == VERDICT
    whole, streamed = (request.body for request in openai_server.chat_requests())
    assert whole["stream"] is False
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    assert whole["response_format"] == streamed["response_format"]
    assert (brief.prompt_tokens, brief.completion_tokens) == (
        joined.prompt_tokens,
        joined.completion_tokens,
    )
    assert brief.completion_tokens == len(split_tokens(VERDICT))


async def test_openai_a_brief_answer_slower_than_the_timeout_is_a_timeout_a_long_one_streams(
    make_settings: SettingsFactory, openai_server: OpenAITestServer
) -> None:
    settings = openai_settings(make_settings, openai_server, request_timeout=1.0)
    answer = " ".join(["Pouvez-vous me dire ce qui s'est passé ?"] * 2)  # 20 pieces
    openai_server.tokens_per_second = 10.0  # about 2 s in all
    openai_server.queue(answer, answer)
    model = chat_model_for(settings)
    with pytest.raises(ModelTimeoutError, match="within 1 s"):
        await model.request(QUESTION, brief=True)
    started = time.monotonic()
    assert (await model.request(QUESTION)).text == answer
    assert time.monotonic() - started > 1.0  # longer than the timeout, in pieces


async def test_openai_a_model_silent_past_the_timeout_while_streaming_is_a_timeout(
    make_settings: SettingsFactory, openai_server: OpenAITestServer
) -> None:
    settings = openai_settings(make_settings, openai_server, request_timeout=0.5)
    openai_server.time_to_first_token = 3.0
    with pytest.raises(ModelTimeoutError):
        await chat_model_for(settings).request(QUESTION)


async def test_openai_a_brief_or_joined_request_maps_the_servers_errors_to_the_typed_errors(
    make_settings: SettingsFactory, openai_server: OpenAITestServer
) -> None:
    model = chat_model_for(openai_settings(make_settings, openai_server))
    for brief in (True, False):
        openai_server.fail_next(Fault.HTTP_500)
        with pytest.raises(ModelResponseError, match="HTTP 500"):
            await model.request(QUESTION, brief=brief)
        openai_server.queue(Reply(content=VERDICT, fault=Fault.MALFORMED_JSON))
        with pytest.raises(ModelResponseError, match="could not be read"):
            await model.request(QUESTION, brief=brief)
        openai_server.fail_next(Fault.MODEL_NOT_FOUND)
        with pytest.raises(ModelNotFoundError, match="served-model-name"):
            await model.request(QUESTION, brief=brief)
        openai_server.queue(Reply(content="", reasoning="Je réfléchis."))
        with pytest.raises(ModelNoContentError):
            await model.request(QUESTION, brief=brief)
    openai_server.queue(Reply(content=VERDICT, fault=Fault.DROP_MID_STREAM))
    with pytest.raises(ModelResponseError):
        await model.request(QUESTION)
    openai_server.queue(VERDICT)
    assert (await model.request(QUESTION, brief=True)).text == VERDICT


async def test_a_verdict_that_does_not_come_in_time_leaves_the_cue_words_to_decide(
    make_settings: SettingsFactory, ollama_server: OllamaTestServer
) -> None:
    """docs/model-servers.md: the verdict, asked whole, must come within the request timeout;
    when it does not, the classifier gives up (None) rather than holding the reply."""
    settings = make_settings(ollama_host=ollama_server.url, request_timeout=0.5)
    ollama_server.time_to_first_token = 3.0
    assert await SafetyClassifier(chat_model_for(settings)).classify("Bonjour.", "fr") is None
    assert ollama_server.chat_requests()[-1].body["stream"] is False
