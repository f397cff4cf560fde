"""Administrators read the access log: who read which interview, who took which export or
report file, and when; filtered by account and by date. The same log as `terrain audit`."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from fastapi import Depends
from fastapi.responses import Response

from assistant.schemas import AccessEntry
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.admin import ADMINS
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render
from assistant.web.pages.texts import PageTexts

AUDIT = "/audit"
SHOWN = 500  # the newest entries a page shows; the command gives them all


def what(entry: AccessEntry, texts: PageTexts) -> str:
    """The entry's kind, with its file's format and report version when it has them."""
    kind = texts.audit_kinds[entry.kind]
    details = []
    if entry.report_version is not None:
        details.append(texts.audit_version.format(number=entry.report_version))
    elif entry.kind == "report_export":
        details.append(texts.audit_draft)
    if entry.file_format:
        details.append(entry.file_format.upper())
    return texts.audit_what.format(kind=kind, detail=", ".join(details)) if details else kind


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


@page(AUDIT, roles=ADMINS, nav="audit")
async def audit(
    user: str | None = None,
    since: str | None = None,
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    day = _day(since)
    start = None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)
    entries = await asyncio.to_thread(
        who.runtime.store.access.entries,
        actor=(user or "").strip() or None,
        since=start,
        limit=SHOWN,
    )
    return render(
        "audit.html",
        who,
        current=PREFIX + AUDIT,
        entries=entries,
        what=lambda entry: what(entry, who.texts),
        user=(user or "").strip(),
        since="" if day is None else day.isoformat(),
        shown=SHOWN,
    )
