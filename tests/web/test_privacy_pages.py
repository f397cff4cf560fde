"""What facilitators read, with the people employees mention masked, and who read it: the
transcript page and the findings' exports name no third party; words selected on the masked
page store the employee's real words; each read and export is in the access log, which admins
alone read (page and `terrain audit`), and which erasure unlinks from the interview."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.privacy import erase_interview
from assistant.schemas import (
    AccessKind,
    FindingOrigin,
    FindingStatus,
    Speaker,
)
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.support.privacy_pages import ACCOUNTS, SAID, THIRD_PARTY, seed
from tests.web.pages_client import PagesClient, pages_client

pytestmark = pytest.mark.slow


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        client.sign_in("fanny")
        yield client


def test_the_facilitator_reads_no_third_party_on_the_page_or_in_the_exports(
    pages: PagesClient,
) -> None:
    interview_id, pseudonym, finding_id = seed(pages.store)
    page = html.unescape(pages.get(f"/staff/interviews/{interview_id}").text)
    exported_json = pages.get("/staff/findings.json").text
    exported_csv = pages.get("/staff/findings.csv").text
    for body in (page, exported_json, exported_csv):
        for words in THIRD_PARTY:
            assert words not in body
    said = re.sub(r"<[^>]+>", "", page)  # the page's text, without its marks and labels
    assert "[personne A], son numéro c'est le [téléphone]" in said
    assert "maladie d'[santé]" in said
    assert "et [personne A] oublie ses repas" in said
    assert "Les personnes dont parle l'employé sont masquées" in page
    assert 'et <span class="masked">[personne A]</span> oublie' in page  # a label, not words said
    (row,) = json.loads(exported_json)
    assert [quote["text"] for quote in row["quotes"]] == [
        "[personne A], son numéro c'est le [téléphone]",
        "Elle a la maladie d'[santé]",
    ]
    assert (row["activity"], row["counterpart"]) == ("repas de [personne A]", "[personne A]")
    # French staff: a semicolon-separated file behind a BOM, for their spreadsheet.
    table = csv.reader(io.StringIO(exported_csv.lstrip("\ufeff")), delimiter=";")
    cells = next(r for r in table if len(r) > 2 and r[2] == finding_id)
    assert "[personne A], son numéro c'est le [téléphone]" in cells[-1]
    # The stored transcript and the finding are unchanged: quotes keep their exact offsets.
    (turn,) = [t for t in pages.store.interviews.turns(interview_id) if t.index == 1]
    assert turn.text == SAID
    stored = pages.store.findings.get(finding_id)
    assert stored is not None
    assert stored.counterpart == "Mme Dubois"
    for quote in stored.evidence:
        assert SAID[quote.start : quote.end] == quote.text
    assert pseudonym in page


def test_words_selected_on_the_masked_page_store_the_employees_real_words(
    pages: PagesClient,
) -> None:
    interview_id, _, _ = seed(pages.store)
    path = f"/staff/interviews/{interview_id}/findings"
    form = {"turn": "2", "code": "care", "value_chain_stage": "follow_up"}
    # What select-words.js sends: the selected text as shown, here cut inside two labels.
    added = pages.post(path, {**form, "words": "sonne A] oublie ses repas"})
    assert added.status_code == 303
    (new,) = [f for f in pages.store.findings.where() if f.origin == FindingOrigin.FACILITATOR]
    (quote,) = new.evidence
    assert quote.text == "Jeanne oublie ses repas"
    assert (quote.turn_index, quote.start, quote.end) == (
        1,
        SAID.index("Jeanne oublie"),
        SAID.index("Jeanne oublie") + len("Jeanne oublie ses repas"),
    )
    assert new.status == FindingStatus.ACCEPTED
    shown = html.unescape(pages.get(added.headers["location"]).text)
    assert "<blockquote>" in shown
    assert "<br>[personne A] oublie ses repas</blockquote>" in shown
    assert "Jeanne" not in shown
    # Words that are not on the page as shown are refused, the real ones included.
    before = len(pages.store.findings.where())
    hidden = pages.post(path, {**form, "words": "Jeanne oublie ses repas"})
    assert hidden.status_code == 422
    assert len(pages.store.findings.where()) == before


def test_a_field_sent_back_as_shown_keeps_the_stored_words(pages: PagesClient) -> None:
    interview_id, _, finding_id = seed(pages.store)
    finding = pages.store.findings.get(finding_id)
    assert finding is not None
    edited = pages.post(
        f"/staff/interviews/{interview_id}/findings/{finding_id}/edit",
        {
            "code": "empathy",
            "value_chain_stage": finding.value_chain_stage,
            "activity": "repas de [personne A]",
            "counterpart": "[personne A]",
            "seen": finding.updated_at.isoformat(),
        },
    )
    assert edited.status_code == 303
    after = pages.store.findings.get(finding_id)
    assert after is not None
    assert (after.code, after.activity, after.counterpart) == (
        "empathy",
        "repas de Jeanne",
        "Mme Dubois",
    )


def test_with_masking_turned_off_the_page_shows_what_was_said(
    make_settings: SettingsFactory,
) -> None:
    with pages_client(make_settings(mask_third_parties=False), ACCOUNTS) as pages:
        pages.sign_in("fanny")
        interview_id, _, _ = seed(pages.store)
        page = html.unescape(pages.get(f"/staff/interviews/{interview_id}").text)
        assert "Mme Jeanne Dubois, son numéro c'est le 06 12 34 56 78" in page
        assert "sont masquées" not in page
        assert "Alzheimer" in pages.get("/staff/findings.json").text
        path = f"/staff/interviews/{interview_id}/findings"
        form = {"turn": "2", "code": "care", "value_chain_stage": "follow_up"}
        assert pages.post(path, {**form, "words": "Jeanne oublie"}).status_code == 303


def test_each_read_and_export_is_logged_and_only_admins_read_the_log(
    pages: PagesClient,
) -> None:
    interview_id, pseudonym, _ = seed(pages.store)
    assert pages.get(f"/staff/interviews/{interview_id}").status_code == 200
    assert pages.get("/staff/findings.csv").status_code == 200
    assert pages.get("/staff/findings.json").status_code == 200
    assert pages.get("/staff/audit").status_code == 403
    entries = pages.store.access.entries()
    assert [(e.actor, e.kind, e.file_format, e.pseudonym) for e in entries] == [
        ("fanny", AccessKind.FINDINGS_EXPORT, "json", None),
        ("fanny", AccessKind.FINDINGS_EXPORT, "csv", None),
        ("fanny", AccessKind.TRANSCRIPT, None, pseudonym),
    ]
    assert entries[-1].interview_id == interview_id
    # The log holds no content: nothing of the transcript in any entry.
    dumped = json.dumps([e.model_dump(mode="json") for e in entries])
    assert "Jeanne" not in dumped
    assert "repas" not in dumped
    pages.sign_in("adam")
    log = html.unescape(pages.get("/staff/audit").text)
    assert "Journal des accès" in log
    assert log.count("fanny") == 3
    assert f'lecture de l\'entretien</td>\n      <td class="nowrap">{pseudonym}' in log
    assert "export des constats (CSV)" in log
    assert 'href="/staff/audit" aria-current="page"' in log  # in the admin's menu
    assert html.unescape(pages.get("/staff/audit?user=nobody").text).count("fanny") == 0
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert "Aucun accès enregistré." in html.unescape(
        pages.get(f"/staff/audit?since={tomorrow}").text
    )
    # Erasing the interview unlinks its entries from it; the entries themselves stay.
    erase_interview(pages.store, pages.settings, interview_id)
    after = pages.store.access.entries()
    assert len(after) == len(entries)
    assert all(e.interview_id is None and e.pseudonym is None for e in after)
    assert pseudonym not in pages.get("/staff/audit").text
    assert "(entretien effacé)" in html.unescape(pages.get("/staff/audit").text)


def test_terrain_audit_prints_the_log_filtered(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    with Store.open(settings) as store:
        interview_id, pseudonym, _ = seed(store)
        store.access.record("fanny", AccessKind.TRANSCRIPT, interview_id=interview_id)
        store.access.record("lea", AccessKind.REPORT_DOWNLOAD, file_format="pdf", report_version=2)
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "--json", "--user", "fanny", "--since", "7d"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert (entry["actor"], entry["kind"], entry["pseudonym"]) == ("fanny", "transcript", pseudonym)
    text = runner.invoke(app, ["audit"]).stdout
    assert "lea  report_download  pdf, version 2" in text
    assert f"fanny  transcript  {pseudonym}" in text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert json.loads(runner.invoke(app, ["audit", "--json", "--since", tomorrow]).stdout) == []
    wrong = runner.invoke(app, ["audit", "--since", "last week"])
    assert wrong.exit_code == 1
    assert "is not a date" in wrong.stderr


def test_an_english_interview_and_page_say_it_in_english(pages: PagesClient) -> None:
    interview = pages.store.interviews.import_transcript(
        language="en",
        source="test",
        turns=[
            (Speaker.INTERVIEWER, "Tell me about a day."),
            (Speaker.EMPLOYEE, "I called Mrs Smith on 07700 900123 about her dementia."),
        ],
    )
    answer = pages.http.get(f"/staff/interviews/{interview.id}", headers={"Accept-Language": "en"})
    said = re.sub(r"<[^>]+>", "", html.unescape(answer.text))
    assert "I called [person A] on [phone] about her [health detail]." in said
    assert "The people the employee talks about are masked" in said
    for words in ("Smith", "07700", "dementia"):
        assert words not in said
