"""The leadership report: thresholds, redaction in every export, narratives, formats."""

from __future__ import annotations

import asyncio
import html
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xmlschema
from pypdf import PdfReader

from assistant.config import Settings
from assistant.findings.codebook import Codebook, load_codebook
from assistant.llm.testing import ScriptedChatModel
from assistant.report import (
    Report,
    ReportOptions,
    build_qdpx,
    build_report,
    default_redactor,
    edit_narrative,
    render_html,
    render_markdown,
    render_pdf,
    report_json,
    report_json_schema,
    validate_project,
)
from assistant.report.qdpx import SCHEMA_DIR
from assistant.report.records import NarrativeState
from assistant.schemas import FindingStatus
from assistant.tokens import TokenCounter
from tests import network_guard
from tests.conftest import SettingsFactory
from tests.report_fakes import prompts_of, report_model, unreachable_model
from tests.report_scripts import Scripted, scripted
from tests.support.report import inputs_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture
def report_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


def build(
    script: Scripted,
    settings: Settings,
    codebook: Codebook,
    model: ScriptedChatModel | None = None,
    **options: object,
) -> Report:
    return asyncio.run(
        build_report(
            inputs_for(script),
            settings,
            model,
            codebook=codebook,
            options=ReportOptions(**options),
        )
    )


@pytest.mark.parametrize(
    ("language", "label", "legend"),
    [
        ("fr", "masqué", "une case masquée réunit moins de 4 personnes, ou est masquée"),
        ("en", "hidden", "a hidden cell holds fewer than 4 people, or is hidden so that"),
    ],
)
def test_every_hidden_number_has_one_true_label_and_the_legend_states_the_threshold(
    report_settings: Settings, codebook: Codebook, language: str, label: str, legend: str
) -> None:
    """A cell hidden only to protect another may hold the threshold or more: no hidden number
    says "fewer than k"; all carry the same label, which the legend explains with the
    report's threshold."""
    report = build(scripted(12), report_settings, codebook, language=language, min_people=4)
    assert any(cell.people is None for cell in report.heatmap.cells)
    for text in (render_markdown(report), html.unescape(render_html(report))):
        assert legend in text
        cells = re.findall(r"\| ([^|\n]+?) (?=\|)", text)  # Markdown table cells
        cells += re.findall(r"<td[^>]*>([^<]*)</td>", text)  # HTML table cells
        assert [c for c in cells if "moins de" in c or "fewer than" in c] == []
        assert label in cells


def test_a_theme_of_three_people_is_hidden_and_quotes_need_ten_people(
    report_settings: Settings, codebook: Codebook
) -> None:
    report = build(scripted(12), report_settings, codebook)
    codes = [theme.code for theme in report.themes]
    assert "mediation" not in codes  # three people
    assert "trust" in codes
    assert report.quotes_allowed
    assert all(theme.quotes for theme in report.themes)
    assert report.withheld.themes >= 1
    assert report.heatmap.code_totals["mediation"] is None
    assert report.heatmap.cell("coordination_planning", "mediation").people is None  # type: ignore[union-attr]
    html = render_html(report)
    assert "masqué" in html
    assert "une case masquée réunit moins de 5 personnes, ou est masquée" in html

    nine = build(scripted(9), report_settings, codebook)
    assert not nine.quotes_allowed
    assert [t.quotes for t in nine.themes] == [[] for _ in nine.themes]

    # Without jobs and sites: their tables, suppressed with the heatmap, would hide more.
    no_groups = scripted(12)
    no_groups.profiles.clear()
    lowered = build(no_groups, report_settings, codebook, min_people=3, min_people_for_quotes=3)
    mediation = next(t for t in lowered.themes if t.code == "mediation")
    assert mediation.people == 3
    assert mediation.quotes


