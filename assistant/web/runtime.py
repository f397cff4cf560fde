"""What the web app's handlers share in one server process: settings, store, model, owners.

Nothing here imports Chainlit, so the access rules can be tested on their own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.auth import Account, account_of
from assistant.config import Settings, get_settings
from assistant.interview.factory import session_deps
from assistant.interview.session import SessionDeps
from assistant.privacy import owner_key
from assistant.schemas import Interview, UserRole
from assistant.store import Store
from assistant.web.sessions import CHECKED_ACCOUNT

log = logging.getLogger(__name__)

# Recomputing the owner index is cheap (one HMAC per user) but need not happen on every miss.
OWNER_REFRESH_SECONDS = 5.0


class OwnerIndex:
    """Which user an interview's owner key stands for.

    Interviews keep an opaque key (an HMAC of the user name), never the name. The server, which
    holds the secret, recomputes the keys of the users it knows to answer "whose thread is
    this?" for Chainlit's ownership checks. The answer never leaves the server except to the
    owner themself.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        self._lock = threading.Lock()
        self._users_by_key: dict[str, str] = {}
        self._refreshed_at = float("-inf")

    def key_of(self, user_name: str) -> str:
        return owner_key(self._settings, user_name)

    def user_of(self, key: str | None) -> str | None:
        if not key:
            return None
        with self._lock:
            found = self._users_by_key.get(key)
            if found is not None or time.monotonic() - self._refreshed_at < OWNER_REFRESH_SECONDS:
                return found
            users = self._store.accounts.all()
            self._users_by_key = {self.key_of(user.name): user.name for user in users}
            self._refreshed_at = time.monotonic()
            return self._users_by_key.get(key)

    def owns(self, user_name: str, interview: Interview) -> bool:
        return interview.owner_key is not None and interview.owner_key == self.key_of(user_name)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    owners: OwnerIndex
    _deps: SessionDeps | None = None
    _deps_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def deps(self) -> SessionDeps:
        """The interview's dependencies, built once (retrieval may take a few seconds)."""
        if self._deps is None:
            async with self._deps_lock:
                if self._deps is None:
                    self._deps = await session_deps(self.settings, self.store)
        return self._deps

    async def account(self, user_name: str | None) -> Account | None:
        """The user's current record: roles are read from the store on every request (once:
        the record the request's token was just checked against, when it is this user's)."""
        if not user_name:
            return None
        checked = CHECKED_ACCOUNT.get()
        if checked is not None and checked.name == user_name:
            return checked
        return await self.store.run_read(account_of, self.store, user_name)

    async def employee_owns(self, user_name: str, interview_id: str) -> Interview | None:
        """The interview if ``user_name`` is an employee who owns it, else None."""
        account = await self.account(user_name)
        if account is None or account.role != UserRole.EMPLOYEE:
            return None
        interview = await self.store.run_read(self.store.interviews.get, interview_id)
        if interview is None or not self.owners.owns(account.name, interview):
            return None
        return interview


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """The process's runtime, from the settings of the environment (TERRAIN_*)."""
    settings = get_settings()
    store = Store.open(settings)
    return Runtime(settings=settings, store=store, owners=OwnerIndex(settings, store))
