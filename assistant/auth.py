"""Users and their passwords: argon2 hashes, checks that leak nothing, user management.

Passwords are hashed with argon2id (``argon2-cffi``'s recommended parameters) and never stored
or logged in clear. Checking a password costs the same whether the user exists or not, so that
the login form does not tell which user names exist. There are no default credentials: every
account is made by ``terrain users add``, or on first single sign-on as an employee.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assistant.errors import TerrainError
from assistant.schemas import User, UserRole
from assistant.store import Store, UserExistsError

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
# Letters, digits and a few separators: names appear in logs and in the CLI, never as markup.
_USER_NAME = re.compile(r"^[\w][\w.@+-]{0,127}$")


class AuthError(TerrainError):
    """A user or a password that cannot be accepted; the message says why."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so that timing reveals nothing."""
    return _hasher().hash("terrain: no such user")


def normalise_password(password: str) -> str:
    """NFKC, so that the same password typed on two keyboards gives the same hash."""
    return unicodedata.normalize("NFKC", password)


def check_password_rules(password: str) -> None:
    """Raise :class:`AuthError` for a password too short or too long."""
    length = len(normalise_password(password))
    if length < MIN_PASSWORD_CHARS:
        raise AuthError(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
    if length > MAX_PASSWORD_CHARS:
        raise AuthError(f"A password has at most {MAX_PASSWORD_CHARS} characters.")


def check_user_name(name: str) -> str:
    """The name, stripped; :class:`AuthError` unless it is 1-128 letters, digits, ``._@+-``."""
    name = name.strip()
    if not _USER_NAME.fullmatch(name):
        raise AuthError(
            f"Invalid user name {name!r}: use 1 to 128 letters, digits and . _ @ + - "
            "(starting with a letter, a digit or _)."
        )
    return name


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``, with its own salt."""
    check_password_rules(password)
    return _hasher().hash(normalise_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for no hash or a broken one.

    Without a hash, a dummy one is checked instead, so that the answer takes as long.
    """
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    candidate = normalise_password(password)
    try:
        return _hasher().verify(password_hash or _dummy_hash(), candidate) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Account:
    """Who is signed in, as the web app checks it on every request."""

    name: str
    role: UserRole
    display_name: str | None = None


def account_of(store: Store, name: str) -> Account | None:
    """The current record of user ``name``, or None if there is no such user any more."""
    user = store.accounts.get(name)
    if user is None:
        return None
    return Account(name=user.name, role=user.role, display_name=user.display_name)


def authenticate(store: Store, name: str, password: str) -> Account | None:
    """The account if ``password`` is the user's; None otherwise (unknown user included)."""
    name = name.strip()
    if not name or not _USER_NAME.fullmatch(name):
        verify_password(None, password)
        return None
    password_hash = store.accounts.password_hash_of(name)
    if not verify_password(password_hash, password):
        return None
    return account_of(store, name)


def add_user(
    store: Store,
    name: str,
    role: UserRole,
    password: str | None,
    *,
    display_name: str | None = None,
) -> User:
    """A new user; ``password`` None makes an account that only single sign-on can open."""
    name = check_user_name(name)
    password_hash = hash_password(password) if password is not None else None
    try:
        return store.accounts.add(
            name, UserRole(role), password_hash=password_hash, display_name=display_name
        )
    except UserExistsError:
        raise AuthError(f"The user {name!r} already exists.") from None


def single_sign_on_account(store: Store, name: str) -> Account | None:
    """The account of a user vouched for by single sign-on, made as an employee if new.

    Least privilege: a new person gets the employee role; an administrator gives any other
    role with ``terrain users``. None if the name is not a valid user name.
    """
    try:
        name = check_user_name(name)
    except AuthError:
        return None
    existing = account_of(store, name)
    if existing is not None:
        return existing
    with suppress(UserExistsError):  # made by a concurrent first sign-on
        store.accounts.add(name, UserRole.EMPLOYEE)
    return account_of(store, name)
