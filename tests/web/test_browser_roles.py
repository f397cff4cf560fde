"""Each role's main path in a real browser (Debian's Chromium, driven by Playwright), against
`terrain serve` with its worker and the fake Ollama.

One story, in the order the product lives it: an employee's interview to its end; the server's
worker extracts it by itself; a facilitator reviews it, builds the report, approves its quotes
and publishes it, all in pages; leadership reads it and downloads its PDF and HTML, and is
refused the facilitator's pages; an administrator erases the interview after the confirmation,
and the worker republishes the report without it. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader

from assistant.schemas import FindingStatus, InterviewStatus, JobKind, JobStatus, ReportStatus
from tests.ollama_server import OllamaTestServer
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.support.browser import CHROMIUM, LAUNCH_ARGS, send_answer
from tests.support.employee_chat import ANSWERS, interviewer
from tests.support.extraction import findings, proposed
from tests.web.server import ACCOUNTS, PASSWORD, ROOT, WebServer
from tests.web.waiting import HANG_CAP_MS

pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ARTIFACTS = ROOT / "test-artifacts"
# The words the fake model codes: the employee's own, as extraction must quote them.
CODED = "Je me suis assise avec elle, je l'ai laissée parler"
SELECTED = "ma collègue infirmière est passée aussi"  # what the facilitator codes by hand
_EMPLOYEE_LINE = re.compile(r"^\[(\d+)\] (?:Personne|Person) : (.*)$", re.MULTILINE)
TIMEOUT = HANG_CAP_MS  # ms: waits end when their condition holds; this only stops a hang
OUTSIDE: list[str] = []  # what any page asked of another server than ours

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): "
        "`apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )


def model(body: dict[str, Any]) -> str:
    """The interviewer of the web tests; as the extractor, it codes the sentence CODED wherever
    the employee said it."""
    schema = body.get("format")
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    if "findings" not in properties:
        return interviewer(body)
    prompt = body["messages"][-1]["content"]
    numbers = [number for number, text in _EMPLOYEE_LINE.findall(prompt) if CODED in text]
    return findings(*(proposed(int(number), CODED) for number in numbers[:1]))


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama: OllamaTestServer
) -> Iterator[WebServer]:
    """A server whose report shows what one interview says (thresholds of one person), and
    whose worker looks for jobs often."""
    data_dir = tmp_path_factory.mktemp("roles") / "data"
    server = WebServer(
        data_dir=data_dir,
        ollama_url=fake_ollama.url,
        extra_env={
            "TERRAIN_REPORT_MIN_PEOPLE": "1",
            "TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES": "1",
            "TERRAIN_WORKER_POLL_SECONDS": "0.2",
        },
    )
    server.add_accounts(ACCOUNTS)
    with server.store() as store:  # two interviews reviewed already: the report outlives one
        store_study(store, scripted(2))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_from_an_interview_to_a_published_report_read_by_leadership_then_erased(
    web: WebServer, fake_ollama: OllamaTestServer
) -> None:
    from playwright.async_api import async_playwright

    assert CHROMIUM.exists(), "CI must install chromium (see .ci/run)"
    ARTIFACTS.mkdir(exist_ok=True)
    fake_ollama.respond_with(model)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            interview_id = await _employee_interviews(browser, web)
            _wait_for_extraction(web, interview_id)
            await _facilitator_publishes(browser, web, interview_id)
            await _leadership_reads(browser, web, version=1, quoted=True)
            await _admin_erases(browser, web, "alice", interview_id)
            _wait_for_republishing(web)
            await _leadership_reads(browser, web, version=2, quoted=False)
        finally:
            await browser.close()
    assert OUTSIDE == [], f"a page fetched from elsewhere: {OUTSIDE}"


# ------------------------------------------------------------------------------ each role


async def _signed_in(browser: Browser, web: WebServer, name: str) -> Page:
    """A new browser context signed in as ``name`` on the sign-in page; every request made in
    it, in any tab, is noted in OUTSIDE unless it goes to the server."""
    from playwright.async_api import expect

    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(HANG_CAP_MS)  # clicks too: no speed deadline
    context.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((web.url, "data:", "blob:"))
            else OUTSIDE.append(request.url)
        ),
    )
    page = await context.new_page()
    await page.goto(web.url)
    await page.fill("#email", name)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#password")).to_have_count(0, timeout=TIMEOUT)
    return page


async def _staff_pages(chat: Page, link: str) -> Page:
    """The chat's link to the role's pages: Chainlit opens it in a new tab."""
    async with chat.context.expect_page() as opened:
        await chat.get_by_role("link", name=link).click()
    page = await opened.value
    await page.wait_for_load_state()
    await chat.close()
    return page


async def _employee_interviews(browser: Browser, web: WebServer) -> str:
    """Alice consents, answers each step, confirms the summary and ends the interview."""
    from playwright.async_api import expect

    page = await _signed_in(browser, web, "alice")
    agree = page.get_by_role("button", name="J'accepte")
    await expect(agree).to_be_visible(timeout=TIMEOUT)
    await agree.click()
    await expect(page.get_by_text("Étape 1/6", exact=False)).to_be_visible(timeout=TIMEOUT)
    for number, answer in enumerate(ANSWERS, start=1):
        await send_answer(page, answer)
        # The next question (or the summary) arrives before the next answer is typed.
        await expect(page.locator("#chat-input")).to_be_editable(timeout=TIMEOUT)
        await _wait_for_turns(web, page, employee_turns=number + 1)
    right = page.get_by_role("button", name="C'est juste")
    await expect(right).to_be_visible(timeout=TIMEOUT)
    await page.screenshot(path=ARTIFACTS / "roles-1-employee-summary.png", full_page=True)
    await right.click()
    await expect(page.get_by_text("autre chose", exact=False).last).to_be_visible(timeout=TIMEOUT)
    await send_answer(page, "Non, c'est tout.")
    await expect(page.get_by_text("L'entretien est terminé", exact=False)).to_be_visible(
        timeout=TIMEOUT
    )
    # Once ended, the only action left is withdrawal.
    await expect(page.get_by_role("button", name="C'est juste")).to_have_count(0)
    await expect(page.get_by_role("button", name="Retirer mon entretien")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-2-employee-ended.png", full_page=True)
    interview_id = page.url.rsplit("/thread/", 1)[-1]
    with web.store() as store:
        interview = store.interviews.get(interview_id)
    assert interview is not None
    assert interview.status is InterviewStatus.CLOSED
    await page.context.close()
    return interview_id


async def _wait_for_turns(web: WebServer, page: Page, *, employee_turns: int) -> None:
    """Until the server stored the employee's answers and a reply to the last one."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        if "/thread/" in page.url:
            with web.store() as store:
                turns = store.interviews.turns(page.url.rsplit("/thread/", 1)[-1])
            said = [turn for turn in turns if turn.speaker.value == "employee"]
            if len(said) >= employee_turns and turns[-1].speaker.value == "interviewer":
                return
        await page.wait_for_timeout(100)
    raise AssertionError(f"the server did not answer the employee's answer {employee_turns}")


