"""The report in the store: drafts, quote decisions, published versions, erasure."""

from __future__ import annotations

import asyncio
import html
import io
import subprocess
import sys

import pytest
from pypdf import PdfReader

from assistant.config import Settings
from assistant.findings.jobs import ExtractionJobs
from assistant.findings.worker import Worker
from assistant.llm.testing import ScriptedChatModel
from assistant.privacy import erase_interview, erase_user
from assistant.report import Report, render_html, render_markdown, render_pdf, report_json
from assistant.report.publishing import (
    NoPublishedReportError,
    UnreviewedQuotesError,
    WithdrawnVersionError,
    decide_quote,
    latest_published_report,
    publish,
    quotes_of,
    report_of,
)
from assistant.report.republishing import RepublishJobs
from assistant.schemas import (
    Job,
    JobKind,
    JobStatus,
    QuoteDecision,
    ReportStatus,
    WithdrawalReason,
)
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import Scripted, scripted
from tests.report_store import store_study
from tests.support.records import approve_all, drafted


@pytest.fixture
def report_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def study(tmp_store: Store) -> tuple[Scripted, dict[str, str]]:
    script = scripted(12)
    return script, store_study(tmp_store, script)


def run_republishing(store: Store, settings: Settings) -> list[Job]:
    """What the worker does with the queued republish jobs."""
    ended = asyncio.run(RepublishJobs.from_settings(settings, store).run_queued())
    assert all(job.status == JobStatus.DONE for job in ended), ended
    return ended


def test_publishing_refuses_unreviewed_quotes_and_keeps_only_approved_ones(
    tmp_store: Store, report_settings: Settings, study: tuple[Scripted, dict[str, str]]
) -> None:
    draft = drafted(tmp_store, report_settings)
    quotes = quotes_of(draft)
    assert quotes
    assert all(q.decision is None for q in quotes)
    with pytest.raises(UnreviewedQuotesError, match=f"await approval: {len(quotes)};"):
        publish(tmp_store, actor="claire")
    with pytest.raises(NoPublishedReportError):
        latest_published_report(tmp_store)

    dropped = quotes[0]
    decide_quote(tmp_store, dropped.id, QuoteDecision.DROPPED)
    for quote in quotes[1:]:
        decide_quote(tmp_store, quote.id, QuoteDecision.APPROVED)
    version = publish(tmp_store, actor="claire")

    assert version.number == 1
    assert version.status == ReportStatus.PUBLISHED
    assert version.published_by == "claire"
    assert tmp_store.reports.draft() is None
    latest, report = latest_published_report(tmp_store)
    assert latest.id == version.id
    shown = [q.text for t in report.themes for q in t.quotes]
    assert dropped.quote.text not in shown
    assert len(shown) == len(quotes) - 1


@pytest.mark.slow
def test_erasing_an_interview_republishes_without_its_words_or_counts(
    tmp_store: Store, report_settings: Settings, study: tuple[Scripted, dict[str, str]]
) -> None:
    script, stored = study
    settings = report_settings.model_copy(
        update={"report_min_people": 3, "report_min_people_for_quotes": 3}
    )
    approve_all(tmp_store, drafted(tmp_store, settings))
    first = publish(tmp_store, actor="claire")
    before = latest_published_report(tmp_store)[1]

    # The interview with a quote shown, so that its words were published.
    shown = {q.finding_id for t in before.themes for q in t.quotes}
    finding = next(f for f in script.findings if f.id in shown)
    of_interview = {f.id for f in script.findings if f.interview_id == finding.interview_id}
    erased_words = [q.text for t in before.themes for q in t.quotes if q.finding_id in of_interview]
    assert erased_words
    assert all(w in render_html(before) for w in erased_words)

    erase_interview(tmp_store, settings, stored[finding.interview_id])

    withdrawn = tmp_store.reports.version(first.number or 0)
    assert withdrawn is not None
    assert withdrawn.status == ReportStatus.WITHDRAWN
    assert withdrawn.withdrawn_reason == WithdrawalReason.ERASURE
    with pytest.raises(NoPublishedReportError):  # until the worker republishes
        latest_published_report(tmp_store)
    with pytest.raises(WithdrawnVersionError):
        report_of(withdrawn)
    assert len(run_republishing(tmp_store, settings)) == 1
    latest, after = latest_published_report(tmp_store)
    assert latest.number == 2
    assert latest.replaces == 1
    assert stored[finding.interview_id] not in latest.interview_ids
    assert after.coverage.people == (before.coverage.people or 0) - 1
    pdf = PdfReader(io.BytesIO(render_pdf(after)))
    pdf_text = " ".join(page.extract_text() for page in pdf.pages)
    for rendering in (report_json(after), render_html(after), render_markdown(after), pdf_text):
        for words in erased_words:
            assert words not in rendering
            assert html.escape(words) not in rendering
    assert [q for t in after.themes for q in t.quotes]  # the others' approved quotes stay


def test_an_erased_person_withdraws_the_draft_and_no_version_shows_them(
    tmp_store: Store, report_settings: Settings, study: tuple[Scripted, dict[str, str]]
) -> None:
    script, _stored = study
    drafted(tmp_store, report_settings)
    owner = script.interviews[0].owner_key or ""
    assert tmp_store.interviews.erase_owned_by(owner)
    assert tmp_store.reports.draft() is None
    assert erase_user(tmp_store, report_settings, "nobody") == []


