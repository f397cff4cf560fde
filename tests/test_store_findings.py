"""The store's findings, their audit trail, jobs, imported interviews, and migrations 0002-0003."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
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
    FindingEdit,
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    JobKind,
    JobStatus,
    PassageCitation,
    Phase,
    PrescribedGap,
    Quote,
    ReviewAction,
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
from tests.postgres import sqlite_only
from tests.support.records import SAID, SettableClock, finding

NEW_TABLES = {"findings", "finding_changes", "jobs"}
EXTRACTION = JobKind.EXTRACTION
ACCEPT, EDIT, REJECT = ReviewAction.ACCEPT, ReviewAction.EDIT, ReviewAction.REJECT


@pytest.fixture
def db_url(tmp_path: Path, database_url: str | None) -> str:
    """A SQLite file of the test's own, or the emptied PostgreSQL test database."""
    return database_url or f"sqlite:///{tmp_path / 'terrain.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


@pytest.fixture
def interview_id(store: Store) -> str:
    interview = store.interviews.create(language="fr")
    store.interviews.add_turn(
        interview.id, speaker=Speaker.INTERVIEWER, text="Racontez.", phase=Phase.ROLE
    )
    store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text=SAID, phase=Phase.EPISODE
    )
    return interview.id


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


HEAD_REVISION = "0017"


# -- migrations 0002 and 0003 -------------------------------------------------------------------


