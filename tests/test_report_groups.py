"""The report by job and by site, and the comparison of two published versions.

Eight transcripts are imported with ``terrain import``, each giving its employee's ``role``
and ``site``, and given reviewed findings; the report (thresholds at 1, then at the defaults)
shows its sections by group only for groups large enough. Two published versions are then
compared: a theme rises, one falls, and one hidden in a version is not compared.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.findings.codebook import load_codebook
from assistant.personal_data.redaction import default_redactor
from assistant.report.build import build_sections_report
from assistant.report.comparison import Direction, compare, compare_versions
from assistant.report.publishing import codebook_for, ended_interviews, gather_inputs
from assistant.report.records import InterviewProfile, Report, ReportInputs, ReportOptions
from assistant.report.render_html import render_html
from assistant.report.render_markdown import render_markdown
from assistant.schemas import Finding, FindingStatus, Interview, Provenance, Quote
from assistant.store import Store

pytestmark = pytest.mark.slow

NOW = datetime(2026, 12, 4, tzinfo=UTC)
JOBS = ("auxiliaire de vie", "auxiliaire de vie", "auxiliaire de vie", "coordinatrice")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    return settings


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def eight_transcripts(folder: Path) -> list[Path]:
    """Eight JSON transcripts: six carers and two coordinators, six at Valence, two at Crest."""
    paths = []
    for number in range(8):
        path = folder / f"entretien-{number}.json"
        path.write_text(
            json.dumps(
                {
                    "language": "fr",
                    "role": JOBS[number % 4],
                    "site": "Valence" if number < 6 else "Crest",
                    "turns": [
                        {"speaker": "interviewer", "text": "Racontez-moi une visite."},
                        {"speaker": "employee", "text": f"Mardi, la visite numéro {number}."},
                    ],
                }
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def finding(interview_id: str, code: str, stage: str, number: int) -> Finding:
    return Finding(
        id=f"f-{interview_id}-{code}-{number}",
        interview_id=interview_id,
        code=code,
        activity="visite",
        value_chain_stage=stage,
        evidence=[Quote(text="Mardi", turn_index=1, start=0, end=5)],
        status=FindingStatus.ACCEPTED,
        provenance=Provenance(created_at=NOW),
        updated_at=NOW,
    )


def imported_study(settings: Settings, folder: Path) -> None:
    code, _, err = run("import", *map(str, eight_transcripts(folder)))
    assert code == 0, err
    with Store.open(settings) as store:
        interviews = ended_interviews(store)
        assert len(interviews) == 8
        store.findings.add(
            [
                finding(i.id, "care" if n % 2 else "trust", "service_delivery", n)
                for n, i in enumerate(interviews)
            ]
        )


def report_of_store(settings: Settings, min_people: int) -> Report:
    with Store.open(settings) as store:
        inputs = gather_inputs(store, settings)
    options = ReportOptions(language="fr", min_people=min_people, min_people_for_quotes=10)
    redactor = default_redactor(inputs.known_names, inputs.allowed_terms)
    return build_sections_report(inputs, codebook_for(settings), options, redactor)


def test_eight_imported_transcripts_give_a_report_by_job_and_site(
    environment: Settings, tmp_path: Path
) -> None:
    imported_study(environment, tmp_path)
    report = report_of_store(environment, min_people=1)
    assert [g.label for g in report.coverage.roles] == ["auxiliaire de vie", "coordinatrice"]
    views = {view.dimension: view for view in report.groups}
    assert set(views) == {"role", "site"}
    jobs = {row.label: row for row in views["role"].themes.rows}
    assert jobs["auxiliaire de vie"].people == 6
    assert jobs["coordinatrice"].people == 2
    assert sum(row.cells["care"] or 0 for row in jobs.values()) == 4
    sites = {row.label: row.people for row in views["site"].stages.rows}
    assert sites == {"Valence": 6, "Crest": 2}
    page = html.unescape(render_html(report))
    assert "Par métier" in page
    assert "Par site" in page
    assert "Personnes par étape de la chaîne de valeur" in page
    assert "## Par métier" in render_markdown(report)


def test_with_the_default_threshold_no_group_under_five_appears(
    environment: Settings, tmp_path: Path
) -> None:
    """Coordinators (2) and Crest (2) are hidden, and so are the carers and Valence (6 each):
    shown beside the report's 8 people, either would give the hidden one away."""
    imported_study(environment, tmp_path)
    report = report_of_store(environment, min_people=5)
    assert report.coverage.people == 8
    assert report.coverage.roles == []
    assert report.coverage.sites == []
    assert report.groups == []
    assert report.withheld.group_rows == 4
    for text in (render_html(report), render_markdown(report)):
        for name in ("coordinatrice", "Crest", "auxiliaire de vie", "Valence"):
            assert name not in html.unescape(text)


