"""The campaigns' staff pages: facilitators and administrators open and close campaigns and
read each one's participation; leadership reads none of it, and chooses a campaign's report."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.campaigns import open_campaign
from assistant.config import Settings
from assistant.privacy import owner_key
from assistant.report.publishing import build_draft, decide_quote, publish, quotes_of
from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    CampaignStatus,
    InterviewStatus,
    Profile,
    QuoteDecision,
    Speaker,
    UserRole,
)
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import scripted
from tests.web.pages_client import PagesClient, pages_client
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

ACCOUNTS = {
    "fanny": UserRole.FACILITATOR,
    "adam": UserRole.ADMIN,
    "lea": UserRole.LEADERSHIP,
    "alice": UserRole.EMPLOYEE,
}


@pytest.fixture
def page_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(report_min_people=3, report_min_people_for_quotes=3)


@pytest.fixture
def pages(page_settings: Settings) -> Iterator[PagesClient]:
    with pages_client(page_settings, ACCOUNTS) as client:
        client.store.campaigns.ensure_default()
        client.sign_in("fanny")
        yield client


def text_of(response: object) -> str:
    return html.unescape(response.text)  # type: ignore[attr-defined]


def test_a_facilitator_opens_and_closes_a_campaign_from_the_page(pages: PagesClient) -> None:
    sent = {
        "campaign_name": "Soins à domicile",
        "focus": "les relèves entre équipes de jour et de nuit",
        "opens_on": "2027-03-01",
        "closes_on": "2027-03-31",
        "language": "fr",
        "groups": "job=infirmière\nsite=Valence\n",
    }
    opened = pages.post("/staff/campaigns", sent)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/staff/campaigns?done=opened"
    campaign = pages.store.campaigns.named("soins à domicile")
    assert campaign.focus == sent["focus"]
    assert [g.label for g in campaign.groups] == ["job=infirmière", "site=Valence"]
    page = text_of(pages.get("/staff/campaigns?done=opened"))
    assert "La campagne est ouverte." in page
    assert "job=infirmière, site=Valence" in page
    assert "2027-03-01 → 2027-03-31" in page
    # A campaign that cannot be opened: said on the page, nothing stored.
    refused = pages.post("/staff/campaigns", sent | {"closes_on": "2027-02-01"})
    assert refused.status_code == 200
    assert "La campagne n'a pas été ouverte." in text_of(refused)
    assert len(pages.store.campaigns.all()) == 2
    closed = pages.post(f"/staff/campaigns/{campaign.id}/close", {})
    assert closed.status_code == 303
    reread = pages.store.campaigns.get(campaign.id)
    assert reread is not None
    assert reread.status == CampaignStatus.CLOSED
    assert pages.post("/staff/campaigns/nope/close", {}).status_code == 404


def test_only_facilitators_and_admins_reach_the_campaign_pages(pages: PagesClient) -> None:
    participation = f"/staff/campaigns/{DEFAULT_CAMPAIGN_ID}/participation"
    for name, allowed in [("fanny", True), ("adam", True), ("lea", False)]:
        pages.sign_in(name)
        for path in ("/staff/campaigns", participation):
            assert pages.get(path).status_code == (200 if allowed else 403), (name, path)
    pages.sign_in("lea")
    assert "/staff/campaigns" not in pages.get("/staff/leadership").text


def _ended(store: Store, settings: Settings, campaign_id: str, who: str, profile: Profile) -> None:
    interview = store.interviews.create(
        language="fr",
        campaign_id=campaign_id,
        profile=profile,
        owner_key=owner_key(settings, who),
    )
    store.interviews.add_turn(
        interview.id,
        speaker=Speaker.EMPLOYEE,
        text="x",
        phase=interview.phase,
        ending=InterviewStatus.CLOSED,
    )


def seed_participation(store: Store, settings: Settings) -> str:
    """A campaign at Valence: three nurses finished (enough), one carer invited only."""
    campaign = open_campaign(store, name="Printemps", actor="fanny", groups=["site=Valence"])
    nurse, carer = Profile(job="infirmière", site="Valence"), Profile(job="aide", site="Valence")
    for name in ("n1", "n2", "n3"):
        store.accounts.add(name, UserRole.EMPLOYEE, profile=nurse)
        _ended(store, settings, campaign.id, name, nurse)
    store.accounts.add("c1", UserRole.EMPLOYEE, profile=carer)
    return campaign.id


def test_the_participation_page_counts_each_group_and_says_what_it_needs(
    pages: PagesClient, page_settings: Settings
) -> None:
    campaign_id = seed_participation(pages.store, page_settings)
    page = text_of(pages.get(f"/staff/campaigns/{campaign_id}/participation"))
    assert "Participation : Printemps" in page
    assert "4 personnes invitées" in page
    assert "3 personnes ont terminé" in page
    assert "0 personne s'est retirée" in page  # French puts 0 in the singular
    assert "Le rapport montre un groupe dès que 3 personnes y ont mené" in page
    assert "Par métier" in page
    assert "encore 3 personnes (le rapport montre les groupes d'au moins 3)" in page  # aide
    assert "Oui (le rapport montre les groupes d'au moins 3 personnes)" in page  # nurses
    pages.http.headers["Accept-Language"] = "en"
    english = text_of(pages.get(f"/staff/campaigns/{campaign_id}/participation"))
    assert "3 more people needed (the report shows groups of 3 or more)" in english
    assert "1 person invited" not in english
    assert "4 people invited" in english
    assert pages.get("/staff/campaigns/nope/participation").status_code == 404


def _study(store: Store, campaign_id: str, seed: int) -> None:
    script = scripted(4, seed=seed)
    stored = {}
    for interview in script.interviews:
        stored[interview.id] = store.interviews.import_transcript(
            language=interview.language,
            source="scripted",
            turns=[(t.speaker, t.text) for t in script.turns[interview.id]],
            owner_key=f"{campaign_id}:{interview.owner_key}",
            campaign_id=campaign_id,
        ).id
    store.findings.add(
        [
            f.model_copy(update={"interview_id": stored[f.interview_id], "id": f"{seed}-{f.id}"})
            for f in script.findings
        ]
    )


def _published(store: Store, settings: Settings, campaign_id: str) -> int:
    draft = asyncio.run(build_draft(store, settings, None, actor="fanny", campaign_id=campaign_id))
    for quote in quotes_of(draft):
        decide_quote(store, quote.id, QuoteDecision.APPROVED)
    number = publish(store, actor="fanny").number
    assert number is not None
    return number


def test_leadership_reads_each_campaigns_latest_report(
    pages: PagesClient, page_settings: Settings
) -> None:
    store = pages.store
    march = open_campaign(store, name="Mars", actor="fanny").id
    june = open_campaign(store, name="Juin", actor="fanny").id
    _study(store, march, 1)
    _study(store, june, 2)
    first = _published(store, page_settings, march)
    second = _published(store, page_settings, june)
    pages.sign_in("lea")
    newest = text_of(pages.get("/staff/leadership"))
    assert f"version {second}" in newest.lower()
    assert 'href="/staff/leadership?campaign=' in newest
    assert ">Mars</a>" in newest
    assert ">Juin</a>" in newest
    of_march = text_of(pages.get(f"/staff/leadership?campaign={march}"))
    assert f"version {first}" in of_march.lower()
    assert f"/staff/leadership/report.pdf?campaign={march}" in of_march
    downloaded = pages.get(f"/staff/leadership/report.html?campaign={march}&download=true")
    assert downloaded.status_code == 200
    assert f"terrain-report-{first}.html" in downloaded.headers["content-disposition"]
    # The facilitators' report page builds from a chosen campaign and names the draft's.
    pages.sign_in("fanny")
    report = text_of(pages.get("/staff/report"))
    assert '<select id="build-campaign" name="campaign">' in report
    assert f'<option value="{june}">Juin</option>' in report


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_screenshots_of_the_participation_page(pages: PagesClient, page_settings: Settings) -> None:
    """The page as Chromium shows it, desktop and phone (kept in test-artifacts/, looked at)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium here")
    campaign_id = seed_participation(pages.store, page_settings)
    css = pages.get("/staff/static/staff.css").text
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (
        ("campaign-participation", f"/staff/campaigns/{campaign_id}/participation"),
        ("campaigns", "/staff/campaigns"),
    ):
        _shoot(chromium, name, pages.get(path).text, css)


