"""The store: interviews and turns, findings and their audit trail, jobs, and accounts, in one
SQL database (SQLite or PostgreSQL).

One :class:`Store` owns the engine, the sessions, the clock and the migrations, and reaches
each aggregate through its repository: ``store.interviews``, ``store.findings``,
``store.jobs`` and ``store.accounts``. Every repository method is synchronous and thread-safe,
is one short transaction, and returns pydantic records from :mod:`assistant.schemas`, never
ORM objects. Every write has committed when the
method returns: a turn saved with ``store.interviews.add_turn`` survives a crash of the
process right after. Code on the event loop awaits them through :meth:`Store.run_read` and
:meth:`Store.run_write`, which choose where they run.

Pseudonymity: an interview carries a pseudonym and an owner key (a keyed hash of the user
name, :func:`assistant.privacy.owner_key`), never the person's name. A person's interviews are
found, for their own requests or an administrator's erasure, through the owner key of their
user name (:mod:`assistant.privacy`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import ParamSpec, TypeVar

from assistant.config import Settings
from assistant.store.access_log import AccessLogRepository
from assistant.store.accounts import AccountRepository
from assistant.store.campaigns import CampaignRepository
from assistant.store.database import Clock, Database
from assistant.store.errors import StoreError
from assistant.store.findings import FindingRepository
from assistant.store.grouped_writes import read_here
from assistant.store.interviews import InterviewRepository
from assistant.store.jobs import JobRepository
from assistant.store.knowledge import KnowledgeRepository
from assistant.store.models import utc_now
from assistant.store.reports import ReportRepository
from assistant.store.workers import WorkerRepository

DATABASE_FILE = "terrain.db"

P = ParamSpec("P")
R = TypeVar("R")


class Store:
    """The database and its repositories. ``clock`` gives every timestamp the store writes."""

    def __init__(self, url: str, *, clock: Clock = utc_now) -> None:
        self._database = Database(url, clock)
        self.interviews = InterviewRepository(self._database)
        self.findings = FindingRepository(self._database)
        self.jobs = JobRepository(self._database)
        self.accounts = AccountRepository(self._database)
        self.reports = ReportRepository(self._database)
        self.access = AccessLogRepository(self._database)
        self.workers = WorkerRepository(self._database)
        self.campaigns = CampaignRepository(self._database)
        self.knowledge = KnowledgeRepository(self._database)

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utc_now) -> Store:
        """The store that ``settings`` name, migrated to the current schema.

        ``settings.database_url`` if set, otherwise ``terrain.db`` in ``settings.data_dir``
        (the folder is created, readable by its owner only).
        """
        url = settings.database_url or cls._default_url(settings.data_dir)
        store = cls(url, clock=clock)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def _default_url(data_dir: Path) -> str:
        folder = data_dir.expanduser().resolve()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the data folder {folder}: {error.strerror or error}.",
                fix="Set TERRAIN_DATA_DIR to a folder you can write to, or set "
                "TERRAIN_DATABASE_URL.",
            ) from None
        return f"sqlite:///{folder / DATABASE_FILE}"

    async def run_write(self, write: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``write(*args, **kwargs)``, a repository method that writes, awaited on the event
        loop. On a SQLite file it is grouped with the writes waiting beside it and run on the
        loop, their commit in a worker thread (:mod:`.grouped_writes`); elsewhere it runs in a
        worker thread. Either way it has committed when this returns."""
        grouped = self._database.grouped_writes
        if grouped is None:
            return await asyncio.to_thread(write, *args, **kwargs)
        return await grouped.run(functools.partial(write, *args, **kwargs))

    async def run_read(self, read: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``read(*args, **kwargs)``, a read of a few rows, awaited on the event loop. On a
        SQLite file it runs right here: a fraction of a millisecond, which no writer holds up
        (WAL), against a trip to a worker thread that costs more. Elsewhere, where a read is a
        round trip to a server, it runs in a worker thread. ``read`` may not write."""
        if self._database.grouped_writes is None:
            return await asyncio.to_thread(read, *args, **kwargs)
        return read_here(functools.partial(read, *args, **kwargs))

    def now(self) -> datetime:
        """The store's clock, in UTC (the time its records are stamped with)."""
        return self._database.now()

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self._database.url

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __str__(self) -> str:
        return self.url

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection. The store reconnects if it is used again."""
        self._database.close()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``); a no-op when there.

        The whole upgrade is one transaction. On SQLite it holds the write lock throughout, so
        processes opening a new database together migrate it once; it runs with foreign keys
        off (so that rebuilding a table cannot cascade-delete turns) and checks them before
        committing.
        """
        self._database.migrate()
