"""`terrain users add` and `terrain users list`, and `terrain serve`'s options and refusals."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.auth import verify_password
from assistant.cli import app
from assistant.config import load_settings
from assistant.store import Store
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(data))
    monkeypatch.setenv("TERRAIN_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    return data


def test_add_asks_twice_and_stores_only_a_hash(data_dir: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "alice", "--role", "employee"],
        input="un mot de passe long\nun mot de passe long\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added alice (employee)" in added.output
    assert "un mot de passe long" not in added.output
    with Store.open(load_settings(data_dir=data_dir)) as store:
        stored = store.accounts.password_hash_of("alice")
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "un mot de passe long")

    differ = runner.invoke(
        app,
        ["users", "add", "bob", "--role", "admin"],
        input="un mot de passe long\nun autre mot de passe\n",
    )
    assert differ.exit_code == 1
    assert "differ" in differ.output


def test_scripts_pipe_the_password_and_read_json(data_dir: Path) -> None:
    runner = CliRunner()
    for name, role in [("fanny", "facilitator"), ("lea", "leadership")]:
        result = runner.invoke(
            app,
            ["users", "add", name, "--role", role, "--password-stdin"],
            input="mot de passe des scripts\n",
        )
        assert result.exit_code == 0, result.output
    sso = runner.invoke(app, ["users", "add", "sso.user", "--role", "employee", "--no-password"])
    assert sso.exit_code == 0, sso.output
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0
    users = json.loads(listed.stdout)
    assert [(u["name"], u["role"]) for u in users] == [
        ("fanny", "facilitator"),
        ("lea", "leadership"),
        ("sso.user", "employee"),
    ]
    assert "hash" not in listed.stdout
    text = runner.invoke(app, ["users", "list"])
    assert "fanny" in text.stdout
    assert "facilitator" in text.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "add", "x", "--role", "employee", "--password-stdin"], "court\n", "at least"),
        (["users", "add", "a b", "--role", "employee", "--no-password"], "", "Invalid user"),
        (["users", "add", "x", "--role", "boss", "--no-password"], "", "boss"),
    ],
)
def test_bad_users_are_refused(data_dir: Path, args: list[str], stdin: str, message: str) -> None:
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output


def test_no_user_exists_until_one_is_added(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["users", "list", "--json"])
    assert json.loads(result.stdout) == []


def test_serve_documents_its_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output


def test_serve_on_a_taken_port_fails_in_one_line_before_announcing_anything(
    data_dir: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        terrain = Path(sys.executable).with_name("terrain")
        result = subprocess.run(
            [str(terrain), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=os.environ,
            check=False,
            timeout=HANG_CAP_SECONDS,  # against a hang only
        )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert f"Port {port} on 127.0.0.1 is already in use" in line
    assert "--port" in line
    assert "available at" not in result.stdout + result.stderr


def test_serve_refuses_the_port_the_model_server_is_configured_on(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERRAIN_MODEL_PROVIDER", "openai")
    monkeypatch.setenv("TERRAIN_OPENAI_BASE_URL", "http://localhost:8123/v1")
    result = CliRunner().invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 1
    assert "TERRAIN_OPENAI_BASE_URL" in result.output
    assert "terrain serve --port 8080" in result.output
