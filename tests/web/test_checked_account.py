"""The account a request's token was just checked against is the handler's: read once per
event, not twice, and only for that event and that user."""

from __future__ import annotations

import asyncio

from assistant.auth import Account, account_of, set_disabled
from assistant.schemas import UserRole
from assistant.store import Store
from assistant.web.runtime import OwnerIndex, Runtime
from assistant.web.sessions import CHECKED_ACCOUNT
from tests.conftest import SettingsFactory


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
