"""The account a request's token was just checked against is the handler's: read once per
event, not twice, and only for that event and that user."""

from __future__ import annotations

import asyncio
import time

import pytest

from assistant.auth import Account, account_of, end_sessions, set_disabled
from assistant.schemas import UserRole
from assistant.store import Store
from assistant.web import sessions
from assistant.web.runtime import OwnerIndex, Runtime
from assistant.web.sessions import CHECKED_ACCOUNT, account_of_token
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.slow


async def test_the_handler_uses_the_events_checked_account_and_reads_otherwise(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    with Store.open(settings) as store:
        store.accounts.add("dora", UserRole.EMPLOYEE)
        store.accounts.add("eve", UserRole.EMPLOYEE)
        runtime = Runtime(settings, store, OwnerIndex(settings, store))
        checked = account_of(store, "dora")
        assert checked is not None
        set_disabled(store, "dora", True)  # after the event's check: the event goes on

        async def handling_the_event() -> tuple[Account | None, Account | None, Account | None]:
            CHECKED_ACCOUNT.set(checked)
            in_a_task = asyncio.create_task(runtime.account("dora"))
            return await runtime.account("dora"), await in_a_task, await runtime.account("eve")

        dora, dora_in_task, eve = await asyncio.create_task(handling_the_event())
        assert dora is checked
        assert dora_in_task is checked
        assert eve is not None
        assert eve.name == "eve"
        # The next event has no checked account: read from the store, which refuses Dora.
        assert CHECKED_ACCOUNT.get() is None
        assert await runtime.account("dora") is None


def _token(secret: str, name: str, version: int, expires: float) -> str:
    import jwt

    claims = {"identifier": name, "metadata": {"token_version": version}, "exp": int(expires)}
    return jwt.encode(claims | {"iat": int(time.time())}, secret, algorithm="HS256")


def test_a_tokens_signature_is_checked_once_its_expiry_and_account_every_time(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s" * 64
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", secret)
    with Store.open(make_settings()) as store:
        store.accounts.add("dora", UserRole.EMPLOYEE)
        token = _token(secret, "dora", 0, time.time() + 60)
        first = account_of_token(store, token)
        assert first is not None
        assert first.name == "dora"
        assert account_of_token(store, token) == first  # its claims from the cache
        assert account_of_token(store, _token("f" * 64, "dora", 0, time.time() + 60)) is None
        assert account_of_token(store, token[:-2]) is None  # garbled
        assert account_of_token(store, _token(secret, "dora", 0, time.time() - 1)) is None
        # Signed out: the same token, its claims cached, is refused at once.
        end_sessions(store, "dora")
        assert account_of_token(store, token) is None
        # Expired since it was cached: refused too.
        fresh = _token(secret, "dora", 1, time.time() + 60)
        assert account_of_token(store, fresh) is not None
        later = time.time() + 61
        monkeypatch.setattr(sessions, "_now", lambda: later)
        assert account_of_token(store, fresh) is None
        # Another secret (rotated): the cached claims are not used.
        monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "r" * 64)
        monkeypatch.setattr(sessions, "_now", lambda: later - 60)
        assert account_of_token(store, fresh) is None
