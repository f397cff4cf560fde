"""People named in the company's ingested documents are always redacted from the report."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.config import Settings
from assistant.personal_data.names import names_in
from assistant.report.publishing import (
    build_draft,
    decide_quote,
    latest_published_report,
    leadership_file,
    publish,
    quotes_of,
)
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.people import company_people, load_people
from assistant.schemas import QuoteDecision
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_scripts import Scripted, scripted
from tests.report_store import store_study

PROCEDURE = (
    "# Procédure d'astreinte\n\n"
    "En cas d'absence imprévue, l'intervenant appelle Mme Josiane Ferrand, responsable de "
    "l'astreinte, qui prévient la famille. Le planning est tenu à jour par Bertrand Vasseur.\n"
)
# Spoken by the first scripted employee, in the quote of their "trust" finding.
NAMING = "Sa fille m'a dit que Ferrand, notre astreinte, avait rappelé Josiane à temps."


def _naming_the_documents_people(script: Scripted) -> Scripted:
    """The first interview's quoted sentence for "trust" replaced by one naming Ferrand."""
    interview = script.interviews[0]
    turn = script.turns[interview.id][1]
    finding = next(f for f in script.findings if f.id == "f0000-trust")
    old = finding.evidence[0].text
    text = turn.text.replace(old, NAMING)
    script.turns[interview.id][1] = turn.model_copy(update={"text": text})
    for index, f in enumerate(script.findings):
        if f.interview_id != interview.id:
            continue
        quotes = []
        for quote in f.evidence:
            words = NAMING if quote.text == old else quote.text
            start = text.index(words)
            quotes.append(quote.model_copy(update={"text": words, "start": start,
                                                   "end": start + len(words)}))  # fmt: skip
        script.findings[index] = f.model_copy(update={"evidence": quotes})
    return script


async def _ingest(settings: Settings, folder: Path, store: Store) -> None:
    base = KnowledgeBase(settings, embedder=None, database=store)
    report = await base.ingest(base.files([folder], None), prune=True)
    assert report.ok


@pytest.fixture
def company(tmp_path: Path) -> Path:
    folder = tmp_path / "company"
    folder.mkdir()
    (folder / "astreinte.md").write_text(PROCEDURE, encoding="utf-8")
    return folder


def _published_files(store: Store, settings: Settings) -> tuple[list[str], dict[str, str]]:
    draft = asyncio.run(build_draft(store, settings, None, actor="claire"))
    for quote in quotes_of(draft):
        decide_quote(store, quote.id, QuoteDecision.APPROVED)
    publish(store, actor="claire")
    _version, report = latest_published_report(store)
    quotes = [q.text for theme in report.themes for q in theme.quotes]
    files = {kind: leadership_file(report, kind).decode() for kind in ("html", "md", "json")}
    pdf = PdfReader(io.BytesIO(leadership_file(report, "pdf")))
    files["pdf"] = " ".join(page.extract_text() for page in pdf.pages)
    return quotes, files


@pytest.mark.slow
def test_a_person_named_in_a_company_document_is_absent_from_every_leadership_file(
    tmp_store: Store, make_settings: SettingsFactory, company: Path
) -> None:
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    asyncio.run(_ingest(settings, company, tmp_store))
    assert {"Josiane Ferrand", "Bertrand Vasseur"} <= company_people(tmp_store)
    store_study(tmp_store, _naming_the_documents_people(scripted(12)))

    quotes, files = _published_files(tmp_store, settings)

    # The quote is shown, its names replaced (not merely dropped as doubtful).
    assert "Sa fille m'a dit que [nom], notre astreinte, avait rappelé [nom] à temps." in quotes
    for kind, text in files.items():
        for name in ("Ferrand", "Josiane"):
            assert name not in text, (kind, name)


def test_without_the_documents_the_same_quote_is_not_shown_redacted(
    tmp_store: Store, make_settings: SettingsFactory
) -> None:
    """The control of the test above: the surname alone is not found by the redactor's own
    recognizers, so what removes it there is the document's list."""
    settings = make_settings(report_min_people=3, report_min_people_for_quotes=3)
    store_study(tmp_store, _naming_the_documents_people(scripted(12)))
    quotes, _files = _published_files(tmp_store, settings)
    assert not any("[nom], notre astreinte" in quote for quote in quotes)


def test_names_follow_their_document_when_it_changes_or_is_removed(
    make_settings: SettingsFactory, company: Path, tmp_store: Store
) -> None:
    settings = make_settings()
    asyncio.run(_ingest(settings, company, tmp_store))
    first = load_people(tmp_store)
    assert set(first.documents) == {"astreinte.md"}

    (company / "astreinte.md").write_text(PROCEDURE.replace("Bertrand Vasseur", "Odile Marchal"))
    asyncio.run(_ingest(settings, company, tmp_store))
    names = company_people(tmp_store)
    assert "Odile Marchal" in names
    assert "Bertrand Vasseur" not in names

    (company / "astreinte.md").unlink()
    (company / "notes.md").write_text("Rien de particulier.\n", encoding="utf-8")
    asyncio.run(_ingest(settings, company, tmp_store))
    assert company_people(tmp_store) == set()


def test_only_what_reads_as_a_name_is_kept() -> None:
    text = (
        "Appeler Mme Josiane Ferrand ou M. Roux. Contact Dr. Smith or John Carpenter. "
        "Absence imprévue : le Planning Cadence est mis à jour à Lormeval. Un planning clair."
    )
    names = set(names_in([text]))
    assert {"Josiane Ferrand", "Roux", "Smith", "John Carpenter"} <= names
    assert not names & {"Planning Cadence", "Lormeval", "Absence"}