def _every_rendering(report: Report) -> list[str]:
    pdf = PdfReader(io.BytesIO(render_pdf(report)))
    pdf_text = " ".join(page.extract_text() for page in pdf.pages)
    return [report_json(report), render_html(report), render_markdown(report), pdf_text]


@pytest.mark.slow
def test_erasure_withdraws_every_version_that_used_the_interview_and_republishes_each(
    tmp_store: Store, report_settings: Settings, study: tuple[Scripted, dict[str, str]]
) -> None:
    script, stored = study
    settings = report_settings.model_copy(
        update={"report_min_people": 3, "report_min_people_for_quotes": 3}
    )
    approve_all(tmp_store, drafted(tmp_store, settings))
    first = publish(tmp_store, actor="claire")
    approve_all(tmp_store, drafted(tmp_store, settings))
    second = publish(tmp_store, actor="claire")
    shown = {q.finding_id for t in report_of(first).themes for q in t.quotes}
    erased_interview = next(f.interview_id for f in script.findings if f.id in shown)
    erased_words = [
        q.text
        for t in report_of(first).themes
        for q in t.quotes
        if q.finding_id.startswith(f"f{erased_interview.removeprefix('iv')}")
    ]
    assert erased_words

    erase_interview(tmp_store, settings, stored[erased_interview])

    # The erasure's commit withdrew both and queued one republish job; nothing is readable.
    assert [v.status for v in tmp_store.reports.versions()] == [ReportStatus.WITHDRAWN] * 2
    queued = tmp_store.jobs.where(kind=JobKind.REPUBLISH, status=JobStatus.QUEUED)
    assert len(queued) == 1
    assert queued[0].interview_id is None
    with pytest.raises(NoPublishedReportError):
        latest_published_report(tmp_store)
    for version in (first, second):
        withdrawn = tmp_store.reports.version(version.number or 0)
        assert withdrawn is not None
        with pytest.raises(WithdrawnVersionError):
            report_of(withdrawn)

    [job] = run_republishing(tmp_store, settings)

    assert job.result == {"republished": [3, 4], "replaced": [1, 2]}
    versions = {v.number: v for v in tmp_store.reports.versions()}
    assert (versions[3].replaces, versions[4].replaces) == (1, 2)
    assert versions[1].content == versions[2].content == {}  # cleared once replaced
    latest, _report = latest_published_report(tmp_store)
    assert latest.number == 4  # the newest publication's replacement
    for number in (3, 4):
        assert stored[erased_interview] not in versions[number].interview_ids
        for rendering in _every_rendering(report_of(versions[number])):
            for words in erased_words:
                assert words not in rendering
                assert html.escape(words) not in rendering
    assert run_republishing(tmp_store, settings) == []  # nothing left to do


def test_a_replacement_of_an_older_version_does_not_hide_a_newer_one(tmp_store: Store) -> None:
    """Leadership reads the version standing for the newest publication."""
    one = tmp_store.interviews.create(language="fr")
    other = tmp_store.interviews.create(language="fr")
    for users in ([one.id, other.id], [other.id]):
        tmp_store.reports.save_draft({}, finding_ids=[], interview_ids=users, built_by="c")
        tmp_store.reports.publish_draft({"v": len(users)}, actor="c")
    tmp_store.interviews.erase(one.id)
    latest = tmp_store.reports.latest_published()
    assert latest is not None
    assert latest.number == 2  # version 1 withdrawn, version 2 never used the interview
    [withdrawn] = tmp_store.reports.awaiting_replacement()
    replacement = tmp_store.reports.publish_replacement(
        withdrawn, {"v": 0}, finding_ids=[], interview_ids=[other.id], quote_decisions={}, actor="t"
    )
    assert replacement.number == 3
    again = tmp_store.reports.publish_replacement(
        withdrawn, {"v": 9}, finding_ids=[], interview_ids=[], quote_decisions={}, actor="t"
    )
    assert again.id == replacement.id  # replaced once only
    latest = tmp_store.reports.latest_published()
    assert latest is not None
    assert latest.number == 2
    assert tmp_store.reports.awaiting_replacement() == []


ERASE_IN_A_FRESH_PROCESS = """
import sys
from assistant.config import load_settings
from assistant.privacy import erase_interview
from assistant.store import Store
settings = load_settings()
with Store.open(settings) as store:
    erase_interview(store, settings, sys.argv[1])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("spacy", "presidio_analyzer"))
print(",".join(loaded) or "none")
"""


@pytest.mark.slow
def test_a_withdrawal_returns_without_loading_the_redactor_and_the_worker_republishes(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    script = scripted(12)
    with Store.open(settings) as store:
        stored = store_study(store, script)
        approve_all(store, drafted(store, settings))
        publish(store, actor="claire")
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    erased = stored[script.interviews[0].id]
    run = subprocess.run(
        [sys.executable, "-c", ERASE_IN_A_FRESH_PROCESS, erased],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "none"

    with Store.open(settings) as store:
        assert store.interviews.get(erased) is None
        assert store.reports.latest_published() is None
        worker = Worker(
            ExtractionJobs.from_settings(settings, store, model=ScriptedChatModel([])),
            poll_seconds=0.01,
            other_jobs=[RepublishJobs.from_settings(settings, store)],
        )
        ended = asyncio.run(worker.drain())
        assert [job.kind for job in ended] == [JobKind.REPUBLISH]
        latest = store.reports.latest_published()
        assert latest is not None
        assert latest.replaces == 1
        assert erased not in latest.interview_ids
