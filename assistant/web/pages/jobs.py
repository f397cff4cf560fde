"""The jobs for facilitators, extractions and the report's republications after an erasure:
their state and why one failed, and a retry."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import RedirectResponse, Response

from assistant.schemas import JobKind, JobStatus
from assistant.store import JobNotFoundError
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

JOBS = "/jobs"


@page(JOBS, roles=FACILITATORS, nav="jobs")
def jobs(done: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    store = who.runtime.store
    # Newest first, as the interviews are.
    found = store.jobs.where(kind=JobKind.EXTRACTION)[::-1]
    republishing = store.jobs.where(kind=JobKind.REPUBLISH)[::-1]
    pseudonyms = {interview.id: interview.pseudonym for interview in store.interviews.where()}
    return render(
        "jobs.html",
        who,
        current=PREFIX + JOBS,
        jobs=found,
        republishing=republishing,
        pseudonyms=pseudonyms,
        retryable=JobStatus.FAILED,
        notice=done if done in who.texts.notices else None,
    )


@page(JOBS + "/{job_id}/retry", roles=FACILITATORS, method="POST")
def retry(job_id: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The job queued again (a job already queued or running is left as it is)."""
    try:
        job = who.runtime.store.jobs.requeue(job_id)
    except JobNotFoundError:
        raise NotFound(who) from None
    done = "requeued" if job.kind is JobKind.EXTRACTION else "republish_requeued"
    return RedirectResponse(f"{PREFIX}{JOBS}?done={done}", status_code=303)
