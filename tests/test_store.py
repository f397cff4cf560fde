"""The store: migrations, interviews, turns, consent, owners, users, erasure, clock, errors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from assistant.config import Settings
from assistant.schemas import (
    Interview,
    InterviewStatus,
    InterviewUpdate,
    JobKind,
    Phase,
    Speaker,
    Turn,
    User,
    UserRole,
)
from assistant.store import (
    InterviewChangedError,
    InterviewNotFoundError,
    Store,
    StoreError,
    TurnNotFoundError,
    UserExistsError,
)
from assistant.store import database as database_module
from assistant.store import interviews as interviews_module
from assistant.store.migrations import alembic_config
from assistant.store.models import Base
from assistant.store.pseudonyms import ALPHABET, PREFIX

TABLES = {
    "interviews",
    "turns",
    "users",
    "findings",
    "finding_changes",
    "jobs",
    "reports",
    "access_log",
    "workers",
    "sign_in_failures",
    "campaigns",
    # The knowledge base's shared state (issue 26).
    "pending_passages",
    "document_people",
    "lexical_index",
    "ingest_runs",
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(tmp_path: Path, database_url: str | None) -> str:
    """A SQLite file of the test's own, or the emptied PostgreSQL test database."""
    return database_url or sqlite_url(tmp_path / "terrain.db")


