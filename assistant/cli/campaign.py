"""`terrain campaign`: open, list, show and close campaigns, and see who took part."""

from __future__ import annotations

import getpass
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from assistant.cli.common import (
    JsonFlag,
    errors,
    fail,
    open_store,
    print_json,
    say,
    settings,
)
from assistant.errors import TerrainError

if TYPE_CHECKING:
    from assistant.campaigns import Participation
    from assistant.schemas import Campaign

campaign_app = typer.Typer(
    help="Campaigns: rounds of interviews, each with its dates, its focus, its language and the "
    "groups it invites (a job, a site, a team, or everyone). Every interview belongs to one; "
    "reports and participation are per campaign. The interviews held before campaigns "
    "existed are in the campaign named 'default'.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CampaignName = Annotated[str, typer.Argument(help="The campaign's name (any letter case).")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a day: write it YYYY-MM-DD, e.g. 2027-03-01.")


def _campaign_json(campaign: Campaign, interviews: int) -> dict[str, object]:
    from assistant.campaigns import groups_label

    return {
        **campaign.model_dump(mode="json"),
        "invited": groups_label(campaign),
        "interviews": interviews,
    }


def _describe(campaign: Campaign, interviews: int) -> None:
    from assistant.campaigns import groups_label

    days = f"{campaign.opens_on or '…'} → {campaign.closes_on or '…'}"
    say(f"{campaign.name}  ({campaign.status.value}, {days})")
    say(f"  invited: {groups_label(campaign)}")
    say(f"  language: {campaign.language or 'each employee’s own'}")
    say(f"  focus: {campaign.focus or '(none: the guide alone)'}")
    opened = f"opened by {campaign.opened_by} on {campaign.created_at:%Y-%m-%d}"
    say(f"  interviews: {interviews}; {opened}")


@campaign_app.command("open")
def open_(
    name: CampaignName,
    focus: Annotated[
        str,
        typer.Option(
            help="What the interviewer keeps to, in every question of the campaign's interviews "
            "(e.g. 'the handover between day and night teams')."
        ),
    ] = "",
    opens: Annotated[
        str | None,
        typer.Option("--opens", help="First day it is open, YYYY-MM-DD (default: today)."),
    ] = None,
    closes: Annotated[
        str | None,
        typer.Option("--closes", help="Last day it is open, YYYY-MM-DD (default: until closed)."),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(help="The language its interviews are held in (default: each employee's)."),
    ] = None,
    invite: Annotated[
        list[str] | None,
        typer.Option(
            "--invite",
            help="A group invited: job=NAME, site=NAME, team=NAME, or everyone. Repeat it for "
            "several groups (default: everyone).",
        ),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--as", help="Who opens it, as recorded (default: your login).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a campaign. Employees of an invited group see it when they start an interview, from
    its first day to its last; an employee invited to several chooses one.

    Nothing is stored when anything is wrong (a name in use, a day misspelt, a closing day
    before the opening day, an unknown language or group); exits with status 1 then.
    """
    from assistant.campaigns import open_campaign

    config = settings()
    store = open_store(config)
    try:
        campaign = open_campaign(
            store,
            name=name,
            actor=actor or getpass.getuser(),
            focus=focus,
            opens_on=_day(opens, "--opens"),
            closes_on=_day(closes, "--closes"),
            language=language,
            groups=invite or (),
        )
    except TerrainError as error:
        fail(escape(str(error)))
    finally:
        store.close()
    if as_json:
        print_json(_campaign_json(campaign, 0))
    else:
        say(f"Opened the campaign {campaign.name}.")
        _describe(campaign, 0)


@campaign_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Every campaign, newest first: status, days, groups invited, how many interviews."""
    with open_store(settings()) as store:
        try:
            campaigns = store.campaigns.all()
            counts = store.campaigns.interview_counts()
        except TerrainError as error:
            fail(escape(str(error)))
    if as_json:
        print_json([_campaign_json(c, counts.get(c.id, 0)) for c in campaigns])
        return
    if not campaigns:
        errors.print("No campaign: open one with `terrain campaign open NAME`.")
    for campaign in campaigns:
        _describe(campaign, counts.get(campaign.id, 0))


@campaign_app.command("show")
def show(name: CampaignName, as_json: JsonFlag = False) -> None:
    """One campaign: its days, focus, language, groups invited and number of interviews."""
    with open_store(settings()) as store:
        try:
            campaign = store.campaigns.named(name)
            count = store.campaigns.interview_counts().get(campaign.id, 0)
        except TerrainError as error:
            fail(escape(str(error)))
    if as_json:
        print_json(_campaign_json(campaign, count))
    else:
        _describe(campaign, count)


@campaign_app.command("close")
def close(name: CampaignName, as_json: JsonFlag = False) -> None:
    """Close a campaign now: nobody starts an interview in it any more. Its interviews, and
    the reports built from them, stay."""
    from assistant.campaigns import close_campaign

    with open_store(settings()) as store:
        try:
            campaign = close_campaign(store, name)
        except TerrainError as error:
            fail(escape(str(error)))
    if as_json:
        print_json(campaign.model_dump(mode="json"))
    else:
        say(f"Closed the campaign {campaign.name}.")


def _participation_json(result: Participation) -> dict[str, object]:
    return {
        "campaign": result.campaign.name,
        "min_people": result.min_people,
        "invited": result.invited,
        "started": result.started,
        "finished": result.finished,
        "withdrawn": result.withdrawn,
        "groups": [vars(group) for group in result.groups],
    }


@campaign_app.command("participation")
def participation(name: CampaignName, as_json: JsonFlag = False) -> None:
    """Who took part in a campaign, per group (job, site, team): invited (enabled employee
    accounts of an invited group, by their profile now), started, finished, withdrawn
    (consent refused), and how many more people each group needs before the report shows it
    (TERRAIN_REPORT_MIN_PEOPLE, counting finished interviews and those stopped early).
    An interview its employee erased leaves nothing behind, and is not counted.

    For facilitators: leadership reads groups only in the published report."""
    from assistant.campaigns import needed_text
    from assistant.campaigns import participation as count

    config = settings()
    with open_store(config) as store:
        try:
            result = count(store, config, store.campaigns.named(name))
        except TerrainError as error:
            fail(escape(str(error)))
    if as_json:
        print_json(_participation_json(result))
        return
    say(
        f"{result.campaign.name}: {result.invited} invited, {result.started} started, "
        f"{result.finished} finished, {result.withdrawn} withdrawn."
    )
    if not result.groups:
        say("No group: no invited account and no interview has a job, site or team.")
    for group in result.groups:
        say(
            f"  {group.field}={group.value}: {group.invited} invited, {group.started} started, "
            f"{group.finished} finished, {group.withdrawn} withdrawn — "
            + needed_text("en", group, result.min_people)
        )
