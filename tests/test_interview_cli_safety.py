"""The safety classifier's routes end to end: the terminal interview, the real Ollama client and
the fake Ollama server, which answers the classifier's schema apart from the interviewer's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.interview.guide import load_guide
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import ORDINARY_VERDICT, OllamaTestServer

QUESTION = "Quel est votre métier ?"
DISCLOSURE = "Le fils de Mme B. la bouscule, elle a des bleus sur les bras."
CONTACT = "la ligne d'astreinte 01 23 45 67 89"


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ollama_server: OllamaTestServer
) -> OllamaTestServer:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    monkeypatch.setenv("TERRAIN_SAFEGUARDING_CONTACT", CONTACT)
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    monkeypatch.chdir(tmp_path)
    ollama_server.respond_with(lambda body: QUESTION)
    return ollama_server


def classifier(**verdicts: str) -> Callable[[dict[str, Any]], str]:
    """The classifier's model: ``verdicts`` maps a word of the message to its category."""

    def answer(body: dict[str, Any]) -> str:
        message = body["messages"][-1]["content"].split("<message>")[-1]
        for word, category in verdicts.items():
            if word in message:
                return json.dumps({"category": category, "confidence": 0.9, "language": "en"})
        return ORDINARY_VERDICT

    return answer


def test_a_safeguarding_disclosure_pauses_the_terminal_interview_shows_the_contact_and_flags(
    environment: OllamaTestServer,
) -> None:
    environment.classify_with(classifier(bleus="safeguarding"))
    lines = f"oui\n{DISCLOSURE}\non continue\n"

    result = CliRunner().invoke(app, ["interview", "--json"], input=lines)

    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    said = [turn["text"] for turn in transcript["turns"] if turn["speaker"] == "interviewer"]
    routes = load_guide("fr").routes
    assert CONTACT in said[-2]
    assert routes.safeguarding_no_procedure in said[-2]
    assert said[-1].startswith(routes.resumed)
    assert transcript["status"] == "in_progress"
    with Store.open(load_settings()) as store:
        stored = store.interviews.get(transcript["id"])
    assert stored is not None
    assert stored.flagged


def test_a_withdrawal_asked_in_words_gets_the_terminals_confirmation(
    environment: OllamaTestServer,
) -> None:
    environment.classify_with(classifier(retirer="withdrawal"))
    declined = CliRunner().invoke(
        app, ["interview"], input="oui\nJe veux tout retirer.\nnon\nJe suis aide à domicile.\n"
    )
    assert declined.exit_code == 0, declined.output
    assert load_guide("fr").routes.withdrawal in declined.output
    assert "Rien n'a été effacé" in declined.output

    erased = CliRunner().invoke(
        app, ["interview", "--json"], input="oui\nJe veux tout retirer.\noui\n"
    )
    assert erased.exit_code == 0, erased.output
    withdrawn = json.loads(erased.stdout)
    assert withdrawn["withdrawn"] is True
    with Store.open(load_settings()) as store:
        assert store.interviews.get(withdrawn["id"]) is None


def test_the_terminal_interview_goes_on_in_english_when_asked(
    environment: OllamaTestServer,
) -> None:
    environment.classify_with(classifier(English="language_change"))

    result = CliRunner().invoke(
        app, ["interview", "--json"], input="oui\nCan we go on in English?\nI am a nurse.\n"
    )

    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    said = [turn["text"] for turn in transcript["turns"] if turn["speaker"] == "interviewer"]
    assert said[0] == load_guide("fr").welcome(load_settings())  # the transcript keeps both
    assert said[-2].startswith(load_guide("en").routes.language_switched)
    with Store.open(load_settings()) as store:
        stored = store.interviews.get(transcript["id"])
    assert stored is not None
    assert stored.language == "en"
    # The interviewer's prompt for the answer that followed is the English one.
    asked = [r.body for r in environment.chat_requests() if not r.body.get("format")]
    assert asked[-1]["messages"][0]["content"].startswith("You are interviewing an employee")