def test_head_is_the_newest_migration_and_matches_the_orm(store: Store, db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        assert tables >= NEW_TABLES
        assert "identities" not in tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == HEAD_REVISION
        assert (
            ScriptDirectory.from_config(alembic_config(db_url)).get_current_head() == HEAD_REVISION
        )
    finally:
        engine.dispose()


def _raw(db_url: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        for sql, values in statements:
            raw.execute(sql, values)


def test_upgrading_a_0002_database_keeps_its_data(db_url: str) -> None:
    sqlite_only(db_url)
    command.upgrade(alembic_config(db_url), "0002")
    at = "2025-03-01 09:00:00.000000"
    evidence = '[{"text": "rassurer", "turn_index": 0, "start": 13, "end": 21}]'
    _raw(
        db_url,
        (
            "INSERT INTO interviews (id, pseudonym, owner, language, status, phase, state, "
            "flagged, consent_given, prompt_versions, source, created_at, updated_at) VALUES "
            "(?, 'Participant-AAAA', 'owner:k1', 'fr', 'closed', 'done', '{}', 0, 1, "
            "'{\"interviewer.system\": \"3\"}', 'terrain', ?, ?)",
            ("a" * 32, at, at),
        ),
        (
            'INSERT INTO turns (interview_id, "index", speaker, text, phase, scripted, complete,'
            " created_at) VALUES (?, 0, 'employee', ?, 'episode', 0, 1, ?)",
            ("a" * 32, SAID, at),
        ),
        (
            "INSERT INTO findings (id, interview_id, code, activity, counterpart, "
            "value_chain_stage, evidence, automation_exposure, automation_reasons, confidence, "
            "status, origin, provenance, created_at, position, updated_at) VALUES "
            "('f1', ?, 'reassurance', '-', '-', 'soin', ?, 'augmented', '', 1.0, 'accepted', "
            "'facilitator', ?, ?, 0, ?)",
            ("a" * 32, evidence, f'{{"created_at": "{at}"}}', at, at),
        ),
        (
            "INSERT INTO identities (pseudonym, person, created_at) VALUES (?, ?, ?)",
            ("Participant-AAAA", "owner:k1", at),
        ),
    )
    with Store(db_url) as upgraded:
        upgraded.migrate()
        interview = upgraded.interviews.get("a" * 32)
        assert interview is not None
        assert (interview.pseudonym, interview.owner_key) == ("Participant-AAAA", "owner:k1")
        assert interview.prompt_versions == {"interviewer.system": "3"}
        assert interview.prompt_digests == {}
        assert [t.text for t in upgraded.interviews.turns(interview.id)] == [SAID]
        (kept,) = upgraded.findings.where()
        assert (kept.activity, kept.automation_exposure, kept.confidence) == (
            "-",
            AutomationExposure.AUGMENTED,
            1.0,
        )
    engine = sqlalchemy.create_engine(db_url)
    try:
        assert "identities" not in sqlalchemy.inspect(engine).get_table_names()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_downgrading_0003_restores_the_old_columns(store: Store, db_url: str) -> None:
    sqlite_only(db_url)
    interview = store.interviews.create(language="fr", owner_key="owner:k2")
    store.findings.add(
        [finding(interview.id, activity=None, automation_exposure=None, confidence=None)]
    )
    store.close()
    command.downgrade(alembic_config(db_url), "0002")
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("SELECT owner FROM interviews").fetchall() == [("owner:k2",)]
        old_columns = "SELECT activity, automation_exposure, confidence FROM findings"
        assert raw.execute(old_columns).fetchall() == [("-", "augmented", 1.0)]
        assert raw.execute("SELECT count(*) FROM identities").fetchone() == (0,)
    store.migrate()
    upgraded = store.interviews.get(interview.id)
    assert upgraded is not None
    assert upgraded.owner_key == "owner:k2"


def test_downgrading_to_0001_drops_only_the_new_tables(store: Store, db_url: str) -> None:
    sqlite_only(db_url)
    interview = store.interviews.create(language="fr")
    store.findings.add([finding(interview.id)])
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
    assert store.interviews.get(interview.id) is not None
    assert store.findings.where() == []


# -- findings ----------------------------------------------------------------------------------


def test_add_findings_round_trips_every_field(store: Store, interview_id: str) -> None:
    gap = PrescribedGap(
        description="La fiche ne prévoit pas ce temps.",
        passage=PassageCitation(source="fiche.pdf", page=2, section="Toilette", text="30 min"),
    )
    given = [finding(interview_id, prescribed_gap=gap), finding(interview_id, confidence=0.3)]
    stored = store.findings.add(given)
    assert [f.id for f in stored] == [f.id for f in given]
    assert store.findings.where() == stored
    assert store.findings.get(given[0].id) == stored[0]
    assert stored[0].prescribed_gap == gap
    assert stored[1].prescribed_gap is None
    assert stored[0].evidence == given[0].evidence
    for each in stored:
        assert_utc(each.updated_at)
        assert each.updated_at > datetime(2024, 1, 1, tzinfo=UTC)  # the store's own time
        assert_utc(each.provenance.created_at)
        assert each.provenance.created_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert store.findings.get("nope") is None
    assert store.findings.add([]) == []


def test_findings_come_back_in_a_stable_order_with_filters(store: Store) -> None:
    first = store.interviews.create(language="fr").id
    second = store.interviews.create(language="fr").id
    store.findings.add([finding(second, id="zz1"), finding(second, id="aa2")])
    only = store.findings.add([finding(first, id="mm3")])
    store.findings.add([finding(second, id="bb4")])
    listing = store.findings.where()
    assert [f.interview_id for f in listing] == sorted(f.interview_id for f in listing)
    # Within an interview, the order they were stored in (not the ids' order).
    assert [f.id for f in listing if f.interview_id == second] == ["zz1", "aa2", "bb4"]
    assert store.findings.where() == listing
    assert store.findings.where(interview_id=first) == only
    store.findings.review("aa2", actor="fac", action=REJECT)
    assert [f.id for f in store.findings.where(status=FindingStatus.REJECTED)] == ["aa2"]
    proposed = store.findings.where(interview_id=second, status=FindingStatus.PROPOSED)
    assert [f.id for f in proposed] == ["zz1", "bb4"]


def test_add_findings_is_all_or_nothing(store: Store, interview_id: str) -> None:
    kept = store.findings.add([finding(interview_id, id="taken")])
    with pytest.raises(StoreError, match="already used"):
        store.findings.add([finding(interview_id, id="new"), finding(interview_id, id="taken")])
    with pytest.raises(InterviewNotFoundError):
        store.findings.add([finding(interview_id, id="new"), finding("0" * 32, id="other")])
    with pytest.raises(ValueError, match="share one id"):
        store.findings.add([finding(interview_id, id="twin"), finding(interview_id, id="twin")])
    assert store.findings.where() == kept


def test_replace_model_findings_keeps_every_reviewed_or_human_finding(
    store: Store, interview_id: str
) -> None:
    other = store.interviews.create(language="fr").id
    proposed, accepted, edited, rejected = store.findings.add(
        [finding(interview_id) for _ in range(4)]
    )
    elsewhere = store.findings.add([finding(other)])
    store.findings.review(accepted.id, actor="fac", action=ACCEPT)
    store.findings.review(edited.id, actor="fac", action=EDIT, edit=FindingEdit(activity="repas"))
    store.findings.review(rejected.id, actor="fac", action=REJECT)
    human = store.findings.add_by_facilitator(finding(interview_id), actor="fac")

    new = [finding(interview_id, code="coordination"), finding(interview_id)]
    replaced = store.findings.replace_model_findings(interview_id, new)
    assert [f.id for f in replaced] == [f.id for f in new]
    remaining = {f.id for f in store.findings.where(interview_id=interview_id)}
    assert remaining == {accepted.id, edited.id, rejected.id, human.id, *(f.id for f in new)}
    assert proposed.id not in remaining
    assert store.findings.where(interview_id=other) == elsewhere

    # Running the extraction again replaces its own proposals: no duplicates.
    again = [finding(interview_id, code="coordination")]
    store.findings.replace_model_findings(interview_id, again)
    proposals = store.findings.where(interview_id=interview_id, status=FindingStatus.PROPOSED)
    assert [f.id for f in proposals] == [again[0].id]
    assert len(store.findings.where(interview_id=interview_id)) == 5
    assert store.findings.replace_model_findings(interview_id, []) == []
    assert store.findings.where(interview_id=interview_id, status=FindingStatus.PROPOSED) == []


def test_replace_model_findings_checks_its_input(store: Store, interview_id: str) -> None:
    other = store.interviews.create(language="fr").id
    with pytest.raises(ValueError, match="belongs to interview"):
        store.findings.replace_model_findings(interview_id, [finding(other)])
    with pytest.raises(ValueError, match="not a proposed model finding"):
        store.findings.replace_model_findings(
            interview_id, [finding(interview_id, status=FindingStatus.ACCEPTED)]
        )
    with pytest.raises(ValueError, match="not a proposed model finding"):
        store.findings.replace_model_findings(
            interview_id, [finding(interview_id, origin=FindingOrigin.FACILITATOR)]
        )
    with pytest.raises(InterviewNotFoundError):
        store.findings.replace_model_findings("0" * 32, [])
    store.findings.add([finding(interview_id, id="keep-me")])
    kept = store.findings.review("keep-me", actor="fac", action=ACCEPT)
    with pytest.raises(StoreError, match="already used"):  # clashes: nothing is replaced
        store.findings.replace_model_findings(
            interview_id, [finding(interview_id, id="fresh"), finding(interview_id, id="keep-me")]
        )
    assert store.findings.where() == [kept]


def test_accept_and_reject_are_recorded(store: Store, interview_id: str) -> None:
    (one,) = store.findings.add([finding(interview_id)])
    accepted = store.findings.review(one.id, actor="claire", action=ACCEPT)
    assert accepted.status is FindingStatus.ACCEPTED
    assert accepted.updated_at > one.updated_at
    assert store.findings.get(one.id) == accepted
    rejected = store.findings.review(one.id, actor="paul", action=REJECT)
    assert rejected.status is FindingStatus.REJECTED
    changes = store.findings.changes(one.id)
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
    (one,) = store.findings.add([finding(interview_id)])
    start = SAID.index("cinq minutes")
    quote = Quote(text="cinq minutes", turn_index=1, start=start, end=start + 12)
    edited = store.findings.review(
        one.id,
        actor="claire",
        action=EDIT,
        edit=FindingEdit(
            code="temporal_gift",
            evidence=[quote],
            automation_exposure=AutomationExposure.AUGMENTED,
        ),
    )
    assert edited.status is FindingStatus.EDITED
    assert edited.code == "temporal_gift"
    assert edited.proposed_code == "reassurance"
    assert edited.evidence == [quote]
    assert edited.automation_exposure is AutomationExposure.AUGMENTED
    assert store.findings.get(one.id) == edited
    (change,) = store.findings.changes(one.id)
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
    again = store.findings.review(one.id, actor="paul", action=EDIT, edit=FindingEdit(code="third"))
    assert (again.code, again.proposed_code) == ("third", "reassurance")
    assert store.findings.changes(one.id)[-1].before == {"code": "temporal_gift"}


def test_an_edit_can_make_a_field_unknown(store: Store, interview_id: str) -> None:
    (one,) = store.findings.add([finding(interview_id)])
    edited = store.findings.review(
        one.id, actor="claire", action=EDIT, edit=FindingEdit(counterpart=None)
    )
    assert edited.counterpart is None
    assert edited.activity == one.activity  # not given: unchanged
    (change,) = store.findings.changes(one.id)
    assert change.after == {"counterpart": None, "status": "edited"}


@pytest.mark.parametrize(
    ("action", "edit", "says"),
    [
        (ReviewAction.ADD, lambda: None, "add_by_facilitator"),
        (EDIT, lambda: None, "needs the fields"),
        (EDIT, lambda: FindingEdit(), "needs the fields"),
        (EDIT, lambda: FindingEdit.model_validate({"status": "accepted"}), "Extra inputs"),
        (EDIT, lambda: FindingEdit.model_validate({"id": "x"}), "Extra inputs"),
        (EDIT, lambda: FindingEdit.model_validate({"proposed_code": "x"}), "Extra inputs"),
        (EDIT, lambda: FindingEdit(confidence=2), "less than or equal to 1"),
        (EDIT, lambda: FindingEdit(evidence=[]), "at least 1 item"),
        (EDIT, lambda: FindingEdit(code=None), "code"),
        (EDIT, lambda: FindingEdit(automation_exposure="maybe"), "automation_exposure"),
        (ACCEPT, lambda: FindingEdit(code="x"), "takes no edit"),
    ],
)
def test_invalid_reviews_change_nothing(
    store: Store,
    interview_id: str,
    action: ReviewAction,
    edit: Callable[[], FindingEdit | None],
    says: str,
) -> None:
    (one,) = store.findings.add([finding(interview_id)])
    with pytest.raises(ValueError, match=says):
        store.findings.review(one.id, actor="claire", action=action, edit=edit())
    assert store.findings.get(one.id) == one
    assert store.findings.changes() == []


def test_reviewing_a_missing_finding_or_without_actor(store: Store, interview_id: str) -> None:
    with pytest.raises(FindingNotFoundError):
        store.findings.review("nope", actor="claire", action=ACCEPT)
    (one,) = store.findings.add([finding(interview_id)])
    with pytest.raises(ValueError, match="actor"):
        store.findings.review(one.id, actor=" ", action=ACCEPT)


def test_a_facilitators_finding_is_accepted_and_audited(store: Store, interview_id: str) -> None:
    added = store.findings.add_by_facilitator(finding(interview_id), actor="claire")
    assert added.origin is FindingOrigin.FACILITATOR
    assert added.status is FindingStatus.ACCEPTED
    assert store.findings.get(added.id) == added
    (change,) = store.findings.changes()
    assert (change.actor, change.action, change.before) == ("claire", "add", None)
    assert change.after is not None
    assert change.after["origin"] == "facilitator"
    assert change.after["code"] == "reassurance"
    with pytest.raises(InterviewNotFoundError):
        store.findings.add_by_facilitator(finding("0" * 32), actor="claire")
    with pytest.raises(StoreError, match="already used"):
        store.findings.add_by_facilitator(finding(interview_id, id=added.id), actor="claire")
    assert len(store.findings.changes()) == 1


# -- jobs --------------------------------------------------------------------------------------


def test_enqueue_is_idempotent_and_requeues_failures(store: Store, interview_id: str) -> None:
    job = store.jobs.enqueue(EXTRACTION, interview_id)
    assert (job.status, job.attempts, job.result, job.error) == (JobStatus.QUEUED, 0, {}, None)
    assert_utc(job.created_at)
    assert store.jobs.enqueue(EXTRACTION, interview_id) == job

    running = store.jobs.claim_next(EXTRACTION)
    assert running is not None
    assert store.jobs.enqueue(EXTRACTION, interview_id) == running  # running: unchanged
    failed = store.jobs.fail(job.id, error="le modèle ne répond pas")
    assert (failed.status, failed.error, failed.attempts) == (JobStatus.FAILED, failed.error, 1)
    requeued = store.jobs.enqueue(EXTRACTION, interview_id)
    assert (requeued.id, requeued.status, requeued.attempts) == (job.id, JobStatus.QUEUED, 1)
    assert requeued.error is None
    assert requeued.created_at == job.created_at

    store.jobs.claim_next(EXTRACTION)
    done = store.jobs.finish(job.id, result={"findings": 3})
    assert (done.status, done.result, done.attempts) == (JobStatus.DONE, {"findings": 3}, 2)
    assert store.jobs.enqueue(EXTRACTION, interview_id) == done  # done: unchanged
    assert len(store.jobs.where(kind=EXTRACTION)) == 1
    with pytest.raises(InterviewNotFoundError):
        store.jobs.enqueue(EXTRACTION, "0" * 32)


def test_claim_takes_the_oldest_queued_job_of_its_kind(store: Store) -> None:
    ids = [store.interviews.create(language="fr").id for _ in range(3)]
    jobs = [store.jobs.enqueue(EXTRACTION, interview) for interview in ids]
    claimed = store.jobs.claim_next(EXTRACTION)
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.attempts) == (jobs[0].id, JobStatus.RUNNING, 1)
    assert claimed.updated_at >= jobs[0].updated_at
    assert [j.id for j in store.jobs.where(status=JobStatus.QUEUED, kind=EXTRACTION)] == [
        jobs[1].id,
        jobs[2].id,
    ]
    assert store.jobs.claim_next(EXTRACTION) is not None
    assert store.jobs.claim_next(EXTRACTION) is not None
    assert store.jobs.claim_next(EXTRACTION) is None
    assert len(store.jobs.where(status=JobStatus.RUNNING)) == 3


def test_concurrent_workers_never_claim_one_job_twice(store: Store, db_url: str) -> None:
    ids = [store.interviews.create(language="fr").id for _ in range(24)]
    for interview in ids:
        store.jobs.enqueue(EXTRACTION, interview)
    claimed: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            with Store(db_url) as own:  # a worker process of its own
                while (job := own.jobs.claim_next(EXTRACTION)) is not None:
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
    assert all(job.attempts == 1 for job in store.jobs.where())


def test_finish_and_fail_a_missing_job(store: Store) -> None:
    with pytest.raises(JobNotFoundError):
        store.jobs.finish("nope", result={})
    with pytest.raises(JobNotFoundError):
        store.jobs.fail("nope", error="x")
    with pytest.raises(ValueError, match="reason"):
        store.jobs.fail("nope", error=" ")


@pytest.mark.slow
def test_requeue_stale_jobs_gives_back_a_dead_workers_jobs(db_url: str) -> None:
    clock = SettableClock()
    with Store(db_url, clock=clock) as store:
        store.migrate()
        stale_interview, fresh_interview = (store.interviews.create(language="fr") for _ in "ab")
        stale = store.jobs.enqueue(EXTRACTION, stale_interview.id)
        clock.now += timedelta(seconds=1)
        fresh = store.jobs.enqueue(EXTRACTION, fresh_interview.id)
        # Leases longer than the wait: requeue_stale, not the lease, gives the job back here.
        claimed = store.jobs.claim_next(EXTRACTION, lease_seconds=86400)
        assert claimed is not None
        assert claimed.id == stale.id
        assert store.jobs.requeue_stale(EXTRACTION, 3600) == 0
        clock.now += timedelta(hours=2)  # the first worker died two hours ago
        store.jobs.claim_next(EXTRACTION, lease_seconds=86400)
        assert store.jobs.requeue_stale(EXTRACTION, 3600) == 1
        by_id = {job.id: job for job in store.jobs.where(kind=EXTRACTION)}
        assert (by_id[stale.id].status, by_id[stale.id].attempts) == (JobStatus.QUEUED, 1)
        assert by_id[stale.id].updated_at == clock.now
        assert by_id[fresh.id].status is JobStatus.RUNNING
        again = store.jobs.claim_next(EXTRACTION)
        assert again is not None
        assert (again.id, again.attempts) == (stale.id, 2)
        assert store.jobs.requeue_stale(EXTRACTION, 0) == 0  # untouched for no time at all
        clock.now += timedelta(milliseconds=1)
        assert store.jobs.requeue_stale(EXTRACTION, 0) == 2
        with pytest.raises(ValueError, match="negative"):
            store.jobs.requeue_stale(EXTRACTION, -1)


# -- erasure and consent -------------------------------------------------------------------------


def test_erasure_removes_findings_changes_and_jobs(
    store: Store, interview_id: str, tmp_path: Path
) -> None:
    kept = store.interviews.create(language="fr").id
    secret = "Marguerite-secret-quote"
    store.interviews.add_turn(
        interview_id, speaker=Speaker.EMPLOYEE, text=secret, phase=Phase.EPISODE
    )
    quote = Quote(text=secret, turn_index=2, start=0, end=len(secret))
    erased = store.findings.add([finding(interview_id, evidence=[quote])])
    store.findings.review(erased[0].id, actor="fac", action=EDIT, edit=FindingEdit(activity=secret))
    store.findings.add_by_facilitator(finding(interview_id, activity=secret), actor="fac")
    store.jobs.enqueue(EXTRACTION, interview_id)
    survivor = store.findings.add([finding(kept)])
    store.findings.review(survivor[0].id, actor="fac", action=ACCEPT)
    kept_job = store.jobs.enqueue(EXTRACTION, kept)

    store.interviews.erase(interview_id)

    assert store.findings.where(interview_id=interview_id) == []
    assert [c.finding_id for c in store.findings.changes()] == [survivor[0].id]
    assert store.jobs.where() == [kept_job]
    assert [f.id for f in store.findings.where()] == [survivor[0].id]
    store.close()
    for file in tmp_path.glob("terrain.db*"):
        assert secret.encode() not in file.read_bytes()


def test_the_database_cascades_too(store: Store, interview_id: str, db_url: str) -> None:
    sqlite_only(db_url)
    (one,) = store.findings.add([finding(interview_id)])
    store.findings.review(one.id, actor="fac", action=ACCEPT)
    store.jobs.enqueue(EXTRACTION, interview_id)
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM interviews WHERE id = ?", (interview_id,))
    assert store.findings.where() == []
    assert store.findings.changes() == []
    assert store.jobs.where() == []


def test_refused_consent_keeps_no_findings_or_jobs(store: Store, interview_id: str) -> None:
    store.findings.add([finding(interview_id)])
    store.jobs.enqueue(EXTRACTION, interview_id)
    store.interviews.record_consent(interview_id, given=False, version="v1")
    assert store.findings.where() == []
    assert store.jobs.where() == []
    assert store.interviews.turns(interview_id) == []


def test_given_consent_keeps_the_turns(store: Store, interview_id: str) -> None:
    store.interviews.record_consent(interview_id, given=True, version="imported")
    assert len(store.interviews.turns(interview_id)) == 2


# -- imported interviews -------------------------------------------------------------------------


def test_import_interview_stores_it_whole_and_closed(store: Store) -> None:
    turns = [(Speaker.INTERVIEWER, "Racontez."), (Speaker.EMPLOYEE, SAID)]
    interview = store.interviews.import_transcript(language="fr", source="visite.vtt", turns=turns)
    assert store.interviews.get(interview.id) == interview
    assert (interview.status, interview.phase) == (InterviewStatus.CLOSED, Phase.DONE)
    assert (interview.consent_given, interview.consent_version) == (True, "imported")
    assert interview.consent_at is not None
    assert_utc(interview.consent_at)
    assert interview.source == "visite.vtt"
    assert interview.pseudonym.startswith("Participant-")
    stored = store.interviews.turns(interview.id)
    assert [(t.index, t.speaker, t.text, t.phase) for t in stored] == [
        (0, Speaker.INTERVIEWER, "Racontez.", Phase.EPISODE),
        (1, Speaker.EMPLOYEE, SAID, Phase.EPISODE),
    ]
    assert all(not t.scripted and t.complete and t.model is None for t in stored)
    with pytest.raises(ValueError, match="at least one turn"):
        store.interviews.import_transcript(language="fr", source="x", turns=[])
    with pytest.raises(ValueError, match="empty"):
        store.interviews.import_transcript(
            language="fr", source="x", turns=[(Speaker.EMPLOYEE, " ")]
        )
    assert len(store.interviews.where()) == 1
