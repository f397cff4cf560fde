"""The store's findings, their audit trail, jobs, imported interviews, and migration 0002."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    JobStatus,
    PassageCitation,
    Phase,
    PrescribedGap,
    Provenance,
    Quote,
    Speaker,
)
from assistant.store import (
    FindingNotFoundError,
    InterviewNotFoundError,
    JobNotFoundError,
    Store,
    StoreError,
)
from assistant.store.migrations import alembic_config
from assistant.store.models import Base

NEW_TABLES = {"findings", "finding_changes", "jobs"}
EXTRACTION = "extraction"
SAID = "Je passe cinq minutes à rassurer Mme L. avant la toilette."


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'terrain.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


@pytest.fixture
def interview_id(store: Store) -> str:
    interview = store.create_interview(language="fr")
    store.add_turn(interview.id, speaker=Speaker.INTERVIEWER, text="Racontez.", phase=Phase.ROLE)
    store.add_turn(interview.id, speaker=Speaker.EMPLOYEE, text=SAID, phase=Phase.EPISODE)
    return interview.id


_counter = iter(range(1_000_000))


def finding(interview_id: str, **overrides: Any) -> Finding:
    start = SAID.index("rassurer")
    values: dict[str, Any] = {
        "id": f"f{next(_counter):06d}",
        "interview_id": interview_id,
        "code": "reassurance",
        "activity": "toilette",
        "counterpart": "bénéficiaire",
        "value_chain_stage": "soin",
        "evidence": [Quote(text="rassurer", turn_index=1, start=start, end=start + 8)],
        "automation_exposure": AutomationExposure.HUMAN_ESSENTIAL,
        "automation_reasons": "la confiance",
        "confidence": 0.8,
        "provenance": Provenance(
            model="mistral-small3.2",
            prompt="extract@1",
            codebook="codebook@1",
            created_at=datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        "updated_at": datetime(2000, 1, 1, tzinfo=UTC),
    }
    values.update(overrides)
    return Finding(**values)


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


# -- migration 0002 ----------------------------------------------------------------------------


def test_0002_is_below_the_head_and_the_head_matches_the_orm(store: Store, db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url)
    try:
        assert set(sqlalchemy.inspect(engine).get_table_names()) >= NEW_TABLES
        scripts = ScriptDirectory.from_config(alembic_config(db_url))
        head = scripts.get_current_head()
        assert "0002" in {script.revision for script in scripts.iterate_revisions(head, "base")}
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == head
    finally:
        engine.dispose()


def test_upgrading_a_0001_database_keeps_its_data(db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "0001")
    with Store(db_url) as old:  # version 0001: interviews and turns only
        interview = old.create_interview(language="fr", owner="jeanne")
        old.record_consent(interview.id, given=True, version="v1")
        turns = [
            old.add_turn(interview.id, speaker=Speaker.EMPLOYEE, text=f"mot {n}", phase=Phase.ROLE)
            for n in range(3)
        ]
        before = old.get_interview(interview.id)
    with Store(db_url) as upgraded:
        upgraded.migrate()
        assert upgraded.get_interview(interview.id) == before
        assert upgraded.turns(interview.id) == turns
        assert upgraded.findings() == []
        job = upgraded.enqueue_job(EXTRACTION, interview.id)
        assert upgraded.jobs() == [job]
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrading_to_0001_drops_only_the_new_tables(store: Store, db_url: str) -> None:
    interview = store.create_interview(language="fr")
    store.add_findings([finding(interview.id)])
    store.close()
    command.downgrade(alembic_config(db_url), "0001")
    engine = sqlalchemy.create_engine(db_url)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        assert not tables & NEW_TABLES
        assert "interviews" in tables
    finally:
        engine.dispose()
    store.migrate()
    assert store.get_interview(interview.id) is not None
    assert store.findings() == []


# -- findings ----------------------------------------------------------------------------------


def test_add_findings_round_trips_every_field(store: Store, interview_id: str) -> None:
    gap = PrescribedGap(
        description="La fiche ne prévoit pas ce temps.",
        passage=PassageCitation(source="fiche.pdf", page=2, section="Toilette", text="30 min"),
    )
    given = [finding(interview_id, prescribed_gap=gap), finding(interview_id, confidence=0.3)]
    stored = store.add_findings(given)
    assert [f.id for f in stored] == [f.id for f in given]
    assert store.findings() == stored
    assert store.get_finding(given[0].id) == stored[0]
    assert stored[0].prescribed_gap == gap
    assert stored[1].prescribed_gap is None
    assert stored[0].evidence == given[0].evidence
    for each in stored:
        assert_utc(each.updated_at)
        assert each.updated_at > datetime(2024, 1, 1, tzinfo=UTC)  # the store's own time
        assert_utc(each.provenance.created_at)
        assert each.provenance.created_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert store.get_finding("nope") is None
    assert store.add_findings([]) == []


def test_findings_come_back_in_a_stable_order_with_filters(store: Store) -> None:
    first = store.create_interview(language="fr").id
    second = store.create_interview(language="fr").id
    store.add_findings([finding(second, id="zz1"), finding(second, id="aa2")])
    only = store.add_findings([finding(first, id="mm3")])
    store.add_findings([finding(second, id="bb4")])
    listing = store.findings()
    assert [f.interview_id for f in listing] == sorted(f.interview_id for f in listing)
    # Within an interview, the order they were stored in (not the ids' order).
    assert [f.id for f in listing if f.interview_id == second] == ["zz1", "aa2", "bb4"]
    assert store.findings() == listing
    assert store.findings(interview_id=first) == only
    store.review_finding("aa2", actor="fac", action="reject")
    assert [f.id for f in store.findings(status=FindingStatus.REJECTED)] == ["aa2"]
    proposed = store.findings(interview_id=second, status=FindingStatus.PROPOSED)
    assert [f.id for f in proposed] == ["zz1", "bb4"]


def test_add_findings_is_all_or_nothing(store: Store, interview_id: str) -> None:
    kept = store.add_findings([finding(interview_id, id="taken")])
    with pytest.raises(StoreError, match="already used"):
        store.add_findings([finding(interview_id, id="new"), finding(interview_id, id="taken")])
    with pytest.raises(InterviewNotFoundError):
        store.add_findings([finding(interview_id, id="new"), finding("0" * 32, id="other")])
    with pytest.raises(ValueError, match="share one id"):
        store.add_findings([finding(interview_id, id="twin"), finding(interview_id, id="twin")])
    assert store.findings() == kept


def test_replace_model_findings_keeps_every_reviewed_or_human_finding(
    store: Store, interview_id: str
) -> None:
    other = store.create_interview(language="fr").id
    proposed, accepted, edited, rejected = store.add_findings(
        [finding(interview_id) for _ in range(4)]
    )
    elsewhere = store.add_findings([finding(other)])
    store.review_finding(accepted.id, actor="fac", action="accept")
    store.review_finding(edited.id, actor="fac", action="edit", changes={"activity": "repas"})
    store.review_finding(rejected.id, actor="fac", action="reject")
    human = store.add_facilitator_finding(finding(interview_id), actor="fac")

    new = [finding(interview_id, code="coordination"), finding(interview_id)]
    replaced = store.replace_model_findings(interview_id, new)
    assert [f.id for f in replaced] == [f.id for f in new]
    remaining = {f.id for f in store.findings(interview_id=interview_id)}
    assert remaining == {accepted.id, edited.id, rejected.id, human.id, *(f.id for f in new)}
    assert proposed.id not in remaining
    assert store.findings(interview_id=other) == elsewhere

    # Running the extraction again replaces its own proposals: no duplicates.
    again = [finding(interview_id, code="coordination")]
    store.replace_model_findings(interview_id, again)
    proposals = store.findings(interview_id=interview_id, status=FindingStatus.PROPOSED)
    assert [f.id for f in proposals] == [again[0].id]
    assert len(store.findings(interview_id=interview_id)) == 5
    assert store.replace_model_findings(interview_id, []) == []
    assert store.findings(interview_id=interview_id, status=FindingStatus.PROPOSED) == []


def test_replace_model_findings_checks_its_input(store: Store, interview_id: str) -> None:
    other = store.create_interview(language="fr").id
    with pytest.raises(ValueError, match="belongs to interview"):
        store.replace_model_findings(interview_id, [finding(other)])
    with pytest.raises(ValueError, match="not a proposed model finding"):
        store.replace_model_findings(
            interview_id, [finding(interview_id, status=FindingStatus.ACCEPTED)]
        )
    with pytest.raises(ValueError, match="not a proposed model finding"):
        store.replace_model_findings(
            interview_id, [finding(interview_id, origin=FindingOrigin.FACILITATOR)]
        )
    with pytest.raises(InterviewNotFoundError):
        store.replace_model_findings("0" * 32, [])
    store.add_findings([finding(interview_id, id="keep-me")])
    kept = store.review_finding("keep-me", actor="fac", action="accept")
    with pytest.raises(StoreError, match="already used"):  # clashes: nothing is replaced
        store.replace_model_findings(
            interview_id, [finding(interview_id, id="fresh"), finding(interview_id, id="keep-me")]
        )
    assert store.findings() == [kept]


def test_accept_and_reject_are_recorded(store: Store, interview_id: str) -> None:
    (one,) = store.add_findings([finding(interview_id)])
    accepted = store.review_finding(one.id, actor="claire", action="accept")
    assert accepted.status is FindingStatus.ACCEPTED
    assert accepted.updated_at > one.updated_at
    assert store.get_finding(one.id) == accepted
    rejected = store.review_finding(one.id, actor="paul", action="reject")
    assert rejected.status is FindingStatus.REJECTED
    changes = store.finding_changes(one.id)
    assert [(c.actor, c.action) for c in changes] == [("claire", "accept"), ("paul", "reject")]
    assert changes[0].before == {"status": "proposed"}
    assert changes[0].after == {"status": "accepted"}
    assert changes[1].before == {"status": "accepted"}
    assert changes[1].after == {"status": "rejected"}
    for change in changes:
        assert change.finding_id == one.id
        assert_utc(change.at)


def test_edit_applies_validated_changes_and_keeps_the_models_code(
    store: Store, interview_id: str
) -> None:
    (one,) = store.add_findings([finding(interview_id)])
    start = SAID.index("cinq minutes")
    quote = Quote(text="cinq minutes", turn_index=1, start=start, end=start + 12)
    edited = store.review_finding(
        one.id,
        actor="claire",
        action="edit",
        changes={
            "code": "temporal_gift",
            "evidence": [quote.model_dump()],
            "automation_exposure": "augmented",
        },
    )
    assert edited.status is FindingStatus.EDITED
    assert edited.code == "temporal_gift"
    assert edited.proposed_code == "reassurance"
    assert edited.evidence == [quote]
    assert edited.automation_exposure is AutomationExposure.AUGMENTED
    assert store.get_finding(one.id) == edited
    (change,) = store.finding_changes(one.id)
    assert change.action == "edit"
    assert change.before == {
        "code": "reassurance",
        "evidence": [one.evidence[0].model_dump(mode="json")],
        "automation_exposure": "human_essential",
        "status": "proposed",
        "proposed_code": None,
    }
    assert change.after == {
        "code": "temporal_gift",
        "evidence": [quote.model_dump(mode="json")],
        "automation_exposure": "augmented",
        "status": "edited",
        "proposed_code": "reassurance",
    }

    # A second code change keeps the model's original code.
    again = store.review_finding(one.id, actor="paul", action="edit", changes={"code": "third"})
    assert (again.code, again.proposed_code) == ("third", "reassurance")
    assert store.finding_changes(one.id)[-1].before == {"code": "temporal_gift"}


@pytest.mark.parametrize(
    ("action", "changes", "says"),
    [
        ("approve", None, "Unknown review action"),
        ("edit", None, "needs the fields"),
        ("edit", {"status": "accepted"}, "cannot be edited"),
        ("edit", {"id": "x"}, "cannot be edited"),
        ("edit", {"proposed_code": "x"}, "cannot be edited"),
        ("edit", {"confidence": 2}, "less than or equal to 1"),
        ("edit", {"evidence": []}, "at least 1 item"),
        ("edit", {"automation_exposure": "maybe"}, "automation_exposure"),
        ("accept", {"code": "x"}, "takes no changes"),
    ],
)
def test_invalid_reviews_change_nothing(
    store: Store, interview_id: str, action: str, changes: dict[str, Any] | None, says: str
) -> None:
    (one,) = store.add_findings([finding(interview_id)])
    with pytest.raises(ValueError, match=says):
        store.review_finding(one.id, actor="claire", action=action, changes=changes)
    assert store.get_finding(one.id) == one
    assert store.finding_changes() == []


def test_reviewing_a_missing_finding_or_without_actor(store: Store, interview_id: str) -> None:
    with pytest.raises(FindingNotFoundError):
        store.review_finding("nope", actor="claire", action="accept")
    (one,) = store.add_findings([finding(interview_id)])
    with pytest.raises(ValueError, match="actor"):
        store.review_finding(one.id, actor=" ", action="accept")


def test_a_facilitators_finding_is_accepted_and_audited(store: Store, interview_id: str) -> None:
    added = store.add_facilitator_finding(finding(interview_id), actor="claire")
    assert added.origin is FindingOrigin.FACILITATOR
    assert added.status is FindingStatus.ACCEPTED
    assert store.get_finding(added.id) == added
    (change,) = store.finding_changes()
    assert (change.actor, change.action, change.before) == ("claire", "add", None)
    assert change.after is not None
    assert change.after["origin"] == "facilitator"
    assert change.after["code"] == "reassurance"
    with pytest.raises(InterviewNotFoundError):
        store.add_facilitator_finding(finding("0" * 32), actor="claire")
    with pytest.raises(StoreError, match="already used"):
        store.add_facilitator_finding(finding(interview_id, id=added.id), actor="claire")
    assert len(store.finding_changes()) == 1


# -- jobs --------------------------------------------------------------------------------------


def test_enqueue_is_idempotent_and_requeues_failures(store: Store, interview_id: str) -> None:
    job = store.enqueue_job(EXTRACTION, interview_id)
    assert (job.status, job.attempts, job.result, job.error) == (JobStatus.QUEUED, 0, {}, None)
    assert_utc(job.created_at)
    assert store.enqueue_job(EXTRACTION, interview_id) == job
    other_kind = store.enqueue_job("summary", interview_id)
    assert other_kind.id != job.id

    running = store.claim_next_job(EXTRACTION)
    assert running is not None
    assert store.enqueue_job(EXTRACTION, interview_id) == running  # running: unchanged
    failed = store.fail_job(job.id, error="le modèle ne répond pas")
    assert (failed.status, failed.error, failed.attempts) == (JobStatus.FAILED, failed.error, 1)
    requeued = store.enqueue_job(EXTRACTION, interview_id)
    assert (requeued.id, requeued.status, requeued.attempts) == (job.id, JobStatus.QUEUED, 1)
    assert requeued.error is None
    assert requeued.created_at == job.created_at

    store.claim_next_job(EXTRACTION)
    done = store.finish_job(job.id, result={"findings": 3})
    assert (done.status, done.result, done.attempts) == (JobStatus.DONE, {"findings": 3}, 2)
    assert store.enqueue_job(EXTRACTION, interview_id) == done  # done: unchanged
    assert len(store.jobs(kind=EXTRACTION)) == 1
    with pytest.raises(InterviewNotFoundError):
        store.enqueue_job(EXTRACTION, "0" * 32)


def test_claim_takes_the_oldest_queued_job_of_its_kind(store: Store) -> None:
    ids = [store.create_interview(language="fr").id for _ in range(3)]
    jobs = [store.enqueue_job(EXTRACTION, interview) for interview in ids]
    store.enqueue_job("summary", ids[0])
    claimed = store.claim_next_job(EXTRACTION)
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.attempts) == (jobs[0].id, JobStatus.RUNNING, 1)
    assert claimed.updated_at >= jobs[0].updated_at
    assert [j.id for j in store.jobs(status=JobStatus.QUEUED, kind=EXTRACTION)] == [
        jobs[1].id,
        jobs[2].id,
    ]
    assert store.claim_next_job(EXTRACTION) is not None
    assert store.claim_next_job(EXTRACTION) is not None
    assert store.claim_next_job(EXTRACTION) is None
    assert store.claim_next_job("nothing-of-this-kind") is None
    assert len(store.jobs(status=JobStatus.RUNNING)) == 3
    assert len(store.jobs(kind="summary")) == 1


def test_concurrent_workers_never_claim_one_job_twice(store: Store, db_url: str) -> None:
    ids = [store.create_interview(language="fr").id for _ in range(24)]
    for interview in ids:
        store.enqueue_job(EXTRACTION, interview)
    claimed: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with Store(db_url) as own:  # a worker process of its own
                while (job := own.claim_next_job(EXTRACTION)) is not None:
                    with lock:
                        claimed.append(job.id)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    assert len(claimed) == len(set(claimed)) == 24
    assert all(job.attempts == 1 for job in store.jobs())


def test_finish_and_fail_a_missing_job(store: Store) -> None:
    with pytest.raises(JobNotFoundError):
        store.finish_job("nope", result={})
    with pytest.raises(JobNotFoundError):
        store.fail_job("nope", error="x")
    with pytest.raises(ValueError, match="reason"):
        store.fail_job("nope", error=" ")


def test_requeue_stale_jobs_gives_back_a_dead_workers_jobs(
    store: Store, interview_id: str, db_url: str
) -> None:
    other = store.create_interview(language="fr").id
    stale = store.enqueue_job(EXTRACTION, interview_id)
    fresh = store.enqueue_job(EXTRACTION, other)
    store.enqueue_job("summary", interview_id)
    store.claim_next_job(EXTRACTION)
    store.claim_next_job(EXTRACTION)
    store.claim_next_job("summary")
    assert store.requeue_stale_jobs(EXTRACTION, 3600) == 0
    long_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        raw.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", (long_ago, stale.id))
        raw.execute("UPDATE jobs SET updated_at = ? WHERE kind = 'summary'", (long_ago,))
    assert store.requeue_stale_jobs(EXTRACTION, 3600) == 1
    by_id = {job.id: job for job in store.jobs(kind=EXTRACTION)}
    assert (by_id[stale.id].status, by_id[stale.id].attempts) == (JobStatus.QUEUED, 1)
    assert by_id[fresh.id].status is JobStatus.RUNNING
    assert store.jobs(kind="summary")[0].status is JobStatus.RUNNING
    again = store.claim_next_job(EXTRACTION)
    assert again is not None
    assert (again.id, again.attempts) == (stale.id, 2)
    time.sleep(0.01)
    assert store.requeue_stale_jobs(EXTRACTION, 0) == 2
    with pytest.raises(ValueError, match="negative"):
        store.requeue_stale_jobs(EXTRACTION, -1)


# -- erasure and consent -------------------------------------------------------------------------


def test_erasure_removes_findings_changes_and_jobs(
    store: Store, interview_id: str, tmp_path: Path
) -> None:
    kept = store.create_interview(language="fr").id
    secret = "Marguerite-secret-quote"
    store.add_turn(interview_id, speaker=Speaker.EMPLOYEE, text=secret, phase=Phase.EPISODE)
    quote = Quote(text=secret, turn_index=2, start=0, end=len(secret))
    erased = store.add_findings([finding(interview_id, evidence=[quote])])
    store.review_finding(erased[0].id, actor="fac", action="edit", changes={"activity": secret})
    store.add_facilitator_finding(finding(interview_id, activity=secret), actor="fac")
    store.enqueue_job(EXTRACTION, interview_id)
    survivor = store.add_findings([finding(kept)])
    store.review_finding(survivor[0].id, actor="fac", action="accept")
    kept_job = store.enqueue_job(EXTRACTION, kept)

    store.erase_interview(interview_id)

    assert store.findings(interview_id=interview_id) == []
    assert [c.finding_id for c in store.finding_changes()] == [survivor[0].id]
    assert store.jobs() == [kept_job]
    assert [f.id for f in store.findings()] == [survivor[0].id]
    store.close()
    for file in tmp_path.glob("terrain.db*"):
        assert secret.encode() not in file.read_bytes()


def test_the_database_cascades_too(store: Store, interview_id: str, db_url: str) -> None:
    (one,) = store.add_findings([finding(interview_id)])
    store.review_finding(one.id, actor="fac", action="accept")
    store.enqueue_job(EXTRACTION, interview_id)
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM interviews WHERE id = ?", (interview_id,))
    assert store.findings() == []
    assert store.finding_changes() == []
    assert store.jobs() == []


def test_refused_consent_keeps_no_findings_or_jobs(store: Store, interview_id: str) -> None:
    store.add_findings([finding(interview_id)])
    store.enqueue_job(EXTRACTION, interview_id)
    store.record_consent(interview_id, given=False, version="v1")
    assert store.findings() == []
    assert store.jobs() == []
    assert store.turns(interview_id) == []


def test_given_consent_keeps_the_turns(store: Store, interview_id: str) -> None:
    store.record_consent(interview_id, given=True, version="imported")
    assert len(store.turns(interview_id)) == 2


# -- imported interviews -------------------------------------------------------------------------


def test_import_interview_stores_it_whole_and_closed(store: Store) -> None:
    turns = [(Speaker.INTERVIEWER, "Racontez."), (Speaker.EMPLOYEE, SAID)]
    interview = store.import_interview(language="fr", source="visite.vtt", turns=turns)
    assert store.get_interview(interview.id) == interview
    assert (interview.status, interview.phase) == (InterviewStatus.CLOSED, Phase.DONE)
    assert (interview.consent_given, interview.consent_version) == (True, "imported")
    assert interview.consent_at is not None
    assert_utc(interview.consent_at)
    assert interview.source == "visite.vtt"
    assert interview.pseudonym.startswith("Participant-")
    stored = store.turns(interview.id)
    assert [(t.index, t.speaker, t.text, t.phase) for t in stored] == [
        (0, Speaker.INTERVIEWER, "Racontez.", Phase.EPISODE),
        (1, Speaker.EMPLOYEE, SAID, Phase.EPISODE),
    ]
    assert all(not t.scripted and t.complete and t.model is None for t in stored)
    with pytest.raises(ValueError, match="at least one turn"):
        store.import_interview(language="fr", source="x", turns=[])
    with pytest.raises(ValueError, match="empty"):
        store.import_interview(language="fr", source="x", turns=[(Speaker.EMPLOYEE, " ")])
    assert len(store.list_interviews()) == 1
