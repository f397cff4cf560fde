"""The deployment files say what the code reads: every variable they set is a setting (or one
Terrain or Chainlit reads), the replicas run no worker, and compose's nginx configuration is
the shipped one with only its addresses changed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from assistant.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCS = ROOT / "docs" / "deploying-replicas.md"
_VARIABLE = re.compile(r"\b(TERRAIN_[A-Z0-9_]+)\b")
# Read by Terrain outside Settings: which settings file to read.
OTHER_VARIABLES = {"TERRAIN_CONFIG"}


def setting_variables() -> set[str]:
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(ENV_PREFIX + name.upper())
        aliases = getattr(field.validation_alias, "choices", ())
        names.update(str(alias) for alias in aliases if str(alias).isupper())
    return names


def deployment_texts() -> dict[Path, str]:
    files = [path for path in DEPLOY.rglob("*") if path.is_file()]
    return {path: path.read_text(encoding="utf-8") for path in [*files, DOCS]}


def test_every_terrain_variable_the_deployment_names_is_a_setting() -> None:
    known = setting_variables() | OTHER_VARIABLES
    named = {
        (path.relative_to(ROOT).as_posix(), variable)
        for path, text in deployment_texts().items()
        for variable in _VARIABLE.findall(text)
    }
    assert named  # the files do name settings
    assert {(path, variable) for path, variable in named if variable not in known} == set()


def test_the_replicas_run_no_worker_and_the_workers_run_apart() -> None:
    web = (DEPLOY / "systemd" / "terrain-web@.service").read_text(encoding="utf-8")
    worker = (DEPLOY / "systemd" / "terrain-worker@.service").read_text(encoding="utf-8")
    assert "terrain serve --no-worker --host 127.0.0.1 --port %i" in web
    assert "EnvironmentFile=/etc/terrain/terrain.env" in web
    assert "EnvironmentFile=/etc/terrain/terrain.env" in worker
    assert "ExecStart=/opt/terrain/.venv/bin/terrain worker" in worker
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    for replica in ("web1", "web2"):
        assert services[replica]["command"][:3] == ["terrain", "serve", "--no-worker"]
    assert services["worker"]["command"] == ["terrain", "worker"]
    assert {"postgres", "chroma", "ollama", "vllm-chat", "proxy"} <= set(services)
    assert services["ollama"]["profiles"] == ["ollama"]
    assert services["vllm-chat"]["profiles"] == ["vllm"]


def _directives(text: str) -> list[str]:
    """The configuration's lines without comments, blank lines, nor what differs by design:
    the replicas' addresses, the port, the server's name."""
    kept = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("server ", "listen ", "server_name ")):
            kept.append(line)
    return kept


def test_composes_nginx_configuration_is_the_shipped_one() -> None:
    shipped = (DEPLOY / "nginx" / "terrain.conf").read_text(encoding="utf-8")
    compose = (DEPLOY / "compose" / "nginx.conf").read_text(encoding="utf-8")
    assert _directives(compose) == _directives(shipped)
    assert "hash $cookie_access_token$cookie_access_token_0 consistent;" in _directives(shipped)
