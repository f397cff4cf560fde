"""Campaigns: stored and opened through the core, offered to the employees they invite, held
by every interview, carried into the interviewer's prompt, counted for participation, and one
report per campaign. On SQLite and PostgreSQL (``BOTH_DATABASES``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from alembic import command
from typer.testing import CliRunner

from assistant.campaigns import (
    CampaignError,
    close_campaign,
    needed_text,
    open_campaign,
    open_to,
    participation,
)
from assistant.cli import app
from assistant.config import Settings
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.privacy import owner_key
from assistant.report.comparison import compare_versions
from assistant.report.publishing import (
    build_draft,
    decide_quote,
    publish,
    quotes_of,
    report_of,
    republish_after_erasure,
)
from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    AccountUpdate,
    CampaignStatus,
    Finding,
    InterviewStatus,
    Profile,
    QuoteDecision,
    Speaker,
    UserRole,
)
from assistant.store import Store
from assistant.store.campaigns import CampaignExistsError, CampaignNotFoundError
from assistant.store.migrations import alembic_config
from tests.conftest import CHAT_MODEL, EMBED_MODEL, SettingsFactory
from tests.ollama_server import OllamaTestServer
from tests.report_scripts import scripted

DAY = date(2027, 3, 10)


@pytest.fixture
def settings(make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE", "3")
    monkeypatch.setenv("TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES", "3")
    return settings


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store.open(settings) as opened:
        # PostgreSQL's test database is emptied between tests: the migration's default
        # campaign is made again, as the store does when an interview needs it.
        opened.campaigns.ensure_default()
        yield opened


# -- the store and the core ----------------------------------------------------------------------


def test_the_migration_puts_every_earlier_interview_and_version_in_the_default_campaign(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0014")
    engine = sqlalchemy.create_engine(url)
    at = "2026-03-01 09:00:00.000000"
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO interviews (id, pseudonym, language, status, phase, state, flagged, "
                "prompt_versions, prompt_digests, source, created_at, updated_at) VALUES "
                "(:id, 'Participant-AAAA', 'fr', 'closed', 'done', '{}', 0, '{}', '{}', "
                "'terrain', :at, :at)"
            ),
            {"id": "a" * 32, "at": at},
        )
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO reports (number, status, content, finding_ids, interview_ids, "
                "quote_decisions, built_by, built_at) VALUES (1, 'published', '{}', '[]', "
                "'[]', '{}', 'claire', :at)"
            ),
            {"at": at},
        )
    engine.dispose()
    with Store(url) as upgraded:
        upgraded.migrate()
        interview = upgraded.interviews.get("a" * 32)
        assert interview is not None
        assert interview.campaign_id == DEFAULT_CAMPAIGN_ID
        version = upgraded.reports.version(1)
        assert version is not None
        assert version.campaign_id == DEFAULT_CAMPAIGN_ID
        [default] = upgraded.campaigns.all()
        assert (default.id, default.status, default.groups) == (
            DEFAULT_CAMPAIGN_ID,
            CampaignStatus.OPEN,
            [],
        )


def test_opening_a_campaign_stores_it_and_a_bad_one_stores_nothing(store: Store) -> None:
    opened = open_campaign(
        store,
        name="  Home   care 2027 ",
        actor="claire",
        focus="the handover between day and night teams",
        opens_on=date(2027, 3, 1),
        closes_on=date(2027, 3, 31),
        language="fr",
        groups=["job=Nurse", "site = Lyon", ""],
    )
    assert opened.name == "Home care 2027"
    assert store.campaigns.named("home CARE 2027") == opened
    assert [g.label for g in opened.groups] == ["job=Nurse", "site=Lyon"]
    before = store.campaigns.all()
    with pytest.raises(CampaignExistsError):
        open_campaign(store, name="HOME CARE 2027", actor="claire")
    with pytest.raises(CampaignError, match="close"):
        open_campaign(
            store, name="x", actor="c", opens_on=date(2027, 5, 1), closes_on=date(2027, 4, 1)
        )
    with pytest.raises(CampaignError, match="de"):
        open_campaign(store, name="x", actor="c", language="de")
    with pytest.raises(CampaignError, match="job=NAME"):
        open_campaign(store, name="x", actor="c", groups=["grade=3"])
    with pytest.raises(CampaignError, match="name"):
        open_campaign(store, name="   ", actor="c")
    assert store.campaigns.all() == before
    # "everyone" among the groups invites everyone.
    assert (
        open_campaign(store, name="all", actor="c", groups=["site=Lyon", "Everyone"]).groups == []
    )


def test_an_employee_sees_the_campaigns_open_to_them_today(store: Store) -> None:
    close_campaign(store, "default")
    nurse = store.accounts.add("nina", UserRole.EMPLOYEE, profile=Profile(job="nurse"))
    clerk = store.accounts.add("carl", UserRole.EMPLOYEE, profile=Profile(site="Paris"))
    spring = open_campaign(
        store, name="spring", actor="c", groups=["job=Nurse"], opens_on=date(2027, 3, 1)
    )
    winter = open_campaign(store, name="winter", actor="c", closes_on=date(2027, 1, 31))
    everyone = open_campaign(store, name="everyone", actor="c")
    assert open_to(store, nurse, today=DAY) == [spring, everyone]  # matched without letter case
    assert open_to(store, clerk, today=DAY) == [everyone]
    assert open_to(store, nurse, today=date(2027, 1, 15)) == [winter, everyone]
    close_campaign(store, "everyone")
    assert open_to(store, clerk, today=DAY) == []


def test_every_interview_belongs_to_a_campaign_and_an_unknown_one_is_refused(
    store: Store,
) -> None:
    campaign = open_campaign(store, name="spring", actor="c")
    inside = store.interviews.create(language="fr", campaign_id=campaign.id)
    elsewhere = store.interviews.create(language="fr")
    assert (inside.campaign_id, elsewhere.campaign_id) == (campaign.id, DEFAULT_CAMPAIGN_ID)
    assert store.interviews.where(campaign_id=campaign.id) == [inside]
    with pytest.raises(CampaignNotFoundError):
        store.interviews.create(language="fr", campaign_id="f" * 32)
    assert store.campaigns.interview_counts() == {campaign.id: 1, DEFAULT_CAMPAIGN_ID: 1}


def _interview(
    store: Store,
    settings: Settings,
    campaign_id: str,
    who: str | None,
    status: InterviewStatus,
    profile: Profile,
) -> None:
    """An interview of ``who`` (None: imported) ended with ``status``."""
    interview = store.interviews.create(
        language="fr",
        campaign_id=campaign_id,
        profile=profile,
        owner_key=owner_key(settings, who) if who else None,
    )
    if status == InterviewStatus.DECLINED:
        store.interviews.record_consent(interview.id, given=False, version="v")
    elif status != InterviewStatus.IN_PROGRESS:
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="x", phase=interview.phase, ending=status
        )


def test_participation_counts_people_per_group_and_what_each_needs(
    store: Store, settings: Settings
) -> None:
    campaign = open_campaign(store, name="spring", actor="c", groups=["site=Lyon"])
    lyon_nurse, lyon_aide = Profile(site="Lyon", job="nurse"), Profile(site="Lyon", job="aide")
    for name, profile in [
        ("a", lyon_nurse),
        ("b", lyon_nurse),
        ("c", lyon_nurse),
        ("d", lyon_aide),
        ("e", Profile(site="Paris", job="nurse")),  # not invited
    ]:
        store.accounts.add(name, UserRole.EMPLOYEE, profile=profile)
    store.accounts.add("f", UserRole.FACILITATOR, profile=lyon_nurse)  # not an employee
    disabled = store.accounts.add("g", UserRole.EMPLOYEE, profile=lyon_aide)
    store.accounts.update(disabled.name, change=_disabled())
    _interview(store, settings, campaign.id, "a", InterviewStatus.CLOSED, lyon_nurse)
    # b withdrew once, then finished: counted once, as finished.
    _interview(store, settings, campaign.id, "b", InterviewStatus.DECLINED, lyon_nurse)
    _interview(store, settings, campaign.id, "b", InterviewStatus.CLOSED, lyon_nurse)
    _interview(store, settings, campaign.id, "c", InterviewStatus.STOPPED, lyon_nurse)
    _interview(store, settings, campaign.id, "d", InterviewStatus.DECLINED, lyon_aide)
    _interview(store, settings, campaign.id, None, InterviewStatus.IN_PROGRESS, lyon_aide)
    # Another campaign's interview is not counted here.
    _interview(store, settings, DEFAULT_CAMPAIGN_ID, "d", InterviewStatus.CLOSED, lyon_aide)

    counted = participation(store, settings, campaign)
    assert (counted.invited, counted.started, counted.finished, counted.withdrawn) == (4, 5, 2, 1)
    assert counted.min_people == settings.report_min_people == 3
    rows = {(g.field, g.value): g for g in counted.groups}
    assert set(rows) == {("job", "aide"), ("job", "nurse"), ("site", "Lyon")}
    nurse = rows["job", "nurse"]
    assert (nurse.invited, nurse.started, nurse.finished, nurse.withdrawn) == (3, 3, 2, 0)
    assert (nurse.ended, nurse.needed) == (3, 0)  # a stopped interview counts in the report
    aide = rows["job", "aide"]
    assert (aide.invited, aide.started, aide.finished, aide.withdrawn, aide.needed) == (
        1,
        2,
        0,
        1,
        3,
    )
    assert rows["site", "Lyon"].needed == 0
    # The text states the threshold from the setting, in the reader's language and number.
    assert needed_text("en", aide, 3) == (
        "3 more people needed (the report shows groups of 3 or more)"
    )
    assert needed_text("fr", aide, 3).startswith("encore 3 personnes")
    one_short = participation(store, settings.model_copy(update={"report_min_people": 4}), campaign)
    short = {(g.field, g.value): g for g in one_short.groups}["job", "nurse"]
    assert short.needed == 1
    assert needed_text("en", short, 4) == (
        "1 more person needed (the report shows groups of 4 or more)"
    )
    assert needed_text("fr", nurse, 3) == (
        "Oui (le rapport montre les groupes d'au moins 3 personnes)"
    )


def _disabled() -> AccountUpdate:
    return AccountUpdate(disabled=True)


# -- the interview ---------------------------------------------------------------------------------


async def test_an_interview_in_a_campaign_keeps_its_focus_in_the_interviewer_prompt(
    store: Store, settings: Settings
) -> None:
    campaign = open_campaign(
        store, name="nights", actor="c", focus="the handover between day and night teams"
    )
    model = ScriptedChatModel(name="scripted")

    def question(request: ModelRequest) -> str:
        return "Comment cela s'est-il passé ?"

    model.respond_with(question)
    deps = SessionDeps(settings=settings, store=store, model=model)
    session = await InterviewSession.begin(deps, language="fr", campaign_id=campaign.id)
    assert session.interview.campaign_id == campaign.id
    [event async for event in session.respond("oui")]
    [event async for event in session.respond("Je suis infirmière de nuit.")]
    prompts = [r.messages[0].content for r in model.requests if r.json_schema is None]
    assert prompts
    assert all("the handover between day and night teams" in p for p in prompts)
    # Resumed (another process, a restart), it keeps the focus too.
    resumed = await InterviewSession.resume(deps, session.interview.id)
    assert resumed.interviewer.focus == campaign.focus
    # An interview of the default campaign has no focus: the prompt says so, and names none.
    plain = await InterviewSession.begin(deps, language="fr")
    before = len(model.requests)
    [event async for event in plain.respond("oui")]
    later = [r.messages[0].content for r in model.requests[before:] if r.json_schema is None]
    assert later
    assert all("night teams" not in p for p in later)
    assert all("(tiens-y" in p for p in later)


# -- reports -------------------------------------------------------------------------------------


def _study_in(store: Store, campaign_id: str, people: int, seed: int) -> set[str]:
    """Scripted interviews with their accepted findings, imported into one campaign."""
    script = scripted(people, seed=seed)
    stored: dict[str, str] = {}
    for interview in script.interviews:
        imported = store.interviews.import_transcript(
            language=interview.language,
            source="scripted",
            turns=[(t.speaker, t.text) for t in script.turns[interview.id]],
            owner_key=f"{campaign_id}:{interview.owner_key}",
            campaign_id=campaign_id,
        )
        stored[interview.id] = imported.id
    findings: list[Finding] = [
        f.model_copy(update={"interview_id": stored[f.interview_id], "id": f"{campaign_id}-{f.id}"})
        for f in script.findings
    ]
    store.findings.add(findings)
    return set(stored.values())


def _publish(store: Store, settings: Settings, campaign_id: str) -> None:
    draft = asyncio.run(build_draft(store, settings, None, actor="claire", campaign_id=campaign_id))
    for quote in quotes_of(draft):
        decide_quote(store, quote.id, QuoteDecision.APPROVED)
    publish(store, actor="claire")


@pytest.mark.slow  # builds whole reports: 5 to 8 s of CPU on a loaded machine
def test_two_campaigns_give_two_reports(store: Store, settings: Settings) -> None:
    march = open_campaign(store, name="march", actor="c").id
    june = open_campaign(store, name="june", actor="c").id
    in_march = _study_in(store, march, 4, seed=1)
    in_june = _study_in(store, june, 6, seed=2)
    _publish(store, settings, march)
    _publish(store, settings, june)
    first, second = store.reports.latest_published(march), store.reports.latest_published(june)
    assert first is not None
    assert second is not None
    assert (first.campaign_id, second.campaign_id) == (march, june)
    assert set(first.interview_ids) == in_march
    assert set(second.interview_ids) == in_june
    assert report_of(first).coverage.interviews == 4
    assert report_of(second).coverage.interviews == 6
    assert {f.split("-")[0] for f in first.finding_ids} == {march}
    assert store.reports.latest_published() == second  # the newest, whichever campaign
    assert store.reports.latest_published(DEFAULT_CAMPAIGN_ID) is None
    # An erasure republishes March's version without the interview: still March's.
    store.interviews.erase(sorted(in_march)[0])
    [replacement] = republish_after_erasure(store, settings)
    assert replacement.campaign_id == march
    assert store.reports.latest_published(march) == replacement
    assert len(replacement.interview_ids) == 3
    assert store.reports.latest_published(june) == second


# -- the command line ----------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_campaign_commands_open_list_show_close_and_count(
    settings: Settings, store: Store
) -> None:
    code, out, _ = cli(
        "campaign",
        "open",
        "Home care",
        "--focus",
        "handovers",
        "--invite",
        "site=Lyon",
        "--closes",
        "2099-06-30",
        "--json",
    )
    assert code == 0, out
    opened = json.loads(out)
    assert (opened["name"], opened["focus"], opened["closes_on"]) == (
        "Home care",
        "handovers",
        "2099-06-30",
    )
    assert opened["groups"] == [{"field": "site", "value": "Lyon"}]
    code, out, err = cli("campaign", "open", "home CARE")
    assert code == 1
    assert "exists already" in err
    code, out, err = cli("campaign", "open", "x", "--closes", "30/06/2099")
    assert code == 1
    assert "YYYY-MM-DD" in err
    code, out, _ = cli("campaign", "list", "--json")
    assert code == 0
    assert [c["name"] for c in json.loads(out)] == ["Home care", "default"]
    code, out, _ = cli("campaign", "show", "home care")
    assert code == 0
    assert "invited: site=Lyon" in out
    assert "focus: handovers" in out
    store.accounts.add("lea", UserRole.EMPLOYEE, profile=Profile(site="Lyon"))
    code, out, _ = cli("campaign", "participation", "Home care", "--json")
    assert code == 0
    counted = json.loads(out)
    assert (counted["invited"], counted["min_people"]) == (1, 3)
    assert counted["groups"][0]["needed"] == 3
    code, out, _ = cli("campaign", "participation", "Home care")
    assert code == 0
    assert "site=Lyon: 1 invited, 0 started" in out
    assert "3 more people needed (the report shows groups of 3 or more)" in out
    code, out, _ = cli("campaign", "close", "Home care")
    assert code == 0
    assert "Closed" in out
    code, _, err = cli("campaign", "close", "nothing")
    assert code == 1
    assert "terrain campaign list" in err
    code, _, err = cli("campaign", "participation", "nothing")
    assert code == 1
    code, out, _ = cli("campaign", "--help")
    assert code == 0
    assert "participation" in out
    assert "default" in out


def test_imported_transcripts_join_the_campaign_named(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    campaign = open_campaign(store, name="archives", actor="c")
    transcript = tmp_path / "visite.txt"
    transcript.write_text(
        "Intervieweur : Que faites-vous le matin ?\n"
        "Salarié(e) : Je prépare les tournées avec l'équipe de nuit.\n",
        encoding="utf-8",
    )
    code, _, err = cli("import", str(transcript), "--lang", "fr", "--campaign", "ARCHIVES")
    assert code == 0, err
    [imported] = store.interviews.where(campaign_id=campaign.id)
    assert imported.source.endswith("visite.txt")
    code, _, err = cli("import", str(transcript), "--campaign", "nothing")
    assert code == 1
    assert "no campaign 'nothing'" in err


def test_a_terminal_interview_joins_an_open_campaign_in_its_language(
    store: Store, monkeypatch: pytest.MonkeyPatch, ollama_server: OllamaTestServer
) -> None:
    campaign = open_campaign(store, name="calls", actor="c", language="en", focus="night calls")
    close_campaign(store, open_campaign(store, name="old", actor="c").name)
    monkeypatch.setenv("OLLAMA_HOST", ollama_server.url)
    monkeypatch.setenv("TERRAIN_CHAT_MODEL", CHAT_MODEL)
    monkeypatch.setenv("TERRAIN_EMBED_MODEL", EMBED_MODEL)
    monkeypatch.setenv("TERRAIN_MAX_RETRIES", "0")
    systems: list[str] = []

    def interviewer(body: dict[str, Any]) -> str:
        systems.append(body["messages"][0]["content"])
        return "What happened then?"

    ollama_server.respond_with(interviewer)
    result = CliRunner().invoke(
        app, ["interview", "--campaign", "calls", "--json"], input="yes\nI answer calls.\n/stop\n"
    )
    assert result.exit_code == 0, result.output
    held = store.interviews.get(json.loads(result.stdout)["id"])
    assert held is not None
    assert (held.campaign_id, held.language) == (campaign.id, "en")
    assert systems
    assert all("night calls" in system for system in systems)
    refused = CliRunner().invoke(app, ["interview", "--campaign", "old"], input="")
    assert refused.exit_code == 1
    assert "not open today" in refused.stderr


@pytest.mark.slow  # two reports of 12 and 20 people built and published
def test_two_campaigns_compare_through_their_latest_published_versions(
    store: Store, settings: Settings
) -> None:
    march = open_campaign(store, name="march", actor="c").id
    june = open_campaign(store, name="june", actor="c").id
    _study_in(store, march, 12, seed=3)
    _study_in(store, june, 20, seed=4)
    _publish(store, settings, march)
    _publish(store, settings, june)
    first, second = store.reports.latest_published(march), store.reports.latest_published(june)
    assert first is not None
    assert second is not None
    assert first.number is not None
    assert second.number is not None
    comparison = compare_versions(store, first.number, second.number)
    assert (comparison.people_before, comparison.people_after) == (12, 20)
    compared = [theme for theme in comparison.themes if theme.change is not None]
    assert compared, "no theme shown in both campaigns' reports"
    for theme in compared:
        assert theme.before is not None
        assert theme.after is not None
        assert theme.change == theme.after - theme.before


def test_a_database_emptied_of_campaigns_offers_the_default_and_stores_it_when_joined(
    store: Store,
) -> None:
    with store._database.writing_rows() as connection:
        connection.execute(sqlalchemy.text("DELETE FROM campaigns"))
    assert store.campaigns.all() == []

    offered = open_to(store, None)

    assert [campaign.id for campaign in offered] == [DEFAULT_CAMPAIGN_ID]
    assert store.campaigns.all() == []  # offering it wrote nothing
    interview = store.interviews.create(language="fr", campaign_id=offered[0].id)
    assert [campaign.id for campaign in store.campaigns.all()] == [DEFAULT_CAMPAIGN_ID]
    assert interview.campaign_id == DEFAULT_CAMPAIGN_ID
