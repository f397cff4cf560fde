"""The report, leadership and administration pages (their routes in-process, a store of the
test's own): a facilitator from reviewed findings to a published report, leadership reading it,
accounts, and an erasure confirmed, then republished by the worker."""

from __future__ import annotations

import asyncio
import html
import io
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from assistant.auth import authenticate
from assistant.config import Settings
from assistant.report.republishing import RepublishJobs
from assistant.schemas import JobKind, JobStatus, ReportStatus, UserRole
from assistant.web.pages import ROUTES
from tests.conftest import SettingsFactory
from tests.report_scripts import Scripted, scripted
from tests.report_store import store_study
from tests.support.report_pages import ACCOUNTS, QUOTE_FORM, _built, _published
from tests.web.pages_client import PASSWORD, PagesClient, pages_client

pytestmark = pytest.mark.slow

ROLE_OF = {role: name for name, role in ACCOUNTS.items()}
OURS = ("/staff/report", "/staff/leadership", "/staff/admin")


@pytest.fixture
def study_settings(make_settings: SettingsFactory) -> Settings:
    # No model listens there: a build with narratives says the model could not be reached.
    return make_settings(
        report_min_people=3,
        report_min_people_for_quotes=3,
        ollama_host="http://127.0.0.1:9",
        max_retries=0,
    )


@pytest.fixture
def pages(study_settings: Settings) -> Iterator[PagesClient]:
    with pages_client(study_settings, ACCOUNTS) as client:
        client.sign_in("fanny")
        yield client


@pytest.fixture
def study(pages: PagesClient) -> tuple[Scripted, dict[str, str]]:
    script = scripted(12)
    return script, store_study(pages.store, script)


