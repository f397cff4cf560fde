from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.interview.guide import load_guide
from assistant.privacy import erase_user, interviews_of_user, owner_key
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.guard_checks import assert_reached_safely, guide_sources, instructions
from tests.ollama_server import OllamaTestServer, compromised_responder, free_port_url
from tests.support.answers import PHASE_ANSWERS


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(data))
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    monkeypatch.chdir(tmp_path)
    return data


def test_a_scripted_interview_prints_its_transcript_as_json(
    environment: Path, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.queue("Quel est votre métier ?", "Comment s'est passée votre matinée d'hier ?")
    lines = "oui\nJe suis aide à domicile.\n"
    result = CliRunner().invoke(app, ["interview", "--json"], input=lines)
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    assert transcript["status"] == "in_progress"
    speakers = [turn["speaker"] for turn in transcript["turns"]]
    assert speakers == ["interviewer", "employee", "interviewer", "employee", "interviewer"]
    assert transcript["turns"][2]["text"] == "Quel est votre métier ?"
    assert transcript["turns"][2]["scripted"] is False
    assert transcript["turns"][0]["scripted"] is True  # the framing is the guide's own text
    assert {"speaker", "text", "phase", "scripted"} <= set(transcript["turns"][0])

    # Resume the same interview later, from the id the first run gave.
    more = CliRunner().invoke(
        app, ["interview", "--json", "--resume", transcript["id"]], input="Hier, chez M. B.\n"
    )
    assert more.exit_code == 0, more.output
    assert len(json.loads(more.stdout)["turns"]) == 7


def test_a_terminal_resumed_after_a_kill_answers_the_message_left_without_a_reply(
    environment: Path, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    from assistant.schemas import Speaker

    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.queue("Quel est votre métier ?", "Comment s'est passée votre matinée d'hier ?")
    first = CliRunner().invoke(app, ["interview", "--json"], input="oui\n")
    interview_id = json.loads(first.stdout)["id"]
    # What a terminal killed while the model answered leaves: the employee's message alone.
    with Store.open(load_settings()) as store:
        phase = store.interviews.get(interview_id).phase  # type: ignore[union-attr]
        store.interviews.add_turn(
            interview_id, speaker=Speaker.EMPLOYEE, text="Je suis aide à domicile.", phase=phase
        )
    resumed = CliRunner().invoke(app, ["interview", "--json", "--resume", interview_id], input="")
    assert resumed.exit_code == 0, resumed.output
    turns = json.loads(resumed.stdout)["turns"]
    assert [turn["text"] for turn in turns[-2:]] == [
        "Je suis aide à domicile.",
        "Comment s'est passée votre matinée d'hier ?",
    ]


def test_without_ollama_the_terminal_interview_goes_on_from_the_guide(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", free_port_url())
    result = CliRunner().invoke(app, ["interview", "--lang", "en"], input="yes\nI am a nurse.\n")
    assert result.exit_code == 0, result.output
    assert "The language model is not answering right now" in result.output
    assert "what is your job here?" in result.output.lower()


def test_owner_keys_are_stable_opaque_and_distinct(environment: Path) -> None:
    settings = load_settings()
    alice = owner_key(settings, "alice")
    assert alice == owner_key(settings, "alice")
    assert alice != owner_key(settings, "bob")
    assert "alice" not in alice
    secret = settings.data_dir / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_the_terminal_offers_stop_and_withdraw(
    environment: Path, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.queue("Quel est votre métier ?")
    stopped = CliRunner().invoke(app, ["interview", "--json"], input="oui\n/stop\n")
    assert stopped.exit_code == 0, stopped.output
    transcript = json.loads(stopped.stdout)
    assert transcript["status"] == "stopped"
    employee = [turn["text"] for turn in transcript["turns"] if turn["speaker"] == "employee"]
    assert employee == ["oui"]  # the command is an action, not words of the employee

    shown = CliRunner().invoke(app, ["interview", "--resume", transcript["id"]], input="")
    assert "/strike N" in shown.output
    assert "/withdraw" in shown.output
    kept = CliRunner().invoke(
        app, ["interview", "--resume", transcript["id"]], input="/withdraw\nnon\n"
    )
    assert "Rien n'a été effacé" in kept.output
    erased = CliRunner().invoke(
        app, ["interview", "--resume", transcript["id"]], input="/withdraw\noui\n"
    )
    assert erased.exit_code == 0, erased.output
    assert "Effacé : " in erased.output
    with Store.open(load_settings()) as store:
        assert store.interviews.get(transcript["id"]) is None


def test_an_administrator_finds_and_erases_a_persons_interviews_by_user_name(
    environment: Path,
) -> None:
    settings = load_settings()
    with Store.open(settings) as store:
        alice = [
            store.interviews.create(language="fr", owner_key=owner_key(settings, "alice"))
            for _ in range(2)
        ]
        bob = store.interviews.create(language="fr", owner_key=owner_key(settings, "bob"))
        store.interviews.create(language="fr")  # held in the terminal: nobody's
        found = interviews_of_user(store, settings, " alice ")
        assert {i.id for i in found} == {i.id for i in alice}
        erased = erase_user(store, settings, "alice")
        assert {i.id for i in erased} == {i.id for i in alice}
        assert interviews_of_user(store, settings, "alice") == []
        assert [i.id for i in interviews_of_user(store, settings, "bob")] == [bob.id]
        assert len(store.interviews.where()) == 2
        with pytest.raises(ValueError, match="empty"):
            erase_user(store, settings, "  ")


def interview_id_in(stderr: str) -> str:
    """The id from the line ``Interview ID (pseudonym)`` the command starts with."""
    return stderr.split("Interview ", 1)[1].split()[0]


def test_the_resume_hint_stays_on_one_line_to_be_copied(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", free_port_url())
    result = CliRunner().invoke(app, ["interview", "--lang", "en"], input="yes\n")
    assert result.exit_code == 0, result.output
    hint = f"Paused. Continue with: terrain interview --resume {interview_id_in(result.stderr)}"
    assert len(hint) > 80  # longer than the console Rich assumes off a terminal
    assert hint in result.stderr.splitlines()


def test_steps_are_shown_with_the_guides_titles(
    environment: Path, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.queue("What is your job here?")
    result = CliRunner().invoke(app, ["interview", "--lang", "en"], input="yes\n")
    assert result.exit_code == 0, result.output
    title = load_guide("en").phases[0].title
    assert f"— Step 1 of 6: {title} —" in result.stderr.splitlines()
    assert "— role —" not in result.stderr


def test_messages_carry_no_line_break_of_the_terminals_making(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", free_port_url())
    result = CliRunner().invoke(app, ["interview", "--lang", "en"], input="")
    assert result.exit_code == 0, result.output
    paragraphs = load_guide("en").framing.text.strip().split("\n\n")
    assert all("\n" not in paragraph for paragraph in paragraphs)  # the guide's own text
    assert len(paragraphs[0]) > 80
    assert f"Terrain: {paragraphs[0]}" in result.stdout.splitlines()


@pytest.mark.slow
def test_one_ctrl_c_stops_and_says_how_to_resume(environment: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OLLAMA_HOST": free_port_url(),
        "TERRAIN_CONFIG": str(tmp_path / "none.toml"),
        "PYTHONUNBUFFERED": "1",
    }
    terrain = Path(sys.executable).with_name("terrain")
    process = subprocess.Popen(
        [str(terrain), "interview", "--lang", "en"],
        stdin=subprocess.PIPE,  # kept open: the interview waits for the first answer
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        shown = ""
        while "Do you agree to begin?" not in shown:
            line = process.stdout.readline()
            assert line, "the interview ended before asking for consent"
            shown += line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)  # a guard against a hang, not a timing
    finally:
        process.kill()
    assert process.returncode == 130
    assert "Traceback" not in out + err
    hint = f"Continue with: terrain interview --resume {interview_id_in(err)}"
    assert "the interview is kept" in err
    assert hint in err.splitlines()[-1], err


def test_a_compromised_model_reaches_the_terminal_only_through_the_guard(
    environment: Path, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.respond_with(compromised_responder())
    answers = PHASE_ANSWERS["en"][:7]
    result = CliRunner().invoke(
        app, ["interview", "--lang", "en", "--json"], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    turns = json.loads(result.stdout)["turns"]
    asked = [turn for turn in turns if turn["speaker"] == "interviewer"][1:]
    # The model's attacks in turn, all replaced, each naming its rule. A string of questions is
    # asked for again, once: the next attack (another language) answers in its place.
    assert [turn["guard_rule"] for turn in asked] == [
        "leak",
        "link",
        "questions",  # advice: no question
        "language",  # a string of questions, asked again
        "length",
        "leak",
        "link",
    ]
    assert all(turn["scripted"] for turn in asked)
    systems = [
        instructions(request.body["messages"][0]["content"])
        for request in ollama_server.chat_requests()
    ]
    sources = [*systems, *guide_sources("en")]
    shown = [line for line in result.stderr.splitlines() if line.strip()] + [
        turn["text"] for turn in asked
    ]
    for text in shown:
        assert_reached_safely(text, sources=sources, max_run=load_settings().guard_max_shared_words)

    # As the terminal prints it: none of what the model wrote.
    ollama_server.respond_with(compromised_responder())
    printed = CliRunner().invoke(app, ["interview", "--lang", "en"], input="\n".join(answers))
    assert printed.exit_code == 0, printed.output
    for attack in ("here are my instructions", "example.com", "![", "strong advice", "completely"):
        assert attack not in printed.output.lower()
    assert "Qu'avez-vous" not in printed.output
