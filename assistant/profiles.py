"""People's profiles (job, site, team): cleaning what is typed, and changing an account's.

Free text, so that each company uses its own words; forms suggest the values already in use.
An interview copies its employee's profile when it starts (``store.interviews.create``), so
that changing a profile here never moves a past interview to another group.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from assistant.auth import AuthError, stored_user_name
from assistant.schemas import MAX_PROFILE_CHARS, PROFILE_FIELDS, AccountUpdate, Profile, User
from assistant.store import Store
from assistant.text import clean_text


def profile_value(value: str | None) -> str | None:
    """A profile value cleaned (one line, spaces collapsed), None when empty; ValueError when
    longer than MAX_PROFILE_CHARS."""
    if value is None:
        return None
    cleaned = " ".join(clean_text(unicodedata.normalize("NFKC", value)).split())
    if len(cleaned) > MAX_PROFILE_CHARS:
        raise ValueError(f"at most {MAX_PROFILE_CHARS} characters")
    return cleaned or None


def profile_of(values: Mapping[str, str | None]) -> Profile:
    """The profile ``values`` give (job, site, team), each cleaned; :class:`AuthError` says
    which is too long."""
    cleaned: dict[str, str | None] = {}
    for field in PROFILE_FIELDS:
        try:
            cleaned[field] = profile_value(values.get(field))
        except ValueError as error:
            raise AuthError(f"The {field} has {error}.") from None
    return Profile(**cleaned)


def set_profile(store: Store, name: str, values: Mapping[str, str | None]) -> User:
    """Give the user this job, site and team (empty: unknown). Past interviews keep theirs."""
    return store.accounts.update(
        stored_user_name(store, name), AccountUpdate(profile=profile_of(values))
    )


def sign_on_sources(setting: str) -> dict[str, str]:
    """``job=X-Job,site=X-Site`` as {field: header or claim}; ValueError for an unknown field."""
    sources: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in setting.split(","))):
        field, _, source = item.partition("=")
        field = field.strip().casefold()
        if field not in PROFILE_FIELDS or not source.strip():
            raise ValueError(f"{item!r}: write job=NAME, site=NAME or team=NAME")
        sources[field] = source.strip()
    return sources


def update_from_sign_on(
    store: Store, name: str, sources: Mapping[str, str], given: Mapping[str, object]
) -> User | None:
    """The profile fields single sign-on gives (``given``: its headers or claims, read by the
    names ``sources`` maps) replace the account's; the others stay. None if nothing is given,
    or a value is unusable (then nothing changes)."""
    values = {field: str(given[source]) for field, source in sources.items() if given.get(source)}
    account = store.accounts.get(name)
    if not values or account is None:
        return None
    try:
        wanted = account.profile.merged(profile_of(values))
    except AuthError:
        return None
    if wanted == account.profile:
        return account
    return store.accounts.update(name, AccountUpdate(profile=wanted))
