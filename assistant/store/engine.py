"""Engines for the store: SQLite tuned for several threads and processes, or any other database.

SQLite (the default) is shared by the web app's threads and the CLI, so every connection gets:

* WAL journal, so readers never wait for the writer and the writer never waits for readers;
* a busy timeout, so a writer waits its turn instead of failing with "database is locked";
* foreign keys enforced (off by default in SQLite), so erasing an interview cascades to its turns;
* ``secure_delete``, so erased transcripts are overwritten in the file, not just unlinked.

Transactions are real ones: SQLAlchemy emits BEGIN itself (the sqlite3 driver's legacy mode
does not begin a transaction before a SELECT, nor before DDL), and a connection from the store's
*write* engine begins with ``BEGIN IMMEDIATE``, taking the write lock at once. Writers are thus
serialised from their first read (the next turn's index is read then written in one locked
transaction), and never fail half-way with SQLITE_BUSY when upgrading a read lock.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, cast

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, StaticPool

from assistant.text import clean_value

# How long a SQLite writer waits for another one before giving up, in seconds.
BUSY_TIMEOUT_SECONDS = 30.0

# Execution option that marks the store's write engine (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "terrain_write"


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def create_store_engine(url: URL, *, migrating: bool = False) -> Engine:
    """An engine for ``url``. ``migrating``: one connection at a time, foreign keys off (SQLite).

    Migrations on SQLite rebuild tables to alter them ("batch" mode); with foreign keys on,
    dropping the old ``interviews`` table would cascade and delete every turn. The migration
    therefore runs with them off and checks them (``PRAGMA foreign_key_check``) before it commits.
    """
    # Parameters (transcript text) never appear in logs or in error messages.
    options: dict[str, Any] = {"hide_parameters": True, "json_serializer": _clean_json}
    if not is_sqlite(url):
        options["pool_pre_ping"] = True
        if migrating:
            options["poolclass"] = NullPool
        return _cleaning(create_engine(url, **options))

    options["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS}
    if is_sqlite_memory(url):
        # One private database per connection otherwise; only for single-threaded tests.
        options["poolclass"] = StaticPool
        options["connect_args"]["check_same_thread"] = False
    elif migrating:
        options["poolclass"] = NullPool
    engine = create_engine(url, **options)
    foreign_keys = "OFF" if migrating else "ON"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # SQLAlchemy emits BEGIN itself (below); the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute(f"PRAGMA foreign_keys={foreign_keys}")
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = migrating or connection.get_execution_options().get(WRITE_OPTION, False)
        statement = "BEGIN IMMEDIATE" if writing else "BEGIN"
        # Sent on the sqlite3 connection itself: through ``exec_driver_sql`` it went through
        # SQLAlchemy's whole execution path (events, cursor, result) for a statement without
        # parameter or row, a fifth of a one-row read's CPU. A failure (database locked or
        # read-only) is still raised as SQLAlchemy's error, as the store expects.
        try:
            cast(sqlite3.Connection, connection.connection.driver_connection).execute(statement)
        except sqlite3.Error as error:
            raise DBAPIError.instance(
                statement, None, error, sqlite3.Error, hide_parameters=True, dialect=engine.dialect
            ) from error

    return _cleaning(engine)


def _clean_json(value: object) -> str:
    return json.dumps(clean_value(value))


def _cleaning(engine: Engine) -> Engine:
    """Every string sent to the database cleaned (:func:`assistant.text.clean_text`): the one
    boundary all text crosses, so that SQLite and PostgreSQL store the same characters and
    neither fails on a NUL or a lone surrogate."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _clean_parameters(
        connection: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        return statement, clean_value(parameters)

    return engine
