"""The extraction worker: runs queued extraction jobs by itself, as soon as interviews close.

It runs as its own process (``terrain worker``) or inside the web server (``terrain serve``),
where it has a thread and an event loop of its own (:class:`BackgroundWorker`), so that
extraction's model calls and token counting never wait on, or hold up, the loop that serves the
interviews. Any number of workers may share a database: each job is claimed by one of them,
under a lease (see :mod:`assistant.findings.jobs`).

When idle, or when the model cannot be reached, a worker looks again every
``TERRAIN_WORKER_POLL_SECONDS``. Stopping it (SIGTERM, Ctrl-C, the server stopping) gives its
current job back to the queue at once, for the next worker to run whole.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.findings.jobs import ExtractionJobs
from assistant.schemas import Job
from assistant.store import Store

log = logging.getLogger(__name__)

# Seconds the server waits, when it stops, for its worker to give its job back.
STOP_TIMEOUT_SECONDS = 10.0


@dataclass
class Worker:
    jobs: ExtractionJobs
    poll_seconds: float

    async def drain(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run the queued jobs until none is left (or the model cannot be reached)."""
        return await self.jobs.run_queued(on_done)

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
            log.warning("The extraction worker could not run jobs: %s", error)


class BackgroundWorker:
    """A :class:`Worker` on its own thread and event loop, for the web server's process."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="terrain-worker", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        self._ready.wait(STOP_TIMEOUT_SECONDS)
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the worker, its job given back to the queue; returns once it has stopped."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STOP_TIMEOUT_SECONDS)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception:  # the web app goes on without its worker; say why
            log.exception("The extraction worker stopped")
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        jobs = ExtractionJobs.from_settings(self._settings, self._store)
        worker = Worker(jobs, poll_seconds=self._settings.worker_poll_seconds)
        await worker.run(self._stop, on_done=_log_ended)


def _log_ended(job: Job) -> None:
    log.info("Extraction job %s (%s): %s", job.id, job.interview_id, job.status.value)