def _shoot(chromium: str, name: str, page: str, css: str) -> None:
    page = re.sub(r'<link rel="stylesheet"[^>]*>', f"<style>{css}</style>", page)
    source = ARTIFACTS / f"{name}.html"
    source.write_text(page, encoding="utf-8")
    for size, width in (("desktop", 1280), ("phone", 390)):
        shot = ARTIFACTS / f"{name}-{size}.png"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", f"--window-size={width},1400",
             f"--screenshot={shot}", source.as_uri()],
            check=True, capture_output=True, timeout=HANG_CAP_SECONDS,
        )  # fmt: skip
        assert shot.stat().st_size > 10_000


def test_the_findings_export_is_per_campaign_when_asked(pages: PagesClient) -> None:
    store = pages.store
    march = open_campaign(store, name="Mars", actor="fanny").id
    _study(store, march, 1)
    _study(store, DEFAULT_CAMPAIGN_ID, 2)
    in_march = {
        f.id for f in store.findings.where() if f.id.startswith("1-")
    }  # _study's ids start with its seed
    everything = json.loads(pages.get("/staff/findings.json").content)
    only_march = json.loads(pages.get(f"/staff/findings.json?campaign={march}").content)
    assert {row["finding_id"] for row in only_march} == in_march
    assert len(everything) > len(only_march) > 0
    page = text_of(pages.get("/staff/export"))
    assert "Les constats d'une campagne :" in page
    assert f'href="/staff/findings.csv?campaign={march}"' in page
