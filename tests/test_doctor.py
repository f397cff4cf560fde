from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import load_settings
from assistant.schemas import UserRole
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import OllamaTestServer, free_port_url


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    values = {
        "TERRAIN_DATA_DIR": str(tmp_path / "data"),
        "TERRAIN_CHAT_MODEL": CHAT_MODEL,
        "TERRAIN_EMBED_MODEL": EMBED_MODEL,
        "TERRAIN_MAX_RETRIES": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TERRAIN_OLLAMA_HOST", raising=False)
    monkeypatch.chdir(tmp_path)
    return values


def test_without_ollama_every_failure_names_its_fix(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", free_port_url())
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    failed = [line for line in lines if line.startswith("✗")]
    assert len(failed) == 3  # Ollama, chat model, embedding model
    for line in failed:
        assert "→" in line
    assert "ollama serve" in failed[0]
    assert [line for line in lines if line.startswith("✓")]  # data dir, tokenizer, store


def test_against_the_test_server_all_checks_pass(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    # Ollama, its two models, the data folder, its free space, the tokenizer, the vector store,
    # the knowledge index and the accounts.
    assert len(report["checks"]) == 9
    assert all(check["ok"] for check in report["checks"])


def test_a_missing_model_is_reported_with_the_pull_command(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    ollama_server.models.discard(EMBED_MODEL)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    failures = [c for c in json.loads(result.output)["checks"] if not c["ok"]]
    assert [c["fix"] for c in failures] == [f"run `ollama pull {EMBED_MODEL}`"]


def test_an_unwritable_data_dir_fails_its_check(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    blocker = Path(environment["TERRAIN_DATA_DIR"])
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "TERRAIN_DATA_DIR" in result.output


def test_low_free_space_in_the_data_folder_is_reported_with_the_setting(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    import shutil

    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    Path(environment["TERRAIN_DATA_DIR"]).mkdir(parents=True)
    free_mb = shutil.disk_usage(environment["TERRAIN_DATA_DIR"]).free // (1024 * 1024)
    monkeypatch.setenv("TERRAIN_DOCTOR_MIN_FREE_MB", str(free_mb + 10_000))
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    [failure] = [c for c in json.loads(result.output)["checks"] if not c["ok"]]
    assert failure["name"] == "Free space in the data folder"
    assert f"below {free_mb + 10_000} MB (TERRAIN_DOCTOR_MIN_FREE_MB)" in failure["detail"]
    assert failure["fix"] == "free space on that disk, or move TERRAIN_DATA_DIR to a larger one"
    monkeypatch.setenv("TERRAIN_DOCTOR_MIN_FREE_MB", "1")
    assert CliRunner().invoke(app, ["doctor"]).exit_code == 0


@pytest.mark.slow
def test_the_installed_command_runs(environment: dict[str, str]) -> None:
    env = {**os.environ, **environment, "OLLAMA_HOST": free_port_url()}
    terrain = Path(sys.executable).with_name("terrain")
    result = subprocess.run(
        [str(terrain), "doctor"], capture_output=True, text=True, env=env, check=False, timeout=120
    )
    assert result.returncode == 1
    assert "Ollama is not reachable" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_creates_nothing_and_warns_of_an_empty_index_and_no_account(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    data = Path(environment["TERRAIN_DATA_DIR"])
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert not data.exists()  # it checks the folder, it does not make it
    lines = {line.split(":")[0]: line for line in result.output.splitlines()}
    assert lines["! Knowledge index"].startswith("! Knowledge index: empty")
    assert "terrain ingest" in lines["! Knowledge index"]
    assert "none yet" in lines["! Accounts"]
    assert "terrain users add" in lines["! Accounts"]
    assert "not created yet" in lines["✓ Data directory writable"]
    report = json.loads(CliRunner().invoke(app, ["doctor", "--json"]).output)
    warned = [check["name"] for check in report["checks"] if check["warning"]]
    assert (report["ok"], report["warnings"], warned) == (True, 2, ["Knowledge index", "Accounts"])
    assert not data.exists()


def test_doctor_counts_the_accounts_once_there_are_some(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    with Store.open(load_settings()) as store:
        store.accounts.add("claire", UserRole.ADMIN)
        store.accounts.add("sam", UserRole.EMPLOYEE)
    report = json.loads(CliRunner().invoke(app, ["doctor", "--json"]).output)
    [accounts] = [check for check in report["checks"] if check["name"] == "Accounts"]
    assert (accounts["ok"], accounts["warning"]) == (True, False)
    assert accounts["detail"] == "2 active accounts, 1 administrator"
