"""Passwords an administrator gave (an account made for someone, an invitation, a reset) are
temporary: their owner is sent to choose their own before any other page, and from then on
nobody else knows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.account_import import import_accounts
from assistant.auth import AuthError, account_of, choose_password, reset_password, verify_password
from assistant.schemas import UserRole
from tests.conftest import SettingsFactory
from tests.web.pages_client import PASSWORD, PagesClient, pages_client

pytestmark = pytest.mark.slow

ACCOUNTS = {"fanny": UserRole.FACILITATOR, "adam": UserRole.ADMIN, "eve": UserRole.EMPLOYEE}
GIVEN = "mot-de-passe-donne-par-adam"
CHOSEN = "ma phrase a moi seule, longue"


@pytest.fixture
def pages(make_settings: SettingsFactory) -> Iterator[PagesClient]:
    with pages_client(make_settings(), ACCOUNTS) as client:
        yield client


def _temporary(pages: PagesClient, name: str) -> bool:
    account = account_of(pages.store, name)
    assert account is not None
    return account.password_temporary


def test_a_reset_password_sends_its_owner_to_choose_their_own_first(pages: PagesClient) -> None:
    reset_password(pages.store, "fanny", GIVEN)
    assert _temporary(pages, "fanny")
    pages.sign_in("fanny")
    for path in ("/staff/", "/staff/interviews", "/staff/report"):
        answer = pages.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/staff/password"
    form = pages.get("/staff/password")
    assert form.status_code == 200
    assert "Choisissez le vôtre avant de continuer" in form.text
    assert 'minlength="10"' in form.text


def test_choosing_a_password_ends_the_temporary_one_and_keeps_this_session(
    pages: PagesClient,
) -> None:
    reset_password(pages.store, "fanny", GIVEN)
    pages.sign_in("fanny")
    token = pages.csrf()
    wrong = pages.http.post(
        "/staff/password",
        data={"current": "pas le bon", "new": CHOSEN, "again": CHOSEN, "csrf": token},
    )
    assert wrong.status_code == 400
    assert "Le mot de passe actuel est faux" in wrong.text
    assert _temporary(pages, "fanny")
    differ = pages.http.post(
        "/staff/password",
        data={"current": GIVEN, "new": CHOSEN, "again": CHOSEN + "!", "csrf": token},
    )
    assert differ.status_code == 400
    assert "diffèrent" in differ.text
    chosen = pages.http.post(
        "/staff/password", data={"current": GIVEN, "new": CHOSEN, "again": CHOSEN, "csrf": token}
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/staff/"
    assert not _temporary(pages, "fanny")
    stored = pages.store.accounts.password_hash_of("fanny")
    assert verify_password(stored, CHOSEN)
    assert not verify_password(stored, GIVEN)
    # The answer's new cookie carries the new token version: this session goes on.
    assert pages.get("/staff/interviews").status_code == 200


def test_an_employee_goes_back_to_the_chat_once_their_password_is_chosen(
    pages: PagesClient,
) -> None:
    reset_password(pages.store, "eve", GIVEN)
    pages.sign_in("eve")
    form = pages.get("/staff/password")
    assert form.status_code == 200
    token = pages.csrf()
    chosen = pages.http.post(
        "/staff/password", data={"current": GIVEN, "new": CHOSEN, "again": CHOSEN, "csrf": token}
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/"


def test_the_same_password_again_and_a_weak_one_are_refused_in_the_readers_language(
    pages: PagesClient,
) -> None:
    reset_password(pages.store, "fanny", GIVEN)
    with pytest.raises(AuthError, match="must differ"):
        choose_password(pages.store, "fanny", GIVEN, GIVEN)
    pages.sign_in("fanny")
    weak = pages.http.post(
        "/staff/password",
        data={"current": GIVEN, "new": "court", "again": "court", "csrf": pages.csrf()},
    )
    assert weak.status_code == 400
    assert "Un mot de passe compte au moins 10 caractères." in weak.text
    assert _temporary(pages, "fanny")


def test_accounts_made_for_someone_are_temporary_and_ones_own_is_not(pages: PagesClient) -> None:
    assert not _temporary(pages, "adam")  # added with a password of their own
    pages.sign_in("adam")
    made = pages.post(
        "/staff/admin/accounts",
        {"name": "dora", "role": "employee", "password": "correct horse battery"},
    )
    assert made.status_code == 303
    assert _temporary(pages, "dora")
    report = import_accounts(pages.store, "name,role\nzoe,employee\n")
    assert not report.refused
    assert _temporary(pages, "zoe")
    choose_password(pages.store, "adam", PASSWORD, CHOSEN)
    assert not _temporary(pages, "adam")
