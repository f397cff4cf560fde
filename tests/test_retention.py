"""Retention: with TERRAIN_RETENTION_DAYS, the worker erases the interviews that ended longer ago
than that, through the one erasure path, says so in its log and on the jobs page; published
reports stay. `terrain erase --older-than DAYS [--dry-run]` does the same by hand."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.findings.worker import Retention
from assistant.report.publishing import latest_published_report, publish
from assistant.report.republishing import RepublishJobs
from assistant.schemas import InterviewStatus, Job, JobKind, JobStatus, UserRole
from assistant.store import Store
from assistant.store.models import utc_now
from tests.conftest import SettingsFactory
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.support.records import approve_all, closed_interview, drafted


@pytest.fixture
def retention_settings(make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("TERRAIN_DATABASE_URL", settings.database_url)
    return settings


def run_retention(settings: Settings, *, after_days: float) -> list[Job]:
    with Store.open(settings, clock=lambda: utc_now() + timedelta(days=after_days)) as later:
        return list(asyncio.run(Retention(later, settings).run_queued()))


def test_without_the_setting_nothing_is_erased(retention_settings: Settings) -> None:
    with Store.open(retention_settings) as store:
        kept = closed_interview(store)
    assert retention_settings.retention_days is None
    assert run_retention(retention_settings, after_days=10_000) == []
    with Store.open(retention_settings) as store:
        assert store.interviews.get(kept) is not None


def test_the_worker_erases_ended_interviews_past_the_retention_and_says_so(
    retention_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = retention_settings.model_copy(update={"retention_days": 30})
    with Store.open(settings) as store:
        old = closed_interview(store)
        in_progress = store.interviews.create(language="fr").id
    with Store.open(settings, clock=lambda: utc_now() + timedelta(days=20)) as store:
        recent = closed_interview(store)  # ended 20 days after the first one
    assert run_retention(settings, after_days=29) == []  # none ended 30 days ago yet
    caplog.set_level(logging.INFO, logger="assistant.findings.worker")
    [recorded] = run_retention(settings, after_days=31)
    assert "Retention: interviews ended more than 30 days ago erased: 1." in caplog.text
    with Store.open(settings) as store:
        assert store.interviews.get(old) is None
        assert store.interviews.get(in_progress) is not None  # not ended: kept
        assert store.interviews.get(recent) is not None
        [job] = store.jobs.where(kind=JobKind.RETENTION)
    assert job == recorded
    assert (job.status, job.result["erased"]) == (JobStatus.DONE, 1)
    assert run_retention(settings, after_days=31) == []  # nothing more to do: nothing recorded


def test_retention_keeps_the_published_report_republished_without_the_interviews(
    retention_settings: Settings,
) -> None:
    settings = retention_settings.model_copy(update={"retention_days": 30})
    with Store.open(settings) as store:
        stored = store_study(store, scripted(6))
        approve_all(store, drafted(store, settings))
        first = publish(store, actor="claire")
    with Store.open(settings, clock=lambda: utc_now() + timedelta(days=40)) as store:
        recent = closed_interview(store)
    [recorded] = run_retention(settings, after_days=31)
    assert recorded.result["erased"] == len(stored)
    with Store.open(settings) as store:
        assert [i.id for i in store.interviews.where()] == [recent]
        ended = asyncio.run(RepublishJobs.from_settings(settings, store).run_queued())
        assert [job.status for job in ended] == [JobStatus.DONE]
        latest, report = latest_published_report(store)
    assert latest.replaces == first.number
    assert latest.interview_ids == []
    assert report.title  # the report stays, holding only what anonymity allowed


def test_the_jobs_page_shows_the_last_retention(retention_settings: Settings) -> None:
    from tests.web.pages_client import pages_client

    settings = retention_settings.model_copy(update={"retention_days": 30})
    with Store.open(settings) as store:
        closed_interview(store)
        closed_interview(store)
    [recorded] = run_retention(settings, after_days=31)
    with pages_client(settings, {"fanny": UserRole.FACILITATOR}) as pages:
        pages.sign_in("fanny")
        page = pages.get("/staff/jobs").text
    on = recorded.created_at.astimezone().strftime("%d/%m/%Y")
    assert "Conservation : 2 entretiens effacés le " + on in page


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_erase_older_than_by_hand_with_a_dry_run_first(retention_settings: Settings) -> None:
    with Store.open(retention_settings, clock=lambda: utc_now() - timedelta(days=100)) as store:
        old = store.interviews.get(closed_interview(store))
        declined = store.interviews.create(language="fr")
        store.interviews.record_consent(declined.id, given=False, version="test")
    with Store.open(retention_settings) as store:
        recent = closed_interview(store)
    assert old is not None

    code, out = run("erase", "--older-than", "90", "--dry-run", "--json")
    assert code == 0
    listed = json.loads(out)
    assert listed["dry_run"] is True
    assert listed["erased_interviews"] == []
    assert sorted(listed["pseudonyms"]) == sorted([old.pseudonym, declined.pseudonym])
    with Store.open(retention_settings) as store:
        assert store.interviews.get(old.id) is not None  # a dry run erases nothing

    code, out = run("erase", "--older-than", "90")
    assert code == 0
    assert "Erased 2 interviews ended more than 90 days ago" in out
    with Store.open(retention_settings) as store:
        assert [i.id for i in store.interviews.where()] == [recent]
        assert store.interviews.get(recent) is not None
        assert store.interviews.where(status=InterviewStatus.DECLINED) == []

    assert run("erase", "--older-than", "90", "--user", "chloe")[0] != 0
    assert run("erase", "--dry-run", "--user", "chloe")[0] != 0
