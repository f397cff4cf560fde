"""Sessions that end, requests that are bounded, sockets from our own pages only.

* A sign-in token carries its account's token version (:func:`token_version_of`); a token whose
  version is no longer the account's (signed out, disabled, role changed, new password) is
  refused on every staff page, every Chainlit API call and every Socket.IO event
  (:func:`current_account`, :func:`guard_socket_events`).
* :class:`Edge`, the outermost middleware, knows the client's address (believing
  ``X-Forwarded-For`` only from ``TERRAIN_TRUSTED_PROXIES``), refuses a body larger than
  ``TERRAIN_MAX_REQUEST_KB`` from its declared length before reading it, refuses uploads (Terrain
  turns them off), and, when the request came over HTTPS, marks cookies ``Secure`` and adds HSTS.
* :func:`only_own_origin`: the socket's handshake accepts only ``TERRAIN_PUBLIC_URL``'s origin
  (or, unset, the address the request itself names).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from assistant.auth import Account, account_of
from assistant.config import Settings
from assistant.i18n import N_, gettext
from assistant.store import Store, StoreError
from assistant.web.texts import language_from

log = logging.getLogger(__name__)

# The address of the client of the request being served (for sign-in throttling).
CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("terrain_client_address", default=None)
# The account the token of the event or request being handled was checked against, a moment
# ago, from the store: the handler reads it here instead of from the store again
# (Runtime.account). Set for one Socket.IO event or one API request, and seen by the tasks
# it starts (a task copies the context it is created in).
CHECKED_ACCOUNT: ContextVar[Account | None] = ContextVar("terrain_checked_account", default=None)
TOKEN_VERSION = "token_version"  # noqa: S105 - the key in the token's user metadata
UPLOAD_PATH = "/project/file"
HSTS = b"max-age=31536000"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REFUSALS = {  # marked here, translated where a refusal is sent
    "too_large": N_("The request is too large (at most {limit} KB): nothing was saved."),
    "uploads": N_("Sending files is turned off here."),
}


# -- token versions --------------------------------------------------------------------------


def token_version_of(metadata: object) -> int:
    """The version a token's metadata carries; 0 for a token made before versions existed."""
    if isinstance(metadata, dict):
        version = metadata.get(TOKEN_VERSION, 0)
        if isinstance(version, int):
            return version
    return -1


def current_account(store: Store, name: str | None, metadata: object) -> Account | None:
    """The account a token vouches for, if it still may: None if the account is gone or
    disabled, or if the token's version is not the account's any more."""
    if not name:
        return None
    account = account_of(store, name)
    if account is None or account.token_version != token_version_of(metadata):
        return None
    return account


def account_of_token(store: Store, token: str | None) -> Account | None:
    """:func:`current_account` of a Chainlit sign-in token (None for a bad or expired one)."""
    if not token:
        return None
    claims = _claims_of(token, os.environ.get("CHAINLIT_AUTH_SECRET") or "")
    if claims is None or claims.expires <= _now():
        return None
    return current_account(store, claims.identifier, claims.metadata)


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class Claims:
    identifier: str
    metadata: object
    expires: float  # seconds since the epoch


@lru_cache(maxsize=1024)
def _claims_of(token: str, secret: str) -> Claims | None:
    """What a token signed with ``secret`` says (None if its signature fails, or it is
    garbled), read as Chainlit's ``decode_jwt`` reads it. A token's signature and claims never
    change, so they are checked once, at its first event; its expiry is compared with the
    clock at every event by the caller, and whether its account may still use it is read from
    the store every time (:func:`current_account`)."""
    import jwt

    if not secret:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})
        return Claims(str(claims["identifier"]), claims.get("metadata"), float(claims["exp"]))
    except Exception:  # forged or garbled, or without a name or an expiry: no account
        return None


def guard_chainlit_api(store: Callable[[], Store]) -> None:
    """Chainlit's API (threads, actions, elements…) refuses a token that is no longer current."""
    from chainlit.auth import get_current_user, reuseable_oauth
    from chainlit.server import app
    from fastapi import Depends, HTTPException

    async def checked_user(token: str = Depends(reuseable_oauth)) -> Any:
        try:
            account = await store().run_read(account_of_token, store(), token)
        except StoreError as error:
            raise HTTPException(status_code=503, detail="The database cannot be read") from error
        if account is None:
            raise HTTPException(status_code=401, detail="Invalid authentication token")
        CHECKED_ACCOUNT.set(account)  # in this request's context only
        return await get_current_user(token)

    app.dependency_overrides[get_current_user] = checked_user


