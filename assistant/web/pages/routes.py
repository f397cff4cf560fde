"""The one table of staff pages: every route is declared here with the roles it allows.

A page is added with :func:`page`, which refuses a route without roles and records it in
:data:`ROUTES`, the table the route × role test walks. The role check and, for a POST, the
CSRF check are dependencies of the route itself, so that no handler can forget them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from assistant.schemas import UserRole
from assistant.web.pages.access import allowing, checked_form

PREFIX = "/staff"
# The one page a person whose password an administrator gave may open: where they choose theirs.
PASSWORD_PAGE = "/password"  # noqa: S105 - an address, not a password
# Every other address under PREFIX: served last, after the stylesheets (see pages.install).
UNKNOWN_PAGE = "/{unknown:path}"
Method = Literal["GET", "POST"]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

router = APIRouter(prefix=PREFIX)


@dataclass(frozen=True)
class StaffRoute:
    method: Method
    path: str  # as declared, with its parameters: /staff/interviews/{interview_id}
    roles: frozenset[UserRole]
    nav: str | None = None  # the key of its label in the header's menu (PageTexts.nav)


ROUTES: list[StaffRoute] = []
# The header's menu, in this order (whatever order the modules are imported in).
MENU = (
    "interviews",
    "jobs",
    "export",
    "report",
    "leadership",
    "accounts",
    "campaigns",  # after the accounts: an admin's first page stays theirs
    "erase",
    "audit",
)


def page(
    path: str, *, roles: Iterable[UserRole], method: Method = "GET", nav: str | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Declare a staff route: only ``roles`` reach the handler; a POST needs the form's token."""
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError(f"The staff route {path!r} allows no role: give it its roles.")
    if nav is not None and (method != "GET" or "{" in path or nav not in MENU):
        raise ValueError(
            f"Only a GET page without parameters, named in MENU, goes in the menu ({path!r})."
        )
    route = StaffRoute(method=method, path=PREFIX + path, roles=allowed, nav=nav)
    if any((r.method, r.path) == (method, route.path) for r in ROUTES):
        raise ValueError(f"The staff route {method} {route.path} is declared twice.")
    checks = [Depends(allowing(allowed, with_temporary_password=path == PASSWORD_PAGE))]
    if method == "POST":
        checks.append(Depends(checked_form))

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            dependencies=checks,
            response_class=HTMLResponse,
            include_in_schema=False,
        )
        ROUTES.append(route)
        return endpoint

    return register


def menu(role: UserRole) -> list[StaffRoute]:
    """The pages in the header's menu for ``role``, in the order of :data:`MENU`."""
    shown = [route for route in ROUTES if route.nav is not None and role in route.roles]
    return sorted(shown, key=lambda route: MENU.index(route.nav or ""))
