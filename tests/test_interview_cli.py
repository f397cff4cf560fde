from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.privacy import owner_key
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import OllamaTestServer, free_port_url


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