def test_drafts_count_only_on_request_and_are_marked(
    report_settings: Settings, codebook: Codebook
) -> None:
    proposed = scripted(12, status=FindingStatus.PROPOSED)
    assert build(proposed, report_settings, codebook).themes == []
    with_drafts = build(proposed, report_settings, codebook, report_model(), include_proposed=True)
    assert with_drafts.themes
    assert all(t.drafts and all(q.draft for q in t.quotes) for t in with_drafts.themes)
    assert all(t.synthesis and t.synthesis.drafts for t in with_drafts.themes)
    assert all(r.drafts for r in with_drafts.recommendations)
    assert "brouillon" in render_html(with_drafts)
    assert "brouillon" in render_markdown(with_drafts)
    rejected = scripted(12, status=FindingStatus.REJECTED)
    assert build(rejected, report_settings, codebook, include_proposed=True).themes == []


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_no_planted_personal_data_reaches_a_leadership_export(
    report_settings: Settings, codebook: Codebook
) -> None:
    script = scripted(12)
    model = report_model()
    report = build(script, report_settings, codebook, model, min_people=2)
    assert report.narratives.state == NarrativeState.WRITTEN
    assert any(theme.quotes for theme in report.themes)
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF")
    exports = {
        "html": render_html(report),
        "markdown": render_markdown(report),
        "json": report_json(report),
        "pdf": pdf_text(pdf),
    }
    # Every quote the model saw was redacted too.
    exports["prompts"] = "\n".join(prompts_of(model))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.md").write_text(exports["markdown"], encoding="utf-8")
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    for name, text in exports.items():
        flat = re.sub(r"\s+", " ", text)
        for planted in script.planted:
            for value in planted.values():
                assert value not in flat, f"{value!r} is in the {name} export"
        for known in script.known_names:
            assert known not in flat, f"{known!r} is in the {name} export"
    assert "[santé]" in exports["html"] or "[health detail]" in exports["html"]


def test_the_json_export_follows_its_published_schema(
    report_settings: Settings, codebook: Codebook
) -> None:
    report = build(scripted(12), report_settings, codebook)
    schema = report_json_schema()
    assert schema["title"] == "Report"
    assert Report.model_validate_json(report_json(report)) == report


def test_without_a_model_the_report_is_complete_but_for_its_narratives(
    report_settings: Settings, codebook: Codebook
) -> None:
    report = build(scripted(12), report_settings, codebook, unreachable_model())
    assert report.narratives.state == NarrativeState.UNAVAILABLE
    assert "127.0.0.1:9" in report.narratives.detail
    assert report.themes
    assert report.heatmap.cells
    assert report.automation
    assert all(theme.synthesis is None for theme in report.themes)
    assert report.recommendations == []
    assert "Aucun modèle n'a pu être joint" in html.unescape(render_html(report))
    english = build(scripted(12), report_settings, codebook, unreachable_model(), language="en")
    assert "No model could be reached" in render_markdown(english)


def test_map_reduce_keeps_every_prompt_within_the_budget(
    make_settings: SettingsFactory, codebook: Codebook
) -> None:
    settings = make_settings(prompt_token_budget=700)
    model = report_model(foreign_ids=["f-not-a-finding", "f0000-care"])
    report = build(scripted(120, english_every=0), settings, codebook, model, min_people=5)
    counter = TokenCounter(settings.tokenizer)
    sizes = [counter.count_messages([prompt]) for prompt in prompts_of(model)]
    assert max(sizes) <= 700
    assert report.narratives.largest_prompt_tokens == max(sizes)
    # 120 people's findings cannot fit one prompt: several map batches, then reductions.
    assert report.narratives.model_calls == len(prompts_of(model)) > 2 * len(report.themes)
    for theme in report.themes:
        assert theme.synthesis is not None
        assert set(theme.synthesis.finding_ids) <= set(theme.finding_ids)
        assert "f-not-a-finding" not in theme.synthesis.finding_ids
        assert [s.file for s in theme.synthesis.sources] == ["essay.fr.md"]  # S999 dropped
        assert theme.synthesis.prompt == "report.reduce@1.0.0"
        assert theme.synthesis.drafted_by_model == "scripted-report-model"
        assert "Lefèvre" not in theme.synthesis.text
    # The recommendation citing no existing finding is dropped.
    assert [r.text for r in report.recommendations] == ["Protéger le temps de la relation."]
    assert report.narratives.dropped == 1


