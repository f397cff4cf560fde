"""The facilitators' report: build the draft (in the background), preview it, edit its
narratives, approve or drop each quote, publish, export, and the published versions.

Building calls the model for the narratives, for minutes, and loads the redactor's spaCy
pipeline: it runs in a thread of its own (:class:`DraftBuilder`), never in the loop that serves
the interviews, and the page says how it stands. A build lost to a server restart leaves the
previous draft as it was; the page then offers to build again.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.errors import TerrainError
from assistant.report.publishing import (
    UnknownQuoteError,
    UnreviewedQuotesError,
    WithdrawnVersionError,
    build_draft,
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
from assistant.schemas import AccessKind, QuoteDecision, ReportStatus, ReportVersion
from assistant.store import NoDraftError
from assistant.web.pages.access import Viewer, bounded_number, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.report_texts import report_page_texts
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render
from assistant.web.runtime import Runtime

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


@dataclass(frozen=True)
class BuildState:
    running: bool = False
    started_by: str | None = None
    started_at: datetime | None = None
    error: str | None = None


class DraftBuilder:
    """One draft build at a time, in a thread, and how the last one stands."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = BuildState()
        self._thread: threading.Thread | None = None

    def start(
        self, runtime: Runtime, *, actor: str, include_proposed: bool, with_model: bool
    ) -> bool:
        """Start a build; False (and nothing started) while another one runs."""
        with self._lock:
            if self.state.running:
                return False
            self.state = BuildState(running=True, started_by=actor, started_at=datetime.now(UTC))
            self._thread = threading.Thread(
                target=self._build,
                args=(runtime, actor, include_proposed, with_model),
                name="terrain-report-build",
                daemon=True,
            )
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> BuildState:
        """The state once the running build (if any) has ended, or ``timeout`` has passed."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state

    def _build(
        self, runtime: Runtime, actor: str, include_proposed: bool, with_model: bool
    ) -> None:
        error: str | None = None
        try:
            model = None
            if with_model:
                from assistant.llm import chat_model_for

                model = chat_model_for(runtime.settings)
            asyncio.run(
                build_draft(
                    runtime.store,
                    runtime.settings,
                    model,
                    actor=actor,
                    include_proposed=include_proposed,
                )
            )
        except TerrainError as problem:
            error = str(problem)
        except Exception as problem:  # the page must say it ended, whatever happened
            error = f"unexpected error: {problem!r}"
        with self._lock:
            self.state = replace(self.state, running=False, error=error)


BUILDER = DraftBuilder()


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


def _narrative_state(version: ReportVersion, who: Viewer) -> str:
    r = report_page_texts(who.language)
    narratives = report_of(version).narratives
    if narratives.state == NarrativeState.WRITTEN:
        written = r.narratives_written.format(calls=narratives.model_calls)
        if narratives.dropped:
            written += r.narratives_dropped.format(
                dropped=narratives.dropped, sections=len(narratives.dropped_sections)
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
    draft, versions, read = await asyncio.gather(
        asyncio.to_thread(store.reports.draft),
        asyncio.to_thread(store.reports.versions),
        asyncio.to_thread(store.reports.latest_published),
    )
    context: dict[str, Any] = {"draft": draft}
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
        build=BUILDER.state,
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
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    started = BUILDER.start(
        who.runtime,
        actor=who.account.name,
        include_proposed=include_proposed is not None,
        with_model=narratives != "none",
    )
    return _back(done="building") if started else _back(problem="busy")


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
