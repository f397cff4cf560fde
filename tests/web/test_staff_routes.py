"""Every staff route as every role, against the running server: the roles a route declares
reach it (200, or 303 after a form), every other role gets 403, and a browser that is not
signed in is sent to the sign-in page. A form without its token changes nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import APIRoute

from assistant.schemas import JobKind, UserRole
from assistant.store import Store
from assistant.web.pages.routes import (
    PASSWORD_PAGE,
    PREFIX,
    ROUTES,
    UNKNOWN_PAGE,
    StaffRoute,
    page,
    router,
)
from tests.support.review import Seeded, seed
from tests.web.server import ACCOUNTS, PASSWORD, WebServer
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow

# One account per role; None: nobody signed in.
AS = {
    UserRole.EMPLOYEE: "alice",
    UserRole.FACILITATOR: "fanny",
    UserRole.LEADERSHIP: "lea",
    UserRole.ADMIN: "adam",
}
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def seeded(web: WebServer) -> tuple[Seeded, str]:
    """An interview with findings, and a failed extraction job."""
    with web.store() as store:
        seeded = seed(store)
        store.jobs.enqueue(JobKind.EXTRACTION, seeded.interview)
        job = store.jobs.claim_next(JobKind.EXTRACTION, lease_seconds=600)
        assert job is not None
        store.jobs.fail(job.id, error="Le modèle n'a pas répondu.", claim=job.claim)
    return seeded, job.id


def _seen(store: Store, finding_id: str) -> str:
    finding = store.findings.get(finding_id)
    assert finding is not None
    return finding.updated_at.isoformat()


def _forms(web: WebServer, seeded: Seeded) -> dict[str, Callable[[], dict[str, str]]]:
    """A valid form for each POST route, made at the moment it is sent (a finding's version)."""

    def review() -> dict[str, str]:
        with web.store() as store:
            return {"action": "reject", "seen": _seen(store, seeded.spare)}

    def edit() -> dict[str, str]:
        with web.store() as store:
            finding = store.findings.get(seeded.care)
            assert finding is not None
            counterpart = "équipe" if finding.counterpart != "équipe" else "résidente"
            return {
                "code": finding.code,
                "value_chain_stage": finding.value_chain_stage,
                "activity": finding.activity or "",
                "counterpart": counterpart,
                "seen": _seen(store, seeded.care),
            }

    def add() -> dict[str, str]:
        return {
            "turn": "2",
            "words": "Je suis restée",
            "code": "care",
            "value_chain_stage": "follow_up",
        }

    finding = "/staff/interviews/{interview_id}/findings/{finding_id}"
    account = "/staff/admin/accounts/{name}"
    return {
        finding + "/review": review,
        finding + "/edit": edit,
        "/staff/interviews/{interview_id}/findings": add,
        # The report's and the accounts' forms, changing nothing another test reads.
        "/staff/report/build": lambda: {"narratives": "none"},
        "/staff/report/quotes/{quote_id}": lambda: {"decision": "approved"},
        "/staff/admin/accounts": lambda: {
            "name": "routes",
            "role": "employee",
            "password": PASSWORD,
        },
        account + "/role": lambda: {"role": "employee"},
        account + "/disabled": lambda: {"disabled": "false"},
        account + "/password": lambda: {"password": PASSWORD},
    }


def _url(route: StaffRoute, seeded: Seeded, job_id: str) -> str:
    finding = seeded.care if route.path.endswith("/edit") else seeded.spare
    return route.path.replace("{unknown:path}", "no-such/page").format(
        interview_id=seeded.interview,
        finding_id=finding,
        job_id=job_id,
        quote_id="q00000000",
        narrative_id="n0",
        file_format="html",
        number=1,
        campaign_id="default",
        # Not an account the walk signs in with: each change ends that account's sessions.
        name="chloe",
    )


async def _signed_in(web: WebServer, name: str) -> httpx.AsyncClient:
    client = web.client(name)
    await client.login()
    return client.http()


async def _token(http: httpx.AsyncClient) -> str:
    """The user's form token, from a page's header (shown on a refusal too)."""
    found = _CSRF.search((await http.get("/staff/jobs")).text)
    assert found, "the page has no form token"
    return found.group(1)


def test_every_staff_route_answers_only_its_roles(
    web: WebServer, seeded: tuple[Seeded, str]
) -> None:
    interview, job_id = seeded
    forms = _forms(web, interview)
    assert ROUTES, "no staff route is declared"
    assert {route.path for route in ROUTES} >= {"/staff/interviews", "/staff/jobs"}

    async def walk() -> list[str]:
        wrong = []
        for role, name in [*AS.items(), (None, None)]:
            http = (
                await _signed_in(web, name)
                if name
                else httpx.AsyncClient(base_url=web.url, timeout=HANG_CAP_SECONDS)
            )
            async with http:
                token = await _token(http) if name else ""
                # Signing out ends the account's sessions: last, once every page is tried.
                for route in sorted(ROUTES, key=lambda route: route.path.endswith("/signout")):
                    url = _url(route, interview, job_id)
                    if route.method == "GET":
                        response = await http.get(url)
                    else:
                        data = forms.get(route.path, dict)()
                        response = await http.post(url, data={**data, "csrf": token})
                    allowed = role in route.roles
                    if role is None:
                        ok = (
                            response.status_code == 303 and response.headers["location"] == "/login"
                        )
                    elif allowed and (route.method, route.path) == ("POST", PREFIX + PASSWORD_PAGE):
                        # The walk's form has no current password: refused, nothing changed
                        # (choosing one would end the session the walk goes on with).
                        ok = response.status_code == 400 and "actuel est faux" in response.text
                    elif allowed and route.path == PREFIX + UNKNOWN_PAGE:
                        ok = response.status_code == 404 and "Introuvable" in response.text
                    elif allowed:
                        ok = response.status_code in (200, 303)
                    else:
                        ok = response.status_code == 403 and "Accès refusé" in response.text
                    if not ok:
                        wrong.append(f"{route.method} {url} as {name}: {response.status_code}")
        return wrong

    assert asyncio.run(walk()) == []


def test_pages_are_served_by_terrain_not_the_chat_app(
    web: WebServer, seeded: tuple[Seeded, str]
) -> None:
    interview, _ = seeded

    async def fetch() -> httpx.Response:
        async with await _signed_in(web, "fanny") as http:
            return await http.get(f"/staff/interviews/{interview.interview}")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    assert "Tour 2" in response.text
    # Not Chainlit's single-page app: the transcript's one script is ours, from this server.
    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/staff/static/select-words.js" defer>'
    ]
    assert "default-src 'self'" in response.headers["content-security-policy"]
    stylesheet = httpx.get(f"{web.url}/staff/static/staff.css")
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    script = httpx.get(f"{web.url}/staff/static/select-words.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_a_post_without_its_token_is_refused(web: WebServer, seeded: tuple[Seeded, str]) -> None:
    interview, job_id = seeded
    forms = _forms(web, interview)

    async def post_all() -> list[int]:
        async with await _signed_in(web, "fanny") as http:
            codes = []
            for route in ROUTES:
                if route.method == "POST":
                    data = forms.get(route.path, dict)()
                    codes.append(
                        (await http.post(_url(route, interview, job_id), data=data)).status_code
                    )
            return codes

    with web.store() as store:
        before = store.findings.changes()
    codes = asyncio.run(post_all())
    assert codes
    assert set(codes) == {403}
    with web.store() as store:
        assert store.findings.changes() == before


def test_every_staff_route_served_is_in_the_table() -> None:
    """The staff router serves what the table declares, no more (the table's roles guard it)."""
    declared = {(route.method, route.path) for route in ROUTES}
    served = {
        (method, route.path)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert served == declared
    assert all(isinstance(route, APIRoute) for route in router.routes)
    assert set(ACCOUNTS.values()) == set(AS)


def test_a_route_without_roles_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="allows no role"):
        page("/nobody", roles=())