def guard_socket_events(store: Callable[[], Store]) -> None:
    """Every Socket.IO event checks its session's token first: a session whose token is no
    longer current is disconnected at its next event, and a handshake with one is refused."""
    import chainlit.socket  # noqa: F401 - registers Chainlit's handlers
    from chainlit.auth import get_token_from_cookies
    from chainlit.server import sio
    from chainlit.session import WebsocketSession
    from starlette.requests import cookie_parser

    handlers: dict[str, Callable[..., Awaitable[Any]]] = sio.handlers["/"]

    def guarded_connect(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
            cookies = cookie_parser(environ.get("HTTP_COOKIE", ""))
            token = get_token_from_cookies(cookies)
            try:
                account = await store().run_read(account_of_token, store(), token)
            except StoreError as error:
                raise ConnectionRefusedError("the database cannot be read") from error
            if account is None:
                raise ConnectionRefusedError("authentication failed")
            return await handler(sid, environ, auth)

        return connect

    def guarded(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def event(sid: str, *args: Any) -> Any:
            session = WebsocketSession.get(sid)
            token = session.token if session is not None else None
            account: Account | None = None
            try:
                account = await store().run_read(account_of_token, store(), token)
                current = account is not None
            except StoreError as error:
                # The database cannot tell (restarting, full, read-only). The handler meets the
                # same failure and tells the employee in their language; disconnecting instead
                # would leave their message without a word.
                log.warning("Session check skipped, the database cannot be read: %s", error)
                current = True
            if not current:
                await sio.disconnect(sid)
                return None
            checked = CHECKED_ACCOUNT.set(account)
            try:
                return await handler(sid, *args)
            finally:
                CHECKED_ACCOUNT.reset(checked)

        return event

    for name, handler in list(handlers.items()):
        if name == "connect":
            handlers[name] = guarded_connect(handler)
        elif name != "disconnect":
            handlers[name] = guarded(handler)


# -- the socket's origin ---------------------------------------------------------------------


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def only_own_origin(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's origin check: the public URL's origin, or else the request's own address."""
    public = origin_of(settings.public_url) if settings.public_url else None
    proxies = trusted_proxies(settings)

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True  # not a browser: nothing a foreign page can use
        if public is not None:
            return origin_of(origin) == public
        host = environ.get("HTTP_HOST", "")
        peer = environ.get("REMOTE_ADDR") or ""
        https = environ.get("wsgi.url_scheme") == "https" or (
            _is_trusted(peer, proxies)
            and environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip() == "https"
        )
        return origin_of(origin) == f"{'https' if https else 'http'}://{host.lower()}"

    return allowed


def install_origin_check(settings: Settings) -> None:
    from chainlit.server import sio

    sio.eio.cors_allowed_origins = only_own_origin(settings)


# -- the edge: client address, body size, uploads, HTTPS -------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(settings: Settings) -> tuple[Network, ...]:
    found: list[Network] = []
    for item in settings.trusted_proxies.split(","):
        if item.strip():
            found.append(ipaddress.ip_network(item.strip(), strict=False))
    return tuple(found)


def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_of(scope: Scope, proxies: tuple[Network, ...]) -> tuple[str | None, bool]:
    """The client's address and whether it came over HTTPS, believing forwarded headers only
    from a trusted proxy (the right-most address that is not one of them)."""
    peer = (scope.get("client") or (None,))[0]
    https = scope.get("scheme") in ("https", "wss")
    if peer is None or not _is_trusted(peer, proxies):
        return peer, https
    headers = {key.lower(): value for key, value in scope.get("headers", [])}
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    address = peer
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        address = hop
        if not _is_trusted(hop, proxies):
            break
    proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[0].strip()
    return address, https or proto.lower() == "https"


class Edge:
    """The outermost ASGI middleware (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.proxies = trusted_proxies(settings)
        self.limit = settings.max_request_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        address, https = client_of(scope, self.proxies)
        CLIENT_ADDRESS.set(address)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _refuse(scope, receive, send, *refusal, limit=self.settings.max_request_kb)
            return
        await self.app(scope, self._bounded(receive), _over_https(send) if https else send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = {key.lower(): value for key, value in scope.get("headers", [])}
        if scope.get("method") == "POST" and scope.get("path", "").endswith(UPLOAD_PATH):
            return 403, "uploads"
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                return 400, "too_large"
            if length > self.limit:
                return 413, "too_large"
        return None

    def _bounded(self, receive: Receive) -> Receive:
        """A body sent without its length is cut off (as a disconnection) past the limit."""
        seen = 0

        async def bounded() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    return {"type": "http.disconnect"}
            return message

        return bounded


def _over_https(send: Send) -> Send:
    async def secured(message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = []
            for key, value in message.get("headers", []):
                if key.lower() == b"set-cookie" and b"secure" not in value.lower():
                    value = value + b"; Secure"
                headers.append((key, value))
            headers.append((b"strict-transport-security", HSTS))
            message["headers"] = headers
        await send(message)

    return secured


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, reason: str, *, limit: int
) -> None:
    """A short answer in the browser's language, the body left unread (then the connection
    closes: the server does not read what it refused)."""
    headers = {key.lower(): value for key, value in scope.get("headers", [])}
    accept = headers.get(b"accept-language", b"").decode("latin-1") or None
    language = language_from(accept, "fr")
    text = gettext(language, REFUSALS[reason]).format(limit=limit)
    body = json.dumps({"detail": text}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(settings: Settings, store: Callable[[], Store]) -> None:
    """All of the above, into Chainlit's server (before it starts)."""
    from chainlit.server import app

    app.add_middleware(Edge, settings=settings)
    guard_chainlit_api(store)
    guard_socket_events(store)
    install_origin_check(settings)
