"""The facilitators' list of interviews, with filters and their counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends
from fastapi.responses import Response

from assistant.masking import warm_up_in_background
from assistant.schemas import (
    FindingStatus,
    Interview,
    InterviewStatus,
    JobKind,
    JobStatus,
    UserRole,
)
from assistant.store import Store
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

FACILITATORS = (UserRole.FACILITATOR,)
LIST = "/interviews"
NO_EXTRACTION = "none"
KEPT = (FindingStatus.ACCEPTED, FindingStatus.EDITED)


@dataclass(frozen=True)
class InterviewLine:
    """One interview as the list shows it."""

    interview: Interview
    turns: int
    proposed: int  # findings awaiting review
    kept: int  # accepted or edited
    extraction: str  # its extraction job's status, or NO_EXTRACTION


def interview_lines(store: Store) -> list[InterviewLine]:
    """Every interview, newest first, with its counts and the state of its extraction."""
    interviews = store.interviews.where()
    turns = store.interviews.turn_counts([interview.id for interview in interviews])
    proposed: dict[str, int] = {}
    kept: dict[str, int] = {}
    for finding in store.findings.where():
        if finding.status == FindingStatus.PROPOSED:
            proposed[finding.interview_id] = proposed.get(finding.interview_id, 0) + 1
        elif finding.status in KEPT:
            kept[finding.interview_id] = kept.get(finding.interview_id, 0) + 1
    # Oldest first: an interview's latest job is the one that stays.
    extraction = {
        job.interview_id: job.status.value for job in store.jobs.where(kind=JobKind.EXTRACTION)
    }
    return [
        InterviewLine(
            interview=interview,
            turns=turns[interview.id],
            proposed=proposed.get(interview.id, 0),
            kept=kept.get(interview.id, 0),
            extraction=extraction.get(interview.id, NO_EXTRACTION),
        )
        for interview in interviews
    ]


def _in_status(status: InterviewStatus) -> Callable[[InterviewLine], bool]:
    return lambda line: line.interview.status == status


FILTERS: dict[str, Callable[[InterviewLine], bool]] = {
    "all": lambda line: True,
    **{status.value: _in_status(status) for status in InterviewStatus},
    "flagged": lambda line: line.interview.flagged,
    "to_review": lambda line: line.proposed > 0,
    "extraction_pending": lambda line: (
        line.extraction in (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
    ),
    "extraction_failed": lambda line: line.extraction == JobStatus.FAILED.value,
}


@page(LIST, roles=FACILITATORS, nav="interviews")
def interviews(show: str = "all", who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    if who.runtime.settings.mask_third_parties:
        warm_up_in_background()  # the transcript opened next need not wait for spaCy's load
    """The interviews that ``show`` keeps (an unknown filter shows them all)."""
    chosen = show if show in FILTERS else "all"
    lines = interview_lines(who.runtime.store)
    counts = {name: sum(keep(line) for line in lines) for name, keep in FILTERS.items()}
    labels = {
        **who.texts.filters,
        **{status.value: who.texts.web.statuses[status] for status in InterviewStatus},
    }
    return render(
        "interviews.html",
        who,
        current=PREFIX + LIST,
        filters=[(name, labels[name], counts[name]) for name in FILTERS],
        chosen=chosen,
        lines=[line for line in lines if FILTERS[chosen](line)],
    )
