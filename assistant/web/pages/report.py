"""The facilitators' report: build the draft (in the background), preview it, edit its
narratives, approve or drop each quote, publish, export, and the published versions.

Building calls the model for the narratives, for minutes, and loads the redactor's spaCy
pipeline: the page only queues a report-build job (:mod:`assistant.report.build_jobs`), which
the worker runs, and shows how it stands from the database, reloading itself meanwhile; so any
web process shows the same build, and none holds one. A build whose worker stops goes back to
the queue; one that fails says why, and is retried on the jobs page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.errors import TerrainError
from assistant.findings.worker import SILENT_SECONDS
from assistant.i18n import gettext, ngettext
from assistant.report.build_jobs import build_progress, build_request, queue_build
from assistant.report.publishing import (
    UnknownQuoteError,
    UnreviewedQuotesError,
    WithdrawnVersionError,
    decide_quote,
    draft_qdpx,
    edit_draft_narrative,
    leadership_file,
    publish,
    quotes_of,
    report_of,
    with_approved_quotes,
)
from assistant.report.records import Narrative, NarrativeState
from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    AccessKind,
    Job,
    JobKind,
    JobStatus,
    QuoteDecision,
    ReportBuildProgress,
    ReportBuildRequest,
    ReportStatus,
    ReportVersion,
)
from assistant.store import JobBusyError, NoDraftError, Store
from assistant.web.pages.access import Viewer, bounded_number, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.report_texts import report_page_texts
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

REPORT = "/report"
LEADERSHIP_FORMATS = ("html", "pdf", "md", "json")
DRAFT_FORMATS = (*LEADERSHIP_FORMATS, "qdpx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "qdpx": "application/zip",
}


# How often the page reloads itself while a build waits or runs.
REFRESH_SECONDS = 5


@dataclass(frozen=True)
class BuildView:
    """The latest report build as the page shows it, read from the database (any web
    process shows the same): who asked and when, how it stands, why it failed."""

    job: Job
    request: ReportBuildRequest
    progress: ReportBuildProgress | None

    @property
    def active(self) -> bool:
        return self.job.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def running(self) -> bool:
        return self.job.status == JobStatus.RUNNING

    @property
    def failed(self) -> bool:
        return self.job.status == JobStatus.FAILED


def _latest_build(store: Store) -> BuildView | None:
    job = store.jobs.latest(JobKind.REPORT_BUILD)
    if job is None:
        return None
    return BuildView(job, build_request(job), build_progress(job))


def _back(done: str | None = None, problem: str | None = None, anchor: str = "") -> Response:
    query = f"?done={done}" if done else f"?problem={problem}" if problem else ""
    return RedirectResponse(f"{PREFIX}{REPORT}{query}{anchor}", status_code=303)


def _attachment(data: bytes, file_format: str, name: str) -> Response:
    return Response(
        data,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )


def _narratives(version: ReportVersion) -> list[Narrative]:
    report = report_of(version)
    return [t.synthesis for t in report.themes if t.synthesis] + list(report.recommendations)


def _dropped(language: str, texts: int, sections: int) -> str:
    left_out = ngettext(language, "{count} draft left out", "{count} drafts left out", texts)
    without = ngettext(
        language,
        "{count} section without a narrative",
        "{count} sections without a narrative",
        sections,
    )
    return gettext(language, "{texts}, and {sections}: the draft says why in each.").format(
        texts=left_out.format(count=texts), sections=without.format(count=sections)
    )


def _narrative_state(version: ReportVersion, who: Viewer) -> str:
    r = report_page_texts(who.language)
    narratives = report_of(version).narratives
    if narratives.state == NarrativeState.WRITTEN:
        written = r.narratives_written.format(calls=narratives.model_calls)
        if narratives.dropped:
            written += " " + _dropped(
                who.language, narratives.dropped, len(narratives.dropped_sections)
            )
        return written
    if narratives.state == NarrativeState.UNAVAILABLE:
        return r.narratives_unavailable.format(detail=narratives.detail)
    return r.narratives_none


@page(REPORT, roles=FACILITATORS, nav="report")
async def report_page(
    done: str | None = None,
    problem: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    r = report_page_texts(who.language)
    store = who.runtime.store
    draft, versions, read, build, campaigns = await asyncio.gather(
        asyncio.to_thread(store.reports.draft),
        asyncio.to_thread(store.reports.versions),
        asyncio.to_thread(store.reports.latest_published),
        asyncio.to_thread(_latest_build, store),
        asyncio.to_thread(store.campaigns.all),
    )
    # A build that waits while no worker is alive would wait for ever: the page says so.
    workers = (
        len(await asyncio.to_thread(store.workers.alive, SILENT_SECONDS))
        if build is not None and build.active
        else None
    )
    names = {campaign.id: campaign.name for campaign in campaigns}
    context: dict[str, Any] = {
        "draft": draft,
        # The campaign a build draws on; which one the draft and each version drew on.
        "campaign_choices": list(names.items()),
        "campaign_label": gettext(who.language, "Campaign"),
        "campaign_of": lambda version: gettext(who.language, "Campaign: {name}").format(
            name=names.get(version.campaign_id or "", version.campaign_id or "")
        ),
    }
    if draft is not None:
        report = report_of(draft)
        quotes = quotes_of(draft)
        context.update(
            report=report,
            quotes=quotes,
            theme_labels={theme.code: theme.label for theme in report.themes},
            pending=sum(q.decision is None for q in quotes),
            narratives=_narratives(draft),
            narrative_state=_narrative_state(draft, who),
            people=report.coverage.people
            if report.coverage.people is not None
            else r.fewer_than.format(n=report.min_people),
        )
    return render(
        "report.html",
        who,
        current=PREFIX + REPORT,
        r=r,
        build=build,
        workers=workers,
        silent_seconds=int(SILENT_SECONDS),
        refresh_seconds=REFRESH_SECONDS,
        versions=versions,
        read=read,
        published=ReportStatus.PUBLISHED,
        draft_formats=DRAFT_FORMATS,
        version_formats=("html", "pdf"),
        approved=QuoteDecision.APPROVED.value,
        dropped=QuoteDecision.DROPPED.value,
        notice=done if done in r.notices else None,
        problem=problem if problem in r.problems else None,
        **context,
    )


@page(REPORT + "/build", roles=FACILITATORS, method="POST")
async def build(
    include_proposed: str | None = Form(None),
    narratives: str = Form("model"),
    campaign: str = Form(DEFAULT_CAMPAIGN_ID),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    if await asyncio.to_thread(who.runtime.store.campaigns.get, campaign) is None:
        raise NotFound(who)
    request = ReportBuildRequest(
        requested_by=who.account.name,
        include_proposed=include_proposed is not None,
        with_model=narratives != "none",
        campaign_id=campaign,
    )
    try:
        await asyncio.to_thread(queue_build, who.runtime.store, request)
    except JobBusyError:
        return _back(problem="busy")
    return _back(done="building")


@page(REPORT + "/quotes/{quote_id}", roles=FACILITATORS, method="POST")
async def decide(
    quote_id: str,
    decision: str = Form(...),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    try:
        chosen = QuoteDecision(decision)
    except ValueError:
        return _back(problem="unknown_quote")
    try:
        await asyncio.to_thread(decide_quote, who.runtime.store, quote_id, chosen)
    except NoDraftError:
        return _back(problem="no_draft")
    except UnknownQuoteError:
        return _back(problem="unknown_quote")
    return _back(done=chosen.value, anchor=f"#quote-{quote_id}")


@page(REPORT + "/narratives/{narrative_id}", roles=FACILITATORS, method="POST")
async def edit_narrative(
    narrative_id: str,
    text: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    if not text.strip():
        return _back(problem="empty")
    runtime = who.runtime
    try:
        await asyncio.to_thread(
            lambda: edit_draft_narrative(
                runtime.store,
                narrative_id,
                text.strip(),
                settings=runtime.settings,
                editor=who.account.name,
            )
        )
    except NoDraftError:
        return _back(problem="no_draft")
    except TerrainError:
        return _back(problem="unknown_narrative")
    return _back(done="narrative", anchor=f"#narrative-{narrative_id}")


@page(REPORT + "/publish", roles=FACILITATORS, method="POST")
async def publish_draft(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    try:
        await asyncio.to_thread(lambda: publish(who.runtime.store, actor=who.account.name))
    except NoDraftError:
        return _back(problem="no_draft")
    except UnreviewedQuotesError:
        return _back(problem="pending")
    return _back(done="published")


@page(REPORT + "/preview", roles=FACILITATORS)
async def preview(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The draft as leadership would read it if it were published with every quote still
    awaiting a decision approved: the dropped ones are gone already."""
    draft = await asyncio.to_thread(who.runtime.store.reports.draft)
    if draft is None:
        return _back(problem="no_draft")
    kept = {q.id: q.decision or QuoteDecision.APPROVED for q in quotes_of(draft)}
    shown = with_approved_quotes(report_of(draft), kept)
    return HTMLResponse(leadership_file(shown, "html").decode())


