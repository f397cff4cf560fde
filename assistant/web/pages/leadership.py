"""Leadership's page: the latest published report (of a campaign, chosen among those with a
published version), its HTML and PDF to download, and what changed between two published
versions; nothing else (no draft, no transcript, no interview, no participation figure: the
report's groups are the only ones leadership reads, under the report's anonymity rules)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.errors import TerrainError
from assistant.i18n import gettext
from assistant.report.comparison import compare_versions
from assistant.report.publishing import (
    NoPublishedReportError,
    latest_published_report,
    leadership_file,
)
from assistant.report.render_comparison import render_comparison
from assistant.report.render_html import render_fragment
from assistant.schemas import AccessKind, ReportStatus, UserRole
from assistant.store import Store
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.report_texts import report_page_texts
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

LEADERSHIP = "/leadership"
COMPARE = LEADERSHIP + "/compare"
READERS = (UserRole.LEADERSHIP,)


def _published_campaigns(store: Store) -> list[tuple[str, str]]:
    """(id, name) of each campaign with a published version, newest campaign first."""
    return [
        (campaign.id, campaign.name)
        for campaign in store.campaigns.all()
        if store.reports.latest_published(campaign.id) is not None
    ]


@page(LEADERSHIP, roles=READERS, nav="leadership")
async def leadership(
    campaign: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """The report set in the page itself (no frame: one scroll, the page's), with the links
    to download it; with ``campaign``, that campaign's latest version (else the newest)."""
    store = who.runtime.store
    try:
        version, report = await asyncio.to_thread(latest_published_report, store, campaign)
        content: str | None = render_fragment(report)
    except NoPublishedReportError:
        version, content = None, None
    published = await asyncio.to_thread(_published_campaigns, store)
    chosen = campaign or (version.campaign_id if version is not None else None)
    return render(
        "leadership.html",
        who,
        current=PREFIX + LEADERSHIP,
        r=report_page_texts(who.language),
        version=version,
        report_content=content,
        campaign_links=published if len(published) > 1 else [],
        campaign_chosen=chosen,
        campaign_query=f"campaign={quote(campaign)}&" if campaign else "",
        campaigns_heading=gettext(who.language, "Campaigns"),
        compare_link=gettext(who.language, "Compare two published versions"),
    )


@page(COMPARE, roles=READERS)
async def compare(
    before: int | None = None,
    after: int | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """Two published versions side by side: by default the one before the latest, and the
    latest. A version hidden from leadership (withdrawn) is neither offered nor compared."""
    store = who.runtime.store
    versions = await asyncio.to_thread(store.reports.versions)
    numbers = [v.number for v in versions if v.status == ReportStatus.PUBLISHED and v.number]
    if after is None and numbers:
        after = numbers[0]
    if before is None and len(numbers) > 1:
        before = next(n for n in numbers if n != after)
    content: str | None = None
    problem: str | None = None
    if before is not None and after is not None:
        try:
            comparison = await asyncio.to_thread(compare_versions, store, before, after)
            content = render_comparison(comparison)
        except TerrainError as error:
            problem = str(error)
    else:
        problem = gettext(who.language, "Two published versions are needed to compare them.")
    language = who.language
    return render(
        "leadership_compare.html",
        who,
        current=PREFIX + LEADERSHIP,
        r=report_page_texts(language),
        words={
            "title": gettext(language, "What changed between two versions"),
            "before": gettext(language, "Earlier version"),
            "after": gettext(language, "Later version"),
            "submit": gettext(language, "Compare"),
            "back": gettext(language, "Back to the report"),
        },
        numbers=numbers,
        before=before,
        after=after,
        problem=problem,
        comparison_content=content,
    )


async def _file(
    who: Viewer, file_format: str, campaign: str | None = None
) -> tuple[int | None, bytes] | None:
    """The latest published version's number and file (of ``campaign``, when given); None
    when none is published (any more: an erasure may have withdrawn it since the page was
    shown)."""
    try:
        version, report = await asyncio.to_thread(
            latest_published_report, who.runtime.store, campaign
        )
    except NoPublishedReportError:
        return None
    return version.number, await asyncio.to_thread(leadership_file, report, file_format)


async def _downloaded(who: Viewer, file_format: str, number: int | None) -> None:
    """A download of leadership's file, in the access log."""
    await asyncio.to_thread(
        who.runtime.store.access.record,
        who.account.name,
        AccessKind.REPORT_DOWNLOAD,
        file_format=file_format,
        report_version=number,
    )


def _to_page() -> Response:
    return RedirectResponse(PREFIX + LEADERSHIP, status_code=303)


@page(LEADERSHIP + "/report.html", roles=READERS)
async def report_html(
    download: bool = False,
    campaign: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """The report's own HTML file: shown in the page, or downloaded."""
    found = await _file(who, "html", campaign)
    if found is None:
        return _to_page()
    number, data = found
    headers = (
        {"Content-Disposition": f'attachment; filename="terrain-report-{number}.html"'}
        if download
        else {}
    )
    if download:
        await _downloaded(who, "html", number)
    return HTMLResponse(data.decode(), headers=headers)


@page(LEADERSHIP + "/report.pdf", roles=READERS)
async def report_pdf(
    campaign: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    try:
        found = await _file(who, "pdf", campaign)
    except TerrainError:  # WeasyPrint cannot run here: the page still offers the HTML
        found = None
    if found is None:
        return _to_page()
    number, data = found
    await _downloaded(who, "pdf", number)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="terrain-report-{number}.pdf"'},
    )
