"""What extraction needs to redo: the transcript's digest, proposals already decided on, the
store's re-queueing, and migration 0005 (``jobs.input_digest``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from alembic import command

from assistant.findings.extraction import already_decided, transcript_digest
from assistant.findings.jobs import EXTRACTION, ExtractionJobs
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    InterviewUpdate,
    JobStatus,
    Phase,
    Provenance,
    Quote,
    Speaker,
    Turn,
)
from assistant.store import JobNotFoundError, Store
from assistant.store.migrations import alembic_config
from assistant.vocabulary import QueuedBecause
from tests.conftest import SettingsFactory

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def turn(index: int, text: str, speaker: Speaker = Speaker.EMPLOYEE, **changes: Any) -> Turn:
    values: dict[str, Any] = {
        "id": index + 1,
        "interview_id": "i1",
        "index": index,
        "speaker": speaker,
        "text": text,
        "phase": Phase.EPISODE,
        "created_at": NOW,
    }
    return Turn(**(values | changes))


def finding(code: str, start: int, end: int, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "id": f"{code}-{start}-{end}",
        "interview_id": "i1",
        "code": code,
        "activity": "toilette",
        "counterpart": "bénéficiaire",
        "value_chain_stage": "service_delivery",
        "evidence": [Quote(text="x" * (end - start), turn_index=1, start=start, end=end)],
        "automation_exposure": AutomationExposure.HUMAN_ESSENTIAL,
        "confidence": 0.8,
        "provenance": Provenance(created_at=NOW),
        "updated_at": NOW,
    }
    return Finding(**(values | changes))


# -- the transcript's digest -------------------------------------------------------------------


def test_the_digest_changes_with_what_extraction_reads_and_only_with_that() -> None:
    transcript = [turn(0, "Racontez.", Speaker.INTERVIEWER), turn(1, "J'ai rassuré Mme R.")]
    digest = transcript_digest(transcript)
    assert len(digest) == 64
    same_words = [turn(0, "Racontez.", Speaker.INTERVIEWER, id=7), turn(1, "J'ai rassuré Mme R.")]
    assert transcript_digest(same_words) == digest
    assert transcript_digest([*transcript, turn(2, "Puis sa fille.")]) != digest
    assert transcript_digest([transcript[0], turn(1, "J'ai rassuré Mme L.")]) != digest
    spoken_by_the_interviewer = turn(1, transcript[1].text, Speaker.INTERVIEWER)
    assert transcript_digest([transcript[0], spoken_by_the_interviewer]) != digest
    # Texts cannot run into each other: ("a", "bc") is not ("ab", "c").
    assert transcript_digest([turn(0, "a"), turn(1, "bc")]) != transcript_digest(
        [turn(0, "ab"), turn(1, "c")]
    )


# -- proposals a facilitator already decided on ------------------------------------------------


def test_a_proposal_is_already_decided_when_a_reviewed_finding_of_its_code_shares_evidence() -> (
    None
):
    proposal = finding("care", 10, 20)
    accepted = finding("care", 15, 30, status=FindingStatus.ACCEPTED)
    recoded = finding("trust", 0, 12, status=FindingStatus.EDITED, proposed_code="care")
    added = finding("care", 18, 25, origin=FindingOrigin.FACILITATOR)
    elsewhere = finding("care", 20, 30, status=FindingStatus.REJECTED)  # touches, no overlap
    other_code = finding("empathy", 10, 20, status=FindingStatus.ACCEPTED)
    assert already_decided(proposal, [accepted])
    assert already_decided(proposal, [recoded])
    assert already_decided(finding("trust", 10, 20), [recoded])
    assert already_decided(proposal, [added])
    assert not already_decided(proposal, [elsewhere, other_code])
    assert not already_decided(proposal, [])


# -- the store: what a job read, and queueing it again -----------------------------------------


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'terrain.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


SAID = "J'ai rassuré Mme R."


def closed_interview(store: Store, *, with_turn: bool = True) -> str:
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test")
    if with_turn:
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text=SAID, phase=Phase.EPISODE
        )
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    return interview.id


def test_a_finished_job_keeps_the_digest_of_what_it_read(store: Store) -> None:
    interview_id = closed_interview(store)
    job = store.jobs.enqueue(EXTRACTION, interview_id)
    assert job.input_digest is None
    store.jobs.claim_next(EXTRACTION)
    done = store.jobs.finish(job.id, result={"findings": 1}, input_digest="d" * 64)
    assert done.input_digest == "d" * 64
    assert store.jobs.where(kind=EXTRACTION) == [done]


def test_requeue_job_queues_a_done_or_failed_job_and_leaves_others_alone(store: Store) -> None:
    job = store.jobs.enqueue(EXTRACTION, closed_interview(store))
    assert store.jobs.requeue(job.id) == job  # queued: unchanged
    running = store.jobs.claim_next(EXTRACTION)
    assert running is not None
    assert store.jobs.requeue(job.id) == running  # running: a worker has it
    done = store.jobs.finish(job.id, result={"findings": 2}, input_digest="d" * 64)
    again = store.jobs.requeue(job.id)
    assert (again.status, again.attempts, again.result, again.input_digest) == (
        JobStatus.QUEUED,
        1,
        {"findings": 2},
        "d" * 64,
    )
    assert again.updated_at >= done.updated_at
    store.jobs.claim_next(EXTRACTION)
    store.jobs.fail(job.id, error="le modèle ne répond pas")
    retried = store.jobs.requeue(job.id)
    assert (retried.status, retried.error, retried.attempts) == (JobStatus.QUEUED, None, 2)
    with pytest.raises(JobNotFoundError):
        store.jobs.requeue("0" * 32)


# -- migration 0005 ----------------------------------------------------------------------------


def job_columns(db_url: str) -> set[str]:
    engine = sqlalchemy.create_engine(db_url)
    try:
        return {column["name"] for column in sqlalchemy.inspect(engine).get_columns("jobs")}
    finally:
        engine.dispose()


def test_jobs_done_before_0005_are_extracted_once_more(
    db_url: str, make_settings: SettingsFactory
) -> None:
    command.upgrade(alembic_config(db_url), "0004")
    assert "input_digest" not in job_columns(db_url)
    # 0004 knows no input_digest (nor later columns): write the rows as it would.
    interview_id = "0" * 32
    engine = sqlalchemy.create_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO interviews (id, pseudonym, language, status, phase, state, "
            "flagged, consent_given, consent_at, consent_version, prompt_versions, "
            "prompt_digests, source, created_at, updated_at) VALUES (?, 'p-0004', 'fr', "
            "'closed', 'done', '{}', 0, 1, '2026-11-30 09:00:00', 'test', '{}', '{}', "
            "'terrain', '2026-11-30 09:00:00', '2026-11-30 09:00:00')",
            (interview_id,),
        )
        connection.exec_driver_sql(
            'INSERT INTO turns (interview_id, "index", speaker, text, phase, scripted, '
            "complete, created_at) VALUES (?, 0, 'employee', ?, 'episode', 0, 1, "
            "'2026-11-30 09:00:00')",
            (interview_id, SAID),
        )
        connection.exec_driver_sql(
            "INSERT INTO jobs (id, kind, interview_id, status, attempts, error, result, "
            "created_at, updated_at) VALUES ('j1', ?, ?, 'done', 1, NULL, '{}', "
            "'2026-11-30 10:00:00', '2026-11-30 10:00:00')",
            (EXTRACTION, interview_id),
        )
    engine.dispose()
    with Store(db_url) as upgraded:
        upgraded.migrate()
        [job] = upgraded.jobs.where()
        assert (job.id, job.status, job.input_digest) == ("j1", JobStatus.DONE, None)
        jobs = ExtractionJobs.from_settings(make_settings(database_url=db_url), upgraded)
        [queued] = jobs.queue_pending().queued
        assert (queued.job_id, queued.because) == ("j1", QueuedBecause.CHANGED)


def test_downgrading_0005_drops_only_the_digest(store: Store, db_url: str) -> None:
    job = store.jobs.enqueue(EXTRACTION, closed_interview(store))
    store.close()
    command.downgrade(alembic_config(db_url), "0004")
    assert "input_digest" not in job_columns(db_url)
    store.migrate()
    assert [j.id for j in store.jobs.where()] == [job.id]
    assert "input_digest" in job_columns(db_url)