class SteppedClock:
    """A clock tests set: each reading is ``step`` later than the one before."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


def say(store: Store, interview_id: str, text: str, speaker: Speaker = Speaker.EMPLOYEE) -> Turn:
    return store.interviews.add_turn(interview_id, speaker=speaker, text=text, phase=Phase.ROLE)


def all_datetimes(record: Interview | Turn | User) -> list[datetime]:
    return [value for value in record.model_dump().values() if isinstance(value, datetime)]


def assert_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


# -- migrations --------------------------------------------------------------------------------


def test_migration_from_empty_creates_every_table_matching_the_orm(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
    engine = sqlalchemy.create_engine(db_url)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        assert tables == TABLES | {"alembic_version"}
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
            assert context.get_current_revision() == head
    finally:
        engine.dispose()


def test_migrating_twice_changes_nothing(store: Store, db_url: str) -> None:
    interview = store.interviews.create(language="fr")
    store.migrate()
    with Store(db_url) as again:
        again.migrate()
        assert again.interviews.get(interview.id) == interview
    engine = sqlalchemy.create_engine(db_url)
    with engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    engine.dispose()
    assert len(versions) == 1


def test_stores_opening_a_new_database_together_migrate_it_once(db_url: str) -> None:
    failures: list[BaseException] = []

    def open_one() -> None:
        try:
            with Store(db_url) as store:
                store.migrate()
                store.interviews.create(language="fr")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    with Store(db_url) as store:
        assert len(store.interviews.where()) == 4


def test_a_database_from_a_newer_terrain_is_refused(store: Store, db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(StoreError, match="Cannot migrate") as caught:
        store.migrate()
    assert caught.value.fix
    assert "newer Terrain" in caught.value.fix


def test_an_in_memory_database_works_for_single_threaded_use() -> None:
    with Store("sqlite://") as store:
        store.migrate()
        interview = store.interviews.create(language="en")
        say(store, interview.id, "hello")
        assert [t.text for t in store.interviews.turns(interview.id)] == ["hello"]


@pytest.mark.slow
def test_open_makes_the_database_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new" / "data")
    with Store.open(settings) as store:
        assert store.url == f"sqlite:///{tmp_path / 'new' / 'data' / 'terrain.db'}"
        store.interviews.create(language="en")
    database = tmp_path / "new" / "data" / "terrain.db"
    assert database.is_file()
    assert database.stat().st_mode & 0o077 == 0  # the owner's only: transcripts are HR data
    with sqlite3.connect(database) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_open_prefers_the_database_url(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "elsewhere.db")
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    with Store.open(settings) as store:
        assert store.url == url
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (tmp_path / "data" / "terrain.db").exists()


def test_connections_enforce_foreign_keys(store: Store) -> None:
    orphan = (
        'INSERT INTO turns (interview_id, "index", speaker, text, phase, scripted, complete,'
        " created_at) VALUES ('missing', 0, 'employee', 'x', 'role', false, true, '2025-01-01')"
    )
    with (
        store._database._engine.connect() as connection,
        pytest.raises(sqlalchemy.exc.IntegrityError),
    ):
        connection.exec_driver_sql(orphan)


# -- interviews --------------------------------------------------------------------------------


def test_create_and_get_an_interview(store: Store) -> None:
    interview = store.interviews.create(
        language="fr",
        owner_key="owner:alice",
        prompt_versions={"interviewer": "3"},
        prompt_digests={"interviewer": "ab12"},
    )
    assert len(interview.id) == 32
    assert interview.status is InterviewStatus.IN_PROGRESS
    assert interview.phase is Phase.CONSENT
    assert interview.state == {}
    assert interview.prompt_versions == {"interviewer": "3"}
    assert interview.prompt_digests == {"interviewer": "ab12"}
    assert interview.owner_key == "owner:alice"
    assert interview.source == "terrain"
    assert store.interviews.get(interview.id) == interview
    assert store.interviews.get("missing") is None


def test_generated_pseudonyms_are_friendly_and_unique(store: Store) -> None:
    pseudonyms = {store.interviews.create(language="fr").pseudonym for _ in range(20)}
    assert len(pseudonyms) == 20
    for pseudonym in pseudonyms:
        assert pseudonym.startswith(PREFIX)
        suffix = pseudonym.removeprefix(PREFIX)
        assert len(suffix) == 4
        assert set(suffix) <= set(ALPHABET)


def test_a_drawn_pseudonym_already_in_use_is_drawn_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.interviews.create(language="fr", pseudonym="Participant-AAAA")
    store.interviews.create(language="fr", pseudonym="Participant-BBBB")
    draws = iter(["Participant-AAAA", "Participant-BBBB", "Participant-CCCC", "Participant-AAAA"])
    monkeypatch.setattr(interviews_module, "new_pseudonym", lambda: next(draws))
    assert store.interviews.create(language="fr").pseudonym == "Participant-CCCC"
    # Importing draws from the same allocator: a pseudonym in use is drawn again there too.
    draws = iter(["Participant-CCCC", "Participant-DDDD"])
    imported = store.interviews.import_transcript(
        language="fr", source="x.txt", turns=[(Speaker.EMPLOYEE, "Bonjour.")]
    )
    assert imported.pseudonym == "Participant-DDDD"


def test_a_given_pseudonym_in_use_is_refused(store: Store) -> None:
    store.interviews.create(language="fr", pseudonym="Participant-AAAA")
    with pytest.raises(StoreError, match="already used"):
        store.interviews.create(language="fr", pseudonym="Participant-AAAA")


def test_list_interviews_newest_first_with_filters(store: Store) -> None:
    first = store.interviews.create(language="fr", owner_key="owner:a")
    second = store.interviews.create(language="fr", owner_key="owner:b")
    third = store.interviews.create(language="en", owner_key="owner:a")
    store.interviews.update(second.id, InterviewUpdate(status=InterviewStatus.CLOSED))

    assert [i.id for i in store.interviews.where()] == [third.id, second.id, first.id]
    assert [i.id for i in store.interviews.where(owner_key="owner:a")] == [third.id, first.id]
    closed = store.interviews.where(status=InterviewStatus.CLOSED)
    assert [i.id for i in closed] == [second.id]
    assert store.interviews.where(owner_key="owner:a", status=InterviewStatus.CLOSED) == []
    assert store.interviews.where(owner_key="owner:nobody") == []


def test_interviews_listed_at_most_limit_found_by_pseudonym_and_their_turns_counted(
    store: Store,
) -> None:
    made = [store.interviews.create(language="fr") for _ in range(3)]
    assert [i.id for i in store.interviews.where(limit=2)] == [
        i.id for i in store.interviews.where()[:2]
    ]
    target = made[1]
    assert store.interviews.by_pseudonym(f"  {target.pseudonym.upper()} ") == target
    assert store.interviews.by_pseudonym("Participant-NOBODY") is None
    for text in ("a", "b"):
        store.interviews.add_turn(target.id, speaker=Speaker.EMPLOYEE, text=text, phase=Phase.ROLE)
    assert store.interviews.turn_counts([target.id, made[0].id, "missing"]) == {
        target.id: 2,
        made[0].id: 0,
        "missing": 0,
    }
    assert store.interviews.turn_counts([]) == {}


def test_update_interview_changes_what_is_given_and_bumps_updated_at(
    db_url: str, clock: SteppedClock
) -> None:
    with Store(db_url, clock=clock) as store:
        store.migrate()
        interview = store.interviews.create(language="fr")
        updated = store.interviews.update(
            interview.id, InterviewUpdate(phase=Phase.EPISODE, state={"covered": ["role"]})
        )
        assert updated.phase is Phase.EPISODE
        assert updated.state == {"covered": ["role"]}
        assert updated.status is InterviewStatus.IN_PROGRESS  # not given: unchanged
        assert updated.updated_at == interview.updated_at + clock.step
        assert updated.created_at == interview.created_at
        assert store.interviews.get(interview.id) == updated


def test_an_interview_update_is_checked_where_it_is_made(store: Store) -> None:
    with pytest.raises(ValueError, match="colour"):
        InterviewUpdate(colour="blue")  # type: ignore[call-arg]
    for field in ("id", "pseudonym", "created_at", "updated_at", "owner_key"):
        with pytest.raises(ValueError, match=field):
            InterviewUpdate(**{field: "x"})
    with pytest.raises(ValueError, match="phase"):
        InterviewUpdate(phase="nonsense")
    with pytest.raises(InterviewNotFoundError):
        store.interviews.update("missing", InterviewUpdate(phase=Phase.ROLE))


def test_record_consent_given(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    consented = store.interviews.record_consent(interview.id, given=True, version="2025-01")
    assert consented.consent_given is True
    assert consented.consent_version == "2025-01"
    assert_utc(consented.consent_at)
    assert consented.status is InterviewStatus.IN_PROGRESS
    assert store.interviews.get(interview.id) == consented


def test_consent_given_can_move_the_interview_on_in_the_same_commit(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    consented = store.interviews.record_consent(
        interview.id, given=True, version="2025-01", next_phase=Phase.ROLE
    )
    assert consented.phase is Phase.ROLE
    assert store.interviews.get(interview.id) == consented
    refused = store.interviews.create(language="fr")
    declined = store.interviews.record_consent(
        refused.id, given=False, version="2025-01", next_phase=Phase.ROLE
    )
    assert declined.phase is Phase.DONE  # a refusal ends it, whatever was to come next


def test_refused_consent_declines_and_keeps_nothing_else(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    say(store, interview.id, "Do you agree?", Speaker.INTERVIEWER)
    say(store, interview.id, "No, I would rather not.")
    store.interviews.update(interview.id, InterviewUpdate(state={"notes": "x"}))
    declined = store.interviews.record_consent(interview.id, given=False, version="2025-01")
    assert declined.consent_given is False
    assert declined.status is InterviewStatus.DECLINED
    assert declined.phase is Phase.DONE
    assert declined.state == {}
    assert store.interviews.turns(interview.id) == []
    assert store.interviews.get(interview.id) == declined
    with pytest.raises(InterviewNotFoundError):
        store.interviews.record_consent("missing", given=True, version="1")


def test_flag(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    flagged = store.interviews.flag(interview.id, "distress")
    assert flagged.flagged is True
    assert flagged.flag_reason == "distress"
    assert store.interviews.get(interview.id) == flagged


# -- turns -------------------------------------------------------------------------------------


def test_turns_are_indexed_in_order_and_committed_at_once(store: Store, db_url: str) -> None:
    interview = store.interviews.create(language="fr")
    with Store(db_url) as reader:  # another process, as it were: the CLI beside the web app
        for n in range(5):
            turn = store.interviews.add_turn(
                interview.id,
                speaker=Speaker.EMPLOYEE if n % 2 else Speaker.INTERVIEWER,
                text=f"turn {n}",
                phase=Phase.ROLE,
                scripted=n == 0,
                complete=n != 3,
                model=None if n == 0 else "mistral-small3.2",
                prompt=None if n == 0 else "interviewer@3",
            )
            assert turn.index == n
            assert reader.interviews.turns(interview.id)[-1] == turn
        turns = reader.interviews.turns(interview.id)
    assert [t.index for t in turns] == [0, 1, 2, 3, 4]
    assert [t.text for t in turns] == [f"turn {n}" for n in range(5)]
    assert turns[0].scripted
    assert turns[0].model is None
    assert not turns[3].complete
    assert turns[1].speaker is Speaker.EMPLOYEE
    assert turns[1].prompt == "interviewer@3"
    assert store.interviews.turns("missing") == []


def test_a_turn_is_returned_as_stored_with_its_unsafe_characters_replaced(store: Store) -> None:
    """What the session keeps of the turn it wrote is what a later read gives: the text as
    cleaned on its way to the database, not as it was given."""
    interview = store.interviews.create(language="fr")
    turn = say(store, interview.id, "une\x00nuit\u202e")
    assert turn.text == "une\ufffdnuit\ufffd"
    assert store.interviews.turns(interview.id) == [turn]


def test_a_turn_added_if_unchanged_is_refused_once_the_interview_was_written_since(
    store: Store,
) -> None:
    """A session that knows the interview as of a time appends without reading it first; a
    write since then (another window, another process), an end or an erasure refuses the
    turn and leaves everything as it was."""
    interview = store.interviews.create(language="fr")
    known = interview.updated_at
    first = store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text="oui", phase=Phase.CONSENT,
        unchanged_since=known,
    )  # fmt: skip
    with pytest.raises(InterviewChangedError):  # written since ``known``: by that very turn
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="encore", phase=Phase.CONSENT,
            unchanged_since=known,
        )  # fmt: skip
    assert store.interviews.turns(interview.id) == [first]
    as_read = store.interviews.get(interview.id)
    assert as_read is not None
    assert as_read.updated_at == first.created_at
    second = store.interviews.add_turn(
        interview.id, speaker=Speaker.INTERVIEWER, text="Merci.", phase=Phase.CONSENT,
        ending=InterviewStatus.STOPPED, unchanged_since=as_read.updated_at,
    )  # fmt: skip
    with pytest.raises(InterviewChangedError):  # unchanged since, but no longer in progress
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="et après ?", phase=Phase.DONE,
            unchanged_since=second.created_at,
        )  # fmt: skip
    assert store.interviews.turns(interview.id) == [first, second]
    with pytest.raises(InterviewChangedError):
        store.interviews.add_turn(
            "missing", speaker=Speaker.EMPLOYEE, text="?", phase=Phase.CONSENT,
            unchanged_since=known,
        )  # fmt: skip


def test_a_turn_and_the_state_it_leaves_are_committed_together(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    before = store.interviews.get(interview.id)
    assert before is not None
    turn = store.interviews.add_turn(
        interview.id,
        speaker=Speaker.INTERVIEWER,
        text="Que s'est-il passé ensuite ?",
        phase=Phase.EPISODE,
        state={"questions": {"episode": 2}},
    )
    after = store.interviews.get(interview.id)
    assert after is not None
    assert after.state == {"questions": {"episode": 2}}
    assert after.updated_at == turn.created_at > before.updated_at
    store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text="Rien.", phase=Phase.EPISODE
    )
    kept = store.interviews.get(interview.id)
    assert kept is not None
    assert kept.state == {"questions": {"episode": 2}}  # no state given: left as it was
    with pytest.raises(InterviewNotFoundError):
        store.interviews.add_turn(
            "0" * 32, speaker=Speaker.EMPLOYEE, text="x", phase=Phase.ROLE, state={}
        )


def test_the_last_message_and_the_end_of_the_interview_are_committed_together(
    store: Store,
) -> None:
    interview = store.interviews.create(language="fr")
    with pytest.raises(ValueError, match="final status"):
        store.interviews.add_turn(
            interview.id,
            speaker=Speaker.INTERVIEWER,
            text="x",
            phase=Phase.CLOSING,
            ending=InterviewStatus.IN_PROGRESS,
        )
    last = store.interviews.add_turn(
        interview.id,
        speaker=Speaker.INTERVIEWER,
        text="Merci pour cet entretien.",
        phase=Phase.CLOSING,
        state={"closing_step": "done"},
        ending=InterviewStatus.CLOSED,
    )
    ended = store.interviews.get(interview.id)
    assert ended is not None
    assert (ended.status, ended.phase) == (InterviewStatus.CLOSED, Phase.DONE)
    assert ended.state == {"closing_step": "done"}
    assert last.phase is Phase.CLOSING  # the message keeps the phase it was said in
    assert [turn.text for turn in store.interviews.turns(interview.id)] == [
        "Merci pour cet entretien."
    ]


def test_concurrent_turns_get_unique_consecutive_indexes(store: Store, db_url: str) -> None:
    interview = store.interviews.create(language="fr")
    per_thread = 5
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    with Store(db_url) as other:  # half the threads write through a second engine
        stores = [store, other]

        def write(worker: int) -> None:
            try:
                start.wait()
                for n in range(per_thread):
                    say(stores[worker % 2], interview.id, f"{worker}-{n}")
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert failures == []
    turns = store.interviews.turns(interview.id)
    assert [t.index for t in turns] == list(range(8 * per_thread))
    assert len({t.text for t in turns}) == 8 * per_thread


def test_add_turn_to_a_missing_interview(store: Store) -> None:
    with pytest.raises(InterviewNotFoundError):
        say(store, "missing", "hello")


def test_revise_turn_changes_its_text_and_the_state_in_one_commit(store: Store) -> None:
    interview = store.interviews.create(language="fr")
    say(store, interview.id, "question", Speaker.INTERVIEWER)
    summary = say(store, interview.id, "I managed the Dupont file.")
    corrected = store.interviews.revise_turn(
        summary.id, "I managed a client file.", state={"summary": ["a client file"]}
    )
    assert corrected.text == "I managed a client file."
    assert corrected.index == summary.index
    assert store.interviews.turns(interview.id)[1] == corrected
    stored = store.interviews.get(interview.id)
    assert stored is not None
    assert stored.state == {"summary": ["a client file"]}
    store.interviews.revise_turn(summary.id, "Again.")
    again = store.interviews.get(interview.id)
    assert again is not None
    assert again.state == {"summary": ["a client file"]}  # no state given: left as it was
    with pytest.raises(TurnNotFoundError):
        store.interviews.revise_turn(9999, "x")


# -- owners and erasure ------------------------------------------------------------------------


def test_no_table_or_field_names_a_person(store: Store, db_url: str) -> None:
    assert not {"person", "identity", "name", "owner"} & set(Interview.model_fields)
    engine = sqlalchemy.create_engine(db_url)
    columns = {
        column["name"]
        for table in TABLES - {"users"}
        for column in sqlalchemy.inspect(engine).get_columns(table)
    }
    engine.dispose()
    assert not {"person", "owner", "user", "user_name"} & columns


def test_erase_owned_by_removes_every_interview_of_that_owner_key_only(store: Store) -> None:
    older = store.interviews.create(language="fr", owner_key="owner:jeanne")
    say(store, older.id, "first words")
    newer = store.interviews.create(language="fr", owner_key="owner:jeanne")
    other = store.interviews.create(language="fr", owner_key="owner:paul")
    say(store, other.id, "Paul's words")
    store.jobs.enqueue(JobKind.EXTRACTION, older.id)

    erased = store.interviews.erase_owned_by("owner:jeanne")

    assert {i.id for i in erased} == {older.id, newer.id}
    assert [i.id for i in store.interviews.where()] == [other.id]
    assert store.interviews.turns(older.id) == []
    assert store.jobs.where() == []
    assert len(store.interviews.turns(other.id)) == 1
    assert store.interviews.erase_owned_by("owner:jeanne") == []
    with pytest.raises(ValueError, match="empty"):
        store.interviews.erase_owned_by(" ")


def test_erase_leaves_nothing_of_the_person(store: Store, tmp_path: Path) -> None:
    kept = store.interviews.create(language="fr")
    say(store, kept.id, "someone else's words")
    erased = store.interviews.create(language="fr", owner_key="owner:jeanne-dupont-key")
    say(store, erased.id, "Marguerite-secret-words")

    store.interviews.erase(erased.id)

    assert store.interviews.get(erased.id) is None
    assert store.interviews.turns(erased.id) == []
    assert [i.id for i in store.interviews.where()] == [kept.id]
    assert len(store.interviews.turns(kept.id)) == 1
    store.close()
    for file in tmp_path.glob("terrain.db*"):  # secure_delete and the emptied WAL
        content = file.read_bytes()
        assert b"Marguerite-secret-words" not in content
        assert b"jeanne-dupont-key" not in content
    with pytest.raises(InterviewNotFoundError):
        store.interviews.erase(erased.id)


# -- users -------------------------------------------------------------------------------------


def test_users(store: Store) -> None:
    admin = store.accounts.add("root", UserRole.ADMIN, password_hash="$argon2id$x")
    alice = store.accounts.add("alice", UserRole.EMPLOYEE, display_name="Alice")
    assert admin.role is UserRole.ADMIN
    assert store.accounts.get("alice") == alice
    assert store.accounts.get("nobody") is None
    assert store.accounts.password_hash_of("root") == "$argon2id$x"
    assert store.accounts.password_hash_of("alice") is None
    assert store.accounts.password_hash_of("nobody") is None
    assert store.accounts.all() == [alice, admin]
    assert "password_hash" not in admin.model_dump()
    with pytest.raises(UserExistsError):
        store.accounts.add("alice", UserRole.LEADERSHIP)
    assert store.accounts.get("alice") == alice


# -- the clock -------------------------------------------------------------------------------


def test_every_timestamp_comes_from_the_stores_clock(db_url: str, clock: SteppedClock) -> None:
    with Store(db_url, clock=clock) as store:
        store.migrate()
        interview = store.interviews.create(language="fr")
        turn = say(store, interview.id, "hello")
        user = store.accounts.add("alice", UserRole.EMPLOYEE)
        start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        assert interview.created_at == interview.updated_at == start + clock.step
        assert turn.created_at == start + 2 * clock.step
        assert user.created_at == start + 3 * clock.step
        stored = store.interviews.get(interview.id)
        assert stored is not None
        assert stored.updated_at == turn.created_at


# -- datetimes ---------------------------------------------------------------------------------


def test_datetimes_come_back_timezone_aware_utc(store: Store, db_url: str) -> None:
    interview = store.interviews.create(language="fr")
    say(store, interview.id, "hello")
    store.accounts.add("alice", UserRole.EMPLOYEE)
    paris = timezone(timedelta(hours=1))
    with Store(db_url, clock=lambda: datetime(2025, 3, 1, 10, 0, tzinfo=paris)) as writer:
        writer.interviews.record_consent(interview.id, given=True, version="1")
    with Store(db_url) as fresh:  # read from the file, not from anything cached
        record = fresh.interviews.get(interview.id)
        assert record is not None
        assert record.consent_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
        records: list[Interview | Turn | User] = [record, *fresh.interviews.turns(interview.id)]
        records += fresh.accounts.all()
        for each in records:
            for moment in all_datetimes(each):
                assert_utc(moment)


# -- errors ------------------------------------------------------------------------------------


def assert_clear(error: StoreError) -> None:
    assert type(error) is StoreError
    assert error.fix
    assert "TERRAIN_DATABASE_URL" in error.fix
    assert not isinstance(error, sqlalchemy.exc.SQLAlchemyError)


def test_a_database_in_a_missing_folder(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "no" / "such" / "folder" / "terrain.db")
    with pytest.raises(StoreError) as caught:
        Store(url).migrate()
    assert_clear(caught.value)
    assert "Cannot open the database" in caught.value.message
    assert not (tmp_path / "no").exists()
    with pytest.raises(StoreError) as again:
        Store.open(Settings(data_dir=tmp_path, database_url=url))
    assert_clear(again.value)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nosuchdb://user:hunter2@host/terrain", "Unknown database type 'nosuchdb'"),
        ("sqlite+nodriver:///x.db", "Unknown database type"),
        ("not a url at all", "not a valid"),
        ("sqlite://user:hunter2@/relative.db", "Cannot use the database URL"),
    ],
)
def test_bad_urls(url: str, says: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert_clear(caught.value)
    assert says in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_missing_driver() -> None:
    url = "postgresql+nosuchdriver://user:hunter2@localhost/terrain"
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert "hunter2" not in str(caught.value)


def test_an_unmigrated_database_fails_clearly(tmp_path: Path) -> None:
    with Store(sqlite_url(tmp_path / "bare.db")) as bare, pytest.raises(StoreError) as caught:
        bare.interviews.where()
    assert "no such table" in caught.value.message
    assert caught.value.fix


def test_the_url_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    def any_engine(url: sqlalchemy.URL, **_: object) -> sqlalchemy.Engine:
        return sqlalchemy.create_engine("sqlite://")

    monkeypatch.setattr(database_module, "create_store_engine", any_engine)
    store = Store("postgresql+psycopg://terrain:hunter2@db.internal/terrain")
    assert store.url == "postgresql+psycopg://terrain:***@db.internal/terrain"
    assert "hunter2" not in repr(store)
    assert "hunter2" not in str(store)
    store.close()
