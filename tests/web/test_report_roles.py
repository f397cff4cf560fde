"""The report in the running server (`terrain serve`, its worker beside it), through HTTP
requests to the staff pages: a facilitator from reviewed findings to a published report,
leadership reading it, and an administrator's erasure republished by the worker."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator

import httpx
import pytest

from assistant.schemas import AccessKind
from tests.ollama_server import OllamaTestServer
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.web.client import WebClient, plain
from tests.web.server import ACCOUNTS, WebServer
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

TITLE = "Biens relationnels dans le travail réel"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
QUOTE_FORM = re.compile(r'action="/staff/report/quotes/(q[0-9a-f]{8})"')
# How long the server's worker may take to republish (it loads spaCy first).
REPUBLISH_TIMEOUT = HANG_CAP_SECONDS  # a cap against a hang, not a timing


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama: OllamaTestServer
) -> Iterator[WebServer]:
    server = WebServer(data_dir=tmp_path_factory.mktemp("web") / "data", ollama_url=fake_ollama.url)
    server.add_accounts(ACCOUNTS)
    with server.store() as store:
        store_study(store, scripted(12))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def signed_in(web: WebServer, name: str) -> WebClient:
    client = web.client(name)
    await client.login()
    return client


async def page(http: httpx.AsyncClient, path: str) -> str:
    answer = await http.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return html.unescape(answer.text)


async def post(http: httpx.AsyncClient, path: str, form: dict[str, str], token: str) -> str:
    answer = await http.post(path, data={**form, "csrf": token})
    assert answer.status_code == 303, (path, answer.status_code, answer.text)
    return str(answer.headers["location"])


async def published_by_the_facilitator(web: WebServer) -> list[str]:
    """Build without narratives, drop the first quote, approve the others, publish; returns
    the quote ids as the page listed them."""
    fanny = await signed_in(web, "fanny")
    async with fanny.http() as http:
        report = await page(http, "/staff/report")
        token = CSRF.findall(report)[0]
        assert await post(http, "/staff/report/build", {"narratives": "none"}, token)
        while "Construction en cours" in report or 'id="draft-heading"' not in report:
            await asyncio.sleep(0.5)
            report = await page(http, "/staff/report")
        assert "Construit sans synthèses" in report
        quotes = list(dict.fromkeys(QUOTE_FORM.findall(report)))
        assert quotes
        dropped, *approved = quotes
        await post(http, f"/staff/report/quotes/{dropped}", {"decision": "dropped"}, token)
        for quote in approved:
            await post(http, f"/staff/report/quotes/{quote}", {"decision": "approved"}, token)
        assert (await http.get("/staff/report/preview")).text.count("<blockquote>") == len(approved)
        done = await post(http, "/staff/report/publish", {}, token)
        assert done == "/staff/report?done=published"
    return quotes


async def test_a_facilitator_publishes_through_the_pages_and_leadership_reads_it(
    web: WebServer,
) -> None:
    await published_by_the_facilitator(web)
    lea = await signed_in(web, "lea")
    async with lea.http() as http:
        shown = await page(http, "/staff/leadership")
        assert "Version 1, publiée le" in shown
        report = await page(http, "/staff/leadership/report.html")
        assert TITLE in report
        pdf = await http.get("/staff/leadership/report.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        for path in ("/staff/report", "/staff/report/preview", "/staff/interviews"):
            assert (await http.get(path)).status_code == 403
        assert (await http.get("/staff/leadership/report.html?download=true")).status_code == 200
    fanny = await signed_in(web, "fanny")
    async with fanny.http() as http:
        assert (await http.get("/staff/report/versions/1/md")).status_code == 200
    # Each download and export is in the access log: who, which file; reading in the page is not.
    with web.store() as store:
        files = [
            (e.actor, e.kind.value, e.file_format, e.report_version)
            for e in store.access.entries()
            if e.kind != AccessKind.TRANSCRIPT
        ]
    assert files == [
        ("fanny", "report_export", "md", 1),
        ("lea", "report_download", "html", 1),
        ("lea", "report_download", "pdf", 1),
    ]
    # The chat points leadership to the page and shows nothing of the report itself.
    await lea.connect()
    await lea.wait_for_text("Lire le rapport")
    assert "/staff/leadership" in lea.last()
    assert TITLE not in " ".join(lea.texts())
    assert lea.labels() == []
    await lea.disconnect()


async def test_an_erasure_confirmed_by_the_admin_is_republished_by_the_servers_worker(
    web: WebServer,
) -> None:
    with web.store() as store:
        before = store.reports.latest_published()
        erased = store.interviews.where()[0]
    assert before is not None
    adam = await signed_in(web, "adam")
    async with adam.http() as http:
        plan = await page(http, f"/staff/admin/erase?pseudonym={erased.pseudonym}")
        assert f"republiées sans ces entretiens : {before.number}." in plan
        token = CSRF.findall(plan)[0]
        form = {"pseudonym": erased.pseudonym, "interviews": erased.id}
        await post(http, "/staff/admin/erase", form, token)
    with web.store() as store:
        assert store.interviews.get(erased.id) is None
        assert store.reports.latest_published() is None or (
            erased.id not in store.reports.latest_published().interview_ids  # type: ignore[union-attr]
        )
    for _ in range(int(REPUBLISH_TIMEOUT / 0.5)):
        with web.store() as store:
            latest = store.reports.latest_published()
        if latest is not None:
            break
        await asyncio.sleep(0.5)
    assert latest is not None, "the worker did not republish:\n" + plain(web.output()[-3000:])
    assert latest.replaces == before.number
    assert erased.id not in latest.interview_ids
    lea = await signed_in(web, "lea")
    async with lea.http() as http:
        assert f"Version {latest.number}, publiée le" in await page(http, "/staff/leadership")
