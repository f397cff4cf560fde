"""The report as leadership reads it: on paper (PDF) and on a phone, summary first, with what
would show its hidden parts, narratives that say why they are missing, reasons checked as the
employees' words, and redaction that spares what names no one.

The reports are built from 8 imported transcripts (thresholds at 1 and at the defaults) and
from a large synthetic study; every PDF page and every screenshot is kept in
``test-artifacts/report-reading/`` to be looked at.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.findings.codebook import Codebook, load_codebook
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.report import Report, ReportOptions, build_report, render_html, render_pdf
from assistant.report.publishing import build_draft, report_of
from assistant.schemas import Finding
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.report_fakes import report_model
from tests.report_scripts import Scripted, scripted, synthetic
from tests.report_store import store_study
from tests.support.browser import CHROMIUM
from tests.support.report import inputs_for
from tests.support.report_reading import ARTIFACTS, ROOT, screenshots

pytestmark = pytest.mark.slow

INTERVIEWER_COPY = "[10] Intervieweur : Qu'est-ce qu'elle vous a dit…"


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook()


def eight_transcripts() -> Scripted:
    """8 interviews; reasons given three ways: an employee's sentence word for word, a
    paraphrase, and a copy of the transcript's layout with the interviewer's words."""
    script = scripted(8)
    findings: list[Finding] = []
    for n, finding in enumerate(script.findings):
        turn = script.turns[finding.interview_id][1].text
        reasons = (turn.split(". ")[0], finding.automation_reasons, INTERVIEWER_COPY)[n % 3]
        findings.append(finding.model_copy(update={"automation_reasons": reasons}))
    script.findings = findings
    return script


def stored_draft(
    store: Store, make_settings: SettingsFactory, *, at_one: bool, model: ScriptedChatModel
) -> Report:
    """The 8 transcripts imported into the store and drafted through the publishing path."""
    if not store.interviews.where():
        store_study(store, eight_transcripts())
    thresholds = {"report_min_people": 1, "report_min_people_for_quotes": 1} if at_one else {}
    settings = make_settings(**thresholds)
    version = asyncio.run(build_draft(store, settings, model, actor="test"))
    return report_of(version)


def built(
    script: Scripted, codebook: Codebook, model: ScriptedChatModel | None, **o: object
) -> Report:
    options = ReportOptions.model_validate(o)
    return asyncio.run(
        build_report(inputs_for(script), Settings(), model, codebook=codebook, options=options)
    )


# ------------------------------------------------------------------------------ the PDF


@dataclass(frozen=True)
class PdfPage:
    width: float
    height: float
    words: list[tuple[float, float, float, float, str]]


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[PdfPage]:
    """Each page's size and its words' boxes, as poppler's ``pdftotext -bbox`` reads them."""
    source, boxes = tmp_path / "report.pdf", tmp_path / "boxes.html"
    source.write_bytes(pdf)
    subprocess.run(["pdftotext", "-bbox", str(source), str(boxes)], check=True, timeout=120)
    pages = []
    page = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
    word = re.compile(
        r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
    )
    for width, height, body in page.findall(boxes.read_text(encoding="utf-8")):
        words = [(float(a), float(b), float(c), float(d), html.unescape(w))
                 for a, b, c, d, w in word.findall(body)]  # fmt: skip
        pages.append(PdfPage(float(width), float(height), words))
    return pages


def keep_pdf_pages(pdf: bytes, name: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        source = tmp_path / f"{name}.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(ARTIFACTS / name)],
                       check=True, timeout=120)  # fmt: skip


