"""Staff accounts and a published report, for the report pages' tests."""

from __future__ import annotations

import asyncio
import html
import re

from assistant.report.build_jobs import ReportBuildJobs
from assistant.schemas import JobStatus, UserRole
from tests.web.pages_client import PagesClient

ACCOUNTS = {
    "alice": UserRole.EMPLOYEE,
    "fanny": UserRole.FACILITATOR,
    "lea": UserRole.LEADERSHIP,
    "adam": UserRole.ADMIN,
}


def _published(pages: PagesClient) -> None:
    page = _built(pages, narratives="none")
    for quote in QUOTE_FORM.findall(page):
        assert (
            pages.post(f"/staff/report/quotes/{quote}", {"decision": "approved"}).status_code == 303
        )
    done = pages.post("/staff/report/publish", {})
    assert done.headers["location"] == "/staff/report?done=published"


QUOTE_FORM = re.compile(r'action="/staff/report/quotes/(q[0-9a-f]{8})"')


def _built(pages: PagesClient, **form: str) -> str:
    started = pages.post("/staff/report/build", form)
    assert (started.status_code, started.headers["location"]) == (
        303,
        "/staff/report?done=building",
    )
    # The worker's step, as `terrain worker --once` runs it.
    ended = asyncio.run(ReportBuildJobs.from_settings(pages.settings, pages.store).run_queued())
    assert [job.status for job in ended] == [JobStatus.DONE], ended
    page = pages.get("/staff/report")
    assert page.status_code == 200
    return html.unescape(page.text)
