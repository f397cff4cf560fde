"""The employee's pages in a real browser, measured by axe-core and checked for what a trial
turned up: Terrain's words on the sign-in form, a true footer, the page's language, names for
icon-only buttons, the keyboard reaching the consent question at once, a withdrawal button
unlike its neighbours, and no button left once the interview is erased. The facilitator's
pages are measured the same way, at both sizes.

axe-core comes from npm (``tests/web/package.json``; ``make test`` runs ``npm ci`` when npm is
there). It is evaluated in the page through the browser's debugging protocol, which the page's
Content-Security-Policy leaves alone. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from assistant.schemas import JobKind
from tests.ollama_server import OllamaTestServer
from tests.support.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS, send_answer
from tests.support.employee_chat import ANSWERS, interviewer
from tests.support.review import Seeded, seed
from tests.web.server import PASSWORD, WebServer
from tests.web.waiting import HANG_CAP_MS

pytestmark = pytest.mark.slow

AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

if not AXE.is_file() and not os.environ.get("CI"):
    pytest.skip(
        "axe-core is not installed: `cd tests/web && npm ci` (make test does it when npm exists)",
        allow_module_level=True,
    )


async def severe_violations(page: Any) -> list[str]:
    """What axe-core rates serious or critical on the page as it is now, one line each."""
    await page.evaluate(AXE.read_text(encoding="utf-8") + ";0")
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map((v) => ({
                id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" "))
            }))"""
    )
    return [
        f"{item['impact']} {item['id']}: {', '.join(item['nodes'][:3])}"
        for item in found
        if item["impact"] in SEVERE
    ]


async def send(page: Any, answer: str) -> None:
    """Send an answer once the interview's buttons are back (the previous reply finished)."""
    from playwright.async_api import expect

    stop = page.get_by_role("button", name="Arrêter l'entretien")
    await expect(stop).to_be_visible(timeout=HANG_CAP_MS)
    await send_answer(page, answer)