def assert_reads_whole(pages: list[PdfPage], codebook: Codebook) -> None:
    assert pages
    for number, page in enumerate(pages, start=1):
        outside = [
            w
            for w in page.words
            if min(w[0], w[1]) < 0 or w[2] > page.width + 0.5 or w[3] > page.height + 0.5
        ]
        assert not outside, f"page {number}: words outside the page: {outside[:5]}"
    # One orientation per section: portrait, then landscape for the maps, never back.
    landscape = [page.width > page.height for page in pages]
    assert landscape == sorted(landscape)
    # The first page is not nearly empty, and no page holds only a heading.
    assert len(pages[0].words) > 60
    assert all(len(page.words) > 12 for page in pages)
    # Headers wrap between words, never inside one ("Exemplar ité", "personn es").
    words = {w[4] for page in pages for w in page.words}
    labels = [c.label.fr for c in codebook.codes]
    long_words = {w for label in labels for w in re.findall(r"[\w-]{8,}", label)}
    for long_word in long_words:
        broken = {w for w in words if w != long_word and len(w) >= 3 and long_word.startswith(w)
                  and long_word[len(w):] in words}  # fmt: skip
        assert not broken, f"{long_word} broken into {broken}"
    assert "personn" not in words


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="apt-get install poppler-utils")
def test_the_pdf_loses_no_word_at_any_size(
    tmp_store: Store, make_settings: SettingsFactory, codebook: Codebook, tmp_path: Path
) -> None:
    reports = {
        "eight-at-1": stored_draft(tmp_store, make_settings, at_one=True, model=report_model()),
        "eight-defaults": stored_draft(
            tmp_store, make_settings, at_one=False, model=report_model()
        ),
        "large-at-1": built(
            synthetic(300), codebook, report_model(), min_people=1, min_people_for_quotes=1
        ),
    }
    for name, report in reports.items():
        pdf = render_pdf(report)
        keep_pdf_pages(pdf, name, tmp_path)
        assert_reads_whole(pdf_pages(pdf, tmp_path), codebook)


# --------------------------------------------------------------------------- a phone


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_the_report_reads_on_a_phone_without_scrolling_the_page(
    tmp_store: Store, make_settings: SettingsFactory, codebook: Codebook, tmp_path: Path
) -> None:
    from assistant.report.render_html import render_fragment

    at_one = stored_draft(tmp_store, make_settings, at_one=True, model=report_model())
    defaults = stored_draft(tmp_store, make_settings, at_one=False, model=report_model())
    large = built(synthetic(300), codebook, report_model(), min_people=1, min_people_for_quotes=1)
    pages = {
        "html-eight-at-1": render_html(at_one),
        "html-eight-defaults": render_html(defaults),
        "html-large-at-1": render_html(large),
        # Leadership's page sets the fragment in the staff layout (tests/web checks the route).
        "fragment-eight-at-1": "<!DOCTYPE html><html lang='fr'><head><meta name='viewport' "
        "content='width=device-width, initial-scale=1'></head><body><main>"
        + render_fragment(at_one)
        + "</main></body></html>",
    }
    for name, measure in screenshots(pages, tmp_path).items():
        assert measure["scroll"] <= measure["viewport"], (name, measure)
        # A stage × code header is at least a short word wide, never one letter a line.
        assert measure["narrowestHeader"] >= 40, (name, measure)
        assert measure["overflowingCells"] == 0, (name, measure)


def test_leadership_page_sets_the_report_in_the_page_without_a_frame() -> None:
    template = (ROOT / "assistant" / "web" / "templates" / "leadership.html").read_text()
    assert "<iframe" not in template
    assert "report_content|safe" in template


# ----------------------------------------------------------- under the thresholds


def test_under_the_thresholds_each_hidden_part_says_what_would_show_it(
    codebook: Codebook,
) -> None:
    from assistant.report.summary import threshold_hints

    report = built(scripted(9), codebook, None)  # default thresholds: 5 and 10
    hints = threshold_hints(report)
    text = " ".join(hints)
    with_findings = report.coverage.people_with_findings
    assert with_findings is not None
    assert "Citations" in text
    assert f"il en faut {10 - with_findings} de plus" in text
    assert "au plus 4 personnes de plus" in text
    rendered = html.unescape(render_html(report))
    assert "Ce qui permettrait d'en montrer plus" in rendered
    assert "Personnes interrogées" in rendered
    assert "avec au moins un constat retenu" in rendered


