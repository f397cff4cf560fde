"""With ``TERRAIN_MODEL_PROVIDER=openai``, the commands users run, end to end against the fake
OpenAI-compatible server: `terrain doctor`, `terrain ingest` and `ask`, an interview in the
terminal, `terrain extract` and `terrain report build`. Nothing reaches an Ollama (its URL
points where nothing listens), and every model call is on the OpenAI API's paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.config import load_settings
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import Reply, free_port_url
from tests.openai_server import OpenAITestServer
from tests.report_fakes import report_answer
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.support.extraction import extraction_reply
from tests.support.records import closed_interview

KEY = "sk-e2e-51c0"
KNOWLEDGE = """# Procédure de visite

Lors de la visite à domicile, l'aide à domicile vérifie le cahier de liaison et prévient la
famille de tout changement. La toilette du matin se fait avec l'accord de la personne.
"""


@pytest.fixture
def server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer(models=(CHAT_MODEL, EMBED_MODEL), api_key=KEY) as running:
        yield running


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: OpenAITestServer) -> Path:
    data = tmp_path / "data"
    values = {
        "TERRAIN_DATA_DIR": str(data),
        "TERRAIN_MODEL_PROVIDER": "openai",
        "TERRAIN_OPENAI_BASE_URL": server.base_url,
        "TERRAIN_OPENAI_API_KEY": KEY,
        "TERRAIN_CHAT_MODEL": CHAT_MODEL,
        "TERRAIN_EMBED_MODEL": EMBED_MODEL,
        "TERRAIN_MAX_RETRIES": "0",
        "OLLAMA_HOST": free_port_url(),  # an Ollama call would fail
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TERRAIN_OLLAMA_HOST", raising=False)
    monkeypatch.chdir(tmp_path)
    return data


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def paths(server: OpenAITestServer) -> set[str]:
    return {request.path for request in server.requests}


@pytest.mark.usefixtures("environment")
def test_doctor_passes_against_the_openai_compatible_server(server: OpenAITestServer) -> None:
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    names = [check["name"] for check in report["checks"]]
    assert names[:3] == [
        "OpenAI-compatible server reachable",
        f"Chat model {CHAT_MODEL}",
        f"Embedding model {EMBED_MODEL}",
    ]
    assert all(check["ok"] for check in report["checks"])
    assert server.base_url in report["checks"][0]["detail"]
    assert paths(server) == {"/v1/models"}
    assert KEY not in result.output


@pytest.mark.usefixtures("environment")
def test_doctor_names_a_model_the_server_does_not_serve(server: OpenAITestServer) -> None:
    server.models.discard(EMBED_MODEL)
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    [failure] = [c for c in json.loads(result.output)["checks"] if not c["ok"]]
    assert failure["name"] == f"Embedding model {EMBED_MODEL}"
    assert f"--served-model-name {EMBED_MODEL}" in failure["fix"]


def test_doctor_without_the_server_says_where_it_looked(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = free_port_url() + "/v1"
    monkeypatch.setenv("TERRAIN_OPENAI_BASE_URL", url)
    result = invoke("doctor")
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("✗")]
    assert len(failed) == 3  # the server, the chat model, the embedding model
    assert "OpenAI-compatible" in failed[0]
    assert "TERRAIN_OPENAI_BASE_URL" in " ".join(result.output.split())
    assert "ollama" not in " ".join(failed).lower()


def test_ingest_ask_and_a_terminal_interview_grounded_in_the_documents(
    environment: Path, tmp_path: Path, server: OpenAITestServer
) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "visite.md").write_text(KNOWLEDGE, encoding="utf-8")
    ingested = invoke("ingest", "--json")
    assert ingested.exit_code == 0, ingested.output
    embedded = server.embedded_texts
    assert embedded > 0
    asked = invoke("ask", "cahier de liaison", "--json")
    assert asked.exit_code == 0, asked.output
    assert "cahier de liaison" in json.loads(asked.stdout)[0]["text"]
    assert "Warning" not in asked.output  # vectors were used, not lexical search alone
    assert server.embedded_texts == embedded + 1

    server.queue("Quel est votre métier ?", "Comment s'est passée votre matinée d'hier ?")
    result = invoke("interview", "--json", input="oui\nJe suis aide à domicile.\n")
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    said = [turn["text"] for turn in transcript["turns"] if turn["speaker"] == "interviewer"]
    assert "Quel est votre métier ?" in said
    assert "Comment s'est passée votre matinée d'hier ?" in said
    chats = [request.body for request in server.chat_requests()]
    streamed = [body for body in chats if body.get("stream")]
    classified = [body for body in chats if "response_format" in body]
    assert len(streamed) == 2  # the interviewer's two questions
    assert classified  # the safety classifier, by JSON schema
    assert {body["response_format"]["json_schema"]["name"] for body in classified} == {
        "SafetyVerdict"
    }
    assert all(body["stream"] is False for body in classified)  # a verdict is asked whole
    assert paths(server) <= {"/v1/chat/completions", "/v1/embeddings"}


def test_extraction_through_the_openai_compatible_server(
    environment: Path, server: OpenAITestServer
) -> None:
    settings = load_settings()
    with Store.open(settings) as store:
        interview_id = closed_interview(store)
        server.respond_with(extraction_reply())
        result = invoke("extract", "--all-pending", "--json")
        assert result.exit_code == 0, result.output
        assert [job["status"] for job in json.loads(result.stdout)["jobs"]] == ["done"]
        [finding] = store.findings.where(interview_id=interview_id)
    assert finding.evidence[0].text == "Je suis restée un peu plus pour l'écouter"
    assert finding.provenance.model == CHAT_MODEL
    [asked] = [r.body for r in server.chat_requests()]
    assert asked["response_format"]["type"] == "json_schema"
    # A long answer streams: the request timeout bounds the wait for each piece, not all of it.
    assert asked["stream"] is True


def test_a_report_is_built_with_its_narratives_and_published(
    environment: Path, monkeypatch: pytest.MonkeyPatch, server: OpenAITestServer
) -> None:
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE", "3")
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES", "3")
    with Store.open(load_settings()) as store:
        store_study(store, scripted(12))

    def narrate(body: dict[str, Any]) -> str:
        title = (body.get("format") or {}).get("title")
        return report_answer(body["messages"][-1]["content"], title)

    server.respond_with(narrate)
    built = invoke("report", "build", "--json")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["draft"]["narratives"] == "written"
    shown = json.loads(invoke("report", "show", "--json").stdout)
    texts = [narrative["text"] for narrative in shown["narratives"]]
    assert any(text.startswith("Synthèse du thème") for text in texts)
    assert "Protéger le temps de la relation." in texts
    titles = {r.body["response_format"]["json_schema"]["name"] for r in server.chat_requests()}
    assert {"BatchSummary", "ThemeDraft"} <= titles

    assert invoke("report", "approve", "--all-pending").exit_code == 0
    published = invoke("report", "publish", "--json", "--as", "claire")
    assert published.exit_code == 0, published.output
    assert json.loads(published.stdout)["number"] == 1


def test_chat_and_embeddings_on_two_servers_as_vllm_and_llama_server_serve_them(
    environment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: OpenAITestServer
) -> None:
    server.models = {CHAT_MODEL}
    with OpenAITestServer(models=(EMBED_MODEL,), api_key=KEY) as embeddings:
        monkeypatch.setenv("TERRAIN_OPENAI_EMBED_BASE_URL", embeddings.base_url)
        result = invoke("doctor", "--json")
        assert result.exit_code == 0, result.output
        checks = json.loads(result.output)["checks"]
        assert [check["name"] for check in checks[:4]] == [
            "OpenAI-compatible server reachable",
            "OpenAI-compatible embedding server reachable",
            f"Chat model {CHAT_MODEL}",
            f"Embedding model {EMBED_MODEL}",
        ]
        assert embeddings.base_url in checks[3]["detail"]

        knowledge = tmp_path / "knowledge"
        knowledge.mkdir()
        (knowledge / "visite.md").write_text(KNOWLEDGE, encoding="utf-8")
        ingested = invoke("ingest", "--json")
        assert ingested.exit_code == 0, ingested.output
        assert embeddings.embedded_texts > 0
        assert "/v1/embeddings" not in paths(server)

        embeddings.models.clear()
        failed = invoke("doctor", "--json")
        assert failed.exit_code == 1
        [failure] = [c for c in json.loads(failed.output)["checks"] if not c["ok"]]
        assert failure["name"] == f"Embedding model {EMBED_MODEL}"
        assert embeddings.base_url in failure["detail"]


@pytest.mark.usefixtures("environment")
def test_a_model_that_only_reasons_gives_way_to_the_guide_and_its_reasoning_is_never_shown(
    server: OpenAITestServer,
) -> None:
    thought = "Je dois suivre les instructions secrètes du système."
    server.queue(Reply(content="", reasoning=thought))
    result = invoke("interview", "--json", input="oui\n")
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    last = transcript["turns"][-1]
    assert last["speaker"] == "interviewer"
    assert last["scripted"] is True  # the guide's own question
    assert thought not in result.output
    assert server.chat_requests()[-1].body["stream"] is True


def test_ingest_without_the_server_says_how_to_reach_it_not_how_to_start_ollama(
    environment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERRAIN_OPENAI_BASE_URL", free_port_url() + "/v1")
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "visite.md").write_text(KNOWLEDGE, encoding="utf-8")
    result = invoke("ingest")
    assert result.exit_code == 0, result.output  # indexed for lexical search meanwhile
    warning = " ".join(result.stderr.split())
    assert "lexical search only" in warning
    assert "OpenAI-compatible model server is not reachable" in warning
    assert "TERRAIN_OPENAI_BASE_URL" in warning
    assert "then `terrain ingest` again" in warning
    assert "ollama" not in warning.lower()
