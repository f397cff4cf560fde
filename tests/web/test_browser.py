"""End to end in a real browser: Debian's headless Chromium, driven by Playwright.

Sign in, consent, three messages, a reload that brings the conversation back. Screenshots go
to ``test-artifacts/``. Playwright drives the system's Chromium (``/usr/bin/chromium``); it
never downloads a browser of its own. Locally, without Chromium, the test is skipped; in CI
(``CI`` set) a missing Chromium is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.interview.guide import load_guide
from tests.ollama_server import OllamaTestServer
from tests.web.server import PASSWORD, ROOT, WebServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "<img src=x onerror=alert(1)> [un lien](javascript:alert(1)) **gras**"
FIRST_QUESTION = "Quel est votre métier ici ?"
REPLIES = [
    "Comment se passe une journée pour vous ?",
    "Pouvez-vous me raconter un moment précis de cette semaine ?",
    "<img src=x onerror=alert(2)> Et [ce lien](javascript:alert(2)) ?",
]
# The model's markup never reaches the page: the output guard puts the guide's question (still
# at the episode step) in its place.
SHOWN = [*REPLIES[:2], load_guide("fr").phases[1].questions[0]]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): "
        "`apt-get install -y chromium` to run the browser test",
        allow_module_level=True,
    )


async def test_sign_in_consent_three_messages_and_reload(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    from playwright.async_api import async_playwright, expect

    assert CHROMIUM.exists(), "CI must install chromium (see .ci/run)"
    ARTIFACTS.mkdir(exist_ok=True)
    fake_ollama.queue(FIRST_QUESTION, *REPLIES)
    dialogs: list[str] = []
    outside: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            context = await browser.new_context(
                locale="fr-FR", viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(web.url) else outside.append(request.url)
                ),
            )
            await page.goto(web.url)
            await page.fill("#email", "alice")
            await page.fill("#password", PASSWORD)
            await page.screenshot(path=ARTIFACTS / "web-1-sign-in.png")
            await page.click("button[type=submit]")

            agree = page.get_by_role("button", name="J'accepte")
            await expect(agree).to_be_visible(timeout=20_000)
            await expect(page.get_by_text("Acceptez-vous de commencer ?")).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-2-consent.png")
            await agree.click()
            first_step = page.get_by_text("Étape 1/6 : Le métier tel qu'il est prévu")
            await expect(first_step).to_be_visible(timeout=20_000)
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible()

            for text, reply in zip(
                ["Bonjour, je suis aide à domicile.", "Je m'occupe de personnes âgées.", HOSTILE],
                SHOWN,
                strict=True,
            ):
                await page.fill("#chat-input", text)
                await page.keyboard.press("Enter")
                await expect(page.get_by_text(reply, exact=True)).to_be_visible(timeout=20_000)
            await expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-3-conversation.png", full_page=True)
            await _assert_inert(page)
            url = page.url
            assert "/thread/" in url

            await page.reload()
            for reply in [FIRST_QUESTION, *SHOWN]:
                await expect(page.get_by_text(reply, exact=True)).to_be_attached(timeout=20_000)
            await expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
            await expect(page.get_by_text("En cours ·").first).to_be_visible()
            await expect(page.get_by_role("button", name="Retirer mon entretien")).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-4-reloaded.png", full_page=True)
            await _assert_inert(page)
            assert page.url == url
        finally:
            await browser.close()
    assert dialogs == [], "a script from a message ran"
    assert outside == [], f"the page fetched from elsewhere: {outside}"


async def _assert_inert(page: object) -> None:
    from playwright.async_api import Page

    assert isinstance(page, Page)
    assert await page.locator("img[src='x']").count() == 0
    assert await page.locator("a[href^='javascript']").count() == 0
    assert await page.locator("strong", has_text="gras").count() == 0


async def test_on_a_phone_the_interview_fits_the_screen(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    """A phone-sized touch screen: sign in, consent, answer once; nothing wider than the
    screen, the buttons and the message box within reach."""
    from playwright.async_api import async_playwright, expect

    assert CHROMIUM.exists(), "CI must install chromium (see .ci/run)"
    ARTIFACTS.mkdir(exist_ok=True)
    fake_ollama.queue(FIRST_QUESTION, REPLIES[0])
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            context = await browser.new_context(
                locale="fr-FR",
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            )
            page = await context.new_page()
            await page.goto(web.url)
            await page.fill("#email", "bob")
            await page.fill("#password", PASSWORD)
            await page.tap("button[type=submit]")
            agree = page.get_by_role("button", name="J'accepte")
            await expect(agree).to_be_visible(timeout=20_000)
            await agree.tap()
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible(timeout=20_000)
            await page.fill("#chat-input", "Je prépare les repas des résidents.")
            await page.keyboard.press("Enter")
            await expect(page.get_by_text(REPLIES[0], exact=True)).to_be_visible(timeout=20_000)
            await page.screenshot(path=ARTIFACTS / "web-5-phone.png")

            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"the page is {overflow} px wider than the phone's screen"
            for control in (
                page.locator("#chat-input"),
                page.get_by_role("button", name="Retirer mon entretien"),
            ):
                box = await control.bounding_box()
                assert box is not None
                assert box["x"] >= 0
                assert box["x"] + box["width"] <= 390
        finally:
            await browser.close()