# -- the comparison ----------------------------------------------------------------------


def study(sizes: dict[str, int], k: int) -> Report:
    """A report from people with one finding each: ``sizes`` people per theme (the first
    stage for care, the second for the others)."""
    interviews, findings, profiles = [], [], {}
    number = 0
    for code, size in sizes.items():
        for _ in range(size):
            interview = Interview(
                id=f"iv{number}",
                pseudonym=f"P-{number}",
                language="fr",
                owner_key=f"owner:{number}",
                created_at=NOW,
                updated_at=NOW,
            )
            interviews.append(interview)
            profiles[interview.id] = InterviewProfile()
            stage = "service_delivery" if code == "care" else "follow_up"
            findings.append(finding(interview.id, code, stage, number))
            number += 1
    inputs = ReportInputs(interviews=interviews, findings=findings, profiles=profiles)
    options = ReportOptions(language="fr", min_people=k, min_people_for_quotes=100)
    return build_sections_report(inputs, load_codebook(), options, default_redactor(set(), set()))


BEFORE = {"care": 6, "trust": 6, "empathy": 8}
AFTER = {"care": 12, "trust": 3, "empathy": 5, "proximity": 5}


def test_the_comparison_says_which_themes_rose_or_fell_and_in_which_stages() -> None:
    comparison = compare(study(BEFORE, 3), study(AFTER, 3), 1, 2)
    themes = {theme.id: theme for theme in comparison.themes}
    assert themes["care"].direction == Direction.ROSE
    assert (themes["care"].before, themes["care"].after, themes["care"].change) == (6, 12, 6)
    assert [(s.id, s.change) for s in themes["care"].stages] == [("service_delivery", 6)]
    assert themes["empathy"].direction == Direction.FELL
    assert themes["trust"].direction == Direction.FELL
    stages = {stage.id: stage for stage in comparison.stages}
    assert stages["service_delivery"].direction == Direction.ROSE


def test_a_theme_hidden_in_one_version_does_not_leak_through_the_difference() -> None:
    """Trust: 6 people before, 3 after (under the threshold of 5): the comparison shows the 6
    that version 1 published, and neither 3 nor a difference of -3."""
    after = study(AFTER, 5)
    assert after.heatmap.code_totals["trust"] is None
    comparison = compare(study(BEFORE, 5), after, 1, 2)
    trust = next(theme for theme in comparison.themes if theme.id == "trust")
    assert trust.direction == Direction.NOT_COMPARABLE
    assert (trust.before, trust.after, trust.change, trust.share_change) == (6, None, None, None)
    assert trust.stages == []
    # Whatever the comparison shows, each of its figures is one a version published.
    for theme in comparison.themes:
        if theme.after is not None:
            assert after.heatmap.code_totals[theme.id] == theme.after
        for stage in theme.stages:
            cell = after.heatmap.cell(stage.id, theme.id)
            assert cell is None or cell.people is not None


def publish(store: Store, report: Report) -> int:
    content = report.model_dump(mode="json")
    store.reports.save_draft(content, finding_ids=[], interview_ids=[], built_by="test")
    number = store.reports.publish_draft(content, actor="test").number
    assert number is not None
    return number


def test_terrain_report_compare_prints_and_exports_the_comparison(
    environment: Settings,
) -> None:
    with Store.open(environment) as store:
        publish(store, study(BEFORE, 5))
        publish(store, study(AFTER, 5))
        assert compare_versions(store, 1, 2).after == 2
    code, out, err = run("report", "compare", "1", "2")
    assert code == 0, err
    assert "De la version 1 à la version 2" in out
    assert "non comparable" in out
    code, out, err = run("report", "compare", "1", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    trust = next(theme for theme in data["themes"] if theme["id"] == "trust")
    assert (trust["after"], trust["change"]) == (None, None)
    code, _, err = run("report", "compare", "1", "7")
    assert code == 1
    assert "no published version 7" in err
