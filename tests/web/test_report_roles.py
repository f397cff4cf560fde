"""The report in the web app: facilitators build and publish, leadership reads only what is
published, checked by the server whatever the page sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.report.publishing import decide_quote, quotes_of
from assistant.schemas import QuoteDecision
from tests.ollama_server import OllamaTestServer
from tests.report_scripts import scripted
from tests.report_store import store_study
from tests.web.client import WebClient, plain
from tests.web.server import ACCOUNTS, WebServer

TITLE = "Biens relationnels dans le travail réel"


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
    await client.connect()
    return client


def files_of(client: WebClient) -> list[str]:
    return [str(data.get("name")) for event, data in client.events if event == "element"]


async def test_leadership_reads_only_the_published_report(web: WebServer) -> None:
    fanny = await signed_in(web, "fanny")
    await fanny.wait_for(lambda: "Rapport" in fanny.labels())
    await fanny.click("Rapport")
    await fanny.wait_for_text("Citations en attente", timeout=120)
    with web.store() as store:
        draft = store.reports.draft()
        assert draft is not None
        quotes = quotes_of(draft)
    assert quotes
    assert f"Citations en attente d'approbation : {len(quotes)}" in plain(fanny.last())
    await fanny.wait_for(lambda: "Publier" in fanny.labels())
    await fanny.click("Publier")
    await fanny.wait_for_text("attendent encore votre décision")

    # Leadership: a draft exists, but nothing is published, so nothing of it is shown.
    lea = await signed_in(web, "lea")
    await lea.wait_for_text("Rapports")
    assert lea.labels() == []
    forged: dict[str, object] = {
        "id": "forged",
        "name": "terrain_report",
        "payload": {},
        "label": "x",
        "forId": None,
    }
    await lea.call_action(forged)
    await lea.wait_for_text("pas permise")
    await lea.call_action({**forged, "name": "terrain_report_publish"})
    await lea.wait_for(lambda: sum("pas permise" in t for t in lea.texts()) == 2)
    seen = " ".join(lea.texts())
    assert TITLE not in seen
    assert not any(q.quote.text in seen for q in quotes)
    await lea.disconnect()

    with web.store() as store:
        for quote in quotes[1:]:
            decide_quote(store, quote.id, QuoteDecision.APPROVED)
        decide_quote(store, quotes[0].id, QuoteDecision.DROPPED)
    await fanny.click("Publier")
    await fanny.wait_for_text("Version 1 publiée")
    await fanny.disconnect()

    lea = await signed_in(web, "lea")
    await lea.wait_for_text(TITLE, timeout=60)
    report = lea.last()
    assert quotes[1].quote.text in report
    assert quotes[0].quote.text not in report
    assert "terrain-report-1.html" in files_of(lea)
    assert lea.labels() == []
    await lea.disconnect()
