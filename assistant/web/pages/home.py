"""Where the staff lands (``/staff/``) and how they leave (signing out)."""

from __future__ import annotations

import asyncio

from chainlit.auth import clear_auth_cookie
from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from assistant.auth import end_sessions
from assistant.schemas import UserRole
from assistant.web.pages.access import LOGIN_PAGE, Viewer, viewer
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import menu, page
from assistant.web.pages.templating import render

STAFF = (UserRole.FACILITATOR, UserRole.LEADERSHIP, UserRole.ADMIN)


@page("/", roles=STAFF)
async def home(who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """The role's first page, or a page saying there is none yet."""
    pages = menu(who.account.role)
    if pages:
        return RedirectResponse(pages[0].path, status_code=303)
    return render("home.html", who)


@page("/signout", roles=UserRole, method="POST")
async def sign_out(request: Request, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """Every session of the account ended (its tokens refused from now on, in every browser),
    Chainlit's sign-in cookie cleared, then its sign-in page."""
    await asyncio.to_thread(end_sessions, who.runtime.store, who.account.name)
    response = RedirectResponse(LOGIN_PAGE, status_code=303)
    clear_auth_cookie(request, response)
    return response


# Declared by the package once every other route is (assistant.web.pages): it answers every
# address under /staff/ that none of them does.
async def unknown(unknown: str, who: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """Any other address under /staff/: the page saying it does not exist (not the chat)."""
    raise NotFound(who)
