"""Users and their passwords: argon2 hashes, checks that leak nothing, user management.

Passwords are hashed with argon2id (``argon2-cffi``'s recommended parameters) and never stored
or logged in clear. Checking a password costs the same whether the user exists or not, so that
the login form does not tell which user names exist. There are no default credentials: every
account is made by ``terrain users add``, or on first single sign-on as an employee. A disabled
account is kept but cannot sign in by any way (password, header or OAuth).

Against guessing: failed sign-ins are counted per account and per client address in the
database (so that every process agrees); past a few, each try must wait longer, and past
``sign_in_lock_after`` the account is locked for a while (``terrain users unlock`` lifts it).
A password must pass zxcvbn's strength estimate, told the user's own name. User names are
normalised (NFKC, case folded), and a name that looks like an existing one is refused.
Each account has a token version, written into its sign-in tokens: signing out, disabling, a
role change and a new password raise it, which ends every session already open.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assistant import i18n
from assistant.errors import TerrainError
from assistant.i18n import N_
from assistant.schemas import AccountUpdate, Profile, User, UserRole
from assistant.store import Store, UserExistsError
from assistant.text import clean_text, shortened

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.store.accounts import SignInFailures

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_DISPLAY_NAME_CHARS = 100
# zxcvbn's score, 0 (guessed at once) to 4 (very hard): 3 holds off an attacker who has the
# hashes for a long while; "password12", "1234567890" or the user's name score 0 or 1.
PASSWORD_MIN_SCORE = 3
# zxcvbn's estimate takes time that grows fast with length; a longer password is strong anyway.
_ESTIMATED_CHARS = 64
# Letters and digits a password must have besides the user's name and its parts.
MIN_OWN_CHARS = 6
MAX_WAIT_SECONDS = 300.0
# Letters, digits and a few separators: names appear in logs and in the CLI, never as markup.
_USER_NAME = re.compile(r"^[\w][\w.@+-]{0,127}$")


class AuthError(TerrainError):
    """A user or a password that cannot be accepted; the message says why.

    The message is an English template (a message id of the catalogs) filled with ``values``,
    so that each adapter can say it in its reader's language (:meth:`in_language`)."""

    def __init__(self, message: str, /, **values: object) -> None:
        self.message_id = message
        self.values = values
        super().__init__(message.format(**values) if values else message)

    def in_language(self, language: str) -> str:
        translated = i18n.gettext(language, self.message_id)
        return translated.format(**self.values) if self.values else translated


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


def check_password_rules(password: str, user_inputs: Iterable[str | None] = ()) -> None:
    """Raise :class:`AuthError` for a password too short, too long or too easy to guess.

    The guess is zxcvbn's estimate (common passwords, words, keyboard patterns, dates,
    repeats), told ``user_inputs`` (the user's name and display name, and their parts), so that
    a password made of them is refused too.
    """
    normalised = normalise_password(password)
    length = len(normalised)
    if length < MIN_PASSWORD_CHARS:
        raise AuthError(
            N_("A password needs at least {count} characters."), count=MIN_PASSWORD_CHARS
        )
    if length > MAX_PASSWORD_CHARS:
        raise AuthError(N_("A password has at most {count} characters."), count=MAX_PASSWORD_CHARS)
    from zxcvbn import zxcvbn  # imported here: it loads its word lists (a few tenths of a second)

    words = [word for given in user_inputs if given for word in _parts(given)]
    estimate = zxcvbn(normalised[:_ESTIMATED_CHARS], user_inputs=words)
    if _own_characters(normalised, words) < MIN_OWN_CHARS:
        raise AuthError(
            N_(
                "This password is too easy to guess: it is mostly the user's own name. "
                "Choose a longer one, several unrelated words for instance."
            )
        )
    if int(estimate["score"]) < PASSWORD_MIN_SCORE:
        feedback = estimate.get("feedback") or {}
        hints = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        why = " ".join(hint.strip() for hint in hints if hint and hint.strip())
        if why:  # zxcvbn's own hint, in English only
            raise AuthError(
                N_(
                    "This password is too easy to guess: {why} "
                    "Choose a longer one, several unrelated words for instance."
                ),
                why=why,
            )
        raise AuthError(
            N_(
                "This password is too easy to guess. "
                "Choose a longer one, several unrelated words for instance."
            )
        )


