"""Campaigns for facilitators and administrators: open one, close one, and see who took part
in each, per group, with how many more people each group needs before the report shows it.

Leadership has no page here: it reads groups in the published report only, under the report's
own anonymity rules.
"""

from __future__ import annotations

import asyncio
from datetime import date
from functools import partial

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response

from assistant.campaigns import (
    CampaignError,
    close_campaign,
    groups_label,
    needed_text,
    open_campaign,
    participation,
)
from assistant.errors import TerrainError
from assistant.i18n import gettext, languages
from assistant.schemas import EVERYONE, PROFILE_FIELDS, CampaignStatus, UserRole
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.templating import render

CAMPAIGNS = "/campaigns"
MANAGERS = (UserRole.FACILITATOR, UserRole.ADMIN)
NOTICES = ("opened", "closed")


def _day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CampaignError(f"{text!r} is not a day (YYYY-MM-DD).") from None


def _list(who: Viewer, *, notice: str | None = None, problem: str | None = None) -> Response:
    store = who.runtime.store
    campaigns = store.campaigns.all()
    counts = store.campaigns.interview_counts()
    return render(
        "campaigns.html",
        who,
        current=PREFIX + CAMPAIGNS,
        campaigns=campaigns,
        counts=counts,
        groups_label=groups_label,
        languages=languages(),
        open_status=CampaignStatus.OPEN,
        notice=notice if notice in NOTICES else None,
        problem=problem,
        everyone=EVERYONE,
    )


@page(CAMPAIGNS, roles=MANAGERS, nav="campaigns")
async def campaigns(done: str | None = None, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    return await asyncio.to_thread(partial(_list, who, notice=done))


@page(CAMPAIGNS, roles=MANAGERS, method="POST")
async def open_(
    campaign_name: str = Form(""),
    focus: str = Form(""),
    opens_on: str = Form(""),
    closes_on: str = Form(""),
    language: str = Form(""),
    groups: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """Open a campaign; the same page with the reason when it cannot (nothing stored)."""
    try:
        await asyncio.to_thread(
            partial(
                open_campaign,
                who.runtime.store,
                name=campaign_name,
                actor=who.account.name,
                focus=focus,
                opens_on=_day(opens_on),
                closes_on=_day(closes_on),
                language=language or None,
                groups=groups.splitlines(),
            )
        )
    except TerrainError as error:
        not_opened = gettext(who.language, "The campaign was not opened.")
        problem = f"{not_opened} {error}"
        return await asyncio.to_thread(partial(_list, who, problem=problem))
    return RedirectResponse(f"{PREFIX}{CAMPAIGNS}?done=opened", status_code=303)


@page(CAMPAIGNS + "/{campaign_id}/close", roles=MANAGERS, method="POST")
async def close(campaign_id: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    store = who.runtime.store
    campaign = await asyncio.to_thread(store.campaigns.get, campaign_id)
    if campaign is None:
        raise NotFound(who)
    await asyncio.to_thread(close_campaign, store, campaign.name)
    return RedirectResponse(f"{PREFIX}{CAMPAIGNS}?done=closed", status_code=303)


@page(CAMPAIGNS + "/{campaign_id}/participation", roles=MANAGERS)
async def participation_page(campaign_id: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    rt = who.runtime
    campaign = await asyncio.to_thread(rt.store.campaigns.get, campaign_id)
    if campaign is None:
        raise NotFound(who)
    counted = await asyncio.to_thread(participation, rt.store, rt.settings, campaign)
    by_field = {
        field: [group for group in counted.groups if group.field == field]
        for field in PROFILE_FIELDS
    }
    return render(
        "participation.html",
        who,
        current=PREFIX + CAMPAIGNS,
        counted=counted,
        by_field=by_field,
        needed=lambda group: needed_text(who.language, group, counted.min_people),
        groups_label=groups_label,
    )
