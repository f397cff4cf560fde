"""Leadership's pages by group: the published report with its sections by job and by site, and
the comparison of two published versions; screenshots at 1280 and 390 px kept in
``test-artifacts/`` (looked at)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.findings.codebook import load_codebook
from assistant.personal_data.redaction import default_redactor
from assistant.report.build import build_sections_report
from assistant.report.records import InterviewProfile, Report, ReportInputs, ReportOptions
from assistant.schemas import Finding, FindingStatus, Interview, Provenance, Quote, UserRole
from tests.conftest import SettingsFactory
from tests.web.pages_client import PagesClient, pages_client
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

ACCOUNTS = {"lea": UserRole.LEADERSHIP, "sam": UserRole.EMPLOYEE}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime(2026, 12, 4, tzinfo=UTC)
STAGES = ("service_delivery", "follow_up", "coordination_planning")


def study(sizes: dict[str, int]) -> Report:
    """People with one finding each, ``sizes`` per theme, spread over two jobs, two sites and
    three stages (threshold 3)."""
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
            profiles[interview.id] = InterviewProfile(
                role="auxiliaire de vie" if number % 3 else "coordinatrice",
                site="Valence" if number % 2 else "Crest",
            )
            findings.append(
                Finding(
                    id=f"f{number}",
                    interview_id=interview.id,
                    code=code,
                    activity="visite",
                    value_chain_stage=STAGES[number % 3],
                    evidence=[Quote(text="Mardi", turn_index=1, start=0, end=5)],
                    status=FindingStatus.ACCEPTED,
                    provenance=Provenance(created_at=NOW),
                    updated_at=NOW,
                )
            )
            number += 1
    inputs = ReportInputs(interviews=interviews, findings=findings, profiles=profiles)
    options = ReportOptions(language="fr", min_people=3, min_people_for_quotes=100)
    return build_sections_report(inputs, load_codebook(), options, default_redactor(set(), set()))


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        for sizes in (
            {"care": 12, "trust": 9, "empathy": 9},
            {"care": 21, "trust": 6, "empathy": 9, "proximity": 9},
        ):
            content = study(sizes).model_dump(mode="json")
            client.store.reports.save_draft(
                content, finding_ids=[], interview_ids=[], built_by="test"
            )
            client.store.reports.publish_draft(content, actor="test")
        client.sign_in("lea")
        yield client


def test_leadership_reads_the_report_by_group_and_compares_two_versions(
    pages: PagesClient,
) -> None:
    page = html.unescape(pages.get("/staff/leadership").text)
    assert "Par métier" in page
    assert "Par site" in page
    assert "Comparer deux versions publiées" in page
    compared = html.unescape(pages.get("/staff/leadership/compare").text)
    assert "Ce qui a changé entre la version 1 et la version 2" in compared
    assert "en hausse" in compared
    assert "en baisse" in compared
    missing = html.unescape(pages.get("/staff/leadership/compare?before=1&after=9").text)
    assert "There is no published version 9." in missing
    pages.sign_in("sam")
    refused = pages.get("/staff/leadership/compare")
    assert refused.status_code in (302, 303, 403)
    assert "Ce qui a changé" not in refused.text


def _standalone(pages: PagesClient, path: str) -> str:
    page = pages.get(path).text
    css = pages.get("/staff/static/staff.css").text
    return re.sub(r'<link rel="stylesheet"[^>]*>', lambda _: f"<style>{css}</style>", page)


def test_screenshots_of_the_group_report_and_the_comparison(pages: PagesClient) -> None:
    """Desktop and phone; kept in test-artifacts/ (looked at)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium here")
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (
        ("report-groups", "/staff/leadership"),
        ("report-comparison", "/staff/leadership/compare"),
    ):
        source = ARTIFACTS / f"{name}.html"
        source.write_text(_standalone(pages, path), encoding="utf-8")
        for size, width, height in (("desktop", 1280, 5200), ("phone", 390, 7000)):
            shot = ARTIFACTS / f"{name}-{size}.png"
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--hide-scrollbars",
                 f"--window-size={width},{height}", f"--screenshot={shot}", source.as_uri()],
                check=True, capture_output=True, timeout=HANG_CAP_SECONDS,
            )  # fmt: skip
            assert shot.stat().st_size > 10_000
