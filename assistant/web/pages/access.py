"""Who is asking, for every staff request: Chainlit's sign-in, the account as the store knows
it now, the roles a route allows, and the token that every form carries.

The sign-in is Chainlit's own: its ``access_token`` cookie, a JWT signed with
``CHAINLIT_AUTH_SECRET``. The token only says who signed in; the role is read from the store
on every request (a token outlives a role change, and a disabled account is refused at once).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chainlit.auth import get_token_from_cookies
from chainlit.auth.jwt import decode_jwt, get_jwt_secret
from fastapi import Depends, Request

from assistant.auth import Account
from assistant.errors import TerrainError
from assistant.schemas import UserRole
from assistant.web.pages.texts import PageTexts, page_texts
from assistant.web.runtime import Runtime, runtime
from assistant.web.sessions import token_version_of
from assistant.web.texts import language_from

CSRF_FIELD = "csrf"
LOGIN_PAGE = "/login"
# The longest value a form field may have, in characters, by field name (every form of the
# staff pages); any other field has DEFAULT_FIELD_CHARS. A longer value is refused (400) and
# nothing is changed: a 1 MB activity would make a 3 MB transcript page.
FIELD_CHARS = {
    "name": 128,
    "display_name": 100,
    "password": 1024,
    "activity": 300,
    "counterpart": 300,
    "words": 2000,
    "text": 20000,  # a report's narrative
    "interviews": 20000,  # the erasure's confirmed interview ids
    "focus": 2000,  # a campaign's
    "groups": 2000,  # a campaign's, one per line
}
DEFAULT_FIELD_CHARS = 200
# The longest query parameter or path parameter: past it, the address is refused, never echoed.
MAX_PARAMETER_CHARS = 300
TOO_LONG = 400


class SignInNeeded(Exception):
    """No valid sign-in: the browser is sent to the sign-in page."""


class PasswordToChoose(Exception):
    """The account's password was given by an administrator: the person chooses their own
    before any other page (see :func:`assistant.auth.choose_password`)."""


class Refused(Exception):
    """The request is not allowed (403): a role that may not, an account disabled, a form
    without its token. ``reason`` is a key of :attr:`PageTexts.refusals`."""

    def __init__(
        self,
        reason: str,
        viewer: Viewer | None = None,
        language: str = "fr",
        *,
        status_code: int = 403,
        values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.viewer = viewer
        self.language = language
        self.status_code = status_code
        self.values = values or {}


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member of this request, and what their pages need."""

    account: Account
    language: str
    texts: PageTexts
    csrf: str
    runtime: Runtime


def current_runtime() -> Runtime:
    """The process's runtime (a dependency, so that tests give their own)."""
    return runtime()


def request_language(request: Request, rt: Runtime) -> str:
    return language_from(request.headers.get("accept-language"), rt.settings.language)


def form_token(user_name: str, sign_in_token: str) -> str:
    """The CSRF token of a user's forms: tied to the user and to this sign-in, signed with the
    sign-in secret, so that another site cannot make it and a new sign-in changes it."""
    secret = get_jwt_secret()
    if not secret:
        raise TerrainError(
            "The web app has no sign-in secret (CHAINLIT_AUTH_SECRET).",
            fix="Start it with `terrain serve`, which sets it.",
        )
    session = hashlib.sha256(sign_in_token.encode()).hexdigest()
    message = f"terrain staff form\0{user_name}\0{session}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _signed_in_name(request: Request) -> tuple[str, str, int] | None:
    """The user name the sign-in cookie vouches for, the token and its version (see
    :mod:`assistant.web.sessions`); None without a valid one."""
    token = get_token_from_cookies(dict(request.cookies))
    if not token:
        return None
    try:
        user = decode_jwt(token)
    except Exception:  # expired, forged or garbled: not signed in, whatever the reason
        return None
    if not user.identifier:
        return None
    return user.identifier, token, token_version_of(user.metadata)


async def viewer(request: Request, rt: Runtime = Depends(current_runtime)) -> Viewer:  # noqa: B008
    language = request_language(request, rt)
    signed_in = _signed_in_name(request)
    if signed_in is None:
        raise SignInNeeded
    name, token, version = signed_in
    account = await rt.account(name)
    if account is None:  # gone or disabled since signing in
        raise Refused("account", language=language)
    if account.token_version != version:  # signed out, or changed by an administrator, since
        raise SignInNeeded
    parameters = [*request.query_params.multi_items(), *request.path_params.items()]
    for field, value in parameters:
        if len(value) > MAX_PARAMETER_CHARS:
            values = {"field": field[:40], "limit": MAX_PARAMETER_CHARS}
            raise Refused("too_long", None, language, status_code=TOO_LONG, values=values)
    return Viewer(
        account=account,
        language=language,
        texts=page_texts(language),
        csrf=form_token(account.name, token),
        runtime=rt,
    )


def allowing(
    roles: frozenset[UserRole], *, with_temporary_password: bool = False
) -> Callable[[Viewer], Awaitable[Viewer]]:
    """A dependency refusing anyone whose current role is not in ``roles``, and sending anyone
    whose password is temporary to choose their own (unless ``with_temporary_password``)."""

    async def check(who: Viewer = Depends(viewer)) -> Viewer:  # noqa: B008
        if who.account.password_temporary and not with_temporary_password:
            raise PasswordToChoose
        if who.account.role not in roles:
            raise Refused("role", who, who.language)
        return who

    return check


async def checked_form(request: Request, who: Viewer = Depends(viewer)) -> None:  # noqa: B008
    """A POST is refused unless its form carries this user's token for this sign-in."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, who.csrf):
        raise Refused("form", who, who.language)
    for field, value in form.multi_items():
        limit = FIELD_CHARS.get(field, DEFAULT_FIELD_CHARS)
        if not isinstance(value, str) or len(value) > limit:
            values = {"field": field[:40], "limit": limit}
            raise Refused("too_long", who, who.language, status_code=TOO_LONG, values=values)


def bounded_number(text: str, highest: int = 2**31 - 1) -> int | None:
    """``text`` as a whole number from 0 to ``highest`` (what every database column holds),
    or None: a path's number out of range is a page that does not exist, not an error."""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(highest)):
        return None
    number = int(text)
    return number if number <= highest else None