def _with_hidden_theme_of(size: int) -> Scripted:
    """12 people; ``size`` of them (fewer than 5) also speak of proximity, which stays hidden."""
    script = scripted(12)
    extra = [
        f.model_copy(update={"id": f.id + "-prox", "code": "proximity"})
        for f in script.findings
        if f.code == "trust" and int(f.interview_id[2:]) < size
    ]
    script.findings = [*script.findings, *extra]
    return script


def test_the_hints_are_the_same_whatever_the_hidden_count(codebook: Codebook) -> None:
    """Two studies that differ only in a hidden theme's count (2 or 4 people) get the same
    hints word for word: the hints cannot pin the hidden count."""
    from assistant.report.summary import threshold_hints

    two, four = (built(_with_hidden_theme_of(n), codebook, None) for n in (2, 4))
    assert two.heatmap.code_totals["proximity"] is None
    assert four.heatmap.code_totals["proximity"] is None
    assert any("Proximité" in h for h in threshold_hints(two))
    assert threshold_hints(two) == threshold_hints(four)


def test_a_gap_without_a_passage_is_named_as_such(codebook: Codebook) -> None:
    script = scripted(9)
    script.findings = [
        f.model_copy(
            update={"prescribed_gap": f.prescribed_gap.model_copy(update={"passage": None})}
        )
        if f.prescribed_gap
        else f
        for f in script.findings
    ]
    rendered = html.unescape(render_html(built(script, codebook, None, min_people=3)))
    assert "aucun passage cité" not in rendered
    assert "Écarts décrits sans citer de document" in rendered
    assert "Les descriptions des écarts s'affichent quand le rapport couvre au moins" in rendered


# --------------------------------------------------------------------- summary first


def test_a_short_summary_comes_first_then_the_narratives_then_the_detail(
    codebook: Codebook,
) -> None:
    from assistant.report.summary import summary_lines

    report = built(scripted(12), codebook, report_model(), min_people=3, min_people_for_quotes=3)
    rendered = html.unescape(render_html(report))
    headings = ("L'essentiel", "Synthèses rédigées par le modèle", "À propos de ce rapport",
                "Couverture", "Carte de l'automatisation")  # fmt: skip
    order = [rendered.index(heading) for heading in headings]
    assert order == sorted(order)
    lines = summary_lines(report)
    assert lines == summary_lines(report)
    assert any(report.themes[0].label in line for line in lines)
    assert any("essentiellement humaine" in line for line in lines)
    assert any("étape" in line for line in lines)
    english = built(scripted(12), codebook, None, min_people=3, language="en")
    assert any(line.startswith("The most shared themes") for line in summary_lines(english))


def test_the_summary_shows_no_hidden_count(codebook: Codebook) -> None:
    from assistant.report.summary import summary_lines

    report = built(scripted(4), codebook, None)  # 4 people, thresholds 5 and 10: all hidden
    lines = summary_lines(report)
    assert lines[0] == "Fondé sur moins de 5 personnes interrogées."
    assert not any(re.search(r"\b[1-4]\b", line) for line in lines[1:])


# ------------------------------------------------------------------------ narratives


def test_narratives_dropped_are_reported_with_their_reason_per_section(
    tmp_store: Store, make_settings: SettingsFactory
) -> None:
    """The stand-in model answers every prompt with an interview question, never the JSON
    asked for: the draft says so in each theme's place, not silently."""
    question = ScriptedChatModel(
        respond=lambda _: "Pouvez-vous me raconter un moment précis de votre journée ?"
    )
    from assistant.report.records import DropReason

    report = stored_draft(tmp_store, make_settings, at_one=True, model=question)
    status = report.narratives
    assert status.model_calls > 0
    assert {d.theme for d in status.dropped_sections} == {t.code for t in report.themes}
    assert {d.reason for d in status.dropped_sections} == {DropReason.MALFORMED}
    rendered = html.unescape(render_html(report))
    assert rendered.count("Pas de synthèse ici : les réponses du modèle ne suivaient pas") == len(
        report.themes
    )
    assert "aucun de ses textes n'a été retenu" in rendered


