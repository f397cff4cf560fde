"""Every interview that ends with something said is queued for extraction when it ends (issue
27, and imported transcripts, issue 23.1): stopped ones as closed ones, in the terminal, on
import, and by `terrain extract --all-pending`; the worker then extracts them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings, load_settings
from assistant.findings.jobs import ExtractionJobs
from assistant.findings.worker import Worker
from assistant.schemas import InterviewStatus, InterviewUpdate, JobKind, JobStatus, Phase, Speaker
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import OllamaTestServer
from tests.support.extraction import coded_reply

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
ANSWERS = [
    "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile.",
    "Hier matin chez Mme R., elle était inquiète parce que sa fille ne l'appelait plus.",
    "Je me suis assise avec elle. Je l'ai laissée parler avant la toilette.",
]


def interviewer_and_coder(body: dict[str, Any]) -> str:
    """A question to the employee; asked for findings, it codes the first employee turn."""
    schema = body.get("format")
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if isinstance(schema, dict) and "findings" in properties:
        return coded_reply(body["messages"][-1]["content"], schema.get("title"))
    return "Pouvez-vous m'en dire un peu plus sur ce moment ?"


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ollama_server: OllamaTestServer
) -> Settings:
    data = tmp_path / "data"
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(data))
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    monkeypatch.chdir(tmp_path)
    ollama_server.respond_with(interviewer_and_coder)
    return load_settings()


def extraction_jobs(store: Store) -> dict[str, JobStatus]:
    return {job.interview_id or "": job.status for job in store.jobs.where(kind=JobKind.EXTRACTION)}


def drained_by_the_worker(settings: Settings, store: Store) -> list[str]:
    """What the worker extracted, as the interviews' ids."""
    worker = Worker(ExtractionJobs.from_settings(settings, store), poll_seconds=0.1)
    return [job.interview_id or "" for job in asyncio.run(worker.drain())]


def test_a_terminal_interview_stopped_after_a_few_answers_is_queued_then_extracted(
    environment: Settings,
) -> None:
    typed = "\n".join(["oui", *ANSWERS, "/stop", ""])
    result = CliRunner().invoke(app, ["interview", "--json"], input=typed)
    assert result.exit_code == 0, result.output
    transcript = json.loads(result.stdout)
    assert transcript["status"] == "stopped"
    with Store.open(environment) as store:
        assert extraction_jobs(store) == {transcript["id"]: JobStatus.QUEUED}
        assert drained_by_the_worker(environment, store) == [transcript["id"]]
        assert extraction_jobs(store) == {transcript["id"]: JobStatus.DONE}
        assert store.findings.where(interview_id=transcript["id"])


def test_stopped_at_consent_or_declined_queues_nothing(environment: Settings) -> None:
    stopped = CliRunner().invoke(app, ["interview", "--json"], input="/stop\n")
    declined = CliRunner().invoke(app, ["interview", "--json"], input="non\n")
    assert json.loads(stopped.stdout)["status"] == "stopped"
    assert json.loads(declined.stdout)["status"] == "declined"
    with Store.open(environment) as store:
        assert extraction_jobs(store) == {}


def test_the_turn_that_ends_an_interview_queues_its_extraction(tmp_store: Store) -> None:
    """Whatever adapter ends it: the store queues the job in the commit of the last turn."""
    interview = tmp_store.interviews.create(language="fr")
    tmp_store.interviews.record_consent(interview.id, given=True, version="t")
    tmp_store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text=ANSWERS[0], phase=Phase.ROLE
    )
    tmp_store.interviews.add_turn(
        interview.id,
        speaker=Speaker.INTERVIEWER,
        text="Entretien arrêté.",
        phase=Phase.ROLE,
        ending=InterviewStatus.STOPPED,
    )
    assert extraction_jobs(tmp_store) == {interview.id: JobStatus.QUEUED}


def test_all_pending_queues_a_stopped_never_extracted_interview(environment: Settings) -> None:
    with Store.open(environment) as store:
        interview = store.interviews.create(language="fr")
        store.interviews.record_consent(interview.id, given=True, version="t")
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text=ANSWERS[2], phase=Phase.EPISODE
        )
        # Stopped before this version queued on ending: no job.
        store.interviews.update(
            interview.id, InterviewUpdate(status=InterviewStatus.STOPPED, phase=Phase.DONE)
        )
        assert extraction_jobs(store) == {}
    result = CliRunner().invoke(app, ["extract", "--all-pending"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 interview (1 never extracted)" in result.output
    assert f"✓ {interview.pseudonym}: 1 finding" in result.output
    assert interview.id not in result.output  # named by pseudonym, as every page does
    with Store.open(environment) as store:
        assert extraction_jobs(store) == {interview.id: JobStatus.DONE}


def test_extract_takes_a_pseudonym_and_names_interviews_by_it(environment: Settings) -> None:
    with Store.open(environment) as store:
        interview = store.interviews.create(language="fr")
    result = CliRunner().invoke(app, ["extract", "--interview", interview.pseudonym])
    assert result.exit_code == 1
    assert f"✗ {interview.pseudonym}: cannot be extracted: the interview is still" in " ".join(
        result.output.split()
    )


def test_import_queues_the_extraction_of_each_transcript(environment: Settings) -> None:
    files = sorted(FIXTURES.iterdir())
    result = CliRunner().invoke(app, ["import", *map(str, files), "--json"])
    assert result.exit_code == 0, result.output
    imported = [interview["id"] for interview in json.loads(result.stdout)]
    assert len(imported) == len(files)
    with Store.open(environment) as store:
        assert extraction_jobs(store) == dict.fromkeys(imported, JobStatus.QUEUED)
    again = CliRunner().invoke(app, ["import", str(files[0]), "--allow-duplicate"])
    assert "Extraction queued for 1 interview" in again.output