@page(REPORT + "/draft/{file_format}", roles=FACILITATORS)
async def export_draft(file_format: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    runtime = who.runtime
    if file_format not in DRAFT_FORMATS:
        raise NotFound(who)
    draft = await asyncio.to_thread(runtime.store.reports.draft)
    if draft is None:
        return _back(problem="no_draft")
    try:
        if file_format == "qdpx":
            data = (await asyncio.to_thread(draft_qdpx, runtime.store, runtime.settings)).data
        else:
            data = await asyncio.to_thread(leadership_file, report_of(draft), file_format)
    except TerrainError:
        return _back(problem="pdf")
    await _recorded(who, file_format, None)
    return _attachment(data, file_format, "terrain-report-draft")


@page(REPORT + "/versions/{number}/{file_format}", roles=FACILITATORS)
async def export_version(
    number: str,
    file_format: str,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """A published version's file; a withdrawn version is never read again."""
    version_number = bounded_number(number)
    if file_format not in LEADERSHIP_FORMATS or version_number is None:
        raise NotFound(who)
    version = await asyncio.to_thread(who.runtime.store.reports.version, version_number)
    if version is None:
        return _back(problem="no_version")
    try:
        data = await asyncio.to_thread(leadership_file, report_of(version), file_format)
    except WithdrawnVersionError:
        return _back(problem="withdrawn")
    except TerrainError:
        return _back(problem="pdf")
    await _recorded(who, file_format, version_number)
    return _attachment(data, file_format, f"terrain-report-{version_number}")


async def _recorded(who: Viewer, file_format: str, number: int | None) -> None:
    """A facilitator's report file (``number`` None: the draft's) in the access log."""
    await asyncio.to_thread(
        who.runtime.store.access.record,
        who.account.name,
        AccessKind.REPORT_EXPORT,
        file_format=file_format,
        report_version=number,
    )
