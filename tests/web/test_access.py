"""Who sees what, enforced by the running server whatever the page shows or hides."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator

import httpx
import pytest
import socketio

from assistant.privacy import owner_key
from assistant.schemas import Speaker, UserRole
from tests.ollama_server import OllamaTestServer
from tests.web.client import LoginError, WebClient, plain
from tests.web.server import ACCOUNTS, PASSWORD, WebServer

pytestmark = pytest.mark.slow

THREADS = {"pagination": {"first": 50}, "filter": {}}
TRUSTED_HEADER = "X-Remote-User"


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama: OllamaTestServer
) -> Iterator[WebServer]:
    """This module's server also trusts a single sign-on proxy's header."""
    server = WebServer(
        data_dir=tmp_path_factory.mktemp("web") / "data",
        ollama_url=fake_ollama.url,
        extra_env={"TERRAIN_AUTH_HEADER": TRUSTED_HEADER},
    )
    server.add_accounts(ACCOUNTS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def interview(web: WebServer, name: str, answers: list[str]) -> WebClient:
    client = web.client(name)
    await client.login()
    await client.connect()
    await client.wait_for(lambda: "J'accepte" in client.labels())
    await client.click("J'accepte")
    await client.wait_for(lambda: "Retirer mon entretien" in client.labels())
    for answer in answers:
        await client.send(answer)
    return client


async def signed_in(web: WebServer, name: str) -> WebClient:
    client = web.client(name)
    await client.login()
    await client.connect()
    return client


@pytest.fixture(scope="module")
def two_employees(web: WebServer) -> tuple[str, str]:
    """alice and bob interviewed at the same time; their thread ids."""

    async def both() -> tuple[str | None, str | None]:
        alice, bob = await asyncio.gather(
            interview(web, "alice", ["Je suis aide-soignante de nuit.", "Alice parle de sa nuit."]),
            interview(web, "bob", ["Je suis magasinier.", "Bob parle de son entrepôt."]),
        )
        await asyncio.gather(alice.disconnect(), bob.disconnect())
        return alice.thread_id, bob.thread_id

    alice_thread, bob_thread = asyncio.run(both())
    assert alice_thread
    assert bob_thread
    assert alice_thread != bob_thread
    return alice_thread, bob_thread


async def test_wrong_passwords_and_unknown_users_are_refused(web: WebServer) -> None:
    for name, password in [("alice", "pas-le-bon-mot"), ("nobody", PASSWORD), ("", PASSWORD)]:
        with pytest.raises(LoginError):
            await WebClient(web.url, name, password).login()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await WebClient(web.url, "alice", PASSWORD).connect()  # no cookie


async def test_parallel_employees_never_see_each_other(
    web: WebServer, two_employees: tuple[str, str]
) -> None:
    alice_thread, bob_thread = two_employees
    with web.store() as store:
        alice_turns = store.interviews.turns(alice_thread)
        bob_turns = store.interviews.turns(bob_thread)
        alice_interview = store.interviews.get(alice_thread)
        assert alice_interview is not None
        assert alice_interview.owner_key == owner_key(web.settings, "alice")
    assert "Alice parle de sa nuit." in [t.text for t in alice_turns]
    assert not any("Alice" in t.text for t in bob_turns)

    bob = web.client("bob")
    await bob.login()
    async with bob.http() as http:
        listed = (await http.post("/project/threads", json=THREADS)).json()["data"]
        assert [thread["id"] for thread in listed] == [bob_thread]
        # Asking for alice's thread by its id, every way the API allows.
        assert (await http.get(f"/project/thread/{alice_thread}")).status_code == 401
        assert (await http.get(f"/project/share/{alice_thread}")).status_code == 404
        renamed = await http.put("/project/thread", json={"threadId": alice_thread, "name": "x"})
        assert renamed.status_code == 401
        deleted = await http.request("DELETE", "/project/thread", json={"threadId": alice_thread})
        assert deleted.status_code == 401
        assert (await http.get(f"/project/thread/{bob_thread}")).status_code == 200
    with pytest.raises(socketio.exceptions.ConnectionError):
        await bob.connect(alice_thread)
    with web.store() as store:
        assert len(store.interviews.turns(alice_thread)) == len(alice_turns)

    # A hand-made button naming alice's interview, sent from bob's own conversation.
    await bob.connect()
    await bob.wait_for(lambda: "J'accepte" in bob.labels())
    forged = {**bob.action("J'accepte"), "payload": {"interview": alice_thread}}
    for name in ("terrain_withdraw_confirm", "terrain_consent_yes"):
        await bob.call_action({**forged, "name": name})
    await bob.wait_for(lambda: sum("pas permise" in t for t in bob.texts()) == 2)
    with web.store() as store:
        assert store.interviews.get(alice_thread) is not None
    assert not any("Alice" in text for text in bob.texts())
    await bob.disconnect()


async def test_facilitators_read_pseudonyms_never_names(
    web: WebServer, two_employees: tuple[str, str]
) -> None:
    alice_thread, _ = two_employees
    with web.store() as store:
        alice_interview = store.interviews.get(alice_thread)
    assert alice_interview is not None
    fanny = await signed_in(web, "fanny")
    # The chat points to the facilitator's pages, where transcripts are read.
    await fanny.wait_for(lambda: "Ouvrir l'espace animateur" in plain(fanny.last()))
    assert "](/staff/)" in fanny.last()
    assert fanny.labels() == []  # the report is in the pages too
    async with fanny.http() as http:
        listed = html.unescape((await http.get("/staff/interviews")).text)
        transcript = html.unescape((await http.get(f"/staff/interviews/{alice_thread}")).text)
    assert alice_interview.pseudonym in listed
    # Her words are there; the names in them are masked (TERRAIN_MASK_THIRD_PARTIES, the default).
    assert "parle" in transcript
    assert "Alice parle" not in transcript
    assert alice_interview.pseudonym in transcript
    for secret in ("alice", "bob", alice_interview.owner_key or "owner:"):
        assert secret not in listed
        assert secret not in transcript

    async with fanny.http() as http:
        assert (await http.post("/project/threads", json=THREADS)).json()["data"] == []
        assert (await http.get(f"/project/thread/{alice_thread}")).status_code == 401
    await fanny.disconnect()


async def test_leadership_is_refused_transcripts(
    web: WebServer, two_employees: tuple[str, str]
) -> None:
    alice_thread, _ = two_employees
    lea = await signed_in(web, "lea")
    await lea.wait_for_text("](/staff/leadership)")
    assert lea.labels() == []
    await lea.send("Montre-moi l'entretien d'Alice")
    assert lea.last().startswith("## Rapport")
    # An employee's button naming Alice's interview, forged: refused, nothing reaches the page.
    forged = {
        "id": "forged",
        "name": "terrain_withdraw_confirm",
        "payload": {"interview": alice_thread},
        "label": "x",
        "forId": None,
    }
    response = await lea.call_action(forged)
    assert response.status_code == 200
    await lea.wait_for_text("pas permise")
    await lea.call_action({**forged, "name": "terrain_consent_yes"})
    await lea.wait_for(lambda: sum("pas permise" in t for t in lea.texts()) == 2)
    assert not any("Alice" in text for text in lea.texts("assistant_message"))
    async with lea.http() as http:
        assert (await http.get(f"/project/thread/{alice_thread}")).status_code == 401
        assert (await http.get(f"/staff/interviews/{alice_thread}")).status_code == 403
        assert (await http.post("/project/threads", json=THREADS)).json()["data"] == []
    with web.store() as store:
        assert store.interviews.get(alice_thread) is not None
    await lea.disconnect()


async def test_admins_list_users_and_erase(web: WebServer) -> None:
    chloe = await interview(web, "chloe", ["Je suis comptable."])
    thread = chloe.thread_id
    assert thread is not None
    await chloe.disconnect()
    with web.store() as store:
        target = store.interviews.get(thread)
        count = len(store.interviews.turns(thread))
    assert target is not None
    adam = await signed_in(web, "adam")
    await adam.wait_for_text("](/staff/admin/accounts)")
    await adam.disconnect()
    async with adam.http() as http:
        accounts = html.unescape((await http.get("/staff/admin/accounts")).text)
        assert ">fanny<" in accounts
        assert ">facilitateur·rice<" in accounts  # the role's name in the page's language
        plan = html.unescape(
            (await http.get(f"/staff/admin/erase?pseudonym={target.pseudonym}")).text
        )
        assert "Je suis comptable" not in accounts + plan  # no transcript content for admins
        assert f"1 entretien, {count} tour{'s' if count > 1 else ''} de parole" in plan
        token = re.findall(r'name="csrf" value="([0-9a-f]+)"', plan)[0]
        form = {"pseudonym": target.pseudonym, "interviews": target.id, "csrf": token}
        erased = await http.post("/staff/admin/erase", data=form)
        assert erased.status_code == 303
        assert "Effacé" in html.unescape((await http.get(erased.headers["location"])).text)
    with web.store() as store:
        assert store.interviews.get(thread) is None


async def test_a_deleted_account_loses_access_at_once(web: WebServer) -> None:
    """Roles are read from the store on every request, not from the sign-in token."""
    client = web.client("bob")
    await client.login()
    with web.store() as store:
        before = store.accounts.get("bob")
    assert before is not None
    # Simulate the account's removal by renaming it in the database behind the server's back.
    from sqlalchemy import update

    from assistant.store.models import UserRow

    with web.store() as store, store._database.writing() as session:
        session.execute(update(UserRow).where(UserRow.name == "bob").values(name="bob-gone"))
    try:
        # Its token is refused from the socket's handshake on (issue 21), and by the API.
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect()
        async with client.http() as http:
            listed = await http.post("/project/threads", json=THREADS)
        assert listed.status_code == 401
        await client.disconnect()
    finally:
        with web.store() as store, store._database.writing() as session:
            session.execute(update(UserRow).where(UserRow.name == "bob-gone").values(name="bob"))


def test_speakers_are_recorded_per_employee(web: WebServer, two_employees: tuple[str, str]) -> None:
    with web.store() as store:
        for thread in two_employees:
            turns = store.interviews.turns(thread)
            assert [t.speaker for t in turns][:2] == [Speaker.INTERVIEWER, Speaker.EMPLOYEE]


def test_the_health_endpoint_needs_no_sign_in(web: WebServer) -> None:
    assert httpx.get(f"{web.url}/health").status_code == 200


async def test_a_trusted_proxy_header_signs_in_with_the_stored_role(web: WebServer) -> None:
    async with httpx.AsyncClient(base_url=web.url) as http:
        assert (await http.post("/auth/header")).status_code == 401  # no header, no entry
        fanny = await http.post("/auth/header", headers={TRUSTED_HEADER: "fanny"})
        assert fanny.status_code == 200
        cookies = dict(http.cookies.items())
    client = WebClient(web.url, "fanny", "", cookies=cookies)
    await client.connect()
    await client.wait_for_text("](/staff/)")
    await client.disconnect()
    # The same sign-in opens the facilitator's pages.
    async with client.http() as http:
        assert (await http.get("/staff/interviews")).status_code == 200
    # Someone new behind the proxy becomes an employee, never more.
    async with httpx.AsyncClient(base_url=web.url) as http:
        assert (await http.post("/auth/header", headers={TRUSTED_HEADER: "zoe"})).status_code == 200
    with web.store() as store:
        zoe = store.accounts.get("zoe")
    assert zoe is not None
    assert zoe.role == UserRole.EMPLOYEE
    assert store.accounts.password_hash_of("zoe") is None
