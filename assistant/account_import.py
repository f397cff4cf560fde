"""Accounts in bulk, from a CSV file: every line checked first, the good ones stored at once.

Columns (a header line names them, in any order): ``name`` (required), ``role`` (employee if
empty), ``display_name``, ``job``, ``site``, ``team``. A line for a new name makes an account; a
line for an existing one changes its display name, role and profile to the line's (empty cells
leave them as they are). Every line is checked before anything is stored, and a line with a
problem is reported (its number, what is wrong) and left out; the good lines are then stored in
one transaction, so that either all of them are or none is.

New accounts get an invitation password each (random, 20 characters, handed out by the
administrator, who tells the person to change it), or none with ``sign_on_only`` (single
sign-on opens them).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from assistant.auth import (
    AuthError,
    check_display_name,
    check_user_name,
    hash_password,
    normalise_user_name,
    skeleton,
)
from assistant.errors import TerrainError
from assistant.profiles import profile_of
from assistant.schemas import (
    PROFILE_FIELDS,
    AccountUpdate,
    User,
    UserRole,
)
from assistant.store import Store
from assistant.text import clean_text

COLUMNS = ("name", "role", "display_name", *PROFILE_FIELDS)
MAX_LINES = 100_000
INVITATION_PASSWORD_BYTES = 15  # 20 URL-safe characters: about 120 bits


class LineAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass
class LineReport:
    """What became of one line of the file (``line``: its number in the file, from 1)."""

    line: int
    name: str
    action: LineAction
    problem: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass
class ImportResult:
    lines: list[LineReport]
    dry_run: bool

    def count(self, action: LineAction) -> int:
        return sum(1 for line in self.lines if line.action is action)

    @property
    def refused(self) -> list[LineReport]:
        return [line for line in self.lines if line.action is LineAction.REFUSED]


class AccountFileError(TerrainError):
    """A file that cannot be read as accounts at all (no header, unknown columns)."""


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().casefold().replace(" ", "_") for cell in cells]
            unknown = [name for name in header if name not in COLUMNS]
            if "name" not in header or unknown:
                raise AccountFileError(
                    "The first line must name the columns: "
                    + (f"unknown {', '.join(map(repr, unknown))}; " if unknown else "")
                    + ("" if "name" in header else "'name' is missing; ")
                    + f"use {', '.join(COLUMNS)}.",
                    fix="Write a header line such as: name,role,display_name,job,site,team",
                )
            continue
        if len(rows) >= MAX_LINES:
            raise AccountFileError(f"The file has more than {MAX_LINES} lines.")
        line = reader.line_num
        if len(cells) > len(header):
            rows.append((line, {"": "more cells than the header names"}))
            continue
        rows.append((line, {name: cell for name, cell in zip(header, cells, strict=False)}))
    if header is None:
        raise AccountFileError("The file is empty.", fix="Write a header line, then one per user.")
    return rows


@dataclass(frozen=True)
class _Planned:
    line: int
    name: str
    new: User | None
    change: AccountUpdate | None


def import_accounts(
    store: Store,
    text: str,
    *,
    dry_run: bool = False,
    sign_on_only: bool = False,
    on_planned: Callable[[int], None] | None = None,
    on_hashed: Callable[[], None] | None = None,
) -> ImportResult:
    """Check every line of ``text`` (a CSV file), then store the good ones in one transaction
    (none with ``dry_run``). :class:`AccountFileError` if the file cannot be read at all.

    ``on_planned`` is told how many passwords will be hashed (about half a second each:
    Argon2id is slow on purpose), ``on_hashed`` after each."""
    rows = _rows(text)
    accounts = store.accounts.all()
    # An account made before names were normalised ("Alice") is found by its normalised name.
    existing = {normalise_user_name(user.name): user for user in accounts}
    existing.update({user.name: user for user in accounts})
    looks = {skeleton(user.name): user.name for user in accounts}
    seen: dict[str, int] = {}
    reports: list[LineReport] = []
    planned: list[_Planned] = []
    for line, cells in rows:
        raw_name = cells.get("name", "")
        try:
            if "" in cells:
                raise AuthError(cells[""])
            plan = _plan(line, cells, existing, looks, seen)
        except (AuthError, ValueError) as error:
            reports.append(
                LineReport(line, clean_text(raw_name)[:128], LineAction.REFUSED, str(error))
            )
            continue
        seen[plan.name] = line
        if plan.new is not None:
            looks.setdefault(skeleton(plan.name), plan.name)
        planned.append(plan)
        action = (
            LineAction.CREATED
            if plan.new is not None
            else LineAction.UPDATED
            if plan.change is not None
            else LineAction.UNCHANGED
        )
        reports.append(LineReport(line, plan.name, action))
    if dry_run:
        return ImportResult(reports, dry_run=True)
    by_line = {report.line: report for report in reports}
    if on_planned is not None and not sign_on_only:
        on_planned(sum(1 for plan in planned if plan.new is not None))
    new: list[tuple[User, str | None]] = []
    for plan in planned:
        if plan.new is None:
            continue
        password, password_hash = (
            (None, None) if sign_on_only else _invitation(plan.name, plan.new.display_name)
        )
        by_line[plan.line].password = password
        if on_hashed is not None and password is not None:
            on_hashed()
        new.append((plan.new, password_hash))
    changed = [(plan.name, plan.change) for plan in planned if plan.change is not None]
    if new or changed:
        store.accounts.add_and_update(new, changed)
    return ImportResult(reports, dry_run=False)


def _plan(
    line: int,
    cells: dict[str, str],
    existing: dict[str, User],
    looks: dict[str, str],
    seen: dict[str, int],
) -> _Planned:
    name = check_user_name(cells.get("name", ""))
    if name in seen:
        raise AuthError(f"The user {name!r} is already on line {seen[name]}.")
    role_cell = cells.get("role", "").strip().casefold()
    try:
        role = UserRole(role_cell) if role_cell else None
    except ValueError:
        raise AuthError(
            f"Unknown role {shorten(role_cell)!r}: use {', '.join(r.value for r in UserRole)}."
        ) from None
    display_name = check_display_name(cells.get("display_name"))
    profile = profile_of(cells)
    current = existing.get(name)
    if current is None:
        other = looks.get(skeleton(name))
        if other is not None and normalise_user_name(other) != name:
            raise AuthError(f"The user name {name!r} looks like {other!r}: choose another.")
        user = User(
            name=name,
            role=role or UserRole.EMPLOYEE,
            display_name=display_name,
            created_at=_epoch(),
            **profile.model_dump(),
        )
        return _Planned(line, name, user, None)
    name = current.name
    if name in seen:
        raise AuthError(f"The user {name!r} is already on line {seen[name]}.")
    wanted = current.profile.merged(profile)
    change = AccountUpdate(
        role=role if role is not None and role != current.role else None,
        display_name=(
            display_name if display_name and display_name != current.display_name else None
        ),
        profile=wanted if wanted != current.profile else None,
    )
    nothing = change.role is None and change.display_name is None and change.profile is None
    return _Planned(line, name, None, None if nothing else change)


def _invitation(name: str, display_name: str | None) -> tuple[str, str]:
    """A random password and its hash, under the same rules as any (a random one of 20
    characters passes them; another is drawn in the unlikely case it does not)."""
    while True:
        password = secrets.token_urlsafe(INVITATION_PASSWORD_BYTES)
        try:
            return password, hash_password(password, (name, display_name))
        except AuthError:
            continue


def shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _epoch() -> datetime:
    """A placeholder: the store dates each account when it stores it."""
    return datetime.now(UTC)
