"""The session check reads a user's standing alone: the same answer as the whole record,
fresh at every call, so that a session ended, a role changed or an account disabled in any
process is refused at its next request."""

from __future__ import annotations

from assistant.auth import account_of, end_sessions, set_disabled, set_role
from assistant.schemas import UserRole
from assistant.store import Store


def test_the_standing_is_what_the_record_says(tmp_store: Store) -> None:
    tmp_store.accounts.add("dora", UserRole.EMPLOYEE, display_name="Dora")
    standing = tmp_store.accounts.standing("dora")
    user = tmp_store.accounts.get("dora")
    assert standing is not None
    assert user is not None
    assert (standing.role, standing.display_name, standing.token_version, standing.disabled) == (
        user.role,
        user.display_name,
        user.token_version,
        user.disabled,
    )
    assert tmp_store.accounts.standing("nobody") is None


def test_every_change_that_ends_sessions_shows_at_the_next_check(tmp_store: Store) -> None:
    tmp_store.accounts.add("dora", UserRole.EMPLOYEE)
    first = account_of(tmp_store, "dora")
    assert first is not None
    assert first.name == "dora"
    assert first.role == UserRole.EMPLOYEE
    end_sessions(tmp_store, "dora")
    signed_out = account_of(tmp_store, "dora")
    assert signed_out is not None
    assert signed_out.token_version > first.token_version
    set_role(tmp_store, "dora", UserRole.FACILITATOR)
    promoted = account_of(tmp_store, "dora")
    assert promoted is not None
    assert promoted.role == UserRole.FACILITATOR
    assert promoted.token_version > signed_out.token_version
    set_disabled(tmp_store, "dora", True)
    assert account_of(tmp_store, "dora") is None
