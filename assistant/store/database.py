"""The store's database: engine, sessions, migrations, the clock and error translation.

Internal to :mod:`assistant.store`: the repositories (interviews, findings, jobs, accounts)
share one :class:`Database`; callers reach them through :class:`assistant.store.Store`.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assistant.store.engine import create_store_engine, is_sqlite, is_sqlite_memory
from assistant.store.errors import DATABASE_URL_FIX, StorageUnavailableError, StoreError
from assistant.store.grouped_writes import GroupedWrites, joined_batch, refuse_write_in_read
from assistant.store.migrations import alembic_config
from assistant.store.models import utc_now

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)

# How often a SQLite checkpoint is tried again while a reader holds the write-ahead log.
CHECKPOINT_ATTEMPTS = 50

log = logging.getLogger(__name__)

# Alembic keeps the running migration in module globals: one migration per process at a time
# (and, through the database's own lock, one across processes).
_MIGRATION_LOCK = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


def as_utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def reason(error: SQLAlchemyError) -> str:
    """The database's own words, first line only: no SQL, no parameters, no details."""
    detail = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(detail).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__


# SQLite's result codes (the primary code is the low byte of the extended one).
_SQLITE_READONLY = 8
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
# PostgreSQL's SQLSTATEs.
_PG_DISK_FULL = "53100"
_PG_READ_ONLY = ("25006", "0A000")  # read_only_sql_transaction; writes on a standby
# Below this much free space, an I/O error of SQLite writing its file is taken for a full disk
# (SQLite reports a full disk as SQLITE_IOERR when it is the write-ahead log that cannot grow).
_NEARLY_FULL_BYTES = 1 << 20


def storage_problem(error: SQLAlchemyError, sqlite_file: Path | None = None) -> str | None:
    """``"full"`` or ``"read_only"`` when ``error`` says the database cannot be written at all,
    else None. ``sqlite_file``: the SQLite file, to tell what is behind an I/O error (a
    connection opened before the file became read-only gets one, as does a write-ahead log
    that cannot grow on a full disk)."""
    original = error.orig if isinstance(error, DBAPIError) else None
    if original is None:
        return None
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if primary == _SQLITE_FULL:
            return "full"
        if primary == _SQLITE_READONLY:
            return "read_only"
        if primary == _SQLITE_IOERR and sqlite_file is not None:
            return _behind_io_error(sqlite_file)
        return None
    state = getattr(original, "sqlstate", None)
    if state == _PG_DISK_FULL:
        return "full"
    if state in _PG_READ_ONLY:
        return "read_only"
    return None


def _behind_io_error(sqlite_file: Path) -> str | None:
    files = [sqlite_file, sqlite_file.with_name(sqlite_file.name + "-wal")]
    if any(path.exists() and not os.access(path, os.W_OK) for path in files):
        return "read_only"
    with suppress(OSError):
        if os.statvfs(sqlite_file.parent).f_flag & os.ST_RDONLY:
            return "read_only"
        if shutil.disk_usage(sqlite_file.parent).free < _NEARLY_FULL_BYTES:
            return "full"
    return None