def _wait_for_extraction(web: WebServer, interview_id: str) -> None:
    """The server's own worker extracts the closed interview: no terminal involved."""
    deadline = time.monotonic() + TIMEOUT / 1000
    with web.store() as store:
        while time.monotonic() < deadline:
            # The study's imported interviews have their jobs too, done (tests/report_store.py).
            jobs = [
                j
                for j in store.jobs.where(kind=JobKind.EXTRACTION)
                if j.interview_id == interview_id
            ]
            if [job.status for job in jobs] == [JobStatus.DONE]:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"extraction did not run: {jobs}\n{web.output()[-3000:]}")
        [finding] = store.findings.where(interview_id=interview_id)
    assert finding.status is FindingStatus.PROPOSED
    assert [quote.text for quote in finding.evidence] == [CODED]


async def _facilitator_publishes(browser: Browser, web: WebServer, interview_id: str) -> None:
    """From the chat's link to the pages: the interview to review, its finding accepted beside
    its quote, the report built, its quote approved, published."""
    from playwright.async_api import expect

    page = await _signed_in(browser, web, "fanny")
    page = await _staff_pages(page, "Ouvrir l'espace animateur")
    await expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=TIMEOUT)
    await page.goto(f"{web.url}/staff/interviews?show=to_review")
    row = page.get_by_role("link", name=re.compile(r"^Participant-"))
    await expect(row).to_have_count(1)
    await page.screenshot(path=ARTIFACTS / "roles-3-facilitator-interviews.png", full_page=True)
    await row.click()
    assert page.url.endswith(f"/staff/interviews/{interview_id}")
    highlighted = page.locator("mark", has_text=CODED)
    await expect(highlighted).to_be_visible()
    await page.get_by_role("button", name="Accepter").click()
    await expect(page.get_by_text("Accepté", exact=False).first).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-4-facilitator-transcript.png", full_page=True)

    # A finding of the facilitator's own, from words selected in the employee's turn.
    await page.evaluate(
        """(words) => {
            const turn = [...document.querySelectorAll("p[data-turn]")]
                .find((p) => p.textContent.includes(words));
            const text = [...turn.childNodes].find((n) => n.textContent.includes(words));
            const start = text.textContent.indexOf(words);
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + words.length);
            document.getSelection().removeAllRanges();
            document.getSelection().addRange(range);
        }""",
        SELECTED,
    )
    await page.get_by_role("button", name="Ajouter un constat avec ces mots").click()
    await expect(page.locator("#add-words")).to_have_value(SELECTED)
    await expect(page.locator("#add-code")).to_be_focused()
    await page.locator("#add-code").select_option("trust")
    await page.screenshot(path=ARTIFACTS / "roles-4b-facilitator-selected.png")
    await page.get_by_role("button", name="Ajouter le constat").click()
    await expect(page.get_by_text("Constat ajouté.")).to_be_visible()
    await expect(page.locator("mark", has_text=SELECTED)).to_be_visible()

    await page.goto(f"{web.url}/staff/report")
    await page.get_by_label("Sans synthèses", exact=False).check()
    await page.get_by_role("button", name="Construire le brouillon").click()
    approve = page.get_by_role("button", name=re.compile("^Approuver"))
    deadline = time.monotonic() + TIMEOUT / 1000
    while await approve.count() == 0:
        assert time.monotonic() < deadline, f"the draft was not built in {TIMEOUT / 1000} s"
        await page.wait_for_timeout(500)
        reload = page.get_by_role("link", name="Recharger")
        if await reload.count():
            await reload.click()
    await expect(page.locator("blockquote", has_text=CODED).first).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-5-facilitator-draft.png", full_page=True)
    while await approve.count():
        await approve.first.click()
        await page.wait_for_load_state()
    await page.get_by_role("button", name="Publier le brouillon").click()
    await expect(page.get_by_text("lue par la direction", exact=False).first).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-6-facilitator-published.png", full_page=True)
    await page.context.close()
    with web.store() as store:
        published = store.reports.latest_published()
    assert published is not None
    assert published.number == 1


