"""Extraction as persisted jobs: queued when an interview closes, run by `terrain extract` (or a
worker), each ending done or failed with its reason, and safe to run again.

Re-running a job replaces only the findings that the model proposed and nobody has reviewed
yet, so a facilitator's work is never lost to a retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.findings.codebook import load_codebook
from assistant.findings.extraction import Extractor
from assistant.llm import ChatModel, chat_model_for
from assistant.retrieval.search import Retriever
from assistant.schemas import InterviewStatus, Job, JobKind, JobStatus
from assistant.store import Store
from assistant.tokens import TokenCounter

EXTRACTION = JobKind.EXTRACTION
# A job still "running" after this long belongs to a worker that died.
STALE_AFTER_SECONDS = 3600.0


@dataclass
class ExtractionJobs:
    store: Store
    extractor: Extractor

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store,
        *,
        model: ChatModel | None = None,
        retriever: Retriever | None = None,
    ) -> ExtractionJobs:
        extractor = Extractor(
            model=model or chat_model_for(settings),
            codebook=load_codebook(settings.codebook),
            counter=TokenCounter(settings.tokenizer),
            retriever=retriever,
            window_tokens=settings.extraction_window_tokens,
            overlap_tokens=settings.extraction_overlap_tokens,
        )
        return cls(store, extractor)

    def queue(self, interview_id: str) -> Job:
        return self.store.jobs.enqueue(EXTRACTION, interview_id)

    def queue_pending(self) -> list[Job]:
        """A job for every closed interview that has none yet (failed ones are queued again)."""
        return [
            self.queue(interview.id)
            for interview in self.store.interviews.where(status=InterviewStatus.CLOSED)
        ]

    def queued(self) -> list[Job]:
        return self.store.jobs.where(kind=EXTRACTION, status=JobStatus.QUEUED)

    async def run_queued(self, on_done: Callable[[Job], None] | None = None) -> list[Job]:
        """Run every queued job, one at a time; returns them as they ended."""
        await asyncio.to_thread(self.store.jobs.requeue_stale, EXTRACTION, STALE_AFTER_SECONDS)
        finished: list[Job] = []
        while job := await asyncio.to_thread(self.store.jobs.claim_next, EXTRACTION):
            ended = await self._run(job)
            finished.append(ended)
            if on_done:
                on_done(ended)
        return finished

    async def _run(self, job: Job) -> Job:
        store = self.store
        try:
            interview = await asyncio.to_thread(store.interviews.get, job.interview_id)
            if interview is None:
                return await asyncio.to_thread(
                    store.jobs.fail, job.id, error="the interview no longer exists"
                )
            turns = await asyncio.to_thread(store.interviews.turns, interview.id)
            report = await self.extractor.extract(interview, turns)
            await asyncio.to_thread(
                store.findings.replace_model_findings, interview.id, report.findings
            )
            return await asyncio.to_thread(store.jobs.finish, job.id, result=report.summary())
        except TerrainError as error:
            return await asyncio.to_thread(store.jobs.fail, job.id, error=str(error))
        except Exception as error:  # a job must end failed, never stay running
            reason = f"unexpected error: {error!r}"
            return await asyncio.to_thread(store.jobs.fail, job.id, error=reason)
