"""The staff's pages, served by the Chainlit server under ``/staff/``, with its sign-in.

Each area has its module; :mod:`assistant.web.pages.routes` holds the table of routes and the
roles each allows. :func:`install` puts them into Chainlit's FastAPI app ahead of its
catch-all route (which serves its single-page app for every other path).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from assistant.web.pages import admin as admin
from assistant.web.pages import audit as audit
from assistant.web.pages import campaigns as campaigns
from assistant.web.pages import exports as exports

# Importing an area declares its routes, in the order of the menu.
from assistant.web.pages import home as home
from assistant.web.pages import interviews as interviews
from assistant.web.pages import jobs as jobs
from assistant.web.pages import leadership as leadership
from assistant.web.pages import password as password
from assistant.web.pages import report as report
from assistant.web.pages import review as review
from assistant.web.pages import transcript as transcript
from assistant.web.pages.access import LOGIN_PAGE, PasswordToChoose, Refused, SignInNeeded
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import PASSWORD_PAGE, PREFIX, ROUTES, UNKNOWN_PAGE, page, router
from assistant.web.pages.templating import render

__all__ = ["ROUTES", "install"]

page(UNKNOWN_PAGE, roles=home.STAFF)(home.unknown)

STATIC = PREFIX + "/static"
STATIC_FOLDER = Path(__file__).resolve().parents[1] / "static"


async def _sign_in(request: Request, error: Exception) -> Response:
    return RedirectResponse(LOGIN_PAGE, status_code=303)


async def _choose_password(request: Request, error: Exception) -> Response:
    return RedirectResponse(PREFIX + PASSWORD_PAGE, status_code=303)


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refused)
    return render(
        "refused.html",
        error.viewer,
        status_code=error.status_code,
        language=error.language,
        reason=error.reason,
        values=error.values,
    )


async def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotFound)
    return render("not_found.html", error.viewer, status_code=404)


def install(app: FastAPI) -> None:
    """Serve the staff pages (and their stylesheet) from ``app``, before its other routes."""
    before = len(app.router.routes)
    app.include_router(router)
    app.router.routes.append(Mount(STATIC, StaticFiles(directory=STATIC_FOLDER), name="staff"))
    # The stylesheets first: the unknown page, last of the router's, matches every path.
    ours = sorted(app.router.routes[before:], key=lambda route: not isinstance(route, Mount))
    del app.router.routes[before:]
    app.router.routes[0:0] = ours
    app.add_exception_handler(SignInNeeded, _sign_in)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(PasswordToChoose, _choose_password)
    app.add_exception_handler(NotFound, _not_found)
