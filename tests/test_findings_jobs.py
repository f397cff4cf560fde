"""Extraction jobs and review, through the CLI, against the fake model and a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.schemas import (
    FindingStatus,
    InterviewStatus,
    InterviewUpdate,
    JobStatus,
    Phase,
    Speaker,
)
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import OllamaTestServer
from tests.test_findings import extraction_reply


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, ollama_server: OllamaTestServer
) -> Settings:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    return settings


def closed_interview(store: Store) -> str:
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test")
    for speaker, text in [
        (Speaker.INTERVIEWER, "Pouvez-vous me raconter un moment précis ?"),
        (Speaker.EMPLOYEE, "Hier, Mme R. était seule. Je suis restée un peu plus pour l'écouter."),
    ]:
        store.interviews.add_turn(interview.id, speaker=speaker, text=text, phase=Phase.EPISODE)
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    return interview.id


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def test_extract_all_pending_stores_verified_findings(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    ollama_server.respond_with(extraction_reply())
    code, output = run("extract", "--all-pending", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert [job["status"] for job in report["jobs"]] == ["done"]
    [finding] = store.findings.where(interview_id=interview_id)
    assert finding.evidence[0].text == "Je suis restée un peu plus pour l'écouter"
    assert finding.status == FindingStatus.PROPOSED

    # Nothing left to do: a second run changes nothing.
    code, output = run("extract", "--all-pending", "--json")
    assert (code, json.loads(output)["jobs"]) == (0, [])
    assert len(store.findings.where(interview_id=interview_id)) == 1


def test_malformed_output_twice_fails_the_job_and_a_later_retry_succeeds(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    ollama_server.queue("n'importe quoi", '{"findings": "pas une liste"}')
    code, output = run("extract", "--interview", interview_id, "--json")
    assert code == 1
    [job] = json.loads(output)["jobs"]
    assert job["status"] == "failed"
    assert "did not match" in job["error"]
    assert store.findings.where(interview_id=interview_id) == []

    ollama_server.respond_with(extraction_reply())
    code, output = run("extract", "--interview", interview_id, "--json")
    assert code == 0, output
    [job] = json.loads(output)["jobs"]
    assert (job["status"], job["attempts"]) == ("done", 2)
    assert len(store.findings.where(interview_id=interview_id)) == 1


def test_review_accept_all_keeps_who_and_when_and_survives_re_extraction(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    ollama_server.respond_with(extraction_reply())
    assert run("extract", "--interview", interview_id)[0] == 0
    code, output = run("review", "--accept-all", "--interview", interview_id, "--as", "claire")
    assert code == 0, output
    [finding] = store.findings.where(interview_id=interview_id)
    assert finding.status == FindingStatus.ACCEPTED
    [change] = store.findings.changes(finding.id)
    assert (change.actor, change.action) == ("claire", "accept")

    # Extracting again never touches reviewed findings.
    store.jobs.enqueue("extract", interview_id)
    job = store.jobs.where(kind="extract")[0]
    assert job.status == JobStatus.DONE  # done jobs are not redone
    store.findings.replace_model_findings(interview_id, [])
    assert [f.id for f in store.findings.where(interview_id=interview_id)] == [finding.id]

    code, output = run("review", "--agreement", "--json")
    assert code == 0
    result = json.loads(output)
    assert result["units"] == 1
    assert result["observed"] == 1.0


def test_extract_needs_one_target(environment: Settings) -> None:
    code, _ = run("extract")
    assert code == 1
    code, _ = run("extract", "--interview", "nope")
    assert code == 1


def test_review_without_a_terminal_asks_for_accept_all(environment: Settings) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    result = CliRunner().invoke(app, ["review", "--interview", interview_id])
    assert result.exit_code == 1
    assert "--accept-all" in result.output


def test_every_command_has_a_manual(tmp_path: Path) -> None:
    for command in ("doctor", "ingest", "ask", "interview", "extract", "review"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert len(result.stdout) > 200


def test_a_facilitator_adds_a_finding_from_the_employee_s_exact_words(
    environment: Settings,
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    code, output = run(
        "review",
        "--interview",
        interview_id,
        "--as",
        "claire",
        "--json",
        "--add-quote",
        "restée un peu plus",
        "--turn",
        "2",
        "--code",
        "care",
    )
    assert code == 0, output
    added = json.loads(output)
    assert (added["origin"], added["status"], added["code"]) == ("facilitator", "accepted", "care")
    assert added["evidence"][0]["text"] == "restée un peu plus"
    assert added["evidence"][0]["turn_index"] == 1  # turn 2 as people count, stored from 0
    # What the facilitator did not say stays unknown, never made up.
    unknown = ("activity", "counterpart", "automation_exposure", "confidence")
    assert [added[name] for name in unknown] == [None, None, None, None]
    [change] = store.findings.changes(added["id"])
    assert (change.actor, change.action) == ("claire", "add")

    code, _ = run(
        "review",
        "--interview",
        interview_id,
        "--add-quote",
        "des mots jamais dits",
        "--code",
        "care",
    )
    assert code == 1
    code, _ = run("review", "--interview", interview_id, "--add-quote", "restée", "--code", "x")
    assert code == 1


def test_review_turn_numbers_count_from_one_and_name_the_interviewers_turns(
    environment: Settings,
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    add = ("review", "--interview", interview_id, "--add-quote", "restée", "--code", "care")
    interviewer = CliRunner().invoke(app, [*add, "--turn", "1"])
    assert interviewer.exit_code == 1
    assert "Turn 1 is the interviewer's" in interviewer.output
    missing = CliRunner().invoke(app, [*add, "--turn", "3"])
    assert missing.exit_code == 1
    assert "no turn 3 in this interview (turns 1 to 2)" in missing.output
    assert store.findings.where(interview_id=interview_id) == []
