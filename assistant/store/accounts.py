"""Accounts: users, their roles and password hashes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.schemas import User, UserRole
from assistant.store.database import Repository, guarded
from assistant.store.errors import UserExistsError
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
                    )
                )
        except IntegrityError:
            raise UserExistsError(name) from None
        return record

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
