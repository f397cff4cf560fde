"""Accounts: users, their roles, password hashes and whether they may sign in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.schemas import AccountUpdate, User, UserRole
from assistant.store.database import Repository, guarded
from assistant.store.errors import UserExistsError, UserNotFoundError
from assistant.store.models import UserRow


class AccountRepository(Repository):
    """Users (``store.accounts``)."""

    @guarded("adding a user")
    def add(
        self,
        name: str,
        role: UserRole,
        *,
        password_hash: str | None = None,
        display_name: str | None = None,
    ) -> User:
        """A new user; :class:`UserExistsError` if the name is taken."""
        if not name.strip():
            raise ValueError("A user name cannot be empty.")
        record = User(
            name=name, role=UserRole(role), display_name=display_name, created_at=self._db.now()
        )
        try:
            with self._db.writing() as session:
                if session.get(UserRow, name) is not None:
                    raise UserExistsError(name)
                session.add(
                    UserRow(
                        name=record.name,
                        role=record.role.value,
                        display_name=record.display_name,
                        password_hash=password_hash,
                        created_at=record.created_at,
                        disabled=False,
                    )
                )
        except IntegrityError:
            raise UserExistsError(name) from None
        return record

    @guarded("changing a user")
    def update(self, name: str, change: AccountUpdate) -> User:
        """Change the user's role, disabled flag or password hash (what ``change`` gives);
        :class:`UserNotFoundError` if there is no such user."""
        with self._db.writing() as session:
            row = session.get(UserRow, name, with_for_update=True)
            if row is None:
                raise UserNotFoundError(name)
            if change.role is not None:
                row.role = UserRole(change.role).value
            if change.disabled is not None:
                row.disabled = change.disabled
            if change.password_hash is not None:
                row.password_hash = change.password_hash
            return User.model_validate(row)

    @guarded("reading a user")
    def get(self, name: str) -> User | None:
        with self._db.reading() as session:
            row = session.get(UserRow, name)
            return None if row is None else User.model_validate(row)

    @guarded("reading a password hash")
    def password_hash_of(self, name: str) -> str | None:
        """The user's password hash; None if there is no such user or no password."""
        with self._db.reading() as session:
            row = session.get(UserRow, name)
            return None if row is None else row.password_hash

    @guarded("listing users")
    def all(self) -> list[User]:
        """Every user, by name."""
        with self._db.reading() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [User.model_validate(row) for row in rows]
