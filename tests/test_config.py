from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.errors import SettingsError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OLLAMA_HOST", "TERRAIN_OLLAMA_HOST", "TERRAIN_CHAT_MODEL", "TERRAIN_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_ollama_host_is_honoured_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    assert load_settings().ollama_host == "http://gpu-box:11434"
    monkeypatch.setenv("TERRAIN_OLLAMA_HOST", "https://llm.internal/")
    assert load_settings().ollama_host == "https://llm.internal"


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "terrain.toml").write_text(
        'chat_model = "qwen3:8b"\nlanguage = "en"\nprompt_token_budget = 4000\n'
    )
    settings = load_settings()
    assert (settings.chat_model, settings.language, settings.prompt_token_budget) == (
        "qwen3:8b",
        "en",
        4000,
    )
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", "gemma3:12b")
    assert load_settings().chat_model == "gemma3:12b"


def test_config_file_can_be_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text('embed_model = "nomic-embed-text"\n')
    monkeypatch.setenv("TERRAIN_CONFIG", str(other))
    assert load_settings().embed_model == "nomic-embed-text"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TERRAIN_PROMPT_TOKEN_BUDGET", "lots", "valid integer"),
        ("TERRAIN_LANGUAGE", "de", "'fr' or 'en'"),
        ("TERRAIN_REQUEST_TIMEOUT", "-3", "greater than 0"),
        ("OLLAMA_HOST", "ftp://x", "http:// or https://"),
    ],
)
def test_invalid_value_names_the_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert expected in message
    setting = "TERRAIN_OLLAMA_HOST" if variable == "OLLAMA_HOST" else variable
    assert message.startswith(f"Invalid setting {setting}")


def test_malformed_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "terrain.toml").write_text("chat_model = \n")
    with pytest.raises(SettingsError, match="settings file"):
        load_settings()


def test_cli_reports_a_bad_setting_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRAIN_TEMPERATURE", "hot")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 2
    assert "TERRAIN_TEMPERATURE" in result.output
    assert "Traceback" not in result.output