# --------------------------------------------------------------------------- reasons


def test_reasons_in_quotation_marks_are_an_employees_words(
    tmp_store: Store, make_settings: SettingsFactory
) -> None:
    report = stored_draft(tmp_store, make_settings, at_one=True, model=report_model())
    script = eight_transcripts()
    spoken = " ".join(t.text for turns in script.turns.values() for t in turns[1:])
    quoted = [r for row in report.automation for r in row.reasons]
    assert quoted
    for reason in quoted:  # redacted: each piece between placeholders was said as such
        pieces = [p.strip(" ,.") for p in re.split(r"\[[^\]]+\]", reason)]
        assert all(piece in spoken for piece in pieces), reason
    every = [r for row in report.automation for r in (*row.reasons, *row.paraphrases)]
    assert not any("Intervieweur" in r or "[10]" in r for r in every)
    assert any(row.paraphrases for row in report.automation)
    rendered = html.unescape(render_html(report))
    assert "(reformulé)" in rendered
    assert "« Un logiciel" not in rendered


# ------------------------------------------------------------------------- redaction


def test_redaction_spares_speech_words_years_and_the_companys_own_names() -> None:
    from assistant.personal_data.redaction import default_redactor

    redactor = default_redactor(allowed_terms={"Ximi"})
    assert redactor.redact("Ben d'abord je regarde le planning.").text == (
        "Ben d'abord je regarde le planning."
    )
    assert redactor.redact("Depuis 2024 on utilise Ximi pour les plannings.").text == (
        "Depuis 2024 on utilise Ximi pour les plannings."
    )
    still = redactor.redact("Ben Lefèvre m'appelle au 06 12 34 56 78.").text
    assert "Lefèvre" not in still
    assert "06 12" not in still


def test_the_companys_products_and_sites_are_read_from_its_documents() -> None:
    from assistant.personal_data.names import names_and_terms_in

    names, terms = names_and_terms_in(
        [
            "Le logiciel Ximi Planning sert à organiser les tournées de l'agence de Lormeval. "
            "Pour toute question, appeler Mme Josiane Ferrand.",
            "Les visites du site Haut-Pré sont planifiées dans Ximi.",
        ]
    )
    assert "Josiane Ferrand" in names
    assert {"Ximi", "Haut-Pré"} <= set(terms)
    assert not {"Josiane", "Ferrand"} & set(terms)


def test_the_model_cites_findings_by_short_labels_it_can_copy(codebook: Codebook) -> None:
    """The map prompt shows each finding under a label (C1, C2…), never its 32-digit id that
    a model would copy back altered (citing nothing, so dropping the synthesis); a label the
    model writes in brackets still counts."""
    script = scripted(12)
    seen: list[str] = []

    def respond(request: ModelRequest) -> str:
        prompt = request.messages[-1].content
        seen.append(prompt)
        title = (request.json_schema or {}).get("title")
        if title == "BatchSummary":
            labels = re.findall(r"^\[(C\d+)\]", prompt, re.MULTILINE)
            return json.dumps({"summary": "Résumé.", "finding_ids": [f"[{x}]" for x in labels]})
        if title == "ThemeDraft":
            return json.dumps({"text": "Synthèse.", "summaries": ["[R1]"], "sources": []})
        return json.dumps({"recommendations": [{"text": "Agir.", "themes": ["[T1]"]}]})

    model = ScriptedChatModel(respond=respond, name="labels")
    report = built(script, codebook, model, min_people=3, min_people_for_quotes=3)
    assert all(theme.synthesis is not None for theme in report.themes)
    assert report.recommendations
    assert report.narratives.dropped == 0
    assert not any(f.id in prompt for f in script.findings for prompt in seen)
