"""Engines for the store: SQLite tuned for several threads and processes, or any other database.

SQLite (the default) is shared by the web app's threads and the CLI, so every connection gets:

* WAL journal, so readers never wait for the writer and the writer never waits for readers;
* a busy timeout, so a writer waits its turn instead of failing with "database is locked";
* foreign keys enforced (off by default in SQLite), so erasing an interview cascades to its turns;
* ``secure_delete``, so erased transcripts are overwritten in the file, not just unlinked.

Transactions are real ones: the dialect emits BEGIN itself (the sqlite3 driver's legacy mode
does not begin a transaction before a SELECT, nor before DDL), and a connection from the store's
*write* engine (a pool of its own) begins with ``BEGIN IMMEDIATE``, taking the write lock at
once. Writers are thus serialised from their first read (the next turn's index is read then
written in one locked transaction), and never fail half-way with SQLITE_BUSY when upgrading a
read lock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor, ExecutionContext
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection, StaticPool

from assistant.text import clean_value

# How long a SQLite writer waits for another one before giving up, in seconds.
BUSY_TIMEOUT_SECONDS = 30.0


class StoreSQLiteDialect(SQLiteDialect_pysqlite):
    """sqlite3, beginning each transaction with ``begin_with`` (``BEGIN`` or ``BEGIN
    IMMEDIATE``) in the dialect's own ``do_begin``, on the sqlite3 connection itself.

    Not in a ``begin`` event (the documented recipe) sent through ``exec_driver_sql``: any
    engine event makes SQLAlchemy dispatch every connection's events (a third of a one-row
    read's CPU), and ``exec_driver_sql`` takes its whole execution path for a statement with
    no parameter and no row. SQLAlchemy raises a failing ``do_begin`` (database locked,
    read-only) as its own error, as for any statement.
    """

    # Each dialect class says so itself: compiling nothing differently, this one caches too.
    supports_statement_cache = True

    def __init__(self, begin_with: str = "BEGIN", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.begin_with = begin_with

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        cast(sqlite3.Connection, dbapi_connection.driver_connection).execute(self.begin_with)


# ``sqlite+terrain://`` URLs (made by create_store_engine only) use the dialect above.
registry.register("sqlite.terrain", __name__, StoreSQLiteDialect.__name__)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def create_store_engine(
    url: URL, *, migrating: bool = False, writing: bool = False, waiting: bool = True
) -> Engine:
    """An engine for ``url``. ``migrating``: one connection at a time, foreign keys off (SQLite).
    ``writing``: the engine of the store's writers (SQLite: BEGIN IMMEDIATE, its own pool).
    ``waiting=False`` (SQLite): a write lock held elsewhere fails at once with SQLITE_BUSY
    instead of being waited for, as the event loop's writer needs (:mod:`.grouped_writes`).

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

    if url.get_driver_name() != "pysqlite":
        url.get_dialect()  # an unknown driver: NoSuchModuleError, reported as such
        raise ValueError("SQLite is used through Python's sqlite3 only (sqlite:///<file>)")
    busy_timeout = BUSY_TIMEOUT_SECONDS if waiting else 0.0
    # Connections are handed between threads (the event loop's writer commits in a worker
    # thread); the pool and the store's locks keep each in one thread's hands at a time.
    options["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
    options["begin_with"] = "BEGIN IMMEDIATE" if migrating or writing else "BEGIN"
    if is_sqlite_memory(url):
        # One private database per connection otherwise; only for single-threaded tests.
        options["poolclass"] = StaticPool
    elif migrating:
        options["poolclass"] = NullPool
    engine = create_engine(url.set(drivername="sqlite+terrain"), **options)
    foreign_keys = "OFF" if migrating else "ON"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # The dialect emits BEGIN itself (above); the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.execute(f"PRAGMA foreign_keys={foreign_keys}")
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    return _cleaning(engine)


def _clean_json(value: object) -> str:
    return json.dumps(clean_value(value))


def _cleaning(engine: Engine) -> Engine:
    """Every string sent to the database cleaned (:func:`assistant.text.clean_text`): the one
    boundary all text crosses, so that SQLite and PostgreSQL store the same characters and
    neither fails on a NUL or a lone surrogate.

    Dialect events, not ``before_cursor_execute``: a connection event makes SQLAlchemy
    dispatch every connection's events; these are called only where a statement is sent.
    """

    for sending in ("do_execute", "do_executemany"):
        event.listen(engine, sending, _sent_cleaned(sending))
    return engine


def _sent_cleaned(sending: str) -> Callable[[DBAPICursor, str, Any, ExecutionContext], bool]:
    """A dialect event that sends the statement itself, through the dialect's ``sending``
    method (``do_execute`` or ``do_executemany``), with its parameters cleaned."""

    def send(
        cursor: DBAPICursor, statement: str, parameters: Any, context: ExecutionContext
    ) -> bool:
        getattr(context.dialect, sending)(cursor, statement, clean_value(parameters), context)
        return True  # sent: SQLAlchemy does not send it again

    return send
