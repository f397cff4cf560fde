"""The worker: runs queued extraction jobs by itself, as soon as interviews end, and the other
queued jobs it is given (republishing the report after an erasure, building the report's draft
when a facilitator asks, :mod:`assistant.report.build_jobs`, and erasing the interviews past
their retention, :class:`Retention`).

It runs as its own process: ``terrain worker``, which ``terrain serve`` also starts beside the
web app (a process, so that extraction never holds up the loop that serves the interviews; see
:func:`assistant.web.launch.extraction_worker`). Any number of workers may share a database:
each job is claimed by one of them, under a lease (see :mod:`assistant.findings.jobs`).

When idle, or when the model cannot be reached, a worker looks again every
``TERRAIN_WORKER_POLL_SECONDS``. Stopping it (SIGTERM, Ctrl-C, the server stopping) gives its
current job back to the queue at once, for the next worker to run whole.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.findings.jobs import ExtractionJobs
from assistant.schemas import Job, JobKind
from assistant.store import StorageUnavailableError, Store

log = logging.getLogger(__name__)

# How often a running worker says it is alive (its row in the store's ``workers``), idle or busy.
HEARTBEAT_SECONDS = 5.0
# A worker not heard from for this long is taken for dead (the jobs page says so): several
# missed heartbeats, since a worker at a low CPU priority on a busy machine may be late.
SILENT_SECONDS = 30.0


class Heartbeats(Protocol):
    def beat(self, worker_id: str) -> object: ...

    def forget(self, worker_id: str) -> None: ...


class JobRunner(Protocol):
    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]: ...


@dataclass
class Retention:
    """The retention step: each time the worker looks for jobs, it erases the interviews that
    ended more than ``TERRAIN_RETENTION_DAYS`` ago, through the one erasure path
    (:func:`assistant.privacy.erase_past_retention`), and says so in its log; the erasure's
    commit records it as a done RETENTION job, which the jobs page shows. Nothing when the
    setting is unset."""

    store: Store
    settings: Settings

    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        from assistant.privacy import erase_past_retention

        if self.settings.retention_days is None:
            return []
        erased = await asyncio.to_thread(erase_past_retention, self.store, self.settings)
        if not erased:
            return []
        log.info(
            "Retention: interviews ended more than %d days ago erased: %d.",
            self.settings.retention_days,
            len(erased),
        )
        recorded = await asyncio.to_thread(self.store.jobs.where, kind=JobKind.RETENTION)
        ended = recorded[-1:]
        if on_done:
            for job in ended:
                on_done(job)
        return ended


@dataclass
class Worker:
    jobs: ExtractionJobs
    poll_seconds: float
    other_jobs: Sequence[JobRunner] = field(default_factory=tuple)
    # Where the worker says it is alive while it runs (store.workers); None: nowhere.
    heartbeats: Heartbeats | None = None
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def drain(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run the queued jobs until none is left (extractions stop early when the model
        cannot be reached; the other jobs need none). The other jobs run first: they are
        quick, and what they do (republishing without an erased interview) should not wait."""
        ended: list[Job] = []
        for runner in self.other_jobs:
            ended += await runner.run_queued(on_done)
        return ended + await self.jobs.run_queued(on_done)

    async def run(self, stop: asyncio.Event, on_done: Callable[[Job], None] | None = None) -> None:
        """Run jobs as they are queued until ``stop`` is set; the job running then is given
        back to the queue. Meanwhile the worker's heartbeat is renewed (:attr:`heartbeats`)."""
        beating = asyncio.create_task(self._beat(stop))
        try:
            await self._run(stop, on_done)
        finally:
            beating.cancel()
            with suppress(asyncio.CancelledError):
                await beating
            if self.heartbeats is not None:
                with suppress(TerrainError):
                    await asyncio.to_thread(self.heartbeats.forget, self.worker_id)

    async def _beat(self, stop: asyncio.Event) -> None:
        if self.heartbeats is None:
            return
        failing = False
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.heartbeats.beat, self.worker_id)
                failing = False
            except StorageUnavailableError:
                failing = True  # the store logged it, once, with its fix
            except TerrainError as error:  # the database is unreachable for now
                if not failing:  # once, not every few seconds until it is back
                    log.warning("The worker could not record its heartbeat: %s", error)
                failing = True
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)

    async def _run(self, stop: asyncio.Event, on_done: Callable[[Job], None] | None) -> None:
        while not stop.is_set():
            draining = asyncio.create_task(self._drain_logged(on_done))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({draining, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                draining.cancel()
                with suppress(asyncio.CancelledError):
                    await draining
                return
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)

    async def _drain_logged(self, on_done: Callable[[Job], None] | None) -> None:
        try:
            await self.drain(on_done)
        except StorageUnavailableError:
            pass  # the database cannot be written: the store logged it once, with its fix
        except TerrainError as error:  # the database is unreachable for now: try again later
            log.warning("The worker could not run jobs: %s", error)