def test_model_calls_grow_linearly_with_the_findings(
    make_settings: SettingsFactory, codebook: Codebook
) -> None:
    settings = make_settings(prompt_token_budget=700)
    calls = []
    for people in (40, 160):
        model = report_model()
        build(scripted(people, english_every=0), settings, codebook, model)
        calls.append(len(prompts_of(model)))
    assert calls[1] <= 4 * calls[0] + 4


def test_a_facilitator_edit_replaces_the_text_and_is_marked(
    report_settings: Settings, codebook: Codebook
) -> None:
    report = build(scripted(12), report_settings, codebook, report_model())
    narrative = report.themes[0].synthesis
    assert narrative is not None
    edited = edit_narrative(
        report, narrative.id, "Appeler Mme Martin au 06 11 22 33 44.", "claire", default_redactor()
    )
    synthesis = edited.themes[0].synthesis
    assert synthesis is not None
    assert synthesis.edited
    assert synthesis.edited_by == "claire"
    assert "Martin" not in synthesis.text
    assert "06 11" not in synthesis.text
    assert "modifié par claire" in html.unescape(render_html(edited))
    with pytest.raises(KeyError):
        edit_narrative(report, "no-such-id", "x", "claire", default_redactor())


def test_the_qdpx_validates_and_its_offsets_point_at_the_quotes(codebook: Codebook) -> None:
    script = scripted(12)
    export = build_qdpx(script.interviews, script.turns, script.findings, codebook)
    assert export.codings == len(script.findings)
    assert export.skipped_quotes == 0
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        project = archive.read("project.qde")
        texts = {
            name.removeprefix("sources/"): archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("sources/")
        }
    assert validate_project(project) == []
    xmlschema.XMLSchema(str(SCHEMA_DIR / "Project.xsd")).validate(project.decode("utf-8"))
    namespace = {"q": "urn:QDA-XML:project:1.0"}
    from lxml import etree

    root = etree.fromstring(project)
    code_guids = {c.get("guid") for c in root.iterfind(".//q:Code", namespace)}
    quotes = {q.text for f in script.findings for q in f.evidence}
    seen = 0
    for source in root.iterfind(".//q:TextSource", namespace):
        text = texts[source.get("plainTextPath").removeprefix("internal://")]
        for selection in source.iterfind("q:PlainTextSelection", namespace):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] in quotes
            ref = selection.find("q:Coding/q:CodeRef", namespace)
            assert ref is not None
            assert ref.get("targetGUID") in code_guids
            seen += 1
    assert seen == export.codings
    assert "[2] Personne: " in next(iter(texts.values()))  # turns numbered from 1


def test_the_html_is_self_contained_and_renders_in_chromium(
    report_settings: Settings, codebook: Codebook, tmp_path: Path
) -> None:
    report = build(scripted(12), report_settings, codebook, report_model(), min_people=3)
    page_html = render_html(report)
    assert '<html lang="fr">' in page_html
    assert not re.search(r"\b(?:src|href)=|url\(|@import|<script", page_html)
    assert 'role="img"' in page_html
    assert "<title id=" in page_html
    assert '<th scope="col">' in page_html
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "report.html"
    page.write_text(page_html, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,2600",
         f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000
    (ARTIFACTS / "report.html").write_text(page_html, encoding="utf-8")


def test_importing_the_report_package_loads_no_spacy() -> None:
    code = (
        "import sys, assistant.report; "
        "print(any(m.startswith(('spacy', 'presidio', 'weasyprint')) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_redaction_works_with_no_network_at_all() -> None:
    redactor = default_redactor()
    with network_guard.blocked_network():
        result = redactor.redact("Écrivez-moi à paul.durand@exemple.fr demain.")
    assert result.text == "Écrivez-moi à [e-mail] demain."
