"""The chat's start with campaigns: one open to the employee is used, several are chosen
between, none is said plainly; the interview joins the campaign chosen."""

from __future__ import annotations

import pytest

from assistant.campaigns import close_campaign, open_campaign
from assistant.schemas import DEFAULT_CAMPAIGN_ID, AccountUpdate, Profile
from tests.web.client import plain
from tests.web.server import WebServer

pytestmark = pytest.mark.slow


async def test_an_employee_chooses_among_the_campaigns_open_to_them(web: WebServer) -> None:
    with web.store() as store:
        store.accounts.update("bob", _profile(Profile(site="Valence")))
        valence = open_campaign(store, name="Valence 2027", actor="fanny", groups=["site=Valence"])
        open_campaign(store, name="Lyon 2027", actor="fanny", groups=["site=Lyon"])
    client = web.client("bob")
    await client.login()
    await client.connect()
    # The default campaign (everyone) and Valence's: bob chooses; Lyon's is not offered.
    await client.wait_for(lambda: len(client.labels()) == 2)
    assert sorted(client.labels()) == ["Valence 2027", "default"]
    assert "Pour quelle campagne est cet entretien" in plain(client.last())
    await client.send("oui")  # no consent before a campaign is chosen
    await client.wait_for(lambda: "Choisissez d'abord une campagne" in plain(client.last()))
    await client.click("Valence 2027")
    await client.wait_for(lambda: "J'accepte" in client.labels())
    await client.click("J'accepte")
    await client.wait_for(lambda: "Retirer mon entretien" in client.labels())
    with web.store() as store:
        interview = store.interviews.get(client.thread_id or "")
    assert interview is not None
    assert interview.campaign_id == valence.id
    assert interview.site == "Valence"
    await client.disconnect()


async def test_with_no_campaign_open_to_them_the_employee_is_told_so(web: WebServer) -> None:
    with web.store() as store:
        store.accounts.update("chloe", _profile(Profile(site="Paris")))
        close_campaign(store, "default")
    client = web.client("chloe")
    await client.login()
    await client.connect()
    await client.wait_for(lambda: "Aucune campagne" in plain(client.last()))
    assert "Aucune campagne d'entretiens ne vous est ouverte en ce moment." in plain(client.last())
    assert client.labels() == []  # no consent question: there is no interview to hold
    await client.disconnect()
    with web.store() as store:
        assert store.interviews.where(campaign_id=DEFAULT_CAMPAIGN_ID) == []


def _profile(profile: Profile) -> AccountUpdate:
    return AccountUpdate(profile=profile)
