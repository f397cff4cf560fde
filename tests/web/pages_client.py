"""The staff pages in-process: their router in a FastAPI app of its own, a store in the
test's folder, and a signed-in user made the way Chainlit makes one (its JWT cookie)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.auth import add_user
from assistant.config import Settings
from assistant.schemas import UserRole
from assistant.store import Store
from assistant.web.runtime import OwnerIndex, Runtime

SECRET = "a test sign-in secret, long enough for HS256 keys"
PASSWORD = "un-mot-de-passe-solide"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class PagesClient:
    def __init__(self, settings: Settings, store: Store) -> None:
        from assistant.web import pages
        from assistant.web.pages.access import current_runtime

        self.settings = settings
        self.store = store
        app = FastAPI()
        pages.install(app)
        runtime = Runtime(settings=settings, store=store, owners=OwnerIndex(settings, store))
        app.dependency_overrides[current_runtime] = lambda: runtime
        self.http = TestClient(app, follow_redirects=False, headers={"Accept-Language": "fr"})
        self.name: str | None = None

    def sign_in(self, name: str) -> None:
        self.name = name
        self.http.cookies.set("access_token", self.token(name))

    def token(self, name: str) -> str:
        """A sign-in token of ``name`` as the app makes one: with the account's token version."""
        from chainlit.auth import create_jwt
        from chainlit.user import User

        user = self.store.accounts.get(name)
        version = user.token_version if user is not None else 0
        return create_jwt(User(identifier=name, metadata={"token_version": version}))

    def sign_out(self) -> None:
        self.name = None
        self.http.cookies.clear()

    def get(self, path: str) -> Any:  # the test client's response (httpx2's if installed)
        return self.http.get(path)

    def csrf(self) -> str:
        """The form token of the signed-in user, read from a page as a browser would."""
        home = self.http.get("/staff/", follow_redirects=True)  # the role's first page
        found = _CSRF.search(home.text)
        assert found, "no form token on the page"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, token: bool = True) -> Any:
        return self.http.post(path, data={**data, "csrf": self.csrf()} if token else data)


@contextmanager
def pages_client(settings: Settings, accounts: dict[str, UserRole]) -> Iterator[PagesClient]:
    os.environ.setdefault("CHAINLIT_AUTH_SECRET", SECRET)
    with Store.open(settings) as store:
        for name, role in accounts.items():
            add_user(store, name, role, PASSWORD)
        yield PagesClient(settings, store)
