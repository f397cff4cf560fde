"""Campaigns (``store.campaigns``): rounds of interviews, and what participation counts read.

Every interview belongs to one campaign. The default campaign (``DEFAULT_CAMPAIGN_ID``, made
by migration 0015) holds the interviews created without naming one; :func:`ensure_default`
makes it again in a database emptied of it, so that such an interview always has a home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    Campaign,
    CampaignStatus,
    InterviewStatus,
    Profile,
)
from assistant.store.database import Repository, guarded
from assistant.store.errors import StoreError
from assistant.store.models import CampaignRow, InterviewRow
from assistant.store.rows import record_columns, table_of

DEFAULT_CAMPAIGN_NAME = "default"
_CAMPAIGNS = table_of(CampaignRow)
_READ = select(*record_columns(_CAMPAIGNS, Campaign)).where(_CAMPAIGNS.c.id == bindparam("wanted"))
_EXISTS = select(_CAMPAIGNS.c.id).where(_CAMPAIGNS.c.id == bindparam("wanted"))
_ADD = insert(_CAMPAIGNS)


class CampaignNotFoundError(StoreError):
    """No campaign has this name (or id)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no campaign {name!r}.", fix="See the campaigns: terrain campaign list."
        )


class CampaignExistsError(StoreError):
    """A campaign already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A campaign named {name!r} exists already.", fix="Choose another name.")


@dataclass(frozen=True)
class Participant:
    """One interview of a campaign as participation counts it: whose (owner key, None for an
    imported one), the profile it kept, and how it stands."""

    interview_id: str
    owner_key: str | None
    profile: Profile
    status: InterviewStatus


def _default_values(now_: datetime) -> dict[str, object]:
    return {
        "id": DEFAULT_CAMPAIGN_ID,
        "name": DEFAULT_CAMPAIGN_NAME,
        "status": CampaignStatus.OPEN.value,
        "opens_on": None,
        "closes_on": None,
        "focus": "",
        "language": None,
        "groups": [],
        "opened_by": "terrain",
        "created_at": now_,
        "closed_at": None,
    }


class CampaignRepository(Repository):
    """Campaigns (``store.campaigns``)."""

    @guarded("opening a campaign")
    def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; :class:`CampaignExistsError` if its name is taken."""
        try:
            with self._db.writing() as session:
                if session.scalar(select(CampaignRow.id).where(_named(campaign.name))):
                    raise CampaignExistsError(campaign.name)
                session.add(CampaignRow(**_row_values(campaign)))
        except IntegrityError:
            raise CampaignExistsError(campaign.name) from None
        return campaign

    @guarded("reading a campaign")
    def get(self, campaign_id: str) -> Campaign | None:
        with self._db.reading_rows() as connection:
            row = connection.execute(_READ, {"wanted": campaign_id}).one_or_none()
        return None if row is None else Campaign.model_validate(row._asdict())

    @guarded("finding a campaign")
    def named(self, name: str) -> Campaign:
        """The campaign of this name, whatever the letter case; CampaignNotFoundError if none."""
        with self._db.reading() as session:
            row = session.scalars(select(CampaignRow).where(_named(name)).limit(1)).first()
            if row is None:
                raise CampaignNotFoundError(name)
            return Campaign.model_validate(row)

    @guarded("listing campaigns")
    def all(self) -> list[Campaign]:
        """Every campaign, newest first."""
        query = select(CampaignRow).order_by(CampaignRow.created_at.desc(), CampaignRow.name)
        with self._db.reading() as session:
            return [Campaign.model_validate(row) for row in session.scalars(query)]

    @guarded("closing a campaign")
    def close(self, campaign_id: str) -> Campaign:
        """Close the campaign now: nobody starts an interview in it any more."""
        with self._db.writing() as session:
            row = session.get(CampaignRow, campaign_id, with_for_update=True)
            if row is None:
                raise CampaignNotFoundError(campaign_id)
            if row.status != CampaignStatus.CLOSED.value:
                row.status = CampaignStatus.CLOSED.value
                row.closed_at = self._db.now()
            return Campaign.model_validate(row)

    @guarded("counting a campaign's interviews")
    def participants(self, campaign_id: str) -> list[Participant]:
        """The campaign's interviews, as participation counts them."""
        query = select(
            InterviewRow.id,
            InterviewRow.owner_key,
            InterviewRow.job,
            InterviewRow.site,
            InterviewRow.team,
            InterviewRow.status,
        ).where(InterviewRow.campaign_id == campaign_id)
        with self._db.reading() as session:
            return [
                Participant(
                    interview_id=row.id,
                    owner_key=row.owner_key,
                    profile=Profile(job=row.job, site=row.site, team=row.team),
                    status=InterviewStatus(row.status),
                )
                for row in session.execute(query)
            ]

    @guarded("counting interviews by campaign")
    def interview_counts(self) -> dict[str, int]:
        """How many interviews each campaign holds (campaigns without any left out)."""
        query = select(InterviewRow.campaign_id, func.count()).group_by(InterviewRow.campaign_id)
        with self._db.reading() as session:
            return {campaign_id: n for campaign_id, n in session.execute(query)}

    def default_as_made_again(self) -> Campaign:
        """The default campaign as :meth:`ensure_default` would make it again now, without
        storing it: the interview that joins it stores it (:func:`check_campaign`)."""
        return Campaign.model_validate(_default_values(self._db.now()))

    @guarded("preparing the default campaign")
    def ensure_default(self) -> None:
        """Make the default campaign if the database holds none (an emptied database)."""
        try:
            with self._db.writing_rows() as connection:
                ensure_default(connection, self._db.now())
        except IntegrityError:
            return  # another process made it meanwhile


def ensure_default(connection: Connection, now_: datetime) -> None:
    """Make the default campaign again in a database emptied of it."""
    if connection.scalar(_EXISTS, {"wanted": DEFAULT_CAMPAIGN_ID}) is None:
        connection.execute(_ADD, _default_values(now_))


def check_campaign(connection: Connection, campaign_id: str, now_: datetime) -> None:
    """The campaign an interview is stored in exists (CampaignNotFoundError otherwise): the
    default one is made again if it was emptied."""
    if campaign_id == DEFAULT_CAMPAIGN_ID:
        ensure_default(connection, now_)
    elif connection.scalar(_EXISTS, {"wanted": campaign_id}) is None:
        raise CampaignNotFoundError(campaign_id)


def _named(name: str) -> ColumnElement[bool]:
    return func.lower(CampaignRow.name) == name.strip().lower()


def _row_values(campaign: Campaign) -> dict[str, object]:
    values = campaign.model_dump()
    values["status"] = CampaignStatus(campaign.status).value
    values["groups"] = [group.model_dump() for group in campaign.groups]
    return values
