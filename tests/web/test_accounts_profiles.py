"""The accounts page edits people's profiles (job, site, team), suggesting the values in use."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.schemas import Profile, UserRole
from tests.conftest import SettingsFactory
from tests.web.pages_client import PagesClient, pages_client
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

ACCOUNTS = {"adam": UserRole.ADMIN, "sam": UserRole.EMPLOYEE, "nadia": UserRole.EMPLOYEE}


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        client.sign_in("adam")
        yield client


def test_an_admin_sets_a_profile_and_the_page_suggests_the_values_in_use(
    pages: PagesClient,
) -> None:
    sent = {"job": "  auxiliaire   de vie ", "site": "Valence", "team": ""}
    assert pages.post("/staff/admin/accounts/sam/profile", sent).status_code == 303
    sam = pages.store.accounts.get("sam")
    assert sam is not None
    assert sam.profile == Profile(job="auxiliaire de vie", site="Valence")
    page = html.unescape(pages.get("/staff/admin/accounts").text)
    assert '<datalist id="known-job"><option value="auxiliaire de vie"></datalist>' in page
    assert 'list="known-site"' in page
    assert "auxiliaire de vie · Valence" in page
    # An admin's own profile may change (it says nothing of who may sign in).
    assert pages.post("/staff/admin/accounts/adam/profile", {"job": "RH"}).status_code == 303


def test_a_new_account_gets_its_profile_and_a_too_long_one_is_refused(
    pages: PagesClient,
) -> None:
    fields = {"name": "lina", "role": "employee", "password": "correct horse battery"}
    created = pages.post("/staff/admin/accounts", fields | {"site": "Crest"})
    assert created.status_code == 303
    lina = pages.store.accounts.get("lina")
    assert lina is not None
    assert lina.site == "Crest"
    refused = pages.post("/staff/admin/accounts/nadia/profile", {"job": "x" * 201})
    assert refused.status_code == 400
    nadia = pages.store.accounts.get("nadia")
    assert nadia is not None
    assert nadia.job is None  # refused whole: nothing changed


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_screenshots_of_the_accounts_page_with_profiles(pages: PagesClient) -> None:
    """The page as a browser shows it, desktop and phone (kept in test-artifacts/, looked at)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium here")
    for name, (job, site, team) in {
        "sam": ("auxiliaire de vie", "Valence", "équipe A"),
        "nadia": ("coordinatrice", "Crest", ""),
    }.items():
        pages.post(
            f"/staff/admin/accounts/{name}/profile", {"job": job, "site": site, "team": team}
        )
    page = pages.get("/staff/admin/accounts").text
    css = pages.get("/staff/static/staff.css").text
    page = re.sub(r'<link rel="stylesheet"[^>]*>', f"<style>{css}</style>", page)
    page = page.replace("<details", "<details open", 2)
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "accounts-profiles.html"
    source.write_text(page, encoding="utf-8")
    for size, width in (("desktop", 1280), ("phone", 390)):
        shot = ARTIFACTS / f"accounts-profiles-{size}.png"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", f"--window-size={width},1400",
             f"--screenshot={shot}", source.as_uri()],
            check=True, capture_output=True, timeout=HANG_CAP_SECONDS,
        )  # fmt: skip
        assert shot.stat().st_size > 10_000
