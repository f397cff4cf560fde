"""Extraction jobs and review, through the CLI, against the fake model and a real store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.config import Settings
from assistant.schemas import (
    FindingStatus,
    InterviewStatus,
    InterviewUpdate,
    JobKind,
    JobStatus,
    Phase,
    ReviewAction,
    Speaker,
)
from assistant.store import Store
from tests.conftest import CHAT_MODEL, EMBED_MODEL
from tests.ollama_server import OllamaTestServer
from tests.support.extraction import extraction_reply
from tests.support.records import closed_interview


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
    store.jobs.enqueue(JobKind.EXTRACTION, interview_id)
    job = store.jobs.where(kind=JobKind.EXTRACTION)[0]
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


def test_review_without_a_terminal_asks_for_accept_all(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    ollama_server.respond_with(extraction_reply())
    assert run("extract", "--interview", interview_id)[0] == 0
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


# -- extraction that catches up, and says what happened ---------------------------------------

EMPLOYEE_LINE = re.compile(r"^\[(\d+)\] Personne : (.*)$", re.M)
CONSENT_ANSWER = "Oui."


def code_every_employee_turn(body: dict[str, Any]) -> str:
    """A fake model that codes each employee turn it is shown (but the consent), quoting its
    first sentence."""
    prompt = body["messages"][-1]["content"]
    findings = [
        {
            "code": "care",
            "activity": "visite",
            "counterpart": "bénéficiaire",
            "value_chain_stage": "service_delivery",
            "quotes": [{"turn": int(number), "text": text.split(". ")[0].rstrip(".")}],
            "automation_exposure": "human_essential",
            "confidence": 0.8,
        }
        for number, text in EMPLOYEE_LINE.findall(prompt)
        if text != CONSENT_ANSWER
    ]
    return json.dumps({"findings": findings})


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def plain(text: str) -> str:
    return " ".join(text.split())


def started_interview(store: Store, *said: str) -> str:
    """An interview in progress: consent given, then a question and an answer per text."""
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test", next_phase=Phase.ROLE)
    store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text=CONSENT_ANSWER, phase=Phase.CONSENT
    )
    for text in said:
        say(store, interview.id, text)
    return interview.id


def say(store: Store, interview_id: str, text: str) -> None:
    store.interviews.add_turn(
        interview_id, speaker=Speaker.INTERVIEWER, text="Et ensuite ?", phase=Phase.EPISODE
    )
    store.interviews.add_turn(
        interview_id, speaker=Speaker.EMPLOYEE, text=text, phase=Phase.EPISODE
    )


def close(store: Store, interview_id: str) -> None:
    store.interviews.update(
        interview_id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )


def quoted(store: Store, interview_id: str) -> set[str]:
    return {
        quote.text for f in store.findings.where(interview_id=interview_id) for quote in f.evidence
    }


def test_an_interview_in_progress_is_not_extracted_and_is_extracted_whole_once_closed(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = started_interview(store, "J'ai rassuré Mme R. avant la toilette.")
    ollama_server.respond_with(code_every_employee_turn)

    result = invoke("extract", "--interview", interview_id)
    assert result.exit_code == 1
    assert "still in progress" in plain(result.output)
    assert "extracted once it has ended" in plain(result.output)
    assert (store.jobs.where(), store.findings.where(), ollama_server.chat_requests()) == (
        [],
        [],
        [],
    )

    say(store, interview_id, "Puis j'ai appelé sa fille pour la prévenir.")
    close(store, interview_id)
    code, output = run("extract", "--all-pending", "--json")
    assert code == 0, output
    [queued] = json.loads(output)["queued"]
    assert (queued["interview_id"], queued["because"]) == (interview_id, "new")
    assert quoted(store, interview_id) == {
        "J'ai rassuré Mme R",
        "Puis j'ai appelé sa fille pour la prévenir",
    }


def test_a_transcript_changed_since_its_extraction_is_extracted_again(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = started_interview(store, "J'ai rassuré Mme R. avant la toilette.")
    close(store, interview_id)
    ollama_server.respond_with(code_every_employee_turn)
    assert run("extract", "--all-pending")[0] == 0
    assert quoted(store, interview_id) == {"J'ai rassuré Mme R"}

    say(store, interview_id, "Puis j'ai appelé sa fille.")  # a turn added
    code, output = run("extract", "--all-pending", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert [q["because"] for q in report["queued"]] == ["changed"]
    assert [job["status"] for job in report["jobs"]] == ["done"]
    assert quoted(store, interview_id) == {"J'ai rassuré Mme R", "Puis j'ai appelé sa fille"}

    code, output = run("extract", "--all-pending", "--json")
    assert (code, json.loads(output)["jobs"]) == (0, [])  # unchanged: not redone

    employee_turn = store.interviews.turns(interview_id)[-1]
    store.interviews.revise_turn(
        employee_turn.id, "Puis j'ai prévenu son fils."
    )  # a turn corrected
    code, output = run("extract", "--interview", interview_id, "--json")
    assert code == 0, output
    assert [q["because"] for q in json.loads(output)["queued"]] == ["changed"]
    assert quoted(store, interview_id) == {"J'ai rassuré Mme R", "Puis j'ai prévenu son fils"}


def test_force_extracts_again_and_keeps_every_reviewed_finding(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = started_interview(
        store, "J'ai rassuré Mme R. avant la toilette.", "Puis j'ai appelé sa fille."
    )
    close(store, interview_id)
    ollama_server.respond_with(code_every_employee_turn)
    assert run("extract", "--interview", interview_id)[0] == 0
    first, second = store.findings.where(interview_id=interview_id)
    store.findings.review(first.id, actor="claire", action=ReviewAction.ACCEPT)
    code, output = run(
        "review",
        "--interview",
        interview_id,
        "--as",
        "claire",
        "--json",
        "--add-quote",
        "avant la toilette",
        "--code",
        "trust",
    )
    assert code == 0, output
    added = json.loads(output)["id"]

    code, output = run("extract", "--interview", interview_id, "--json")
    assert code == 0, output
    report = json.loads(output)
    assert (report["queued"], report["jobs"]) == ([], [])
    [left_out] = report["not_queued"]
    assert left_out["reason"] == "up_to_date"

    code, output = run("extract", "--interview", interview_id, "--force", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert [q["because"] for q in report["queued"]] == ["forced"]
    [job] = report["jobs"]
    assert (job["result"]["findings"], job["result"]["already_reviewed"]) == (1, 1)
    after = {f.id: f for f in store.findings.where(interview_id=interview_id)}
    assert after[first.id].status == FindingStatus.ACCEPTED  # kept, and not proposed again
    assert after[added].status == FindingStatus.ACCEPTED
    [replaced] = [f for f in after.values() if f.status == FindingStatus.PROPOSED]
    assert replaced.id != second.id
    assert replaced.evidence == second.evidence
    assert len(after) == 3


def test_extract_says_what_was_queued_what_ran_and_why_nothing_did(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    one = started_interview(store, "J'ai rassuré Mme R. avant la toilette.")
    other = started_interview(store, "J'ai appelé sa fille.")
    for interview_id in (one, other):
        close(store, interview_id)
    going_on = started_interview(store, "Je commence à peine.")
    ollama_server.respond_with(code_every_employee_turn)

    result = invoke("extract", "--all-pending")
    assert result.exit_code == 0, result.output
    text = plain(result.output)
    assert "Queued 2 interviews (2 never extracted)." in text
    named = store.interviews.get(one)
    assert named is not None
    assert f"✓ {named.pseudonym}: 1 finding" in text  # named as every page names it
    assert "1 findings" not in text
    assert "Left out: 1 interview still in progress (extracted once ended)." in text

    code, output = run("extract", "--all-pending", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert (report["queued"], report["jobs"], report["done"], report["failed"]) == ([], [], 0, 0)
    assert sorted((n["interview_id"], n["reason"]) for n in report["not_queued"]) == sorted(
        [(one, "up_to_date"), (other, "up_to_date"), (going_on, "in_progress")]
    )
    assert report["nothing_ran_because"] == (
        "2 interviews already extracted and unchanged since, "
        "1 interview still in progress (extracted once ended)"
    )

    result = invoke("extract", "--interview", one)
    assert result.exit_code == 0
    assert plain(result.output) == (
        f"Nothing to extract: {named.pseudonym}: already extracted, and its transcript has not "
        "changed "
        "since. --force extracts again what is up to date."
    )


def test_interviews_that_cannot_be_extracted_say_why(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    declined = store.interviews.create(language="fr")
    store.interviews.record_consent(declined.id, given=False, version="test")
    silent = started_interview(store)  # stopped right after consenting
    store.interviews.update(
        silent, InterviewUpdate(status=InterviewStatus.STOPPED, phase=Phase.DONE)
    )
    stopped = started_interview(store, "J'ai rassuré Mme R. avant la toilette.")
    store.interviews.update(
        stopped, InterviewUpdate(status=InterviewStatus.STOPPED, phase=Phase.DONE)
    )
    ollama_server.respond_with(code_every_employee_turn)

    for interview_id, reason in [
        (declined.id, "consent was refused"),
        (silent, "said nothing beyond their consent"),
    ]:
        result = invoke("extract", "--interview", interview_id, "--json")
        assert result.exit_code == 1
        assert reason in json.loads(result.stdout)["nothing_ran_because"]
    assert store.jobs.where() == []

    code, output = run("extract", "--interview", stopped)  # ended early, with words to code
    assert code == 0, output
    assert quoted(store, stopped) == {"J'ai rassuré Mme R"}


def test_a_job_queued_while_its_interview_is_in_progress_fails_saying_why(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = started_interview(store, "J'ai rassuré Mme R. avant la toilette.")
    store.jobs.enqueue(JobKind.EXTRACTION, interview_id)  # as an older Terrain did
    ollama_server.respond_with(code_every_employee_turn)
    code, output = run("extract", "--all-pending", "--json")
    assert code == 1
    [job] = json.loads(output)["jobs"]
    assert job["status"] == "failed"
    assert "still in progress" in job["error"]
    assert ollama_server.chat_requests() == []


# -- review: what there is to compare, to review, and what was done ---------------------------


def test_agreement_with_only_facilitators_findings_says_there_is_nothing_to_compare(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    code, _ = run("review", "--interview", interview_id, "--add-quote", "restée", "--code", "care")
    assert code == 0

    code, output = run("review", "--agreement")
    assert code == 0
    text = plain(output)
    assert "0.000" not in text
    assert "Nothing to compare: no finding the model proposed has been reviewed yet" in text
    assert (
        "Findings: 0 proposed by the model awaiting review; 0 reviewed (0 accepted, 0 edited, "
        "0 rejected); 1 added by facilitators." in text
    )

    ollama_server.respond_with(extraction_reply())
    assert run("extract", "--interview", interview_id, "--force")[0] == 0
    code, output = run("review", "--agreement", "--json")
    assert code == 0
    result = json.loads(output)
    assert (result["kappa"], result["units"]) == (None, 0)
    assert "no finding the model proposed" in result["nothing_to_compare_because"]
    assert result["findings"] == {
        "proposed": 1,
        "accepted": 0,
        "edited": 0,
        "rejected": 0,
        "added": 1,
    }

    assert run("review", "--accept-all", "--interview", interview_id)[0] == 0
    result = json.loads(run("review", "--agreement", "--json")[1])
    assert result["nothing_to_compare_because"] is None
    assert result["units"] == 2


def test_review_says_when_there_is_nothing_to_review(
    environment: Settings, ollama_server: OllamaTestServer
) -> None:
    store = Store.open(environment)
    interview_id = closed_interview(store)
    code, output = run("review", "--interview", interview_id)
    assert code == 0
    assert plain(output) == (
        f"Nothing to review in {interview_id}: it has no findings yet "
        f"(`terrain extract --interview {interview_id}` extracts them)."
    )

    ollama_server.respond_with(extraction_reply())
    assert run("extract", "--interview", interview_id)[0] == 0
    code, output = run("review", "--accept-all", "--interview", interview_id, "--as", "claire")
    assert (code, plain(output)) == (0, "Accepted 1 finding.")
    code, output = run("review", "--interview", interview_id)
    assert (
        plain(output)
        == f"Nothing to review in {interview_id}: no finding awaits review (1 accepted)."
    )

    result = invoke("review", "--interview", "nope")
    assert result.exit_code == 1
    assert "No interview 'nope'" in result.output
