"""The worker: runs queued extraction jobs by itself, as soon as interviews end, and the other
queued jobs it is given (republishing the report after an erasure).

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
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from assistant.errors import TerrainError
from assistant.findings.jobs import ExtractionJobs
from assistant.schemas import Job

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]: ...


@dataclass
class Worker:
    jobs: ExtractionJobs
    poll_seconds: float
    other_jobs: Sequence[JobRunner] = field(default_factory=tuple)

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
        back to the queue."""
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
        except TerrainError as error:  # the database is unreachable for now: try again later
            log.warning("The worker could not run jobs: %s", error)
