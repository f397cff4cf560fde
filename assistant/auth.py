"""Users and their passwords: argon2 hashes, checks that leak nothing, user management.

Passwords are hashed with argon2id (``argon2-cffi``'s recommended parameters) and never stored
or logged in clear. Checking a password costs the same whether the user exists or not, so that
the login form does not tell which user names exist. There are no default credentials: every
account is made by ``terrain users add``, or on first single sign-on as an employee. A disabled
account is kept but cannot sign in by any way (password, header or OAuth).
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
from assistant.schemas import AccountUpdate, User, UserRole
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
    """The current record of user ``name``; None if there is no such user any more or the
    account is disabled, so that a disabled account's open sessions are refused at once."""
    user = store.accounts.get(name)
    if user is None or user.disabled:
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


def set_disabled(store: Store, name: str, disabled: bool) -> User:
    """Disable an account (it can no longer sign in, and its open sessions are refused at
    their next request) or enable it again. Raises UserNotFoundError."""
    return store.accounts.update(check_user_name(name), AccountUpdate(disabled=disabled))


def reset_password(store: Store, name: str, password: str) -> User:
    """Give the user a new password (the old one stops working at once)."""
    name = check_user_name(name)
    return store.accounts.update(name, AccountUpdate(password_hash=hash_password(password)))


def set_role(store: Store, name: str, role: UserRole) -> User:
    """Give the user another role, which their next request already has."""
    return store.accounts.update(check_user_name(name), AccountUpdate(role=UserRole(role)))


def single_sign_on_account(store: Store, name: str) -> Account | None:
    """The account of a user vouched for by single sign-on, made as an employee if new.

    Least privilege: a new person gets the employee role; an administrator gives any other
    role with ``terrain users``. None if the name is not a valid user name, or the account is
    disabled.
    """
    try:
        name = check_user_name(name)
    except AuthError:
        return None
    existing = store.accounts.get(name)
    if existing is not None:
        return account_of(store, name)
    with suppress(UserExistsError):  # made by a concurrent first sign-on
        store.accounts.add(name, UserRole.EMPLOYEE)
    return account_of(store, name)