async def _leadership_reads(
    browser: Browser, web: WebServer, *, version: int, quoted: bool
) -> None:
    """The latest version as a page, its PDF and HTML downloaded; the quote is in each when the
    version drew on the interview, in none once it was erased. Nothing else is open to them."""
    from playwright.async_api import expect

    page = await _signed_in(browser, web, "lea")
    page = await _staff_pages(page, "Lire le rapport")
    await expect(page.get_by_text(f"Version {version}, publiée le", exact=False)).to_be_visible(
        timeout=TIMEOUT
    )
    frame = page.locator(".terrain-report")  # the report is set in the page, not a frame
    await expect(frame.locator("h2").first).to_be_visible()
    shown = frame.get_by_text(CODED, exact=False)
    if quoted:
        await expect(shown.first).to_be_visible()
    else:
        await expect(shown).to_have_count(0)
    await page.screenshot(path=ARTIFACTS / f"roles-7-leadership-v{version}.png", full_page=True)

    downloaded: dict[str, bytes] = {}
    for label, suffix in (("Télécharger en PDF", ".pdf"), ("Télécharger en HTML", ".html")):
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name=label).click()
        download = await waiting.value
        assert download.suggested_filename.endswith(suffix), download.suggested_filename
        downloaded[suffix] = Path(await download.path()).read_bytes()
    pdf = PdfReader(io.BytesIO(downloaded[".pdf"]))
    pdf_text = " ".join(sheet.extract_text() for sheet in pdf.pages)
    html_text = downloaded[".html"].decode()
    assert html_text.startswith("<!DOCTYPE html>")
    words = "assise avec elle"
    assert (words in " ".join(pdf_text.split())) is quoted
    assert (words in html_text) is quoted

    for refused_path in ("/staff/interviews", "/staff/report", "/staff/admin/accounts"):
        refused = await page.goto(f"{web.url}{refused_path}")
        assert refused is not None
        assert refused.status == 403, refused_path
    await page.screenshot(path=ARTIFACTS / "roles-8-leadership-refused.png")
    await page.context.close()


async def _admin_erases(browser: Browser, web: WebServer, user: str, interview_id: str) -> None:
    """The plan first (what will be erased, which reports republished), then the erasure."""
    from playwright.async_api import expect

    page = await _signed_in(browser, web, "adam")
    page = await _staff_pages(page, "Ouvrir l'administration")
    await expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=TIMEOUT)
    await page.goto(f"{web.url}/staff/admin/erase")
    await page.locator("#erase-user").fill(user)
    await page.locator("#erase-user").press("Enter")
    await expect(page.get_by_text("1 entretien,", exact=False)).to_be_visible()
    await expect(
        page.get_by_text("republiées sans ces entretiens : 1.", exact=False)
    ).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-9-admin-plan.png", full_page=True)
    with web.store() as store:
        assert store.interviews.get(interview_id) is not None  # the plan erased nothing
    await page.get_by_role("button", name="Effacer définitivement").click()
    await expect(page.get_by_text("Effacé", exact=False).first).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "roles-10-admin-erased.png", full_page=True)
    await page.context.close()
    with web.store() as store:
        assert store.interviews.get(interview_id) is None


def _wait_for_republishing(web: WebServer) -> None:
    """The erasure withdrew version 1 at once; the server's worker publishes version 2."""
    deadline = time.monotonic() + TIMEOUT / 1000
    with web.store() as store:
        while time.monotonic() < deadline:
            latest = store.reports.latest_published()
            if latest is not None:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"nothing republished\n{web.output()[-3000:]}")
        assert (latest.number, latest.replaces) == (2, 1)
        assert [v.status for v in store.reports.versions()] == [
            ReportStatus.PUBLISHED,
            ReportStatus.WITHDRAWN,
        ]
        erased = json.dumps(latest.model_dump(mode="json"))
        assert "assise avec elle" not in erased
        assert SELECTED not in erased
