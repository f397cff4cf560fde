"""Every staff page and every fixed text of the chat, in each language Terrain speaks, with no
message missing from its catalog: a message a catalog lacks is recorded by assistant.i18n as
it is shown (in English), and nothing may be recorded."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from assistant import i18n
from assistant.findings.evidence import verify
from assistant.report import texts as report_texts
from assistant.schemas import (
    AutomationExposure,
    Finding,
    InterviewStatus,
    InterviewUpdate,
    JobKind,
    Phase,
    Provenance,
    Speaker,
    UserRole,
)
from assistant.web.appearance import chainlit_words, script_words
from assistant.web.launch import prepare_app_root
from assistant.web.pages.profile_texts import profile_texts
from assistant.web.pages.report_texts import report_page_texts
from assistant.web.pages.routes import ROUTES
from assistant.web.pages.texts import page_texts
from assistant.web.texts import language_from, texts_for
from tests.conftest import SettingsFactory
from tests.web.pages_client import PagesClient, pages_client

pytestmark = pytest.mark.slow

ACCOUNTS = {"fanny": UserRole.FACILITATOR, "lea": UserRole.LEADERSHIP, "adam": UserRole.ADMIN}
SAID = "Hier soir je suis restée une heure de plus auprès de Mme R."


def _missing(language: str) -> list[str]:
    return sorted(message for lang, message in i18n.MISSING if lang == language)


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        store = client.store
        interview = store.interviews.create(language="fr")
        store.interviews.record_consent(interview.id, given=True, version="test")
        store.interviews.add_turn(
            interview.id, speaker=Speaker.INTERVIEWER, text="Racontez-moi.", phase=Phase.EPISODE
        )
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text=SAID, phase=Phase.EPISODE
        )
        store.interviews.update(
            interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
        )
        quote = verify("restée une heure de plus", store.interviews.turns(interview.id))
        assert quote is not None
        now = datetime.now(UTC)
        store.findings.add(
            [
                Finding(
                    id="care-1",
                    interview_id=interview.id,
                    code="care",
                    activity="veille",
                    counterpart="résidente",
                    value_chain_stage="service_delivery",
                    evidence=[quote],
                    automation_exposure=AutomationExposure.HUMAN_ESSENTIAL,
                    confidence=0.8,
                    provenance=Provenance(model="test", codebook="codebook@1", created_at=now),
                    updated_at=now,
                )
            ]
        )
        store.jobs.enqueue(JobKind.EXTRACTION, interview.id)
        yield client


def _pages_of(pages: PagesClient, role: UserRole) -> list[str]:
    interview = pages.store.interviews.where()[0]
    paths = [
        route.path
        for route in ROUTES
        if route.method == "GET"
        and role in route.roles
        and "{" not in route.path
        and not route.path.endswith((".csv", ".json", ".pdf", ".html"))
    ]
    if role == UserRole.FACILITATOR:
        paths.append(f"/staff/interviews/{interview.id}")
    if role == UserRole.ADMIN:
        paths.append(f"/staff/admin/erase?pseudonym={interview.pseudonym}")
    return [*paths, "/staff/no-such-page"]


@pytest.mark.parametrize("language", i18n.languages())
def test_every_staff_page_renders_in_each_language_with_no_message_missing(
    pages: PagesClient, language: str
) -> None:
    before = _missing(language)
    shown: dict[str, str] = {}
    for name, role in ACCOUNTS.items():
        pages.sign_in(name)
        for path in _pages_of(pages, role):
            answer = pages.http.get(
                path, headers={"Accept-Language": language}, follow_redirects=True
            )
            assert answer.status_code in (200, 404), (path, answer.status_code)
            shown[path] = html.unescape(answer.text)
            assert f'<html lang="{language}">' in answer.text, path
    assert _missing(language) == before == []
    erase = next(page for path, page in shown.items() if "erase?" in path)
    plan = {
        "fr": "Seront effacés pour de bon : 1 entretien, 2 tours de parole et 1 constat",
        "en": "To be erased for good: 1 interview, 2 turns and 1 finding",
    }
    assert plan[language] in erase


@pytest.mark.parametrize("language", i18n.languages())
def test_every_fixed_text_of_the_chat_and_the_report_exists_in_each_language(
    language: str,
) -> None:
    """The tables are built whole (every field asks its catalog), and each counted text is
    asked at 0, 1 and 2."""
    before = _missing(language)
    for table in (texts_for, page_texts, report_page_texts, profile_texts):
        table.cache_clear()
        table(language)
    report_texts._texts.cache_clear()
    report_texts._texts(language)
    for form in report_texts._counted(language).values():
        for count in (0, 1, 2):
            form(count)
    chainlit_words(language)
    script_words(language)
    assert _missing(language) == before == []


def test_the_chats_chrome_speaks_from_the_catalogs(make_settings: SettingsFactory) -> None:
    """Chainlit's translation files and the page script get Terrain's words from the catalogs,
    for every language of Chainlit's: its own where Terrain has a catalog, else the default's."""
    root = prepare_app_root(make_settings(language="fr"))
    folder = root / ".chainlit" / "translations"

    def title(name: str) -> str:
        said = json.loads((folder / name).read_text(encoding="utf-8"))
        return str(said["auth"]["login"]["title"])

    assert title("fr-FR.json") == "Connectez-vous à Terrain"
    assert title("en-US.json") == "Sign in to Terrain"
    assert title("de-DE.json") == "Connectez-vous à Terrain"  # the default, no catalog for de
    script = (root / "public" / "terrain.js").read_text(encoding="utf-8")
    words = json.loads(script.split("window.terrainWords = ", 1)[1].split(";\n", 1)[0])
    assert set(words) == set(i18n.languages())
    assert words["fr"]["labels"]["#chat-input"] == "Votre réponse"
    assert words["en"]["labels"]["#chat-input"] == "Your answer"


def test_a_page_whose_message_the_catalog_lacks_is_caught(
    pages: PagesClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above can fail: with one message taken out of the French catalog, the page
    shows it in English and the miss is recorded."""
    lacking = "Staff pages"
    monkeypatch.delitem(i18n.translation("fr")._catalog, lacking)  # type: ignore[attr-defined]
    page_texts.cache_clear()
    try:
        pages.sign_in("fanny")
        answer = pages.http.get("/staff/interviews", headers={"Accept-Language": "fr"})
        assert lacking in answer.text
        assert ("fr", lacking) in i18n.MISSING
    finally:
        i18n.MISSING.discard(("fr", lacking))
        page_texts.cache_clear()


def test_a_language_without_a_catalog_is_refused_by_every_table_and_mapped_in_one_place(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No table falls back to English by itself; the browser's language is the one place where
    a language Terrain does not speak becomes the default, and the log says so."""
    for table in (texts_for, page_texts, report_page_texts, profile_texts):
        with pytest.raises(i18n.UnsupportedLanguage, match="'sv'"):
            table("sv")
    with pytest.raises(i18n.UnsupportedLanguage):
        report_texts.text_for("sv", "title")
    with caplog.at_level(logging.INFO, logger="assistant.web.texts"):
        assert language_from("sv-SE,sv;q=0.9", "en") == "en"
    assert "'sv'" in caplog.text
    with pytest.raises(i18n.UnsupportedLanguage):
        language_from("fr", "sv")  # a default Terrain cannot speak is an error, not a guess
