"""The jobs for facilitators, extractions, the report's builds and its republications after an
erasure: their state and why one failed, and a retry; and the last erasure past the
retention."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends
from fastapi.responses import RedirectResponse, Response

from assistant.findings.worker import SILENT_SECONDS
from assistant.i18n import ngettext
from assistant.schemas import Job, JobKind, JobStatus
from assistant.store import JobBusyError, JobNotFoundError
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render, when

JOBS = "/jobs"


@dataclass(frozen=True)
class JobLine:
    """A job as a row of its table: what it is about, linked when that can be opened."""

    job: Job
    subject: str
    link: str | None = None


@page(JOBS, roles=FACILITATORS, nav="jobs")
def jobs(done: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    store, texts = who.runtime.store, who.texts
    pseudonyms = {interview.id: interview.pseudonym for interview in store.interviews.where()}
    extractions = [
        JobLine(job, pseudonyms[job.interview_id], f"{PREFIX}/interviews/{job.interview_id}")
        if job.interview_id in pseudonyms
        else JobLine(job, texts.erased_interview)
        # Newest first, as the interviews are.
        for job in reversed(store.jobs.where(kind=JobKind.EXTRACTION))
    ]
    republications = [
        JobLine(job, when(texts, job.created_at))
        for job in reversed(store.jobs.where(kind=JobKind.REPUBLISH))
    ]
    builds = [
        JobLine(job, str(job.params.get("requested_by", "")))
        for job in reversed(store.jobs.where(kind=JobKind.REPORT_BUILD))
    ]
    retention = [
        ngettext(
            who.language,
            "Retention: {count} interview erased on {when}.",
            "Retention: {count} interviews erased on {when}.",
            job.result.get("erased", 0),
        ).format(count=job.result.get("erased", 0), when=when(texts, job.created_at))
        for job in store.jobs.where(kind=JobKind.RETENTION)[-1:]
    ]
    workers = store.workers.alive(SILENT_SECONDS)
    return render(
        "jobs.html",
        who,
        workers=len(workers),
        silent_seconds=int(SILENT_SECONDS),
        current=PREFIX + JOBS,
        extractions=extractions,
        republications=republications,
        builds=builds,
        retention=retention[0] if retention else None,
        retryable=JobStatus.FAILED,
        notice=done if done in texts.notices else None,
    )


@page(JOBS + "/{job_id}/retry", roles=FACILITATORS, method="POST")
def retry(job_id: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The job queued again (a job already queued or running is left as it is)."""
    try:
        job = who.runtime.store.jobs.requeue(job_id)
    except JobNotFoundError:
        raise NotFound(who) from None
    except JobBusyError:  # a report build, while another one waits or runs
        return RedirectResponse(f"{PREFIX}{JOBS}?done=report_build_busy", status_code=303)
    done = {
        JobKind.EXTRACTION: "requeued",
        JobKind.REPORT_BUILD: "report_build_requeued",
    }.get(job.kind, "republish_requeued")
    return RedirectResponse(f"{PREFIX}{JOBS}?done={done}", status_code=303)
