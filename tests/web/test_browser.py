"""End to end in a real browser: Debian's headless Chromium, driven by Playwright.

Sign in, consent, three messages, a reload that brings the conversation back. Screenshots go
to ``test-artifacts/``. Playwright drives the system's Chromium (``/usr/bin/chromium``); it
never downloads a browser of its own. Locally, without Chromium, the test is skipped; in CI
(``CI`` set) a missing Chromium is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from assistant.interview.guide import load_guide
from assistant.schemas import UserRole
from tests.ollama_server import OllamaTestServer
from tests.support.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, send_answer
from tests.web.server import PASSWORD, WebServer
from tests.web.waiting import HANG_CAP_MS

pytestmark = pytest.mark.slow

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
            context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
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
            await expect(agree).to_be_visible(timeout=HANG_CAP_MS)
            await expect(page.get_by_text("Acceptez-vous de commencer ?")).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-2-consent.png")
            await agree.click()
            first_step = page.get_by_text("Étape 1/6 : Le métier tel qu'il est prévu")
            await expect(first_step).to_be_visible(timeout=HANG_CAP_MS)
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible()

            for text, reply in zip(
                ["Bonjour, je suis aide à domicile.", "Je m'occupe de personnes âgées.", HOSTILE],
                SHOWN,
                strict=True,
            ):
                await send_answer(page, text)
                await expect(page.get_by_text(reply, exact=True)).to_be_visible(timeout=HANG_CAP_MS)
            await expect(page.get_by_text(HOSTILE, exact=True)).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "web-3-conversation.png", full_page=True)
            await _assert_inert(page)
            url = page.url
            assert "/thread/" in url

            await page.reload()
            for reply in [FIRST_QUESTION, *SHOWN]:
                await expect(page.get_by_text(reply, exact=True)).to_be_attached(
                    timeout=HANG_CAP_MS
                )
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
            context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
            page = await context.new_page()
            await page.goto(web.url)
            await page.fill("#email", "bob")
            await page.fill("#password", PASSWORD)
            await page.tap("button[type=submit]")
            agree = page.get_by_role("button", name="J'accepte")
            await expect(agree).to_be_visible(timeout=HANG_CAP_MS)
            await agree.tap()
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible(
                timeout=HANG_CAP_MS
            )
            await send_answer(page, "Je prépare les repas des résidents.")
            await expect(page.get_by_text(REPLIES[0], exact=True)).to_be_visible(
                timeout=HANG_CAP_MS
            )
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


async def _signed_in_page(browser: object, web: WebServer, name: str, width: int) -> object:
    from playwright.async_api import Browser, expect

    assert isinstance(browser, Browser)
    context = await browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
    page = await context.new_page()
    await page.goto(web.url)
    await page.fill("#email", name)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#password")).to_have_count(0, timeout=HANG_CAP_MS)
    return page


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
async def test_an_ended_interview_closes_its_box_and_its_name_and_staff_have_no_box(
    web: WebServer, fake_ollama: OllamaTestServer, width: int
) -> None:
    from playwright.async_api import Page, async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    fake_ollama.respond_with(lambda body: FIRST_QUESTION)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            page = await _signed_in_page(browser, web, "chloe", width)
            assert isinstance(page, Page)
            await page.get_by_role("button", name="J'accepte").click(timeout=HANG_CAP_MS)
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible(
                timeout=HANG_CAP_MS
            )
            await send_answer(page, "Je suis aide à domicile.")
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_have_count(
                2, timeout=HANG_CAP_MS
            )
            await expect(page.locator("#message-composer")).to_be_visible()
            await page.get_by_role("button", name="Arrêter l'entretien").click()
            # Without a reload: no message box, and the list names it by its new status.
            await expect(page.locator("#message-composer")).to_be_hidden(timeout=HANG_CAP_MS)
            await expect(page.locator(".watermark")).to_be_hidden()
            if width > 600:
                await expect(page.get_by_text("Arrêté ·").first).to_be_visible(timeout=HANG_CAP_MS)
            await page.screenshot(path=ARTIFACTS / f"web-ended-{width}.png", full_page=True)
            with web.store() as store:
                ended = f"{web.url}/thread/{store.interviews.where(limit=1)[0].id}"

            # Withdrawn, then asked for again: one welcome, and Chainlit's error in French.
            await page.get_by_role("button", name="Retirer mon entretien").click()
            await page.get_by_role("button", name="Oui, tout effacer").click(timeout=HANG_CAP_MS)
            await expect(page.get_by_text("effacé", exact=False).last).to_be_visible(
                timeout=HANG_CAP_MS
            )
            await page.goto(ended)
            await expect(page.get_by_text("Cet entretien n'existe plus")).to_be_visible(
                timeout=HANG_CAP_MS
            )
            await expect(page.get_by_text("Acceptez-vous de commencer ?")).to_have_count(
                1, timeout=HANG_CAP_MS
            )
            await expect(page.locator("#message-composer")).to_be_visible()  # a new one
            await expect(page.get_by_text("Couldn't resume")).to_have_count(0)
            await page.screenshot(path=ARTIFACTS / f"web-erased-reopened-{width}.png")
            # Still one welcome once every message has arrived.
            await page.wait_for_load_state("networkidle")
            await expect(page.get_by_text("Acceptez-vous de commencer ?")).to_have_count(1)

            for name in ("fanny", "lea", "adam"):
                staff = await _signed_in_page(browser, web, name, width)
                assert isinstance(staff, Page)
                await expect(staff.locator("body.terrain-staff")).to_have_count(
                    1, timeout=HANG_CAP_MS
                )
                await expect(staff.locator("#message-composer")).to_be_hidden()
                await expect(staff.locator(".watermark")).to_be_hidden()
                await staff.screenshot(path=ARTIFACTS / f"web-staff-{name}-{width}.png")
        finally:
            await browser.close()


async def test_an_answer_being_typed_survives_the_move_to_the_conversations_address(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    """Chainlit draws the message box again once it moves to the conversation's address (after
    the consent, when the list of conversations has come): what the employee was typing stays
    in the box and can be sent. The list is held back until the answer is typed, so that the
    move comes after, whatever the machine's speed."""
    from playwright.async_api import Page, Route, async_playwright, expect

    fake_ollama.respond_with(lambda body: FIRST_QUESTION)
    web.add_accounts({"dora": UserRole.EMPLOYEE})
    typed = asyncio.Event()

    async def after_typing(route: Route) -> None:
        await typed.wait()
        await route.continue_()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            page = await _signed_in_page(browser, web, "dora", 1280)
            assert isinstance(page, Page)
            await page.route("**/project/threads", after_typing)
            await page.get_by_role("button", name="J'accepte").click()
            await expect(page.get_by_text(FIRST_QUESTION, exact=True)).to_be_visible()
            draft = "Je travaille en cuisine depuis"
            await page.fill("#chat-input", draft)
            assert "/thread/" not in page.url
            typed.set()
            await page.wait_for_url("**/thread/**", timeout=HANG_CAP_MS)
            await expect(page.locator("#chat-input")).to_have_value(draft)
            await expect(page.locator("#chat-submit")).to_be_enabled()  # Chainlit has it too
            await page.locator("#chat-submit").click()
            await expect(page.get_by_text(draft, exact=True)).to_be_visible()
        finally:
            await browser.close()