@pytest.mark.usefixtures("study")
def test_a_facilitator_goes_from_reviewed_findings_to_a_published_report_leadership_reads(
    pages: PagesClient,
) -> None:
    page = _built(pages)  # with narratives: the model is not reachable, and the page says so
    assert "Le modèle n'a pas pu être joint" in page
    quotes = list(dict.fromkeys(QUOTE_FORM.findall(page)))
    assert len(quotes) > 2
    assert f"{len(quotes)} sur {len(quotes)} en attente de décision" in page

    refused = pages.post("/staff/report/publish", {})
    assert refused.headers["location"] == "/staff/report?problem=pending"
    assert pages.store.reports.latest_published() is None

    dropped, *approved = quotes
    assert pages.post(f"/staff/report/quotes/{dropped}", {"decision": "dropped"}).status_code == 303
    for quote in approved:
        assert (
            pages.post(f"/staff/report/quotes/{quote}", {"decision": "approved"}).status_code == 303
        )
    assert "0 sur" in html.unescape(pages.get("/staff/report").text)
    preview = pages.get("/staff/report/preview")
    assert preview.status_code == 200
    assert preview.text.startswith("<!DOCTYPE html>")
    for file_format in ("html", "md", "json", "qdpx"):
        exported = pages.get(f"/staff/report/draft/{file_format}")
        assert exported.status_code == 200, file_format
        assert "attachment" in exported.headers["content-disposition"]

    assert pages.post("/staff/report/publish", {}).headers["location"].endswith("done=published")
    version = pages.store.reports.latest_published()
    assert version is not None
    assert version.number == 1
    assert "lue par la direction" in html.unescape(pages.get("/staff/report").text)

    pages.sign_in("lea")
    assert pages.get("/staff/").headers["location"] == "/staff/leadership"
    shown = html.unescape(pages.get("/staff/leadership").text)
    assert "Version 1, publiée le" in shown
    report = pages.get("/staff/leadership/report.html").text
    assert report.startswith("<!DOCTYPE html>")
    pdf = pages.get("/staff/leadership/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert PdfReader(io.BytesIO(pdf.content)).pages
    download = pages.get("/staff/leadership/report.html?download=true")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == report
    # Leadership reads nothing else: not the draft's pages, nor a transcript, nor the admin's.
    for path in ("/staff/report", "/staff/report/preview", "/staff/interviews", OURS[2] + "/erase"):
        assert pages.get(path).status_code == 403, path


@pytest.mark.usefixtures("study")
def test_narratives_are_edited_redacted_and_a_bad_form_changes_nothing(pages: PagesClient) -> None:
    _built(pages, narratives="none")
    assert "Construit sans synthèses" in html.unescape(pages.get("/staff/report").text)
    assert (
        pages.post("/staff/report/narratives/nope", {"text": "x"})
        .headers["location"]
        .endswith("problem=unknown_narrative")
    )
    assert (
        pages.post("/staff/report/quotes/q00000000", {"decision": "approved"})
        .headers["location"]
        .endswith("problem=unknown_quote")
    )
    assert pages.post("/staff/report/quotes/q00000000", {"decision": "maybe"}).status_code == 303
    assert pages.get("/staff/report/draft/exe").status_code == 404
    assert pages.get("/staff/report/versions/7/html").headers["location"].endswith("no_version")
    draft = pages.store.reports.draft()
    assert draft is not None
    assert draft.quote_decisions == {}


def test_without_a_draft_the_page_offers_to_build_one(pages: PagesClient) -> None:
    page = html.unescape(pages.get("/staff/report").text)
    assert "Aucun brouillon pour l'instant" in page
    assert "Aucune version publiée" in page
    assert pages.get("/staff/report/preview").headers["location"].endswith("problem=no_draft")
    assert pages.post("/staff/report/publish", {}).headers["location"].endswith("problem=no_draft")
    pages.sign_in("lea")
    assert "Aucun rapport n'est publié" in html.unescape(pages.get("/staff/leadership").text)
    assert pages.get("/staff/leadership/report.html").headers["location"] == "/staff/leadership"


def test_the_admin_manages_accounts_but_not_their_own(pages: PagesClient) -> None:
    pages.sign_in("adam")
    assert pages.get("/staff/").headers["location"] == "/staff/admin/accounts"
    added = pages.post(
        "/staff/admin/accounts",
        {"name": "nora", "role": "facilitator", "password": PASSWORD, "display_name": "Nora"},
    )
    assert added.headers["location"] == "/staff/admin/accounts?done=nora"
    assert (account := authenticate(pages.store, "nora", PASSWORD)) is not None
    assert account.role == UserRole.FACILITATOR

    too_short = pages.post(
        "/staff/admin/accounts", {"name": "olga", "role": "employee", "password": "court"}
    )
    assert too_short.status_code == 400
    assert "au moins 10 caractères" in too_short.text
    assert pages.store.accounts.get("olga") is None

    assert pages.post("/staff/admin/accounts/nora/role", {"role": "leadership"}).status_code == 303
    assert pages.post("/staff/admin/accounts/nora/password", {"password": "un-autre-mot-de-passe"})
    assert authenticate(pages.store, "nora", PASSWORD) is None
    assert authenticate(pages.store, "nora", "un-autre-mot-de-passe") is not None
    assert (
        pages.post("/staff/admin/accounts/nora/disabled", {"disabled": "true"}).status_code == 303
    )
    nora = pages.store.accounts.get("nora")
    assert nora is not None
    assert (nora.role, nora.disabled) == (UserRole.LEADERSHIP, True)
    assert (
        pages.post("/staff/admin/accounts/nora/disabled", {"disabled": "false"}).status_code == 303
    )
    assert pages.store.accounts.get("nora").disabled is False  # type: ignore[union-attr]

    mine = pages.post("/staff/admin/accounts/adam/role", {"role": "employee"})
    assert mine.status_code == 400
    assert "votre propre compte" in html.unescape(mine.text)
    assert pages.store.accounts.get("adam").role == UserRole.ADMIN  # type: ignore[union-attr]
    assert pages.post("/staff/admin/accounts/ghost/role", {"role": "admin"}).status_code == 400
    page = html.unescape(pages.get("/staff/admin/accounts").text)
    assert "Nora" in page
    assert "direction" in page  # roles in the page's language


def test_the_admin_erases_after_the_confirmation_and_the_worker_republishes(
    pages: PagesClient, study: tuple[Scripted, dict[str, str]], study_settings: Settings
) -> None:
    script, stored = study
    _published(pages)
    published = pages.store.reports.latest_published()
    assert published is not None
    erased = pages.store.interviews.get(stored[script.interviews[0].id])
    assert erased is not None
    turns = len(pages.store.interviews.turns(erased.id))
    findings = len(pages.store.findings.where(interview_id=erased.id))

    pages.sign_in("adam")
    plan = html.unescape(pages.get(f"/staff/admin/erase?pseudonym={erased.pseudonym}").text)
    french_plural = {True: "s", False: ""}  # French: 0 and 1 take the singular
    turned, found = french_plural[turns > 1], french_plural[findings > 1]
    assert f"1 entretien, {turns} tour{turned} de parole et {findings} constat{found}" in plan
    assert "republiées sans ces entretiens : 1." in plan
    assert pages.store.interviews.get(erased.id) is not None  # the page erased nothing

    stale = pages.post("/staff/admin/erase", {"pseudonym": erased.pseudonym, "interviews": "x"})
    assert stale.headers["location"] == f"/staff/admin/erase?pseudonym={erased.pseudonym}"
    assert pages.store.interviews.get(erased.id) is not None

    done = pages.post(
        "/staff/admin/erase", {"pseudonym": erased.pseudonym, "interviews": erased.id}
    )
    assert done.status_code == 303
    assert pages.store.interviews.get(erased.id) is None
    assert pages.store.reports.latest_published() is None  # withdrawn at once
    assert "Effacé" in html.unescape(pages.get(done.headers["location"]).text)
    nothing = html.unescape(pages.get(f"/staff/admin/erase?pseudonym={erased.pseudonym}").text)
    assert "Rien à effacer" in nothing

    pages.sign_in("lea")
    assert "Aucun rapport n'est publié" in html.unescape(pages.get("/staff/leadership").text)

    ended = asyncio.run(RepublishJobs.from_settings(study_settings, pages.store).run_queued())
    assert [(job.kind, job.status) for job in ended] == [(JobKind.REPUBLISH, JobStatus.DONE)]
    latest = pages.store.reports.latest_published()
    assert latest is not None
    assert (latest.number, latest.replaces) == (2, 1)
    assert "Version 2, publiée le" in html.unescape(pages.get("/staff/leadership").text)
    pages.sign_in("fanny")
    withdrawn = pages.get("/staff/report/versions/1/html")
    assert withdrawn.headers["location"] == "/staff/report?problem=withdrawn"
    assert pages.get("/staff/report/versions/2/html").status_code == 200
    versions = pages.store.reports.versions()
    assert [v.status for v in versions] == [ReportStatus.PUBLISHED, ReportStatus.WITHDRAWN]


def test_every_report_leadership_and_admin_route_answers_only_its_roles(
    pages: PagesClient,
) -> None:
    ours = [route for route in ROUTES if route.path.startswith(OURS)]
    assert len(ours) >= 15
    for route in ours:
        path = route.path.replace("{number}", "1")
        path = re.sub(r"\{[a-z_]+\}", "x", path)
        for role, name in ROLE_OF.items():
            pages.sign_in(name)
            answer = pages.get(path) if route.method == "GET" else pages.post(path, {})
            refused = answer.status_code == 403
            assert refused == (role not in route.roles), (route.method, path, name)
