"""Leadership's page on a phone and a desktop: the published report set in the page itself
(no frame, so one scroll), and nothing wider than the screen. The page is served by the staff
routes in-process, its stylesheet inlined, and opened in Chromium at 390 px and 1280 px; the
screenshots are kept in ``test-artifacts/report-reading/``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from tests.conftest import SettingsFactory
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.support.browser import CHROMIUM
from tests.support.report_pages import ACCOUNTS, _published
from tests.support.report_reading import screenshots
from tests.web.pages_client import PagesClient, pages_client

pytestmark = pytest.mark.slow


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    settings: Settings = make_settings(report_min_people=1, report_min_people_for_quotes=1)
    with pages_client(settings, ACCOUNTS) as client:
        client.sign_in("fanny")
        yield client


@pytest.mark.skipif(not CHROMIUM.exists(), reason="apt-get install chromium")
def test_leadership_reads_the_report_in_the_page_at_phone_and_desktop_widths(
    pages: PagesClient, tmp_path: Path
) -> None:
    store_study(pages.store, scripted(8))
    _published(pages)
    pages.sign_in("lea")
    page = pages.get("/staff/leadership").text
    assert "<iframe" not in page
    assert "L'essentiel" in html.unescape(page)
    stylesheet = pages.get("/staff/static/staff.css").text
    standalone = re.sub(
        r'<link rel="stylesheet" href="/staff/static/staff.css">',
        lambda _: f"<style>{stylesheet}</style>",
        page,
    )
    for name, measure in screenshots({"leadership-page": standalone}, tmp_path).items():
        assert measure["scroll"] <= measure["viewport"], (name, measure)
        assert measure["narrowestHeader"] >= 40, (name, measure)
