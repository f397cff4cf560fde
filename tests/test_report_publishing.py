"""The report in the store: drafts, quote decisions, published versions, erasure."""

from __future__ import annotations

import asyncio
import html
import io

import pytest
from pypdf import PdfReader

from assistant.config import Settings
from assistant.privacy import erase_interview, erase_user
from assistant.report import render_html, render_markdown, render_pdf, report_json
from assistant.report.publishing import (
    NoPublishedReportError,
    UnreviewedQuotesError,
    build_draft,
    decide_quote,
    latest_published_report,
    publish,
    quotes_of,
)
from assistant.schemas import QuoteDecision, ReportStatus, ReportVersion, WithdrawalReason
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import Scripted, scripted
from tests.report_store import store_study


@pytest.fixture
def report_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def study(tmp_store: Store) -> tuple[Scripted, dict[str, str]]:
    script = scripted(12)
    return script, store_study(tmp_store, script)


def drafted(store: Store, settings: Settings) -> ReportVersion:
    return asyncio.run(build_draft(store, settings, None, actor="claire"))


def approve_all(store: Store, draft: ReportVersion) -> None:
    for quote in quotes_of(draft):
        decide_quote(store, quote.id, QuoteDecision.APPROVED)


def test_publishing_refuses_unreviewed_quotes_and_keeps_only_approved_ones(
    tmp_store: Store, report_settings: Settings, study: tuple[Scripted, dict[str, str]]
) -> None:
    draft = drafted(tmp_store, report_settings)
    quotes = quotes_of(draft)
    assert quotes
    assert all(q.decision is None for q in quotes)
    with pytest.raises(UnreviewedQuotesError, match=f"{len(quotes)} quote"):
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
