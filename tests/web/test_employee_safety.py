"""The safety routes on the employee's page: a withdrawal asked in words gets the page's own
confirmation buttons, and a change of language turns the page's texts with the interview."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.interview.guide import load_guide
from tests.ollama_server import ORDINARY_VERDICT, OllamaTestServer
from tests.support.employee_chat import consented, interview_of
from tests.web.client import plain
from tests.web.server import WebServer

pytestmark = pytest.mark.slow


def classifier(word: str, category: str, language: str | None = None) -> Any:
    def answer(body: dict[str, Any]) -> str:
        message = body["messages"][-1]["content"].split("<message>")[-1]
        if word in message:
            return json.dumps({"category": category, "confidence": 0.9, "language": language})
        return ORDINARY_VERDICT

    return answer


async def test_a_withdrawal_asked_in_words_shows_the_confirmation_then_erases(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.classify_with(classifier("retirer", "withdrawal"))
    client = await consented(web, "alice")
    await client.send("Finalement je veux tout retirer.")
    await client.wait_for(
        lambda: client.labels() == ["Oui, tout effacer", "Non, garder l'entretien"]
    )
    assert plain(client.last()) == load_guide("fr").routes.withdrawal
    await client.click("Oui, tout effacer")
    await client.wait_for_text("Ont été effacés")
    assert interview_of(web, client.thread_id) == (None, [])
    await client.disconnect()


async def test_a_change_to_english_turns_the_page_with_the_interview(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.classify_with(classifier("English", "language_change", "en"))
    client = await consented(web, "bob")
    await client.send("Can we continue in English?")
    switched = load_guide("en").routes.language_switched
    await client.wait_for(lambda: plain(client.last()).startswith(switched))
    await client.wait_for(lambda: "Withdraw my interview" in client.labels())
    interview, _ = interview_of(web, client.thread_id)
    assert interview.language == "en"
    await client.disconnect()