@pytest.mark.parametrize(("size", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_the_employee_pages_pass_axe_and_say_what_is_true(
    web: WebServer, fake_ollama: OllamaTestServer, size: str, device: dict[str, Any]
) -> None:
    from playwright.async_api import async_playwright, expect

    assert CHROMIUM.exists(), "CI must install chromium (see .ci/run)"
    assert AXE.is_file(), "CI must install axe-core (`npm ci` in tests/web, see the Makefile)"
    ARTIFACTS.mkdir(exist_ok=True)
    fake_ollama.respond_with(interviewer)
    user = "alice" if size == "desktop" else "bob"
    violations: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            context = await browser.new_context(locale="fr-FR", **device)
            context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
            page = await context.new_page()
            await page.goto(web.url)
            await expect(page.locator("#email")).to_be_visible(timeout=HANG_CAP_MS)
            await expect(page.get_by_text("Nom d'utilisateur", exact=True)).to_be_visible()
            assert await page.locator("#email").get_attribute("placeholder") != "me@example.com"
            assert await page.evaluate("document.documentElement.lang") == "fr"
            # The logo (and the favicon beside the form) are Terrain's, not Chainlit's.
            assert "Terrain" in await (await context.request.get(web.url + "/logo")).text()
            violations["sign-in"] = await severe_violations(page)

            await page.fill("#email", user)
            await page.fill("#password", "pas le bon")
            await page.locator("button[type=submit]").click()
            wrong = page.get_by_text("Nom d'utilisateur ou mot de passe incorrect.").first
            await expect(wrong).to_be_visible(timeout=HANG_CAP_MS)
            await page.screenshot(path=ARTIFACTS / f"a11y-{size}-1-wrong-password.png")
            # Chainlit's toast with the raw error code is neither shown nor read out.
            assert not await page.get_by_text("credentialssignin").is_visible()

            await page.fill("#password", PASSWORD)
            await page.locator("button[type=submit]").click()
            agree = page.get_by_role("button", name="J'accepte")
            await expect(agree).to_be_visible(timeout=HANG_CAP_MS)
            await expect(page.get_by_text("enregistré sous un pseudonyme").last).to_be_visible()
            assert await page.get_by_text("Les LLMs peuvent se tromper").count() == 0
            for name in ("Commencer un nouvel entretien", "Envoyer la réponse"):
                await expect(page.get_by_role("button", name=name)).to_be_attached()
            await expect(page.get_by_role("textbox", name="Votre réponse")).to_be_visible()
            # From the message box, the first Tab reaches the consent question.
            await page.locator("#chat-input").focus()
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.textContent") == "J'accepte"
            await page.screenshot(path=ARTIFACTS / f"a11y-{size}-2-consent.png")
            violations["consent"] = await severe_violations(page)

            await agree.click()
            stop = page.get_by_role("button", name="Arrêter l'entretien")
            await expect(stop).to_be_visible(timeout=HANG_CAP_MS)
            assert await stop.locator("svg.lucide-square").count() == 0
            await page.screenshot(path=ARTIFACTS / f"a11y-{size}-3-interview.png")
            violations["interview"] = await severe_violations(page)

            question = page.get_by_text("Comment cela s'est-il passé ?", exact=False)
            for number, answer in enumerate(ANSWERS, start=2):
                await send(page, answer)
                if number <= len(ANSWERS):  # each answer but the last gets a question back
                    await expect(question).to_have_count(number, timeout=HANG_CAP_MS)
            confirm = page.get_by_role("button", name="C'est juste")
            await expect(confirm).to_be_visible(timeout=HANG_CAP_MS)
            strike = page.get_by_role("button", name="Enlever du résumé : point 1")
            withdraw = page.get_by_role("button", name="Retirer mon entretien")
            colours = [
                await button.evaluate("(b) => getComputedStyle(b).color")
                for button in (strike, withdraw)
            ]
            assert colours[0] != colours[1], "withdrawing looks like striking a point"
            await page.screenshot(path=ARTIFACTS / f"a11y-{size}-4-summary.png", full_page=True)
            violations["summary review"] = await severe_violations(page)

            await withdraw.click()
            await page.get_by_role("button", name="Oui, tout effacer").click()
            await expect(page.get_by_text("Ont été effacés", exact=False)).to_be_visible(
                timeout=HANG_CAP_MS
            )
            keep = page.get_by_role("button", name="Non, garder l'entretien")
            await expect(keep).to_have_count(0)
            await expect(page.get_by_role("button", name="C'est juste")).to_have_count(0)
            await page.screenshot(path=ARTIFACTS / f"a11y-{size}-5-erased.png")
        finally:
            await browser.close()
    assert all(not found for found in violations.values()), violations


async def test_the_first_page_offers_the_interview_in_progress(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    from playwright.async_api import async_playwright, expect

    fake_ollama.respond_with(interviewer)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            context = await browser.new_context(locale="fr-FR", **DESKTOP)
            context.set_default_timeout(HANG_CAP_MS)
            page = await context.new_page()
            await page.goto(web.url)
            await page.fill("#email", "chloe")
            await page.fill("#password", PASSWORD)
            await page.locator("button[type=submit]").click()
            await page.get_by_role("button", name="J'accepte").click(timeout=HANG_CAP_MS)
            await send(page, ANSWERS[0])
            thread = page.url

            await page.goto(web.url)
            resume = page.get_by_role("link", name="Le reprendre là où vous en étiez")
            await expect(resume).to_be_visible(timeout=HANG_CAP_MS)
            await page.screenshot(path=ARTIFACTS / "a11y-6-back-at-the-first-page.png")
            await resume.click()
            await expect(page.get_by_text(ANSWERS[0], exact=True)).to_be_visible(
                timeout=HANG_CAP_MS
            )
            assert page.url == thread
        finally:
            await browser.close()


@pytest.fixture(scope="module")
def staff_seeded(web: WebServer) -> Seeded:
    """An interview with findings to review, and an extraction that failed."""
    with web.store() as store:
        seeded = seed(store)
        failing = store.interviews.create(language="en")
        store.jobs.enqueue(JobKind.EXTRACTION, failing.id)
        job = store.jobs.claim_next(JobKind.EXTRACTION, lease_seconds=600)
        assert job is not None
        store.jobs.fail(job.id, error="The model did not answer in time.", claim=job.claim)
    return seeded


@pytest.mark.parametrize(("size", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_the_facilitator_pages_pass_axe(
    web: WebServer, staff_seeded: Seeded, size: str, device: dict[str, Any]
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    violations: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            context = await browser.new_context(locale="fr-FR", **device)
            context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
            page = await context.new_page()
            await page.goto(web.url)
            await page.fill("#email", "fanny")
            await page.fill("#password", PASSWORD)
            await page.locator("button[type=submit]").click()
            await expect(page.get_by_text("Ouvrir l'espace animateur")).to_be_visible(
                timeout=HANG_CAP_MS
            )
            await page.goto(web.url + "/staff/")
            await expect(page.get_by_role("heading", name="Entretiens")).to_be_visible()
            assert await page.evaluate("document.documentElement.lang") == "fr"
            shown = {
                "interviews": "/staff/interviews",
                "transcript": f"/staff/interviews/{staff_seeded.interview}",
                "jobs": "/staff/jobs",
                "export": "/staff/export",
            }
            for name, path in shown.items():
                await page.goto(web.url + path)
                await page.screenshot(
                    path=ARTIFACTS / f"a11y-staff-{size}-{name}.png", full_page=True
                )
                violations[name] = await severe_violations(page)
            # On a phone the list scrolls sideways rather than cutting columns off.
            await page.goto(web.url + "/staff/interviews")
            table = page.locator("table")
            await expect(table.get_by_role("columnheader", name="Extraction")).to_be_attached()
            wraps = await page.evaluate(
                """() => [...document.querySelectorAll("td.nowrap")].some(
                    (cell) => cell.getClientRects().length > 1 || cell.scrollHeight > 40)"""
            )
            assert not wraps, "a pseudonym or a date wraps"
            # A review, then the page as it stands: no button left that would do nothing.
            await page.goto(web.url + shown["transcript"])
            # One finding per size: the server (and its store) is the module's.
            reviewed = staff_seeded.spare if size == "desktop" else staff_seeded.care
            finding = page.locator(f"#finding-{reviewed}")
            await finding.get_by_role("button", name="Accepter").click()
            await expect(page.get_by_text("Constat accepté.")).to_be_visible()
            await expect(finding.get_by_role("button", name="Accepter")).to_have_count(0)
            await page.screenshot(path=ARTIFACTS / f"a11y-staff-{size}-reviewed.png")
            violations["reviewed"] = await severe_violations(page)
        finally:
            await browser.close()
    assert all(not found for found in violations.values()), violations


@pytest.fixture(scope="module")
def published(web: WebServer) -> str:
    """A published report and a new draft beside it (its quotes awaiting a decision); returns
    a pseudonym the erasure page can be asked about."""
    import asyncio

    from assistant.report.publishing import build_draft, decide_quote, publish, quotes_of
    from assistant.schemas import QuoteDecision
    from tests.report_scripts import scripted
    from tests.report_store import store_study

    settings = web.settings
    with web.store() as store:
        stored = store_study(store, scripted(12))
        draft = asyncio.run(build_draft(store, settings, None, actor="fanny"))
        for quote in quotes_of(draft):
            decide_quote(store, quote.id, QuoteDecision.APPROVED)
        publish(store, actor="fanny")
        asyncio.run(build_draft(store, settings, None, actor="fanny"))
        interview = store.interviews.get(next(iter(stored.values())))
    assert interview is not None
    return interview.pseudonym


STAFF_PAGES = {
    "fanny": ("/staff/report", "/staff/report/preview"),
    # Leadership's page, then what it shows of a page not theirs and of one that does not exist.
    "lea": ("/staff/leadership", "/staff/interviews", "/staff/no-such-page"),
    "adam": (
        "/staff/admin/accounts",
        "/staff/admin/erase",
        "/staff/admin/erase?pseudonym={p}",
        "/staff/audit",
    ),
}


@pytest.mark.parametrize(("size", "device"), [("desktop", DESKTOP), ("phone", PHONE)])
async def test_the_report_leadership_and_admin_pages_pass_axe(
    web: WebServer, published: str, size: str, device: dict[str, Any]
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    violations: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            for user, paths in STAFF_PAGES.items():
                context = await browser.new_context(locale="fr-FR", **device)
                context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
                page = await context.new_page()
                await page.goto(web.url)
                await page.fill("#email", user)
                await page.fill("#password", PASSWORD)
                await page.locator("button[type=submit]").click()
                await expect(page.get_by_role("link").first).to_be_visible(timeout=HANG_CAP_MS)
                for number, path in enumerate(paths, start=1):
                    await page.goto(web.url + path.format(p=published))
                    await expect(page.locator("h1").first).to_be_visible(timeout=HANG_CAP_MS)
                    name = f"staff-{size}-{user}-{number}"
                    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
                    violations[path] = await severe_violations(page)
                await context.close()
        finally:
            await browser.close()
    assert all(not found for found in violations.values()), violations
