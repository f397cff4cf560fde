"""Writes from the event loop, committed together, their statements run on the loop itself.

A write handed to a worker thread (``asyncio.to_thread``) pays for more than its statements:
the hop to the thread and back, and the GIL, which sqlite3 releases around every call into
SQLite and must then take back from the busy event loop, a switch each time. In a burst of
fifty conversations the web process spent a quarter of its CPU so (docs/architecture.md).

So, on a SQLite file, a write awaited on the event loop (:meth:`GroupedWrites.run`) joins
the writes waiting at that moment, and they share one transaction:

* their statements run on the loop thread, each write in a SAVEPOINT of its own, so that
  one that fails is rolled back alone and reports its own error;
* the COMMIT, SQLite's fsync, runs in a worker thread, so that the disk never holds up the
  loop, and once for the whole group;
* each write returns, or raises, only once that commit is done: a turn is saved when
  ``add_turn`` returns, as before.

The loop never waits for a lock: if another thread of this process or another process
(a worker, the CLI) holds the write lock, the group runs in a worker thread instead, the
way every write ran before, waiting its turn there.

A write run so does its writing through :meth:`.Database.writing_rows` or
:meth:`.Database.writing`, which join the group's transaction (:func:`joined_batch`), and
the removal of erased copies it asks for (:meth:`.Database.leave_no_copy`) runs after the
commit.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

if TYPE_CHECKING:
    from assistant.store.database import Database

R = TypeVar("R")

_SQLITE_BUSY = 5  # SQLite's primary result code for "database is locked"


@dataclass
class Batch:
    """The transaction a group of writes shares, and what they asked to do after it."""

    database: Database
    connection: Connection
    erased_tables: set[str] = field(default_factory=set)


_CURRENT: ContextVar[Batch | None] = ContextVar("terrain_store_batch", default=None)


def joined_batch(database: Database) -> Batch | None:
    """The group of writes of ``database`` being run here, if any."""
    batch = _CURRENT.get()
    return batch if batch is not None and batch.database is database else None


Outcome = tuple[bool, Any]  # (True, what the write returned) or (False, what it raised)
Waiting = tuple[Callable[[], Any], "asyncio.Future[Any]"]


@dataclass
class _Queue:
    """The writes waiting on one event loop, and the task committing them."""

    waiting: list[Waiting] = field(default_factory=list)
    committer: asyncio.Task[None] | None = None


class GroupedWrites:
    """The event loop's writer of one SQLite database (see the module's docstring).

    ``engine``: the loop's connections, which never wait for SQLite's lock (``waiting=False``
    in :func:`.create_store_engine`). ``write_engine`` and ``write_lock``: those of the
    database's other writers, used when the group runs in a worker thread.
    """

    def __init__(
        self,
        database: Database,
        *,
        engine: Engine,
        write_engine: Engine,
        write_lock: threading.RLock,
    ) -> None:
        self._database = database
        self._engine = engine
        self._write_engine = write_engine
        self._lock = write_lock
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )

    def close(self) -> None:
        self._engine.dispose()

    async def run(self, write: Callable[[], R]) -> R:
        """``write()`` committed with the writes waiting beside it; what it returns or raises.

        A caller cancelled before its write ran leaves it unrun.
        """
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[Any] = loop.create_future()
        queue.waiting.append((write, future))
        if queue.committer is None:
            queue.committer = loop.create_task(self._commit_waiting(queue))
        return cast(R, await future)

    async def _commit_waiting(self, queue: _Queue) -> None:
        group: list[Waiting] = []
        try:
            while queue.waiting:
                group, queue.waiting = queue.waiting, []
                group = [(write, future) for write, future in group if not future.done()]
                if not group:
                    continue
                outcomes = await self._commit(group)
                for (_, future), (succeeded, value) in zip(group, outcomes, strict=True):
                    if future.done():
                        continue
                    if succeeded:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                group = []
        except BaseException as error:
            # Nobody may wait forever: what this group and the queue hold fails with it.
            for _, future in [*group, *queue.waiting]:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else _stopped())
            queue.waiting = []
            raise
        finally:
            queue.committer = None

    async def _commit(self, group: list[Waiting]) -> list[Outcome]:
        if self._lock.acquire(blocking=False):
            try:
                outcomes = await self._commit_on_loop(group)
            finally:
                self._lock.release()
            if outcomes is not None:
                return outcomes
        return await asyncio.to_thread(self._commit_in_thread, group)

    async def _commit_on_loop(self, group: list[Waiting]) -> list[Outcome] | None:
        """The group's statements here, its commit in a worker thread; None, with nothing
        done, when another connection holds SQLite's write lock."""
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as error:  # the file cannot be opened: told as a store error
            return _all_failed(self._database, group, error)
        with connection:
            try:
                transaction = connection.begin()  # BEGIN IMMEDIATE, failing at once if locked
            except SQLAlchemyError as error:
                if isinstance(error, DBAPIError) and _is_busy(error):
                    return None
                return _all_failed(self._database, group, error)
            batch = Batch(self._database, connection)
            try:
                outcomes = _run_all(batch, group)
            except BaseException:
                transaction.rollback()
                raise
            try:
                await asyncio.to_thread(self._finish, transaction, batch)
            except SQLAlchemyError as error:
                return _all_failed(self._database, group, error)
        self._database.written()
        return outcomes

    def _finish(self, transaction: RootTransaction, batch: Batch) -> None:
        try:
            transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
        if batch.erased_tables:
            self._database.leave_no_copy(batch.erased_tables)

    def _commit_in_thread(self, group: list[Waiting]) -> list[Outcome]:
        """The group as any other thread's write: waiting its turn for the lock."""
        with self._lock:
            try:
                with self._write_engine.begin() as connection:
                    batch = Batch(self._database, connection)
                    outcomes = _run_all(batch, group)
            except SQLAlchemyError as error:
                return _all_failed(self._database, group, error)
            self._database.written()
        if batch.erased_tables:
            self._database.leave_no_copy(batch.erased_tables)
        return outcomes


def _run_all(batch: Batch, group: list[Waiting]) -> list[Outcome]:
    token = _CURRENT.set(batch)
    try:
        return [_attempt(write) for write, _ in group]
    finally:
        _CURRENT.reset(token)


def _attempt(write: Callable[[], Any]) -> Outcome:
    try:
        return True, write()
    except Exception as error:  # its own failure: its savepoint was rolled back
        return False, error


def _all_failed(database: Database, group: list[Waiting], error: SQLAlchemyError) -> list[Outcome]:
    failure = database.failure("saving", error)
    failure.__cause__ = error
    return [(False, failure) for _ in group]


def _is_busy(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_BUSY


def _stopped() -> Exception:
    return RuntimeError("The store's writer stopped before this write was committed.")


_READING_HERE: ContextVar[bool] = ContextVar("terrain_store_reading_here", default=False)


def read_here(read: Callable[[], R]) -> R:
    """``read()`` on the calling thread, where no write may happen: a write there would hold
    up the event loop for its lock and its fsync (:func:`refuse_write_in_read`)."""
    token = _READING_HERE.set(True)
    try:
        return read()
    finally:
        _READING_HERE.reset(token)


def refuse_write_in_read() -> None:
    """Raise if a read run on the event loop (:func:`read_here`) tries to write."""
    if _READING_HERE.get():
        raise RuntimeError(
            "A store read run on the event loop tried to write: use Store.run_write for it."
        )
