"""The staff pages against hostile input and stale sign-ins (issue 21): every field and
parameter bounded with a readable 4xx in the page's language, numbers out of range a 404,
nothing echoed whole; a token signed before a sign-out, a disabling, a role change or a new
password gets the sign-in page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from assistant.auth import reset_password, set_disabled, set_role
from assistant.schemas import UserRole
from assistant.store import Store
from tests.conftest import SettingsFactory
from tests.web.pages_client import PagesClient, pages_client

pytestmark = pytest.mark.slow

ACCOUNTS = {"fanny": UserRole.FACILITATOR, "adam": UserRole.ADMIN}
MEGABYTE = "x" * 1_000_000
# What a refusal may repeat of the input, at most (the page's own text is longer).
ECHO = 300


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        yield client


def _no_long_echo(text: str) -> None:
    assert "x" * ECHO not in text
    assert "<" * ECHO not in text
    assert "Traceback" not in text


def test_a_huge_display_name_is_refused_with_a_readable_page(pages: PagesClient) -> None:
    pages.sign_in("adam")
    answer = pages.post(
        "/staff/admin/accounts",
        {
            "name": "dora",
            "role": "employee",
            "password": "correct horse battery",
            "display_name": MEGABYTE,
        },
    )
    assert answer.status_code == 400
    assert "trop long" in answer.text
    assert "au plus 100 caractères" in answer.text
    _no_long_echo(answer.text)
    assert pages.store.accounts.get("dora") is None


def test_a_huge_invalid_user_name_is_refused_without_being_echoed(pages: PagesClient) -> None:
    pages.sign_in("adam")
    answer = pages.post(
        "/staff/admin/accounts",
        {"name": "<" * 1_000_000, "role": "employee", "password": "correct horse battery"},
    )
    assert answer.status_code == 400
    _no_long_echo(answer.text)
    short = pages.post(
        "/staff/admin/accounts",
        {"name": "<" * 120, "role": "employee", "password": "correct horse battery"},
    )
    assert short.status_code == 400
    assert "1 à 128 lettres" in short.text
    _no_long_echo(short.text)


def test_a_huge_finding_field_is_refused_in_english_too(pages: PagesClient) -> None:
    pages.sign_in("fanny")
    pages.http.headers["Accept-Language"] = "en"
    answer = pages.post(
        "/staff/interviews/someinterview/findings",
        {"turn": "1", "words": "mot", "code": "c", "value_chain_stage": "s", "activity": MEGABYTE},
    )
    assert answer.status_code == 400
    assert "The field “activity” is too long (at most 300 characters)" in answer.text
    _no_long_echo(answer.text)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/report/versions/99999999999999999999999/html",
        "/staff/report/versions/2147483648/html",
        "/staff/report/versions/-1/html",
        "/staff/report/versions/１/html",
    ],
)
def test_a_number_out_of_range_in_a_path_is_a_404(pages: PagesClient, path: str) -> None:
    pages.sign_in("fanny")
    answer = pages.get(path)
    assert answer.status_code == 404
    assert "n&#39;existe pas" in answer.text


def test_a_huge_query_parameter_is_refused_not_echoed(pages: PagesClient) -> None:
    pages.sign_in("adam")
    answer = pages.get("/staff/admin/erase?user=" + "x" * 5000)
    assert answer.status_code == 400
    _no_long_echo(answer.text)
    echoed = pages.get("/staff/admin/erase?user=" + "y" * 250)
    assert echoed.status_code == 200
    assert "y" * 100 not in echoed.text


def test_after_sign_out_the_old_token_gets_the_sign_in_page(pages: PagesClient) -> None:
    pages.sign_in("fanny")
    old = pages.http.cookies["access_token"]
    assert pages.get("/staff/interviews").status_code == 200
    signed_out = pages.post("/staff/signout", {})
    assert signed_out.status_code == 303
    pages.http.cookies.set("access_token", old)  # the token kept (another tab, a copy)
    answer = pages.get("/staff/interviews")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


@pytest.mark.parametrize(
    "change",
    [
        lambda store: set_disabled(store, "fanny", True),
        lambda store: set_role(store, "fanny", UserRole.LEADERSHIP),
        lambda store: reset_password(store, "fanny", "another correct horse battery"),
    ],
    ids=["disabled", "role", "password"],
)
def test_an_administrators_change_ends_the_open_sessions(
    pages: PagesClient, change: Callable[[Store], object]
) -> None:
    pages.sign_in("fanny")
    assert pages.get("/staff/interviews").status_code == 200
    change(pages.store)
    answer = pages.get("/staff/interviews")
    assert answer.status_code in (303, 403)
    assert answer.status_code == 403 or answer.headers["location"] == "/login"
    if answer.status_code == 303:  # a new sign-in works (when the account still may)
        pages.sign_in("fanny")
        assert pages.get("/staff/").status_code in (200, 303)
