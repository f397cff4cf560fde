"""The masked transcript in a real browser (Debian's Chromium, driven by Playwright): the page
names no third party, on a desktop and on a phone; words selected across labels become a
finding that stores the employee's real words; the admin reads the access log. The staff
pages run in-process (uvicorn on a free loopback port) over the test's own store. Screenshots
go to ``test-artifacts/``."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from assistant.schemas import FindingOrigin
from tests.conftest import SettingsFactory
from tests.support.browser import CHROMIUM, LAUNCH_ARGS
from tests.support.privacy_pages import ACCOUNTS, SAID, THIRD_PARTY, seed
from tests.web.pages_client import PagesClient, pages_client
from tests.web.server import ROOT, free_port
from tests.web.waiting import HANG_CAP_MS, HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
SELECTED = "[personne A] oublie ses repas"
TIMEOUT = HANG_CAP_MS  # the first masked page loads spaCy's pipeline: waits end when it is shown

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): "
        "`apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )


@pytest.fixture
def served(make_settings: SettingsFactory) -> Iterator[tuple[PagesClient, str]]:
    """The staff pages over HTTP, and their address."""
    with pages_client(make_settings(), ACCOUNTS) as pages:
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(pages.http.app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + HANG_CAP_SECONDS
        while not server.started:
            assert time.monotonic() < deadline, "the pages' server did not start"
            time.sleep(0.05)
        try:
            yield pages, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=HANG_CAP_SECONDS)


def _cookie(name: str, url: str) -> dict[str, str]:
    from chainlit.auth import create_jwt
    from chainlit.user import User

    return {"name": "access_token", "value": create_jwt(User(identifier=name)), "url": url}


async def test_the_masked_page_in_a_browser_and_a_finding_from_masked_words(
    served: tuple[PagesClient, str],
) -> None:
    from playwright.async_api import async_playwright, expect

    pages, url = served
    interview_id, pseudonym, _ = seed(pages.store)
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
                context = await browser.new_context(
                    locale="fr-FR", viewport={"width": width, "height": height}
                )
                await context.add_cookies([_cookie("fanny", url)])  # type: ignore[list-item]
                page = await context.new_page()
                page.set_default_timeout(TIMEOUT)
                await page.goto(f"{url}/staff/interviews/{interview_id}")
                shown = await page.locator("main").inner_text()
                for words in THIRD_PARTY:
                    assert words not in shown
                assert "[téléphone]" in shown
                assert "[santé]" in shown
                await page.screenshot(
                    path=ARTIFACTS / f"masking-transcript-{name}.png", full_page=True
                )
                if name == "phone":
                    # The page fits the phone: nothing wider than the screen.
                    scroll = await page.evaluate("document.documentElement.scrollWidth")
                    assert scroll <= width
                    await context.close()
                    continue
                # From inside the label to the end of the words after it, as a mouse would.
                await page.evaluate(
                    """(after) => {
                        const label = [...document.querySelectorAll("p[data-turn] .masked")]
                            .find((span) => span.nextSibling?.textContent.startsWith(after));
                        const range = document.createRange();
                        range.setStart(label.firstChild, 4);
                        range.setEnd(label.nextSibling, after.length);
                        document.getSelection().removeAllRanges();
                        document.getSelection().addRange(range);
                    }""",
                    " oublie ses repas",
                )
                await page.get_by_role("button", name="Ajouter un constat avec ces mots").click()
                await expect(page.locator("#add-words")).to_have_value(SELECTED[4:])
                await page.locator("#add-code").select_option("care")
                await page.screenshot(path=ARTIFACTS / "masking-selected.png")
                await page.get_by_role("button", name="Ajouter le constat").click()
                await expect(page.get_by_text("Constat ajouté.")).to_be_visible()
                await expect(page.locator("blockquote", has_text=SELECTED)).to_be_visible()
                await page.screenshot(path=ARTIFACTS / "masking-added.png", full_page=True)
                await context.close()
            (added,) = [
                f for f in pages.store.findings.where() if f.origin == FindingOrigin.FACILITATOR
            ]
            (quote,) = added.evidence
            assert quote.text == "Jeanne oublie ses repas"
            assert SAID[quote.start : quote.end] == quote.text
            for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
                context = await browser.new_context(
                    locale="fr-FR", viewport={"width": width, "height": height}
                )
                await context.add_cookies([_cookie("adam", url)])  # type: ignore[list-item]
                page = await context.new_page()
                await page.goto(f"{url}/staff/audit")
                await expect(page.get_by_role("heading", name="Journal des accès")).to_be_visible()
                await expect(page.get_by_role("cell", name=pseudonym).first).to_be_visible()
                await page.screenshot(path=ARTIFACTS / f"masking-audit-{name}.png", full_page=True)
                await context.close()
        finally:
            await browser.close()
