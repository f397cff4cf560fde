"""Writes awaited on the event loop (``Store.run_write``): on a SQLite file they are grouped in
one transaction run on the loop, committed once in a worker thread, each failing alone; the
loop never waits for a lock another connection holds. Reads (``Store.run_read``) run on the
loop and may not write. On PostgreSQL both run in worker threads, with the same results."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from assistant.schemas import Phase, Speaker, Turn
from assistant.store import InterviewNotFoundError, StorageUnavailableError, Store, StoreError
from tests.web.waiting import HANG_CAP_SECONDS


def add_turn(store: Store, interview_id: str, said: str) -> Any:
    return store.run_write(
        store.interviews.add_turn,
        interview_id,
        speaker=Speaker.EMPLOYEE,
        text=said,
        phase=Phase.EPISODE,
    )


def stored_turns(store: Store, interview_id: str) -> list[str]:
    return [turn.text for turn in store.interviews.turns(interview_id)]


def committed_elsewhere(path: Path) -> list[str]:
    """The turns' texts as another connection, another process's, reads them."""
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT text FROM turns ORDER BY id")]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'terrain.db'}") as store:
        store.migrate()
        yield store


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """The thread of every commit SQLAlchemy makes while the test runs."""
    seen: list[int] = []

    def record(connection: Any) -> None:
        seen.append(threading.get_ident())

    event.listen(Engine, "commit", record)
    yield seen
    event.remove(Engine, "commit", record)


@pytest.fixture
def turn_inserts() -> Iterator[list[int]]:
    """The thread that sent each INSERT of a turn."""
    seen: list[int] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO turns"):
            seen.append(threading.get_ident())

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


async def test_writes_awaited_together_share_one_commit_made_off_the_loop(
    sqlite_store: Store, tmp_path: Path, commits: list[int], turn_inserts: list[int]
) -> None:
    ids = [sqlite_store.interviews.create(language="fr").id for _ in range(20)]
    commits.clear()

    turns = await asyncio.gather(*(add_turn(sqlite_store, i, f"réponse {i}") for i in ids))

    assert [turn.interview_id for turn in turns] == ids
    assert sorted(committed_elsewhere(tmp_path / "terrain.db")) == sorted(
        f"réponse {i}" for i in ids
    )
    loop_thread = threading.get_ident()
    assert turn_inserts == [loop_thread] * 20  # the statements ran on the loop
    assert len(commits) == 1  # one commit, one fsync, for the twenty
    assert commits[0] != loop_thread  # the disk's wait was a worker thread's


async def test_turns_of_one_interview_in_one_group_take_the_next_indexes(
    sqlite_store: Store,
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id

    turns = await asyncio.gather(*(add_turn(sqlite_store, interview, str(n)) for n in range(5)))

    assert [turn.index for turn in turns] == [0, 1, 2, 3, 4]
    assert stored_turns(sqlite_store, interview) == ["0", "1", "2", "3", "4"]


async def test_a_failed_commit_fails_every_write_of_its_group_and_keeps_none(
    sqlite_store: Store, tmp_path: Path
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    database = sqlite_store._database

    def orphan_turn() -> None:
        # Foreign keys checked at COMMIT: the insert passes, the group's commit fails.
        with database.writing_rows() as connection:
            connection.execute(text("PRAGMA defer_foreign_keys = ON"))
            connection.execute(
                text(
                    'INSERT INTO turns (interview_id, "index", speaker, text, phase, '
                    "scripted, complete, created_at) VALUES ('missing', 0, 'employee', 'x', "
                    "'episode', 0, 1, '2026-01-01 00:00:00')"
                )
            )

    outcomes = await asyncio.gather(
        add_turn(sqlite_store, interview, "gardé ?"),
        sqlite_store.run_write(orphan_turn),
        return_exceptions=True,
    )

    assert all(isinstance(outcome, StoreError) for outcome in outcomes)
    assert "FOREIGN KEY" in str(outcomes[0])
    assert committed_elsewhere(tmp_path / "terrain.db") == []
    # The next write starts afresh.
    await add_turn(sqlite_store, interview, "après")
    assert stored_turns(sqlite_store, interview) == ["après"]


async def test_the_loop_never_waits_for_a_lock_held_elsewhere(
    sqlite_store: Store, tmp_path: Path
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    other = sqlite3.connect(tmp_path / "terrain.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        write = asyncio.create_task(add_turn(sqlite_store, interview, "patient"))
        ticks = 0
        for _ in range(20):  # the loop keeps running other conversations meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20
        assert not write.done()  # it waits its turn, in a worker thread
    finally:
        other.execute("COMMIT")
        other.close()

    turn = await asyncio.wait_for(write, HANG_CAP_SECONDS)
    assert turn.text == "patient"
    assert committed_elsewhere(tmp_path / "terrain.db") == ["patient"]


async def test_a_write_cancelled_before_it_ran_is_not_made(sqlite_store: Store) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    kept = asyncio.create_task(add_turn(sqlite_store, interview, "gardé"))
    dropped = asyncio.create_task(add_turn(sqlite_store, interview, "annulé"))
    await asyncio.sleep(0)  # both queued, the group not run yet
    dropped.cancel()

    await kept
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert stored_turns(sqlite_store, interview) == ["gardé"]


async def test_an_erasure_in_a_group_empties_the_log_after_its_commit(
    sqlite_store: Store, tmp_path: Path
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    await add_turn(sqlite_store, interview, "SECRET-MOT-4471")

    await sqlite_store.run_write(
        sqlite_store.interviews.record_consent, interview, given=False, version="v1"
    )

    assert stored_turns(sqlite_store, interview) == []
    wal = tmp_path / "terrain.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert b"SECRET-MOT-4471" not in (tmp_path / "terrain.db").read_bytes()


async def test_reads_run_on_the_loop_and_may_not_write(sqlite_store: Store) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    threads: list[int] = []

    def read() -> str | None:
        threads.append(threading.get_ident())
        found = sqlite_store.interviews.get(interview)
        return None if found is None else found.id

    assert await sqlite_store.run_read(read) == interview
    assert threads == [threading.get_ident()]
    with pytest.raises(RuntimeError, match="run_write"):
        await sqlite_store.run_read(sqlite_store.interviews.flag, interview, "oops")
    assert sqlite_store.interviews.get(interview).flagged is False  # type: ignore[union-attr]


async def test_a_write_that_fails_fails_alone_on_both_databases(tmp_store: Store) -> None:
    first, second = (tmp_store.interviews.create(language="fr").id for _ in range(2))

    outcomes = await asyncio.gather(
        add_turn(tmp_store, first, "un"),
        add_turn(tmp_store, "0" * 32, "perdu"),
        add_turn(tmp_store, second, "deux"),
        add_turn(tmp_store, first, "trois"),
        return_exceptions=True,
    )

    assert isinstance(outcomes[0], Turn)
    assert isinstance(outcomes[1], InterviewNotFoundError)  # a write that fails fails alone
    assert isinstance(outcomes[3], Turn)
    assert stored_turns(tmp_store, first) == ["un", "trois"]
    assert await tmp_store.run_read(stored_turns, tmp_store, second) == ["deux"]


async def test_a_read_only_database_fails_each_grouped_write_with_the_stores_error(
    sqlite_store: Store, tmp_path: Path
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    path = tmp_path / "terrain.db"
    with Store(f"sqlite:///file:{path}?mode=ro&uri=true") as read_only:
        outcomes = await asyncio.gather(
            add_turn(read_only, interview, "un"),
            add_turn(read_only, interview, "deux"),
            return_exceptions=True,
        )
    assert all(isinstance(outcome, StorageUnavailableError) for outcome in outcomes)
    assert {outcome.kind for outcome in outcomes} == {"read_only"}  # type: ignore[union-attr]
    assert committed_elsewhere(path) == []


async def test_words_struck_in_a_group_leave_no_copy_after_its_commit(
    sqlite_store: Store, tmp_path: Path
) -> None:
    interview = sqlite_store.interviews.create(language="fr").id
    turn = await add_turn(sqlite_store, interview, "Je vois Mme SECRET-NOM-9921 le mardi.")

    await sqlite_store.run_write(
        sqlite_store.interviews.revise_turn, turn.id, "Je vois une dame le mardi.", state={}
    )

    assert stored_turns(sqlite_store, interview) == ["Je vois une dame le mardi."]
    wal = tmp_path / "terrain.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert b"SECRET-NOM-9921" not in (tmp_path / "terrain.db").read_bytes()
