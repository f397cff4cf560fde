"""The in-process model port of assistant.llm.testing: scripts, records, failures, embeddings."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from assistant.llm import (
    ChatMessage,
    ModelError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelUnavailableError,
    request_structured,
)
from assistant.llm.testing import (
    CutOff,
    Fail,
    ModelRequest,
    ScriptedChatModel,
    ScriptExhaustedError,
    WordEmbedder,
    split_into_pieces,
    word_vector,
)

HELLO = [ChatMessage.system("Tu es un facilitateur."), ChatMessage.user("Bonjour")]


async def stream_all(model: ScriptedChatModel, pieces: list[str]) -> None:
    async for piece in model.stream(HELLO):
        pieces.append(piece)


def cosine(left: Sequence[float], right: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(left, right, strict=True))


async def test_queued_replies_come_first_in_order_then_the_function() -> None:
    model = ScriptedChatModel(["Premier ?"], respond=lambda r: f"Vous avez dit : {r.last.content}")
    model.queue("Deuxième ?")
    answers = [(await model.request(HELLO)).text for _ in range(3)]
    assert answers == ["Premier ?", "Deuxième ?", "Vous avez dit : Bonjour"]
    assert model.pending == 0


async def test_an_empty_script_is_a_test_error_not_a_model_failure() -> None:
    model = ScriptedChatModel(name="interviewer")
    with pytest.raises(ScriptExhaustedError, match="interviewer received request #1") as caught:
        await model.request(HELLO)
    assert not isinstance(caught.value, ModelError)  # so no fallback path can swallow it
    with pytest.raises(ScriptExhaustedError, match="structured request #2"):
        await model.request(HELLO, json_schema={"type": "object"})


async def test_every_request_is_recorded_as_made() -> None:
    model = ScriptedChatModel(["{}", "Et ensuite ?"])
    await model.request(HELLO, json_schema={"type": "object"})
    await stream_all(model, [])
    assert model.requests == [
        ModelRequest(tuple(HELLO), {"type": "object"}, streamed=False),
        ModelRequest(tuple(HELLO), None, streamed=True),
    ]
    assert model.requests[0].system == "Tu es un facilitateur."
    assert model.requests[0].last == ChatMessage.user("Bonjour")


async def test_streaming_splits_the_reply_into_pieces_that_add_up_to_it() -> None:
    reply = "Qu'avez-vous fait, ensuite ?  Prenez votre temps."
    pieces: list[str] = []
    await stream_all(ScriptedChatModel([reply]), pieces)
    assert len(pieces) > 5
    assert "".join(pieces) == reply
    by_character: list[str] = []
    await stream_all(ScriptedChatModel([reply], split=list), by_character)
    assert by_character == list(reply)


@pytest.mark.parametrize(
    "text", ["", "Bonjour", "  Qu'est-ce que… vous en pensez ?\n\n", "a\tb  c ", '{"k": [1]}']
)
def test_pieces_are_lossless(text: str) -> None:
    assert "".join(split_into_pieces(text)) == text


async def test_a_scripted_failure_is_raised_on_either_call() -> None:
    model = ScriptedChatModel([Fail.unavailable(), Fail.unavailable(), "Me revoilà ?"])
    with pytest.raises(ModelUnavailableError, match="ollama serve"):
        await model.request(HELLO)
    pieces: list[str] = []
    with pytest.raises(ModelUnavailableError):
        await stream_all(model, pieces)
    assert pieces == []  # a model that cannot be reached says nothing
    assert (await model.request(HELLO)).text == "Me revoilà ?"


async def test_a_cut_off_streams_its_partial_text_then_raises_with_it() -> None:
    model = ScriptedChatModel([CutOff("Qui était présent"), CutOff("Qui")])
    pieces: list[str] = []
    with pytest.raises(ModelStreamInterruptedError) as caught:
        await stream_all(model, pieces)
    assert "".join(pieces) == caught.value.partial == "Qui était présent"
    with pytest.raises(ModelResponseError, match="cut off"):
        await model.request(HELLO)  # a whole answer that never finished has nothing to show


class Point(BaseModel):
    x: int


async def test_structured_requests_see_the_schema_and_get_repaired() -> None:
    model = ScriptedChatModel(['{"x": "un"}', '{"x": 1}'])
    result = await request_structured(model, HELLO, Point)
    assert (result.value, result.attempts) == (Point(x=1), 2)
    assert all(r.json_schema == Point.model_json_schema() for r in model.requests)
    assert model.requests[1].messages[-2] == ChatMessage.assistant('{"x": "un"}')


async def test_the_word_embedder_is_deterministic_normalised_and_semantic() -> None:
    embedder = WordEmbedder(dim=512)
    texts = ["la visite du matin", "visites matinales", "facture impayée", "la visite du matin"]
    vectors = await embedder.embed(texts)
    assert embedder.calls == [texts]
    assert all(math.isclose(math.hypot(*vector), 1.0) for vector in vectors)
    assert vectors[0] == vectors[3] == word_vector("la visite du matin", 512)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
    # Accents and case are folded; text without words gets a fixed unit vector.
    assert word_vector("Facture IMPAYÉE", 64) == word_vector("facture impayee", 64)
    assert word_vector("", 8) == word_vector(" de la ", 8) == [1.0] + [0.0] * 7
