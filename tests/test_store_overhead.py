"""The store's per-call shortcuts keep its semantics: SQLite's BEGIN sent on the driver's
connection still begins real transactions (a snapshot for readers, the write lock at once for
writers, a failure raised as the store's error), and the fast :func:`clean_value` returns
exactly what the plain one did."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event, text

from assistant.schemas import Speaker
from assistant.store import Store, StoreError
from assistant.store import engine as engine_module
from assistant.store.database import Database
from assistant.text import BIDI_CONTROLS, REPLACEMENT, clean_text, clean_value


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "terrain.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
    return path


@pytest.fixture
def database(sqlite_file: Path) -> Iterator[Database]:
    opened = Database(f"sqlite:///{sqlite_file}")
    yield opened
    opened.close()


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every statement SQLAlchemy sends through a cursor, in order, while the test runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def interviews_in(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM interviews").fetchone()[0])


# -- BEGIN on the driver's connection ----------------------------------------------------------


def test_a_read_sends_only_its_select_through_sqlalchemy(
    sqlite_file: Path, statements: list[str]
) -> None:
    with Store(f"sqlite:///{sqlite_file}") as store:
        store.accounts.standing("nobody")
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_the_stores_engines_carry_no_connection_event(database: Database) -> None:
    # Any connection event makes SQLAlchemy dispatch every connection's events, a third of a
    # one-row read's CPU: BEGIN and the cleaning of parameters live in the dialect instead.
    for engine in (database._engine, database._write_engine):
        for name in ("begin", "before_cursor_execute", "before_execute", "engine_connect"):
            assert not getattr(engine.dispatch, name), name


def test_a_read_transaction_is_a_snapshot(database: Database, sqlite_file: Path) -> None:
    with Store(f"sqlite:///{sqlite_file}") as store:
        store.interviews.create(language="fr")
    with database.reading_rows() as connection:
        before = connection.execute(text("SELECT count(*) FROM interviews")).scalar_one()
        with Store(f"sqlite:///{sqlite_file}") as other:
            other.interviews.create(language="en")  # committed by another connection
        assert interviews_in(sqlite_file) == before + 1
        again = connection.execute(text("SELECT count(*) FROM interviews")).scalar_one()
    assert again == before


def test_a_writer_holds_the_write_lock_from_its_first_statement(
    database: Database, sqlite_file: Path
) -> None:
    with database.writing_rows() as connection:
        connection.execute(text("SELECT count(*) FROM interviews")).scalar_one()  # a read only
        other = sqlite3.connect(sqlite_file, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_a_write_that_fails_is_rolled_back(database: Database, sqlite_file: Path) -> None:
    with Store(f"sqlite:///{sqlite_file}") as store:
        store.interviews.create(language="fr")
    with pytest.raises(RuntimeError), database.writing_rows() as connection:
        connection.execute(text("DELETE FROM interviews"))
        raise RuntimeError("stop")
    with pytest.raises(RuntimeError), database.writing() as session:
        session.execute(text("DELETE FROM interviews"))
        raise RuntimeError("stop")
    assert interviews_in(sqlite_file) == 1


def test_a_begin_that_fails_is_the_stores_clear_error(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_SECONDS", 0.05)
    with Store(f"sqlite:///{sqlite_file}") as store:
        interview = store.interviews.create(language="fr")
        holder = sqlite3.connect(sqlite_file, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError, match="locked"):
                store.interviews.add_turn(
                    interview.id, speaker=Speaker.EMPLOYEE, text="Bonjour", phase=interview.phase
                )
        finally:
            holder.close()
        assert store.interviews.turns(interview.id) == []


# -- PostgreSQL: a read of one statement in autocommit ------------------------------------------


@pytest.mark.slow
def test_on_postgresql_a_read_opens_no_transaction_and_writes_still_do(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.migrate()
        interview = store.interviews.create(language="fr")
    database = Database(postgres_url)
    try:
        for _ in range(3):  # the same pooled connection, read then written
            with database.reading_rows() as connection:
                connection.execute(text("SELECT count(*) FROM interviews")).scalar_one()
                driver = connection.connection.driver_connection
                assert driver is not None
                assert driver.info.transaction_status == TransactionStatus.IDLE
            with pytest.raises(RuntimeError), database.writing_rows() as connection:
                connection.execute(text("DELETE FROM interviews"))
                raise RuntimeError("stop")
        with Store(postgres_url) as store:
            assert store.interviews.get(interview.id) is not None
    finally:
        database.close()


# -- clean_value -------------------------------------------------------------------------------


def plain_clean_value(value: object) -> object:
    """The reference: clean_text on every string, containers rebuilt, the rest as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {plain_clean_value(key): plain_clean_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_clean_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(plain_clean_value(item) for item in value)
    return value


class Label(StrEnum):
    EPISODE = "episode"
    HIDDEN = "a\x00b"


UNSAFE = ["\x00", "\x07", "\x1b", "\x7f", "\ud800", "\udfff", *BIDI_CONTROLS]
SAFE = ["a", "é", "\t", "\n", "\r", " ", "\u200f", "عربي", REPLACEMENT]
texts = st.lists(st.sampled_from(UNSAFE + SAFE) | st.characters(), max_size=12).map("".join)
atoms = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.binary(max_size=4)
    | st.datetimes(timezones=st.just(UTC))
    | st.sampled_from(list(Label))
    | texts
)
values = st.recursive(
    atoms,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(texts, inner, max_size=5)
    ),
    max_leaves=30,
)


def same(left: object, right: object) -> bool:
    """Equal, and of the same type all the way down."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(
            same(a, b) and same(left[a], right[b]) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    return left == right


@given(values)
def test_clean_value_gives_what_the_plain_one_gave(value: object) -> None:
    assert same(clean_value(value), plain_clean_value(value))


def test_parameters_with_nothing_to_clean_are_not_rebuilt() -> None:
    parameters = ("id", "Je prépare les commandes.", True, None, 3, datetime.now(UTC))
    named = {"wanted": "id", "state": {"questions": {"episode": 2}, "asked": ["Et ensuite ?"]}}
    assert clean_value(parameters) is parameters
    assert clean_value(named) is named
    dirty = ("id", "a\x00b")
    assert clean_value(dirty) == ("id", f"a{REPLACEMENT}b")


def test_sqlite_through_another_driver_than_sqlite3_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store(f"sqlite+aiosqlite:///{tmp_path / 'terrain.db'}")
    assert "sqlite3 only" in str(caught.value)
    assert caught.value.fix is not None