class Database:
    """One SQL database: its engine, read and write sessions, migrations and clock."""

    def __init__(self, url: str, clock: Clock = utc_now) -> None:
        try:
            self._url: URL = make_url(url)
        except ArgumentError:
            # Not echoed: an unparsable URL may still hold a password.
            raise StoreError(
                "The database URL is not a valid SQLAlchemy URL.", fix=DATABASE_URL_FIX
            ) from None
        try:
            self._engine = create_store_engine(self._url)
            # SQLite's writers begin with BEGIN IMMEDIATE (engine.py), from a pool of their own;
            # elsewhere, and for an in-memory database (one connection, nothing to lock
            # against), writers and readers share one engine.
            separate = is_sqlite(self._url) and not is_sqlite_memory(self._url)
            self._write_engine = (
                create_store_engine(self._url, writing=True) if separate else self._engine
            )
        except NoSuchModuleError:
            raise StoreError(
                f"Unknown database type {self._url.drivername!r} in the database URL {self.url}.",
                fix=DATABASE_URL_FIX,
            ) from None
        except ImportError as error:
            raise StoreError(
                f"The driver for {self._url.drivername!r} databases is not installed "
                f"(no module {error.name!r}).",
                fix="Install it in Terrain's environment (for postgresql+psycopg: "
                "`uv pip install 'psycopg[binary]'`), or use another TERRAIN_DATABASE_URL.",
            ) from None
        except (ArgumentError, TypeError, ValueError) as error:
            raise StoreError(
                f"Cannot use the database URL {self.url}: {error}.", fix=DATABASE_URL_FIX
            ) from None
        if is_sqlite(self._url):
            self._create_private_sqlite_file()
        self._clock = clock
        self._autocommit_reads = not is_sqlite(self._url)
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(self._write_engine, expire_on_commit=False)
        # One writer at a time within the process: threads queue here and start the moment
        # the previous write commits, instead of in SQLite's busy handler, which polls with
        # growing sleeps (up to 100 ms) and made fifty concurrent conversations wait.
        self._write_lock = threading.RLock()
        # On a SQLite file, writes awaited on the event loop are grouped and run there
        # (grouped_writes.py); a server's round trips and an in-memory database's one shared
        # connection keep them in worker threads.
        self.grouped_writes = (
            GroupedWrites(
                self,
                engine=create_store_engine(self._url, writing=True, waiting=False),
                write_engine=self._write_engine,
                write_lock=self._write_lock,
            )
            if separate
            else None
        )
        # The storage problem logged already ("full", "read_only"): logged once, until a write
        # succeeds again.
        self._unwritable: str | None = None

    def _create_private_sqlite_file(self) -> None:
        """Create a new SQLite file readable by its owner only (SQLite would use the umask).

        SQLite gives its -wal and -shm files the database file's permissions.
        """
        database = self._url.database
        if not database or is_sqlite_memory(self._url) or database.startswith("file:"):
            return
        path = Path(database).expanduser()
        if path.exists() or not path.parent.is_dir():
            return  # a missing folder is reported, clearly, when the database is opened
        with suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self._url.render_as_string(hide_password=True)

    def now(self) -> datetime:
        """The store's clock, in UTC: every timestamp the store writes comes from here."""
        return as_utc(self._clock())

    def close(self) -> None:
        self._engine.dispose()
        self._write_engine.dispose()
        if self.grouped_writes is not None:
            self.grouped_writes.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reads() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction, committed on leaving (rolled back on an exception). Within a
        group of writes (:mod:`.grouped_writes`), a savepoint of the group's transaction."""
        refuse_write_in_read()
        batch = joined_batch(self)
        if batch is not None:
            with (
                Session(
                    bind=batch.connection,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                ) as session,
                session.begin(),
            ):
                yield session
            return
        with self._write_lock:
            with self._writes.begin() as session:
                yield session
            self.written()

    # What a message of an interview reads and writes goes through a bare connection with
    # Core statements: the same engines as :meth:`reading` and :meth:`writing` (BEGIN
    # IMMEDIATE for a SQLite writer, the same lock, the same cleaning of every parameter),
    # without the ORM session's unit of work, which cost most of their CPU; a read is of one
    # statement (on PostgreSQL in autocommit, see :meth:`reading_rows`).

    @contextmanager
    def reading_rows(self) -> Iterator[Connection]:
        """A read of one statement on a bare connection: on SQLite in a transaction rolled back
        on leaving; elsewhere in autocommit.

        A PostgreSQL transaction (at its default isolation, READ COMMITTED) gives each of its
        statements a snapshot of its own, as autocommit does: BEGIN and ROLLBACK were two
        round trips, a quarter of such a read's CPU, for nothing. The connection is back in
        transactions when it returns to the pool.
        """
        with self._engine.connect() as connection:
            if self._autocommit_reads:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @contextmanager
    def writing_rows(self) -> Iterator[Connection]:
        """A write transaction on a bare connection, committed on leaving (rolled back on an
        exception). Within a group of writes, a savepoint of the group's transaction."""
        refuse_write_in_read()
        batch = joined_batch(self)
        if batch is not None:
            with batch.connection.begin_nested():
                yield batch.connection
            return
        with self._write_lock:
            with self._write_engine.begin() as connection:
                yield connection
            self.written()

    def written(self) -> None:
        """A write has committed: a storage problem logged before is over."""
        if self._unwritable is not None:
            self._unwritable = None
            log.warning("The database %s can be written again.", self.url)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite file; None for a server or an in-memory database."""
        database = self._url.database
        if not is_sqlite(self._url) or is_sqlite_memory(self._url) or not database:
            return None
        return Path(database.removeprefix("file:").split("?")[0]).expanduser()

    def report_unwritable(self, failure: StorageUnavailableError) -> None:
        """Log the problem with its fix, once: not again until a write has succeeded."""
        with self._write_lock:
            if self._unwritable == failure.kind:
                return
            self._unwritable = failure.kind
        log.error("%s", failure)

    def failure(self, doing: str, error: SQLAlchemyError) -> StoreError:
        """The store's error for a database failure while ``doing`` something: a storage
        problem (full, read-only) is logged once with its fix."""
        storage = storage_problem(error, self.sqlite_file)
        if storage is not None:
            failure = StorageUnavailableError(storage, doing, self.url, reason(error))
            self.report_unwritable(failure)
            return failure
        return StoreError(
            f"The database failed while {doing} ({self.url}): {reason(error)}.",
            fix="Check that the database is reachable and writable and that it was "
            "set up (Store.open migrates it). " + DATABASE_URL_FIX,
        )

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``); a no-op when there.

        The whole upgrade is one transaction. On SQLite it holds the write lock throughout, so
        processes opening a new database together migrate it once; it runs with foreign keys
        off (so that rebuilding a table cannot cascade-delete turns) and checks them before
        committing.
        """
        memory = is_sqlite_memory(self._url)
        engine = self._engine if memory else create_store_engine(self._url, migrating=True)
        try:
            with _MIGRATION_LOCK, engine.connect() as connection, connection.begin():
                secret_url = self._url.render_as_string(hide_password=False)
                command.upgrade(alembic_config(secret_url, connection=connection), "head")
                if is_sqlite(self._url):
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"Migrating the database {self.url} would break links between "
                            f"tables ({len(broken)}); nothing was changed.",
                            fix="Report this as a bug in Terrain, with the version you run.",
                        )
        except CommandError as error:
            raise StoreError(
                f"Cannot migrate the database {self.url}: {error}.",
                fix="If a newer Terrain used this database, run that version; otherwise "
                + DATABASE_URL_FIX,
            ) from error
        except SQLAlchemyError as error:
            raise StoreError(
                f"Cannot open the database {self.url}: {reason(error)}.",
                fix="For SQLite, check that the folder exists and is writable; for a server, "
                "that it is running and the credentials are right. " + DATABASE_URL_FIX,
            ) from error
        finally:
            if engine is not self._engine:
                engine.dispose()

    def leave_no_copy(self, tables: Collection[str]) -> None:
        """After a commit that erased or cleared personal data in ``tables``, remove the copies
        the database still keeps of it: every erasing path calls this once it has committed.

        SQLite: deleted content is overwritten where it lay (``secure_delete``, set on every
        connection) but the new pages first go to the write-ahead log, while the file keeps the
        old ones; a checkpoint writes them into the file and empties the log (TRUNCATE),
        retried while a reader holds the log.

        PostgreSQL: a deleted or updated row stays in the table's file as a dead row until a
        vacuum; ``VACUUM FULL`` rewrites each table into a new file and drops the old one.
        Then, when the role may (``pg_switch_wal`` and ``CHECKPOINT``: a superuser, or granted
        ``EXECUTE`` on the first and ``pg_checkpoint`` for the second), the write-ahead log is
        switched to a new segment and checkpointed, so that the server removes the segments
        that held the erased rows (and, with ``wal_recycle=off``, does not keep them as
        recycled files). What this cannot reach (backups, replicas, the WAL archive, a row a
        transaction still open may read) is said in docs/privacy.md.

        Best effort: the erasure has committed; a failure here is logged, never raised. Within
        a group of writes, it runs once the group has committed.
        """
        batch = joined_batch(self)
        if batch is not None:
            batch.erased_tables.update(tables)
            return
        if is_sqlite_memory(self._url):
            return
        try:
            if is_sqlite(self._url):
                self._checkpoint_sqlite()
            else:
                self._vacuum(tables)
        except (SQLAlchemyError, OSError) as error:
            log.warning(
                "Erased content may still have a copy in the database's files: %s",
                reason(error) if isinstance(error, SQLAlchemyError) else error,
            )

    def _checkpoint_sqlite(self) -> None:
        raw = self._engine.raw_connection()
        try:
            for attempt in range(CHECKPOINT_ATTEMPTS):
                cursor = raw.cursor()
                try:
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy = cursor.fetchone()
                finally:
                    cursor.close()
                if not busy or not busy[0]:
                    return
                time.sleep(0.01 * (attempt + 1))  # a reader holds the log: let it finish
            log.warning("The write-ahead log could not be emptied: readers kept it.")
        finally:
            raw.close()

    def _vacuum(self, tables: Collection[str]) -> None:
        preparer = self._engine.dialect.identifier_preparer
        with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            for table in sorted(tables):  # VACUUM cannot run inside a transaction
                db.exec_driver_sql(f"VACUUM FULL {preparer.quote(table)}")
            try:
                db.exec_driver_sql("SELECT pg_switch_wal()")
                db.exec_driver_sql("CHECKPOINT")
            except DBAPIError as error:
                log.info(
                    "The write-ahead log keeps erased rows until its next checkpoint: %s",
                    reason(error),
                )


class Repository:
    """One aggregate's methods over the shared :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database


RepositoryT = TypeVar("RepositoryT", bound=Repository)


def guarded(
    doing: str,
) -> Callable[[Callable[Concatenate[RepositoryT, P], R]], Callable[Concatenate[RepositoryT, P], R]]:
    """Turn any database failure inside the method into a :class:`StoreError`."""

    def decorate(
        method: Callable[Concatenate[RepositoryT, P], R],
    ) -> Callable[Concatenate[RepositoryT, P], R]:
        @functools.wraps(method)
        def wrapper(self: RepositoryT, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except SQLAlchemyError as error:
                raise self._db.failure(doing, error) from error

        return wrapper

    return decorate
