"""Choosing one's own password: the page everyone whose password an administrator gave (an
invitation, a reset) is sent to first, and where anyone may change theirs.

The sign-in cookie is issued again on success: choosing a password ends every other session of
the account (its token version rises), and this one goes on.
"""

from __future__ import annotations

import asyncio

from chainlit.auth import create_jwt, set_auth_cookie
from chainlit.user import User as ChainlitUser
from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from assistant import i18n
from assistant.auth import MIN_PASSWORD_CHARS, AuthError, choose_password
from assistant.schemas import UserRole
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.routes import PASSWORD_PAGE, PREFIX, page
from assistant.web.pages.templating import render
from assistant.web.sessions import TOKEN_VERSION

EVERYONE = tuple(UserRole)
CHAT = "/"


def _form(who: Viewer, *, problem: str | None = None, status_code: int = 200) -> Response:
    def translated(message: str) -> str:
        return i18n.gettext(who.language, message)

    return render(
        "password.html",
        who,
        status_code=status_code,
        _=translated,
        temporary=who.account.password_temporary,
        min_chars=MIN_PASSWORD_CHARS,
        problem=problem,
    )


@page(PASSWORD_PAGE, roles=EVERYONE)
async def password_form(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    return _form(who)


@page(PASSWORD_PAGE, roles=EVERYONE, method="POST")
async def password_chosen(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    again: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    if new != again:
        problem = i18n.gettext(who.language, "The two new passwords differ; nothing was changed.")
        return _form(who, problem=problem, status_code=400)
    store = who.runtime.store
    try:
        user = await asyncio.to_thread(choose_password, store, who.account.name, current, new)
    except AuthError as error:
        return _form(who, problem=error.in_language(who.language), status_code=400)
    home = CHAT if user.role == UserRole.EMPLOYEE else PREFIX + "/"
    response = RedirectResponse(home, status_code=303)
    signed_in = ChainlitUser(
        identifier=user.name,
        display_name=user.display_name or user.name,
        metadata={"role": user.role.value, TOKEN_VERSION: user.token_version},
    )
    set_auth_cookie(request, response, create_jwt(signed_in))
    return response
