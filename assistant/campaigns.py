"""Campaigns: rounds of interviews a facilitator opens, and who took part in each.

A campaign has a name, the days it is open (either end may be left open), the focus the
interviewer keeps to (written into its instructions at every turn), the language its
interviews are held in (its guide; none: each employee's own), and the groups it invites: a
job, a site or a team value, or everyone. Every interview belongs to one campaign; those held
before campaigns existed, and those created without naming one (the terminal, imports), are in
the default campaign.

An employee sees the campaigns open to them today (:func:`open_to`). Participation
(:func:`participation`) counts, per group, the people invited (the enabled employee accounts
of an invited group, by their profile now), those who started, finished or withdrew (by the
profile each interview kept), and how many more each group needs to be reported: the report
counts the people of the ended interviews (finished, or stopped early), and shows a group of
at least ``TERRAIN_REPORT_MIN_PEOPLE``. An interview its employee erased leaves nothing
behind, so it is not counted at all. Participation is for facilitators only: leadership reads
groups in the published report, where the report's own anonymity rules apply.

The adapters (``terrain campaign``, the staff pages, the chat's start) call these functions;
each change is one transaction of the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.i18n import languages, ngettext
from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    EVERYONE,
    MAX_CAMPAIGN_NAME_CHARS,
    PROFILE_FIELDS,
    Campaign,
    CampaignGroup,
    InterviewStatus,
    Profile,
    User,
    UserRole,
)
from assistant.store import Store
from assistant.store.campaigns import Participant
from assistant.text import clean_text

MAX_FOCUS_CHARS = 2000
ENDED = (InterviewStatus.CLOSED, InterviewStatus.STOPPED)  # what the report draws on


class CampaignError(TerrainError):
    """A campaign that cannot be opened as asked."""


# -- opening and closing ---------------------------------------------------------------------


def parse_group(text: str) -> CampaignGroup:
    """``job=Nurse``, ``site=Lyon``, ``team=Night`` or ``everyone``; CampaignError otherwise."""
    cleaned = " ".join(clean_text(text).split())
    if cleaned.casefold() == EVERYONE:
        return CampaignGroup(field=EVERYONE)
    field, _, value = cleaned.partition("=")
    field, value = field.strip().casefold(), value.strip()
    if field not in PROFILE_FIELDS or not value:
        raise CampaignError(
            f"{text!r} is not a group.",
            fix="Write job=NAME, site=NAME, team=NAME or everyone.",
        )
    return CampaignGroup(field=field, value=value)


def open_campaign(
    store: Store,
    *,
    name: str,
    actor: str,
    focus: str = "",
    opens_on: date | None = None,
    closes_on: date | None = None,
    language: str | None = None,
    groups: Iterable[str] = (),
) -> Campaign:
    """Open a new campaign; CampaignError (nothing stored) for a bad name, dates, language,
    focus or group, or a name already used."""
    cleaned_name = " ".join(clean_text(name).split())
    if not cleaned_name:
        raise CampaignError("A campaign needs a name.", fix="Give it one, e.g. 'home care 2027'.")
    if len(cleaned_name) > MAX_CAMPAIGN_NAME_CHARS:
        raise CampaignError(f"A campaign's name has at most {MAX_CAMPAIGN_NAME_CHARS} characters.")
    if opens_on is not None and closes_on is not None and closes_on < opens_on:
        raise CampaignError(
            f"The campaign would close ({closes_on}) before it opens ({opens_on}).",
            fix="Give a closing day on or after the opening day.",
        )
    if language is not None and language not in languages():
        raise CampaignError(
            f"Terrain holds no interview in {language!r}.",
            fix=f"Choose one of: {', '.join(languages())}.",
        )
    cleaned_focus = clean_text(focus).strip()
    if len(cleaned_focus) > MAX_FOCUS_CHARS:
        raise CampaignError(f"A campaign's focus has at most {MAX_FOCUS_CHARS} characters.")
    parsed = [parse_group(group) for group in groups if group.strip()]
    invited = [] if any(g.field == EVERYONE for g in parsed) else list(dict.fromkeys(parsed))
    campaign = Campaign(
        id=uuid.uuid4().hex,
        name=cleaned_name,
        opens_on=opens_on,
        closes_on=closes_on,
        focus=cleaned_focus,
        language=language,
        groups=invited,
        opened_by=actor,
        created_at=store.now(),
    )
    return store.campaigns.add(campaign)


def close_campaign(store: Store, name: str) -> Campaign:
    """Close the campaign named ``name`` now (its interviews stay, and their reports)."""
    return store.campaigns.close(store.campaigns.named(name).id)


def focus_of(store: Store, campaign_id: str) -> str:
    """The focus the interviewer keeps to in this campaign ("" when it has none)."""
    campaign = store.campaigns.get(campaign_id)
    return "" if campaign is None else campaign.focus


def open_to(store: Store, account: User | None, *, today: date | None = None) -> list[Campaign]:
    """The campaigns open today that invite this account (by its profile), oldest first."""
    day = today or store.now().date()
    profile = account.profile if account is not None else Profile()
    # A database emptied of every campaign: the default one comes back, stored again by the
    # interview that joins it. Nothing is written here: the web app reads this on its event loop.
    campaigns = store.campaigns.all() or [store.campaigns.default_as_made_again()]
    return [
        campaign
        for campaign in reversed(campaigns)
        if campaign.is_open_on(day) and campaign.invites(profile)
    ]


def is_default(campaign: Campaign) -> bool:
    return campaign.id == DEFAULT_CAMPAIGN_ID


def groups_label(campaign: Campaign) -> str:
    return ", ".join(group.label for group in campaign.groups) or EVERYONE


# -- participation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupParticipation:
    """One group of a campaign (a job, a site or a team value), counted in people."""

    field: str
    value: str
    invited: int
    started: int
    finished: int
    withdrawn: int
    ended: int  # finished or stopped early: the people the report counts
    needed: int  # how many more ended interviews the report needs to show the group


@dataclass(frozen=True)
class Participation:
    campaign: Campaign
    min_people: int
    groups: list[GroupParticipation]
    invited: int
    started: int
    finished: int
    withdrawn: int


def _outcome(statuses: Sequence[InterviewStatus]) -> InterviewStatus:
    """A person's standing in a campaign, from their interviews in it: finished over ended
    early over in progress over declined."""
    for status in (
        InterviewStatus.CLOSED,
        InterviewStatus.STOPPED,
        InterviewStatus.IN_PROGRESS,
    ):
        if status in statuses:
            return status
    return InterviewStatus.DECLINED


@dataclass(frozen=True)
class _Person:
    profile: Profile
    outcome: InterviewStatus


def _people(participants: Sequence[Participant]) -> list[_Person]:
    """One entry per person: an employee's interviews together (by owner key), each imported
    interview (no owner) on its own; a person keeps the profile of their latest interview."""
    by_owner: dict[str, list[Participant]] = {}
    for participant in participants:
        key = participant.owner_key or f"interview:{participant.interview_id}"
        by_owner.setdefault(key, []).append(participant)
    return [
        _Person(own[-1].profile, _outcome([p.status for p in own])) for own in by_owner.values()
    ]


def participation(
    store: Store, settings: Settings, campaign: Campaign, *, accounts: Sequence[User] | None = None
) -> Participation:
    """Who was invited to ``campaign`` and who took part, per group (for facilitators)."""
    people = _people(store.campaigns.participants(campaign.id))
    everyone = store.accounts.all() if accounts is None else accounts
    invited = [
        account
        for account in everyone
        if account.role == UserRole.EMPLOYEE
        and not account.disabled
        and campaign.invites(account.profile)
    ]
    min_people = settings.report_min_people
    rows: list[GroupParticipation] = []
    for field in PROFILE_FIELDS:
        values = {getattr(a.profile, field) for a in invited} | {
            getattr(p.profile, field) for p in people
        }
        for value in sorted((v for v in values if v), key=str.casefold):
            members = [p for p in people if getattr(p.profile, field) == value]
            ended = sum(p.outcome in ENDED for p in members)
            rows.append(
                GroupParticipation(
                    field=field,
                    value=value,
                    invited=sum(getattr(a.profile, field) == value for a in invited),
                    started=len(members),
                    finished=sum(p.outcome == InterviewStatus.CLOSED for p in members),
                    withdrawn=sum(p.outcome == InterviewStatus.DECLINED for p in members),
                    ended=ended,
                    needed=max(0, min_people - ended),
                )
            )
    return Participation(
        campaign=campaign,
        min_people=min_people,
        groups=rows,
        invited=len(invited),
        started=len(people),
        finished=sum(p.outcome == InterviewStatus.CLOSED for p in people),
        withdrawn=sum(p.outcome == InterviewStatus.DECLINED for p in people),
    )


def needed_text(language: str, group: GroupParticipation, min_people: int) -> str:
    """What a group still needs to be reported, stated from the report's threshold setting."""
    if group.needed == 0:
        return ngettext(
            language,
            "Yes (the report shows groups of {min_people} person or more)",
            "Yes (the report shows groups of {min_people} people or more)",
            min_people,
        ).format(min_people=min_people)
    return ngettext(
        language,
        "{count} more person needed (the report shows groups of {min_people} or more)",
        "{count} more people needed (the report shows groups of {min_people} or more)",
        group.needed,
    ).format(count=group.needed, min_people=min_people)