def _own_characters(password: str, words: list[str]) -> int:
    """Letters and digits of ``password`` left once the user's name and its parts are taken
    out: "Adm1-Adm1!" leaves none for the user adm1 (zxcvbn counts it as strong)."""
    rest = password.casefold()
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(re.sub(r"[\W_]", "", rest))


def _parts(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [folded, *(part for part in re.split(r"[\W_]+", folded) if len(part) >= 3)]


def normalise_user_name(name: str) -> str:
    """NFKC and case folded: "ＡＤＭ１", "Adm1" and "adm1" are one name."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def check_user_name(name: str) -> str:
    """The name normalised (:func:`normalise_user_name`); :class:`AuthError` unless it is 1-128
    letters, digits, ``._@+-``."""
    name = normalise_user_name(name)
    if not _USER_NAME.fullmatch(name):
        raise AuthError(
            N_(
                "Invalid user name {name!r}: use 1 to 128 letters, digits "
                "and . _ @ + - (starting with a letter, a digit or _)."
            ),
            name=shortened(clean_text(name)),
        )
    return name


def stored_user_name(store: Store, name: str) -> str:
    """The name of ``name``'s account: normalised, or as typed for an account made before
    names were normalised ("Alice"), which keeps signing in as it did."""
    normalised = check_user_name(name)
    typed = unicodedata.normalize("NFKC", name).strip()
    if (
        typed != normalised
        and store.accounts.get(normalised) is None
        and store.accounts.get(typed) is not None
    ):
        return typed
    return normalised


def check_display_name(display_name: str | None) -> str | None:
    """The display name cleaned and stripped (None if empty); :class:`AuthError` if longer than
    MAX_DISPLAY_NAME_CHARS (it travels in every sign-in cookie)."""
    if display_name is None:
        return None
    cleaned = " ".join(clean_text(unicodedata.normalize("NFKC", display_name)).split())
    if len(cleaned) > MAX_DISPLAY_NAME_CHARS:
        raise AuthError(
            N_("A display name has at most {count} characters."), count=MAX_DISPLAY_NAME_CHARS
        )
    return cleaned or None


# Letters that look like Latin ones (Unicode's confusables, the common ones), and digits and
# signs that pass for letters: a small skeleton in the spirit of UTS #39, over names already
# NFKC and case folded (which turns full-width and other compatibility forms into plain ones).
_LOOK_ALIKES = str.maketrans(
    {
        "0": "o", "1": "l", "|": "l", "ı": "i", "ɑ": "a", "ɡ": "g",
        "а": "a", "е": "e", "і": "i", "ј": "j", "о": "o", "р": "p", "с": "c", "ѕ": "s",
        "у": "y", "х": "x", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x",
        "ϲ": "c", "ε": "e", "τ": "t",
    }
)  # fmt: skip
_LOOK_ALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def skeleton(name: str) -> str:
    """What ``name`` looks like: two names with one skeleton are confused by a reader."""
    decomposed = unicodedata.normalize("NFD", normalise_user_name(name))
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = text.translate(_LOOK_ALIKES)
    for pair, single in _LOOK_ALIKE_PAIRS:
        text = text.replace(pair, single)
    return text


def check_not_confusable(store: Store, name: str) -> None:
    """:class:`AuthError` if an account's name is, or looks like, ``name`` (normalised)."""
    wanted = skeleton(name)
    for user in store.accounts.all():
        if normalise_user_name(user.name) == name:
            raise AuthError(N_("The user {name!r} already exists."), name=name)
        if skeleton(user.name) == wanted:
            raise AuthError(
                N_("The user name {name!r} looks like the existing {existing!r}: choose another."),
                name=name,
                existing=user.name,
            )


def hash_password(password: str, user_inputs: Iterable[str | None] = ()) -> str:
    """An argon2id hash of ``password``, with its own salt, if it passes the rules."""
    check_password_rules(password, user_inputs)
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
    token_version: int = 0
    # An administrator's password (invitation, reset): nothing else until the person's own.
    password_temporary: bool = False


def account_of(store: Store, name: str) -> Account | None:
    """The current record of user ``name``; None if there is no such user any more or the
    account is disabled, so that a disabled account's open sessions are refused at once."""
    user = store.accounts.standing(name)
    if user is None or user.disabled:
        return None
    return Account(
        name=name,
        role=user.role,
        display_name=user.display_name,
        token_version=user.token_version,
        password_temporary=user.password_temporary,
    )


def end_sessions(store: Store, name: str) -> None:
    """Every sign-in token of the user refused from their next request (signing out)."""
    store.accounts.end_sessions(name)


# -- throttling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInLimits:
    """The figures of throttling (the settings ``sign_in_*``)."""

    delay_after: int = 3
    delay_seconds: float = 1.0
    lock_after: int = 10
    lock_minutes: float = 15.0
    address_lock_after: int = 50

    @classmethod
    def of(cls, settings: Settings) -> SignInLimits:
        return cls(
            delay_after=settings.sign_in_delay_after,
            delay_seconds=settings.sign_in_delay_seconds,
            lock_after=settings.sign_in_lock_after,
            lock_minutes=settings.sign_in_lock_minutes,
            address_lock_after=settings.sign_in_address_lock_after,
        )

    def figures(self, key: str) -> tuple[int, int]:
        """Failures after which ``key`` waits, and after which it is locked."""
        if key.startswith("address:"):
            return max(1, self.address_lock_after // 2), self.address_lock_after
        return min(self.delay_after, self.lock_after), self.lock_after


class SignInPaused(AuthError):
    """Too many failed sign-ins: no password is checked until ``seconds`` have passed.
    ``locked``: a lock (an administrator can lift it), not just a wait."""

    def __init__(self, *, locked: bool, seconds: float) -> None:
        self.locked = locked
        self.seconds = max(1, int(seconds + 0.999))
        what = "locked" if locked else "paused"
        super().__init__(
            f"Too many failed sign-ins: signing in is {what} for {self.seconds} s. "
            "Try again later, or ask an administrator."
        )


def _waiting(
    key: str, failures: SignInFailures | None, now: datetime, limits: SignInLimits
) -> SignInPaused | None:
    if failures is None:
        return None
    if failures.locked_until is not None and now < failures.locked_until:
        return SignInPaused(locked=True, seconds=(failures.locked_until - now).total_seconds())
    wait_after, _ = limits.figures(key)
    if failures.failures < wait_after or limits.delay_seconds <= 0:
        return None
    # Failures older than a lock's length are forgotten: no wait for them either.
    if now - failures.last_failure_at > timedelta(minutes=limits.lock_minutes):
        return None
    wait = min(MAX_WAIT_SECONDS, limits.delay_seconds * 2 ** (failures.failures - wait_after))
    ready = failures.last_failure_at + timedelta(seconds=wait)
    return (
        SignInPaused(locked=False, seconds=(ready - now).total_seconds()) if now < ready else None
    )


def unlock(store: Store, name: str) -> bool:
    """Forget the account's failed sign-ins and lift its lock; whether it had any."""
    return store.accounts.forget_failures(f"account:{stored_user_name(store, name)}")


def authenticate(
    store: Store,
    name: str,
    password: str,
    *,
    address: str | None = None,
    limits: SignInLimits | None = None,
) -> Account | None:
    """The account if ``password`` is the user's; None otherwise (unknown user included).

    :class:`SignInPaused` (no password checked) while the account or the client ``address``
    has failed too often lately; each failure is counted for both.
    """
    limits = limits or SignInLimits()
    try:
        name = stored_user_name(store, name)
        valid = True
    except AuthError:
        name, valid = "", False
    keys = ([f"account:{name}"] if valid else []) + ([f"address:{address}"] if address else [])
    if keys:
        now, failures = store.accounts.failures(keys)
        for key in keys:
            paused = _waiting(key, failures.get(key), now, limits)
            if paused is not None:
                raise paused
    account = None
    if not valid:
        verify_password(None, password)
    elif verify_password(store.accounts.password_hash_of(name), password):
        account = account_of(store, name)
    if account is None:
        if keys:
            store.accounts.count_failure(
                {key: limits.figures(key)[1] for key in keys},
                timedelta(minutes=limits.lock_minutes),
            )
        return None
    store.accounts.forget_failures(f"account:{name}")
    return account


def add_user(
    store: Store,
    name: str,
    role: UserRole,
    password: str | None,
    *,
    display_name: str | None = None,
    profile: Profile | None = None,
    temporary: bool = False,
) -> User:
    """A new user; ``password`` None makes an account that only single sign-on can open;
    ``temporary``: the password is handed to the person, who must choose their own."""
    name = check_user_name(name)
    display_name = check_display_name(display_name)
    check_not_confusable(store, name)
    inputs = (name, display_name)
    password_hash = hash_password(password, inputs) if password is not None else None
    try:
        return store.accounts.add(
            name,
            UserRole(role),
            password_hash=password_hash,
            password_temporary=temporary,
            display_name=display_name,
            profile=profile,
        )
    except UserExistsError:
        raise AuthError(N_("The user {name!r} already exists."), name=name) from None


def set_disabled(store: Store, name: str, disabled: bool) -> User:
    """Disable an account (it can no longer sign in, and its open sessions are refused at
    their next request) or enable it again. Raises UserNotFoundError."""
    return store.accounts.update(stored_user_name(store, name), AccountUpdate(disabled=disabled))


def reset_password(store: Store, name: str, password: str) -> User:
    """Give the user a new password (the old one stops working at once). The administrator
    knows it, so it is temporary: the person chooses their own at their next sign-in."""
    name = stored_user_name(store, name)
    user = store.accounts.get(name)
    inputs = (name, user.display_name if user else None)
    change = AccountUpdate(password_hash=hash_password(password, inputs), password_temporary=True)
    return store.accounts.update(name, change)


def choose_password(store: Store, name: str, current: str, new: str) -> User:
    """The person replaces their password with one of their own: ``current`` must be right,
    ``new`` must follow the rules and differ from it. Every other open session ends."""
    user = store.accounts.get(name)
    if user is None or user.disabled:
        raise AuthError(N_("This account cannot sign in."))
    if not verify_password(store.accounts.password_hash_of(name), current):
        raise AuthError(N_("The current password is wrong; nothing was changed."))
    if normalise_password(new) == normalise_password(current):
        raise AuthError(N_("The new password must differ from the one given to you."))
    inputs = (name, user.display_name)
    change = AccountUpdate(password_hash=hash_password(new, inputs), password_temporary=False)
    return store.accounts.update(name, change)


def set_role(store: Store, name: str, role: UserRole) -> User:
    """Give the user another role, which their next request already has."""
    return store.accounts.update(stored_user_name(store, name), AccountUpdate(role=UserRole(role)))


def single_sign_on_account(store: Store, name: str) -> Account | None:
    """The account of a user vouched for by single sign-on, made as an employee if new.

    Least privilege: a new person gets the employee role; an administrator gives any other
    role with ``terrain users``. None if the name is not a valid user name, or the account is
    disabled.
    """
    try:
        name = stored_user_name(store, name)
    except AuthError:
        return None
    existing = store.accounts.get(name)
    if existing is not None:
        return account_of(store, name)
    with suppress(UserExistsError):  # made by a concurrent first sign-on
        store.accounts.add(name, UserRole.EMPLOYEE)
    return account_of(store, name)
