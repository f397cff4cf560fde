"""Sign-in and sessions on a running `terrain serve` (issue 21): a lock after ten wrong
passwords, lifted by `terrain users unlock`; sessions ended by signing out or disabling, on the
staff pages and on the chat's socket; the socket only from the app's own origin; Secure cookies
and HSTS behind a trusted proxy; uploads and oversized bodies refused before being read."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import socketio

from assistant.auth import set_disabled
from tests.ollama_server import OllamaTestServer
from tests.web.client import WebClient
from tests.web.server import ACCOUNTS, PASSWORD, WebServer
from tests.web.waiting import HANG_CAP_MS, HANG_CAP_SECONDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama: OllamaTestServer
) -> Iterator[WebServer]:
    data_dir = tmp_path_factory.mktemp("web-sessions") / "data"
    server = WebServer(
        data_dir=data_dir,
        ollama_url=fake_ollama.url,
        # The test client is the proxy; no waits between tries (the lock is what is tested).
        extra_env={"TERRAIN_TRUSTED_PROXIES": "127.0.0.1", "TERRAIN_SIGN_IN_DELAY_SECONDS": "0"},
    )
    server.add_accounts({**ACCOUNTS, "dora": ACCOUNTS["alice"], "gus": ACCOUNTS["fanny"]})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _login(web: WebServer, name: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{web.url}/login", data={"username": name, "password": password}, headers=headers
    )


def test_ten_wrong_passwords_lock_the_account_until_unlocked(web: WebServer) -> None:
    for _ in range(10):
        assert _login(web, "lea", "not the password at all").status_code == 401
    locked = _login(web, "lea", PASSWORD)
    assert locked.status_code == 429
    assert locked.reason_phrase == "Too Many Requests"  # the sign-in page's key for its text
    assert locked.json()["detail"] == "signinlocked"
    assert int(locked.headers["retry-after"]) > 800
    from assistant.auth import unlock

    with web.store() as store:
        assert unlock(store, "lea")
    assert _login(web, "lea", PASSWORD).status_code == 200


def test_the_sign_in_page_explains_a_lock_in_both_languages(web: WebServer) -> None:
    for language in ("fr-FR", "en-US"):
        words = httpx.get(f"{web.url}/project/translations", params={"language": language})
        errors = words.json()["translation"]["auth"]["login"]["errors"]
        # The page looks its error up by the status text of the answer: 429's.
        assert "administra" in errors["too many requests"]


def test_after_sign_out_the_old_token_gets_the_sign_in_page(web: WebServer) -> None:
    signed_in = _login(web, "fanny", PASSWORD)
    token = signed_in.cookies["access_token"]
    cookies = {"access_token": token}
    staff = httpx.get(f"{web.url}/staff/interviews", cookies=cookies)
    assert staff.status_code == 200
    assert httpx.post(f"{web.url}/logout", cookies=cookies).status_code == 200
    again = httpx.get(f"{web.url}/staff/interviews", cookies=cookies)
    assert again.status_code == 303
    assert again.headers["location"] == "/login"
    api = httpx.get(f"{web.url}/user", cookies=cookies)
    assert api.status_code == 401


async def test_a_disabled_accounts_open_socket_is_closed_at_its_next_event(
    web: WebServer,
) -> None:
    client = web.client("dora")
    await client.login()
    await client.connect()
    sio = client._sio
    assert sio is not None
    assert sio.connected
    with web.store() as store:
        set_disabled(store, "dora", True)
    await client.send_nowait("Bonjour, je continue.")
    deadline = time.monotonic() + HANG_CAP_SECONDS
    while sio.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not sio.connected
    assert not client.ran("on_message", 0)
    # Nor can it come back.
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    await client.disconnect()


async def _handshake(web: WebServer, client: WebClient, origin: str) -> bool:
    sio = socketio.AsyncClient(reconnection=False)
    try:
        await sio.connect(
            web.url,
            socketio_path="/ws/socket.io",
            headers={"Cookie": client.cookie_header, "Origin": origin},
            auth={"sessionId": "origin-test", "clientType": "webapp", "userEnv": "{}"},
            transports=["websocket"],
            wait_timeout=int(HANG_CAP_SECONDS),
        )
    except socketio.exceptions.ConnectionError:
        return False
    await sio.disconnect()
    return True


async def test_the_socket_accepts_only_the_apps_own_origin(web: WebServer) -> None:
    client = web.client("chloe")
    await client.login()
    assert not await _handshake(web, client, "http://evil.example")
    assert await _handshake(web, client, web.url)


def test_cookies_are_secure_and_hsts_sent_over_https_through_a_trusted_proxy(
    web: WebServer,
) -> None:
    over_https = _login(web, "gus", PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert over_https.status_code == 200
    assert "; secure" in over_https.headers["set-cookie"].lower()
    assert over_https.headers["strict-transport-security"].startswith("max-age=")
    plain = _login(web, "gus", PASSWORD)
    assert "; secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers


def test_the_disabled_upload_endpoint_refuses_without_a_500(web: WebServer) -> None:
    cookies = {"access_token": _login(web, "bob", PASSWORD).cookies["access_token"]}
    empty_name = httpx.post(
        f"{web.url}/project/file",
        params={"session_id": "any"},
        files={"file": ("", b"hello", "text/plain")},
        cookies=cookies,
        headers={"Accept-Language": "en"},
    )
    assert empty_name.status_code == 403
    assert empty_name.json()["detail"] == "Sending files is turned off here."


def _declared_only(web: WebServer, path: str, length: int) -> tuple[str, float]:
    """Send only the headers of a ``length``-byte POST: the answer, and how long it took."""
    address = urlsplit(web.url)
    started = time.monotonic()
    with socket.create_connection((address.hostname or "", address.port or 80), 30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Accept-Language: fr\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        answer = sock.recv(65536).decode("utf-8", "replace")
    return answer, time.monotonic() - started


@pytest.mark.parametrize("path", ["/project/file?session_id=x", "/login", "/staff/admin/accounts"])
def test_a_150_mb_body_is_refused_from_its_declared_length(web: WebServer, path: str) -> None:
    answer, _ = _declared_only(web, path, 150 * 1024 * 1024)
    status = answer.split("\r\n", 1)[0]
    assert status.split(" ")[1] in ("403", "413"), status  # answered without the body
    assert "Traceback" not in answer


async def test_the_sign_in_page_shows_the_lock_in_the_browser(web: WebServer) -> None:
    """What a locked person reads, on a desktop and on a phone (screenshots in test-artifacts)."""
    from playwright.async_api import async_playwright, expect

    from tests.support.browser import ARTIFACTS, CHROMIUM, LAUNCH_ARGS

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    for _ in range(10):
        assert _login(web, "chloe", "not the password at all").status_code == 401
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
                context = await browser.new_context(
                    locale="fr-FR", viewport={"width": width, "height": height}
                )
                page = await context.new_page()
                await page.goto(web.url)
                await page.fill("#email", "chloe")
                await page.fill("#password", PASSWORD)  # the right one, refused while locked
                await page.click("button[type=submit]")
                shown = page.get_by_text("la connexion à ce compte est suspendue pour un moment")
                await expect(shown).to_be_visible(timeout=HANG_CAP_MS)
                await page.screenshot(path=ARTIFACTS / f"web-sign-in-locked-{name}.png")
                await context.close()
        finally:
            await browser.close()
