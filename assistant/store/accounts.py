"""Accounts: users, their roles, password hashes and whether they may sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from assistant.schemas import PROFILE_FIELDS, AccountUpdate, Profile, User, UserRole
from assistant.store.database import Repository, guarded
from assistant.store.errors import UserExistsError, UserNotFoundError
from assistant.store.models import SignInFailuresRow, UserRow
from assistant.store.rows import record_columns, table_of


@dataclass(frozen=True)
class Standing:
    """Whether and as whom a user may be signed in (:meth:`AccountRepository.standing`)."""

    role: UserRole
    display_name: str | None
    token_version: int
    disabled: bool
    password_temporary: bool


_USERS = table_of(UserRow)
_STANDING = select(
    _USERS.c.role,
    _USERS.c.display_name,
    _USERS.c.token_version,
    _USERS.c.disabled,
    _USERS.c.password_temporary,
).where(_USERS.c.name == bindparam("wanted"))
_READ = select(*record_columns(_USERS, User)).where(_USERS.c.name == bindparam("wanted"))


class AccountRepository(Repository):
    """Users (``store.accounts``)."""

    @guarded("adding a user")
    def add(
        self,
        name: str,
        role: UserRole,
        *,
        password_hash: str | None = None,
        password_temporary: bool = False,
        display_name: str | None = None,
        profile: Profile | None = None,
    ) -> User:
        """A new user; :class:`UserExistsError` if the name is taken."""
        if not name.strip():
            raise ValueError("A user name cannot be empty.")
        profile = profile or Profile()
        record = User(
            name=name,
            role=UserRole(role),
            display_name=display_name,
            created_at=self._db.now(),
            password_temporary=password_temporary and password_hash is not None,
            **profile.model_dump(),
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
                        password_temporary=record.password_temporary,
                        created_at=record.created_at,
                        disabled=False,
                        **profile.model_dump(),
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
            if change.profile is not None:
                for field in PROFILE_FIELDS:
                    setattr(row, field, getattr(change.profile, field))
            if change.display_name is not None:
                row.display_name = change.display_name
            if change.role is None and change.disabled is None and change.password_hash is None:
                # A profile or a display name says nothing of who may sign in: sessions go on.
                return User.model_validate(row)
            if change.password_hash is not None:
                row.password_hash = change.password_hash
                row.password_temporary = change.password_temporary
            # Any change of who may sign in, or as what, ends the sessions already open.
            row.token_version += 1
            return User.model_validate(row)

    @guarded("ending a user's sessions")
    def end_sessions(self, name: str) -> int:
        """Raise the user's token version, so that every token signed before is refused; the
        new version, or -1 if there is no such user."""
        with self._db.writing() as session:
            row = session.get(UserRow, name, with_for_update=True)
            if row is None:
                return -1
            row.token_version += 1
            return row.token_version

    # -- failed sign-ins -----------------------------------------------------------------

    @guarded("reading failed sign-ins")
    def failures(self, keys: list[str]) -> tuple[datetime, dict[str, SignInFailures]]:
        """The store's time now, and the recent failed sign-ins of each of ``keys`` that has
        some (``account:NAME``, ``address:IP``)."""
        with self._db.reading() as session:
            rows = session.scalars(select(SignInFailuresRow).where(SignInFailuresRow.key.in_(keys)))
            found = {row.key: SignInFailures.of(row) for row in rows}
        return self._db.now(), found

    @guarded("counting a failed sign-in")
    def count_failure(self, lock_after: dict[str, int], forget_after: timedelta) -> None:
        """One more failure for each key of ``lock_after``; a key that reaches its figure is
        locked for ``forget_after`` (and counts from 0 after). Failures older than
        ``forget_after`` are forgotten."""
        now = self._db.now()
        with self._db.writing() as session:
            # Failures nobody repeated for a lock's length are forgotten: guesses at unknown
            # names do not pile up.
            session.execute(
                delete(SignInFailuresRow).where(
                    SignInFailuresRow.last_failure_at < now - forget_after,
                    (SignInFailuresRow.locked_until.is_(None))
                    | (SignInFailuresRow.locked_until < now),
                )
            )
            for key, limit in lock_after.items():
                row = session.get(SignInFailuresRow, key, with_for_update=True)
                if row is None:
                    row = SignInFailuresRow(key=key, failures=0, last_failure_at=now)
                    session.add(row)
                elif now - row.last_failure_at > forget_after:
                    row.failures = 0
                row.failures += 1
                row.last_failure_at = now
                if row.failures >= limit:
                    row.failures = 0
                    row.locked_until = now + forget_after

    @guarded("forgetting failed sign-ins")
    def forget_failures(self, key: str) -> bool:
        """Forget ``key``'s failures and lift its lock; whether there was anything."""
        with self._db.writing() as session:
            result = session.execute(delete(SignInFailuresRow).where(SignInFailuresRow.key == key))
            return bool(getattr(result, "rowcount", 0))

    @guarded("reading whether a user may sign in")
    def standing(self, name: str) -> Standing | None:
        """What the web app checks of a signed-in user at every request (these columns only,
        not the whole record); None if there is no such user."""
        with self._db.reading_rows() as connection:
            row = connection.execute(_STANDING, {"wanted": name}).one_or_none()
        if row is None:
            return None
        return Standing(
            role=UserRole(row.role),
            display_name=row.display_name,
            token_version=row.token_version,
            disabled=bool(row.disabled),
            password_temporary=bool(row.password_temporary),
        )

    @guarded("reading a user")
    def get(self, name: str) -> User | None:
        with self._db.reading_rows() as connection:
            row = connection.execute(_READ, {"wanted": name}).one_or_none()
        return None if row is None else User.model_validate(row._asdict())

    @guarded("reading a password hash")
    def password_hash_of(self, name: str) -> str | None:
        """The user's password hash; None if there is no such user or no password."""
        with self._db.reading() as session:
            row = session.get(UserRow, name)
            return None if row is None else row.password_hash

    @guarded("adding and changing users")
    def add_and_update(
        self, new: list[tuple[User, str | None]], changed: list[tuple[str, AccountUpdate]]
    ) -> None:
        """Users made (each with its password hash, or None) and users changed, all in one
        transaction: either every one is, or none (:class:`UserExistsError` or
        :class:`UserNotFoundError` if the accounts moved meanwhile). Each is dated now."""
        now = self._db.now()
        with self._db.writing() as session:
            for user, password_hash in new:
                if session.get(UserRow, user.name) is not None:
                    raise UserExistsError(user.name)
                session.add(
                    UserRow(
                        name=user.name,
                        role=user.role.value,
                        display_name=user.display_name,
                        password_hash=password_hash,
                        # An invitation: the administrator knows it, the person replaces it.
                        password_temporary=password_hash is not None,
                        created_at=now,
                        disabled=False,
                        **user.profile.model_dump(),
                    )
                )
            for name, change in changed:
                row = session.get(UserRow, name, with_for_update=True)
                if row is None:
                    raise UserNotFoundError(name)
                if change.profile is not None:
                    for field in PROFILE_FIELDS:
                        setattr(row, field, getattr(change.profile, field))
                if change.display_name is not None:
                    row.display_name = change.display_name
                if change.role is not None and row.role != change.role.value:
                    row.role = change.role.value
                    row.token_version += 1

    @guarded("listing profile values")
    def profile_values(self) -> dict[str, list[str]]:
        """The jobs, sites and teams accounts have, each sorted: what forms suggest."""
        values: dict[str, list[str]] = {}
        with self._db.reading() as session:
            for field in PROFILE_FIELDS:
                column = getattr(UserRow, field)
                found = session.scalars(select(column).where(column.is_not(None)).distinct())
                values[field] = sorted({value for value in found if value}, key=str.casefold)
        return values

    @guarded("listing users")
    def all(self) -> list[User]:
        """Every user, by name."""
        with self._db.reading() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [User.model_validate(row) for row in rows]


@dataclass(frozen=True)
class SignInFailures:
    """How many sign-ins failed lately for one key, the last one when, locked until when."""

    failures: int
    last_failure_at: datetime
    locked_until: datetime | None

    @classmethod
    def of(cls, row: SignInFailuresRow) -> SignInFailures:
        return cls(row.failures, row.last_failure_at, row.locked_until)
