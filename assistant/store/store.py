"""The store: interviews, turns, findings, jobs, users and identities (SQLite or PostgreSQL).

Every method is synchronous and thread-safe (the web app runs them in worker threads), opens its
own short transaction, and returns pydantic records from :mod:`assistant.schemas`, never ORM
objects. Every write has committed when the method returns: a turn saved with :meth:`add_turn`
survives a crash of the process right after.

Pseudonymity: an interview carries a pseudonym, never the person's name. Who a pseudonym is
lives in the separate ``identities`` table, written by :meth:`Store.create_interview` and
:meth:`Store.link_identity`, read only by :meth:`Store.identity_of`, and emptied by erasure;
callers restrict reading it to administrators.

Findings are reviewed by facilitators; every review is recorded in ``finding_changes``, in the
same transaction as the change itself. Jobs (background extractions) are rows too, so that a
restart loses none: :meth:`Store.claim_next_job` hands each queued job to exactly one worker,
and :meth:`Store.requeue_stale_jobs` gives back the jobs of a worker that died.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import URL, CursorResult, delete, func, make_url, select, update
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from assistant.config import Settings
from assistant.schemas import (
    Finding,
    FindingChange,
    FindingOrigin,
    FindingStatus,
    Interview,
    InterviewStatus,
    Job,
    JobStatus,
    Phase,
    Speaker,
    Turn,
    User,
    UserRole,
)
from assistant.store.engine import WRITE_OPTION, create_store_engine, is_sqlite, is_sqlite_memory
from assistant.store.errors import (
    DATABASE_URL_FIX,
    FindingNotFoundError,
    InterviewNotFoundError,
    JobNotFoundError,
    StoreError,
    TurnNotFoundError,
    UserExistsError,
)
from assistant.store.migrations import alembic_config
from assistant.store.models import (
    FindingChangeRow,
    FindingRow,
    IdentityRow,
    InterviewRow,
    JobRow,
    TurnRow,
    UserRow,
    utc_now,
)
from assistant.store.pseudonyms import new_pseudonym

DATABASE_FILE = "terrain.db"

# Interview fields that update_interview() may not change: the id and timestamps are the store's,
# and the pseudonym keys the identity link (changing it would orphan the link, and erasure
# would then leave the person's identity behind).
IMMUTABLE_INTERVIEW_FIELDS = frozenset({"id", "pseudonym", "created_at", "updated_at"})

PSEUDONYM_ATTEMPTS = 20
# Writers are serialised (BEGIN IMMEDIATE on SQLite, the interview's row lock on PostgreSQL),
# so the next turn index cannot race; the retry is a second line of defence.
ADD_TURN_ATTEMPTS = 2

# What a facilitator's review does to a finding's status.
REVIEW_STATUSES = {
    "accept": FindingStatus.ACCEPTED,
    "edit": FindingStatus.EDITED,
    "reject": FindingStatus.REJECTED,
}
# The finding fields a facilitator may edit; the rest are the model's or the store's.
EDITABLE_FINDING_FIELDS = frozenset(
    {
        "code",
        "activity",
        "counterpart",
        "value_chain_stage",
        "evidence",
        "prescribed_gap",
        "automation_exposure",
        "automation_reasons",
        "confidence",
    }
)
# Finding fields kept as JSON (their JSON dump is stored).
JSON_FINDING_FIELDS = frozenset({"evidence", "prescribed_gap", "provenance"})
# How often claim_next_job() looks again when another worker took the job it chose.
CLAIM_ATTEMPTS = 20

# Alembic keeps the running migration in module globals: one migration per process at a time
# (and, through the database's own lock, one across processes).
_MIGRATION_LOCK = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


def _plain(value: Any) -> Any:
    """Enum members as their stored string values."""
    return value.value if isinstance(value, Enum) else value


def _as_utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _finding_values(record: Finding) -> dict[str, Any]:
    """A finding's column values: enums as strings, quotes, gap and provenance as JSON."""
    values = {name: _plain(getattr(record, name)) for name in Finding.model_fields}
    values.update(record.model_dump(mode="json", include=set(JSON_FINDING_FIELDS)))
    return values


def _stored_finding(record: Finding, now: datetime) -> Finding:
    """The finding as the store keeps it: updated now, its provenance's timestamp in UTC."""
    provenance = record.provenance.model_copy(
        update={"created_at": _as_utc(record.provenance.created_at)}
    )
    return record.model_copy(update={"provenance": provenance, "updated_at": now})


def _reason(error: SQLAlchemyError) -> str:
    """The database's own words, first line only: no SQL, no parameters, no details."""
    detail = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(detail).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__


def _guarded(
    doing: str,
) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Turn any database failure inside the method into a :class:`StoreError`."""

    def decorate(method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @functools.wraps(method)
        def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(self, *args, **kwargs)
            except SQLAlchemyError as error:
                raise StoreError(
                    f"The database failed while {doing} ({self.url}): {_reason(error)}.",
                    fix="Check that the database is reachable and writable and that it was "
                    "set up (Store.open migrates it). " + DATABASE_URL_FIX,
                ) from error

        return wrapper

    return decorate


class Store:
    """Interviews, turns, findings, jobs, users and identities in one SQL database."""

    def __init__(self, url: str) -> None:
        try:
            self._url: URL = make_url(url)
        except ArgumentError:
            # Not echoed: an unparsable URL may still hold a password.
            raise StoreError(
                "The database URL is not a valid SQLAlchemy URL.", fix=DATABASE_URL_FIX
            ) from None
        try:
            self._engine = create_store_engine(self._url)
        except NoSuchModuleError:
            raise StoreError(
                f"Unknown database type {self._url.drivername!r} in the database URL {self.url}.",
                fix=DATABASE_URL_FIX,
            ) from None
        except ImportError as error:
            raise StoreError(
                f"The driver for {self._url.drivername!r} databases is not installed "
                f"(no module {error.name!r}).",
                fix="Install it in Terrain's environment (for postgresql+psycopg: "
                "`uv pip install 'psycopg[binary]'`), or use another TERRAIN_DATABASE_URL.",
            ) from None
        except (ArgumentError, TypeError, ValueError) as error:
            raise StoreError(
                f"Cannot use the database URL {self.url}: {error}.", fix=DATABASE_URL_FIX
            ) from None
        if is_sqlite(self._url):
            self._create_private_sqlite_file()
        self._reads = sessionmaker(self._engine, expire_on_commit=False)
        self._writes = sessionmaker(
            self._engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        # One writer at a time within the process: threads queue here and start the moment
        # the previous write commits, instead of in SQLite's busy handler, which polls with
        # growing sleeps (up to 100 ms) and made fifty concurrent conversations wait.
        self._write_lock = threading.RLock()

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """The store that ``settings`` name, migrated to the current schema.

        ``settings.database_url`` if set, otherwise ``terrain.db`` in ``settings.data_dir``
        (the folder is created, readable by its owner only).
        """
        url = settings.database_url or cls._default_url(settings.data_dir)
        store = cls(url)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def _default_url(data_dir: Path) -> str:
        folder = data_dir.expanduser().resolve()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the data folder {folder}: {error.strerror or error}.",
                fix="Set TERRAIN_DATA_DIR to a folder you can write to, or set "
                "TERRAIN_DATABASE_URL.",
            ) from None
        return f"sqlite:///{folder / DATABASE_FILE}"

    def _create_private_sqlite_file(self) -> None:
        """Create a new SQLite file readable by its owner only (SQLite would use the umask).

        SQLite gives its -wal and -shm files the database file's permissions.
        """
        database = self._url.database
        if not database or is_sqlite_memory(self._url) or database.startswith("file:"):
            return
        path = Path(database).expanduser()
        if path.exists() or not path.parent.is_dir():
            return  # a missing folder is reported, clearly, when the database is opened
        with suppress(OSError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return self._url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def __str__(self) -> str:
        return self.url

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection. The store reconnects if it is used again."""
        self._engine.dispose()

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``); a no-op when there.

        The whole upgrade is one transaction. On SQLite it holds the write lock throughout, so
        processes opening a new database together migrate it once; it runs with foreign keys
        off (so that rebuilding a table cannot cascade-delete turns) and checks them before
        committing.
        """
        memory = is_sqlite_memory(self._url)
        engine = self._engine if memory else create_store_engine(self._url, migrating=True)
        try:
            with _MIGRATION_LOCK, engine.connect() as connection, connection.begin():
                secret_url = self._url.render_as_string(hide_password=False)
                command.upgrade(alembic_config(secret_url, connection=connection), "head")
                if is_sqlite(self._url):
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"Migrating the database {self.url} would break {len(broken)} "
                            "link(s) between tables; nothing was changed.",
                            fix="Report this as a bug in Terrain, with the version you run.",
                        )
        except CommandError as error:
            raise StoreError(
                f"Cannot migrate the database {self.url}: {error}.",
                fix="If a newer Terrain used this database, run that version; otherwise "
                + DATABASE_URL_FIX,
            ) from error
        except SQLAlchemyError as error:
            raise StoreError(
                f"Cannot open the database {self.url}: {_reason(error)}.",
                fix="For SQLite, check that the folder exists and is writable; for a server, "
                "that it is running and the credentials are right. " + DATABASE_URL_FIX,
            ) from error
        finally:
            if engine is not self._engine:
                engine.dispose()

    # -- sessions ----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._reads() as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction, committed on leaving (rolled back on an exception)."""
        with self._write_lock, self._writes.begin() as session:
            yield session

    @staticmethod
    def _delete_content(session: Session, interview_id: str) -> None:
        """Delete what the interview holds: turns, findings with their audit trail, and jobs.

        Explicit deletes, not only the foreign keys' ON DELETE CASCADE: erasure must not depend
        on the database enforcing them.
        """
        of_interview = select(FindingRow.id).where(FindingRow.interview_id == interview_id)
        session.execute(
            delete(FindingChangeRow).where(FindingChangeRow.finding_id.in_(of_interview))
        )
        session.execute(delete(FindingRow).where(FindingRow.interview_id == interview_id))
        session.execute(delete(JobRow).where(JobRow.interview_id == interview_id))
        session.execute(delete(TurnRow).where(TurnRow.interview_id == interview_id))

    @staticmethod
    def _interview_row(session: Session, interview_id: str) -> InterviewRow:
        row = session.get(InterviewRow, interview_id)
        if row is None:
            raise InterviewNotFoundError(interview_id)
        return row

    # -- interviews --------------------------------------------------------------------------

    @_guarded("creating an interview")
    def create_interview(
        self,
        *,
        language: str,
        owner: str | None = None,
        pseudonym: str | None = None,
        prompt_versions: dict[str, str] | None = None,
        source: str = "terrain",
        interview_id: str | None = None,
        person: str | None = None,
    ) -> Interview:
        """A new interview, in progress at the consent phase; a pseudonym is drawn if not given.

        ``interview_id`` (32 lowercase hex digits) lets an adapter choose the id, as the web app
        does so that its conversation and the interview share one id; a new one otherwise.
        ``person``, when given, is recorded as who the drawn pseudonym stands for, in the same
        commit (a given pseudonym is linked with :meth:`link_identity`).
        """
        if person is not None and not person.strip():
            raise ValueError("The person linked to a pseudonym cannot be empty.")
        if person is not None and pseudonym is not None:
            raise ValueError("Only a drawn pseudonym is linked here; use link_identity.")
        if interview_id is not None and not re.fullmatch(r"[0-9a-f]{32}", interview_id):
            raise ValueError("An interview id is 32 lowercase hexadecimal digits.")
        now = utc_now()
        for _ in range(PSEUDONYM_ATTEMPTS):
            record = Interview(
                id=interview_id or uuid.uuid4().hex,
                pseudonym=pseudonym if pseudonym is not None else new_pseudonym(),
                owner=owner,
                language=language,
                prompt_versions=dict(prompt_versions or {}),
                source=source,
                created_at=now,
                updated_at=now,
            )
            try:
                with self._writing() as session:
                    taken = interview_id is not None and (
                        session.get(InterviewRow, interview_id) is not None
                    )
                    if taken:
                        raise StoreError(
                            f"An interview with the id {interview_id} already exists.",
                            fix="Leave the id out to have a new one drawn.",
                        )
                    if pseudonym is None and self._pseudonym_taken(session, record.pseudonym):
                        continue
                    session.add(
                        InterviewRow(**{k: _plain(v) for k, v in record.model_dump().items()})
                    )
                    if person is not None:
                        session.add(
                            IdentityRow(pseudonym=record.pseudonym, person=person, created_at=now)
                        )
            except IntegrityError:
                if pseudonym is not None:
                    raise StoreError(
                        f"The pseudonym {pseudonym!r} is already used by another interview.",
                        fix="Leave the pseudonym out to have a new one drawn.",
                    ) from None
                continue
            return record
        raise StoreError(
            "Could not draw an unused pseudonym: nearly all of them are taken.",
            fix="Report this to the Terrain maintainers: pseudonyms need to be longer.",
        )

    @staticmethod
    def _pseudonym_taken(session: Session, pseudonym: str) -> bool:
        in_interviews = session.scalar(
            select(InterviewRow.id).where(InterviewRow.pseudonym == pseudonym).limit(1)
        )
        return in_interviews is not None or session.get(IdentityRow, pseudonym) is not None

    @_guarded("importing an interview")
    def import_interview(
        self,
        *,
        language: str,
        source: str,
        turns: Sequence[tuple[Speaker, str]],
        phase: Phase = Phase.EPISODE,
        consent_version: str = "imported",
        owner: str | None = None,
    ) -> Interview:
        """An interview held elsewhere (a transcript), stored whole in one transaction.

        It is CLOSED at phase DONE, with consent recorded as given under ``consent_version``
        (the people who held it collected it), a fresh pseudonym, and ``turns`` in order
        (index 0, 1, …), all at ``phase``: the guide's phases are unknown for a transcript, and
        EPISODE, the account of real work, is the phase every reader of the content keeps.
        Either everything is stored or nothing is. Raises ValueError without turns or for an
        empty one.
        """
        if not turns:
            raise ValueError("An imported interview needs at least one turn.")
        for position, (_, text) in enumerate(turns):
            if not text.strip():
                raise ValueError(f"Turn {position} of the imported interview is empty.")
        phase_value = Phase(phase).value
        for _ in range(PSEUDONYM_ATTEMPTS):
            now = utc_now()
            record = Interview(
                id=uuid.uuid4().hex,
                pseudonym=new_pseudonym(),
                owner=owner,
                language=language,
                status=InterviewStatus.CLOSED,
                phase=Phase.DONE,
                consent_given=True,
                consent_at=now,
                consent_version=consent_version,
                source=source,
                created_at=now,
                updated_at=now,
            )
            try:
                with self._writing() as session:
                    if self._pseudonym_taken(session, record.pseudonym):
                        continue
                    session.add(
                        InterviewRow(**{k: _plain(v) for k, v in record.model_dump().items()})
                    )
                    session.flush()
                    session.add_all(
                        TurnRow(
                            interview_id=record.id,
                            index=index,
                            speaker=Speaker(speaker).value,
                            text=text,
                            phase=phase_value,
                            scripted=False,
                            complete=True,
                            model=None,
                            prompt=None,
                            created_at=now,
                        )
                        for index, (speaker, text) in enumerate(turns)
                    )
            except IntegrityError:
                continue
            return record
        raise StoreError(
            "Could not draw an unused pseudonym: nearly all of them are taken.",
            fix="Report this to the Terrain maintainers: pseudonyms need to be longer.",
        )

    @_guarded("reading an interview")
    def get_interview(self, interview_id: str) -> Interview | None:
        with self._reading() as session:
            row = session.get(InterviewRow, interview_id)
            return None if row is None else Interview.model_validate(row)

    @_guarded("listing interviews")
    def list_interviews(
        self,
        *,
        owner: str | None = None,
        status: InterviewStatus | None = None,
        limit: int | None = None,
    ) -> list[Interview]:
        """Interviews, newest first, optionally only one owner's and/or in one status, and at
        most ``limit`` of them."""
        query = select(InterviewRow).order_by(
            InterviewRow.created_at.desc(), InterviewRow.id.desc()
        )
        if owner is not None:
            query = query.where(InterviewRow.owner == owner)
        if status is not None:
            query = query.where(InterviewRow.status == InterviewStatus(status).value)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as session:
            return [Interview.model_validate(row) for row in session.scalars(query)]

    @_guarded("finding an interview")
    def interview_by_pseudonym(self, pseudonym: str) -> Interview | None:
        """The interview with this pseudonym, whatever the letter case; None if there is none."""
        query = select(InterviewRow).where(
            func.lower(InterviewRow.pseudonym) == pseudonym.strip().lower()
        )
        with self._reading() as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else Interview.model_validate(row)

    @_guarded("counting turns")
    def turn_counts(self, interview_ids: Sequence[str]) -> dict[str, int]:
        """How many turns each interview has (0 for one with none or that does not exist)."""
        counts = dict.fromkeys(interview_ids, 0)
        if not counts:
            return counts
        query = (
            select(TurnRow.interview_id, func.count())
            .where(TurnRow.interview_id.in_(counts))
            .group_by(TurnRow.interview_id)
        )
        with self._reading() as session:
            counts.update({interview_id: n for interview_id, n in session.execute(query)})
        return counts

    @_guarded("updating an interview")
    def update_interview(self, /, interview_id: str, **changes: Any) -> Interview:
        """Change some of an interview's fields (validated as :class:`Interview` fields).

        Raises ValueError for a name that is not an Interview field, for ``id``, ``pseudonym``,
        ``created_at`` and ``updated_at`` (the store's own), and for an invalid value.
        """
        unknown = sorted(set(changes) - set(Interview.model_fields))
        if unknown:
            raise ValueError(f"Not interview fields: {', '.join(unknown)}.")
        immutable = sorted(set(changes) & IMMUTABLE_INTERVIEW_FIELDS)
        if immutable:
            raise ValueError(f"Interview fields that cannot be changed: {', '.join(immutable)}.")
        with self._writing() as session:
            row = self._interview_row(session, interview_id)
            current = Interview.model_validate(row).model_dump()
            updated = Interview.model_validate({**current, **changes, "updated_at": utc_now()})
            for name in (*changes, "updated_at"):
                setattr(row, name, _plain(getattr(updated, name)))
        return updated

    @_guarded("recording consent")
    def record_consent(
        self, interview_id: str, *, given: bool, version: str, next_phase: Phase | None = None
    ) -> Interview:
        """Record the employee's answer to consent form ``version``, timestamped now (UTC).

        A refusal ends the interview (DECLINED, phase DONE) and keeps nothing beyond the
        refusal: the turns said so far, the session state, and any findings and jobs are
        deleted. Consent given changes nothing else, but for moving the interview to
        ``next_phase`` when given, in the same commit.
        """
        now = utc_now()
        with self._writing() as session:
            row = self._interview_row(session, interview_id)
            row.consent_given = given
            row.consent_at = now
            row.consent_version = version
            row.updated_at = now
            if given and next_phase is not None:
                row.phase = Phase(next_phase).value
            if not given:
                row.status = InterviewStatus.DECLINED.value
                row.phase = Phase.DONE.value
                row.state = {}
                self._delete_content(session, interview_id)
            return Interview.model_validate(row)

    @_guarded("flagging an interview")
    def flag(self, interview_id: str, reason: str) -> Interview:
        """Mark the interview for a person's attention, saying why."""
        with self._writing() as session:
            row = self._interview_row(session, interview_id)
            row.flagged = True
            row.flag_reason = reason
            row.updated_at = utc_now()
            return Interview.model_validate(row)

    # -- turns -------------------------------------------------------------------------------

    @_guarded("saving a turn")
    def add_turn(
        self,
        interview_id: str,
        *,
        speaker: Speaker,
        text: str,
        phase: Phase,
        scripted: bool = False,
        complete: bool = True,
        model: str | None = None,
        prompt: str | None = None,
        state: Mapping[str, Any] | None = None,
        ending: InterviewStatus | None = None,
    ) -> Turn:
        """Append a turn to the interview (index = previous index + 1, from 0), committed.

        ``state``, when given, replaces the interview's session state in the same commit: a
        message and the coverage it leaves behind are saved together or not at all. So does
        ``ending``, the status (phase DONE) of an interview that this turn ends.
        """
        speaker_value = Speaker(speaker).value
        phase_value = Phase(phase).value
        interview_values: dict[str, Any] = {} if state is None else {"state": dict(state)}
        if ending is not None:
            if InterviewStatus(ending) == InterviewStatus.IN_PROGRESS:
                raise ValueError("A turn that ends an interview gives its final status.")
            interview_values |= {"status": InterviewStatus(ending).value, "phase": Phase.DONE.value}
        for attempt in range(1, ADD_TURN_ATTEMPTS + 1):
            try:
                with self._writing() as session:
                    now = utc_now()
                    # Updating the interview first locks its row (PostgreSQL) until the commit:
                    # two writers of one interview cannot read the same last index.
                    touched = cast(
                        CursorResult[Any],
                        session.execute(
                            update(InterviewRow)
                            .where(InterviewRow.id == interview_id)
                            .values(updated_at=now, **interview_values)
                        ),
                    )
                    if touched.rowcount == 0:
                        raise InterviewNotFoundError(interview_id)
                    last = session.scalar(
                        select(func.max(TurnRow.index)).where(TurnRow.interview_id == interview_id)
                    )
                    row = TurnRow(
                        interview_id=interview_id,
                        index=0 if last is None else last + 1,
                        speaker=speaker_value,
                        text=text,
                        phase=phase_value,
                        scripted=scripted,
                        complete=complete,
                        model=model,
                        prompt=prompt,
                        created_at=now,
                    )
                    session.add(row)
            except IntegrityError:
                if attempt == ADD_TURN_ATTEMPTS:
                    raise
                continue
            return Turn.model_validate(row)
        raise AssertionError("unreachable")  # pragma: no cover

    @_guarded("reading turns")
    def turns(self, interview_id: str) -> list[Turn]:
        """The interview's turns in order (empty if it has none or does not exist)."""
        query = select(TurnRow).where(TurnRow.interview_id == interview_id).order_by(TurnRow.index)
        with self._reading() as session:
            return [Turn.model_validate(row) for row in session.scalars(query)]

    @_guarded("correcting a turn")
    def update_turn_text(self, turn_id: int, text: str) -> Turn:
        """Replace a turn's text (an employee correcting or striking part of their summary)."""
        with self._writing() as session:
            row = session.get(TurnRow, turn_id)
            if row is None:
                raise TurnNotFoundError(turn_id)
            row.text = text
            session.execute(
                update(InterviewRow)
                .where(InterviewRow.id == row.interview_id)
                .values(updated_at=utc_now())
            )
            return Turn.model_validate(row)

    # -- findings ----------------------------------------------------------------------------

    @staticmethod
    def _check_interviews(session: Session, interview_ids: set[str]) -> None:
        found = set(
            session.scalars(select(InterviewRow.id).where(InterviewRow.id.in_(interview_ids)))
        )
        for interview_id in sorted(interview_ids - found):
            raise InterviewNotFoundError(interview_id)

    @staticmethod
    def _insert_findings(session: Session, records: Sequence[Finding], now: datetime) -> None:
        for position, record in enumerate(records):
            session.add(FindingRow(**_finding_values(record), created_at=now, position=position))

    @staticmethod
    def _finding_row(session: Session, finding_id: str) -> FindingRow:
        row = session.get(FindingRow, finding_id, with_for_update=True)
        if row is None:
            raise FindingNotFoundError(finding_id)
        return row

    @staticmethod
    def _duplicate_findings(error: IntegrityError) -> StoreError:
        return StoreError(
            f"Could not store the findings: {_reason(error)} (a finding id is already used, or "
            "the interview was erased meanwhile). Nothing was stored.",
            fix="Give every finding a new id (e.g. uuid4().hex), then try again.",
        )

    @staticmethod
    def _unique_ids(findings: Sequence[Finding]) -> None:
        ids = [finding.id for finding in findings]
        if len(set(ids)) != len(ids):
            raise ValueError("Several findings share one id.")

    @_guarded("saving findings")
    def add_findings(self, findings: Sequence[Finding]) -> list[Finding]:
        """Store the findings as given (status and origin included), all in one transaction.

        Their ``updated_at`` becomes now; the provenance's timestamp is kept, in UTC. Raises
        InterviewNotFoundError for a finding of a missing interview, StoreError for an id in use,
        ValueError for one id given twice; nothing is stored then.
        """
        self._unique_ids(findings)
        now = utc_now()
        records = [_stored_finding(finding, now) for finding in findings]
        if not records:
            return []
        try:
            with self._writing() as session:
                self._check_interviews(session, {record.interview_id for record in records})
                self._insert_findings(session, records, now)
        except IntegrityError as error:
            raise self._duplicate_findings(error) from None
        return records

    @_guarded("replacing an interview's findings")
    def replace_model_findings(
        self, interview_id: str, findings: Sequence[Finding]
    ) -> list[Finding]:
        """A new extraction's findings in place of the previous extraction's, in one transaction.

        Deletes the interview's findings that the model proposed and nobody reviewed yet
        (origin MODEL, status PROPOSED) and stores ``findings`` instead: re-running an
        extraction never duplicates findings, and never touches one that a facilitator
        accepted, edited, rejected or added. Every new finding must belong to ``interview_id``
        and be a PROPOSED MODEL finding (ValueError otherwise).
        """
        for finding in findings:
            if finding.interview_id != interview_id:
                raise ValueError(
                    f"Finding {finding.id!r} belongs to interview {finding.interview_id!r}, "
                    f"not {interview_id!r}."
                )
            if finding.origin != FindingOrigin.MODEL or finding.status != FindingStatus.PROPOSED:
                raise ValueError(
                    f"Finding {finding.id!r} is not a proposed model finding "
                    f"(origin {finding.origin.value}, status {finding.status.value})."
                )
        self._unique_ids(findings)
        now = utc_now()
        records = [_stored_finding(finding, now) for finding in findings]
        unreviewed = (
            FindingRow.interview_id == interview_id,
            FindingRow.origin == FindingOrigin.MODEL.value,
            FindingRow.status == FindingStatus.PROPOSED.value,
        )
        try:
            with self._writing() as session:
                self._interview_row(session, interview_id)
                # Unreviewed findings have no audit trail; deleted explicitly all the same.
                session.execute(
                    delete(FindingChangeRow).where(
                        FindingChangeRow.finding_id.in_(select(FindingRow.id).where(*unreviewed))
                    )
                )
                session.execute(delete(FindingRow).where(*unreviewed))
                self._insert_findings(session, records, now)
        except IntegrityError as error:
            raise self._duplicate_findings(error) from None
        return records

    @_guarded("reading findings")
    def findings(
        self, *, interview_id: str | None = None, status: FindingStatus | None = None
    ) -> list[Finding]:
        """Findings, optionally of one interview and/or in one status.

        Grouped by interview, then in the order they were stored (an extraction's order).
        """
        query = select(FindingRow).order_by(
            FindingRow.interview_id, FindingRow.created_at, FindingRow.position, FindingRow.id
        )
        if interview_id is not None:
            query = query.where(FindingRow.interview_id == interview_id)
        if status is not None:
            query = query.where(FindingRow.status == FindingStatus(status).value)
        with self._reading() as session:
            return [Finding.model_validate(row) for row in session.scalars(query)]

    @_guarded("reading a finding")
    def get_finding(self, finding_id: str) -> Finding | None:
        with self._reading() as session:
            row = session.get(FindingRow, finding_id)
            return None if row is None else Finding.model_validate(row)

    @_guarded("reviewing a finding")
    def review_finding(
        self,
        finding_id: str,
        *,
        actor: str,
        action: str,
        changes: dict[str, Any] | None = None,
    ) -> Finding:
        """A facilitator's review: ``accept``, ``reject``, or ``edit`` with ``changes``.

        accept → ACCEPTED, reject → REJECTED (no ``changes`` with either); edit applies
        ``changes`` (fields among :data:`EDITABLE_FINDING_FIELDS`, validated as Finding fields)
        and sets EDITED. When an edit changes the code, the model's code is kept in
        ``proposed_code`` (if not kept already). The change is recorded in the audit trail, with
        the changed fields before and after (as JSON), in the same transaction.

        Raises ValueError for an unknown action, a field that cannot be edited, an edit without
        changes or an invalid value; FindingNotFoundError for a missing finding.
        """
        status = REVIEW_STATUSES.get(action)
        if status is None:
            raise ValueError(
                f"Unknown review action {action!r}: use one of {', '.join(REVIEW_STATUSES)}."
            )
        if not actor.strip():
            raise ValueError("The reviewer (actor) cannot be empty.")
        changes = dict(changes or {})
        if action != "edit" and changes:
            raise ValueError(f"A review {action!r} takes no changes; use 'edit' to change fields.")
        if action == "edit" and not changes:
            raise ValueError("An edit needs the fields to change.")
        unknown = sorted(set(changes) - EDITABLE_FINDING_FIELDS)
        if unknown:
            raise ValueError(
                f"Finding fields that cannot be edited: {', '.join(unknown)} (editable: "
                f"{', '.join(sorted(EDITABLE_FINDING_FIELDS))})."
            )
        with self._writing() as session:
            row = self._finding_row(session, finding_id)
            current = Finding.model_validate(row)
            now = utc_now()
            update_values: dict[str, Any] = {**changes, "status": status, "updated_at": now}
            if (
                "code" in changes
                and changes["code"] != current.code
                and current.proposed_code is None
            ):
                update_values["proposed_code"] = current.code
            updated = Finding.model_validate({**current.model_dump(), **update_values})
            old = current.model_dump(mode="json")
            new = updated.model_dump(mode="json")
            names = [n for n in (*changes, "status", "proposed_code") if old[n] != new[n]]
            names = list(dict.fromkeys(names))
            values = _finding_values(updated)
            for name in (*names, "updated_at"):
                setattr(row, name, values[name])
            session.add(
                FindingChangeRow(
                    finding_id=finding_id,
                    actor=actor,
                    action=action,
                    before={name: old[name] for name in names},
                    after={name: new[name] for name in names},
                    at=now,
                )
            )
        return updated

    @_guarded("adding a facilitator's finding")
    def add_facilitator_finding(self, finding: Finding, *, actor: str) -> Finding:
        """A finding a facilitator wrote: stored ACCEPTED, origin FACILITATOR, with an audit entry.

        Raises InterviewNotFoundError for a missing interview, StoreError for an id in use.
        """
        if not actor.strip():
            raise ValueError("The facilitator (actor) cannot be empty.")
        now = utc_now()
        record = _stored_finding(finding, now).model_copy(
            update={"origin": FindingOrigin.FACILITATOR, "status": FindingStatus.ACCEPTED}
        )
        try:
            with self._writing() as session:
                self._interview_row(session, record.interview_id)
                self._insert_findings(session, [record], now)
                session.flush()
                session.add(
                    FindingChangeRow(
                        finding_id=record.id,
                        actor=actor,
                        action="add",
                        before=None,
                        after=record.model_dump(mode="json"),
                        at=now,
                    )
                )
        except IntegrityError as error:
            raise self._duplicate_findings(error) from None
        return record

    @_guarded("reading the findings' audit trail")
    def finding_changes(self, finding_id: str | None = None) -> list[FindingChange]:
        """Facilitators' actions on findings (or on one finding), oldest first."""
        query = select(FindingChangeRow).order_by(FindingChangeRow.id)
        if finding_id is not None:
            query = query.where(FindingChangeRow.finding_id == finding_id)
        with self._reading() as session:
            return [FindingChange.model_validate(row) for row in session.scalars(query)]

    # -- jobs --------------------------------------------------------------------------------

    @_guarded("queueing a job")
    def enqueue_job(self, kind: str, interview_id: str) -> Job:
        """Queue a ``kind`` job for the interview, once: enqueueing is idempotent.

        An existing job for (kind, interview) that is queued, running or done is returned
        unchanged; a failed one is queued again (its attempts and creation time kept, its error
        cleared). Raises InterviewNotFoundError for a missing interview.
        """
        if not kind.strip():
            raise ValueError("A job kind cannot be empty.")
        for attempt in (1, 2):
            try:
                with self._writing() as session:
                    self._interview_row(session, interview_id)
                    row = session.scalar(
                        select(JobRow)
                        .where(JobRow.kind == kind, JobRow.interview_id == interview_id)
                        .with_for_update()
                    )
                    now = utc_now()
                    if row is None:
                        row = JobRow(
                            id=uuid.uuid4().hex,
                            kind=kind,
                            interview_id=interview_id,
                            status=JobStatus.QUEUED.value,
                            attempts=0,
                            error=None,
                            result={},
                            input_digest=None,
                            created_at=now,
                            updated_at=now,
                        )
                        session.add(row)
                    elif row.status == JobStatus.FAILED.value:
                        row.status = JobStatus.QUEUED.value
                        row.error = None
                        row.updated_at = now
                    return Job.model_validate(row)
            except IntegrityError:
                # Another writer queued it first (PostgreSQL): return that one.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @_guarded("claiming a job")
    def claim_next_job(self, kind: str) -> Job | None:
        """Take the oldest queued ``kind`` job: RUNNING, one more attempt. None if none is queued.

        Safe with several workers: the job is taken by a conditional update (only while it is
        still queued), so exactly one worker gets it; the others look for the next one.
        """
        for _ in range(CLAIM_ATTEMPTS):
            with self._writing() as session:
                job_id = session.scalar(
                    select(JobRow.id)
                    .where(JobRow.kind == kind, JobRow.status == JobStatus.QUEUED.value)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(1)
                )
                if job_id is None:
                    return None
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(JobRow)
                        .where(JobRow.id == job_id, JobRow.status == JobStatus.QUEUED.value)
                        .values(
                            status=JobStatus.RUNNING.value,
                            attempts=JobRow.attempts + 1,
                            updated_at=utc_now(),
                        )
                        .execution_options(synchronize_session=False)
                    ),
                )
                if taken.rowcount == 1:
                    row = session.get(JobRow, job_id, populate_existing=True)
                    return None if row is None else Job.model_validate(row)
        return None

    def _settle_job(self, job_id: str, **values: Any) -> Job:
        with self._writing() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                raise JobNotFoundError(job_id)
            for name, value in {**values, "updated_at": utc_now()}.items():
                setattr(row, name, value)
            return Job.model_validate(row)

    @_guarded("finishing a job")
    def finish_job(
        self, job_id: str, *, result: dict[str, Any], input_digest: str | None = None
    ) -> Job:
        """The job is DONE, with its result (JSON) and the digest of the input it read.

        Raises JobNotFoundError if it was erased.
        """
        return self._settle_job(
            job_id,
            status=JobStatus.DONE.value,
            result=dict(result),
            error=None,
            input_digest=input_digest,
        )

    @_guarded("queueing a job again")
    def requeue_job(self, job_id: str) -> Job:
        """Queue a DONE or FAILED job again (its input changed, or on purpose), error cleared.

        Its attempts, result and input digest are kept until it next ends. A queued or running
        job is returned unchanged (a running one belongs to a worker). Raises JobNotFoundError.
        """
        with self._writing() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                raise JobNotFoundError(job_id)
            if row.status in (JobStatus.DONE.value, JobStatus.FAILED.value):
                row.status = JobStatus.QUEUED.value
                row.error = None
                row.updated_at = utc_now()
            return Job.model_validate(row)

    @_guarded("recording a job's failure")
    def fail_job(self, job_id: str, *, error: str) -> Job:
        """The job FAILED, for ``error`` (a reason a person can read, never a traceback)."""
        if not error.strip():
            raise ValueError("A failed job needs the reason it failed.")
        return self._settle_job(job_id, status=JobStatus.FAILED.value, error=error)

    @_guarded("listing jobs")
    def jobs(self, *, kind: str | None = None, status: JobStatus | None = None) -> list[Job]:
        """Jobs, oldest first, optionally of one kind and/or in one status."""
        query = select(JobRow).order_by(JobRow.created_at, JobRow.id)
        if kind is not None:
            query = query.where(JobRow.kind == kind)
        if status is not None:
            query = query.where(JobRow.status == JobStatus(status).value)
        with self._reading() as session:
            return [Job.model_validate(row) for row in session.scalars(query)]

    @_guarded("requeueing stale jobs")
    def requeue_stale_jobs(self, kind: str, older_than_seconds: float) -> int:
        """Queue again the RUNNING ``kind`` jobs untouched for longer than that (a dead worker).

        Returns how many were queued again; their attempts are kept.
        """
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds cannot be negative.")
        now = utc_now()
        cutoff = now - timedelta(seconds=older_than_seconds)
        with self._writing() as session:
            requeued = cast(
                CursorResult[Any],
                session.execute(
                    update(JobRow)
                    .where(
                        JobRow.kind == kind,
                        JobRow.status == JobStatus.RUNNING.value,
                        JobRow.updated_at < cutoff,
                    )
                    .values(status=JobStatus.QUEUED.value, updated_at=now)
                    .execution_options(synchronize_session=False)
                ),
            )
            return requeued.rowcount

    # -- identities (administrators only: callers enforce it) --------------------------------

    @_guarded("linking a pseudonym to a person")
    def link_identity(self, pseudonym: str, person: str) -> None:
        """Record who ``pseudonym`` is. Linking it again to the same person changes nothing.

        Raises StoreError if the pseudonym is already linked to someone else.
        """
        if not person.strip():
            raise ValueError("The person linked to a pseudonym cannot be empty.")
        taken = StoreError(
            f"The pseudonym {pseudonym!r} is already linked to another person.",
            fix="Check the pseudonym: each one stands for exactly one person.",
        )
        try:
            with self._writing() as session:
                existing = session.get(IdentityRow, pseudonym)
                if existing is not None:
                    if existing.person != person:
                        raise taken
                    return
                session.add(IdentityRow(pseudonym=pseudonym, person=person, created_at=utc_now()))
        except IntegrityError:
            # Another writer linked it first (PostgreSQL): same person or not?
            if self.identity_of(pseudonym) != person:
                raise taken from None

    @_guarded("reading who a pseudonym is")
    def identity_of(self, pseudonym: str) -> str | None:
        """The person behind ``pseudonym``, or None if it is not linked."""
        with self._reading() as session:
            row = session.get(IdentityRow, pseudonym)
            return None if row is None else row.person

    # -- users -------------------------------------------------------------------------------

    @_guarded("adding a user")
    def add_user(
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
            name=name, role=UserRole(role), display_name=display_name, created_at=utc_now()
        )
        try:
            with self._writing() as session:
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

    @_guarded("reading a user")
    def get_user(self, name: str) -> User | None:
        with self._reading() as session:
            row = session.get(UserRow, name)
            return None if row is None else User.model_validate(row)

    @_guarded("reading a password hash")
    def password_hash_of(self, name: str) -> str | None:
        """The user's password hash; None if there is no such user or no password."""
        with self._reading() as session:
            row = session.get(UserRow, name)
            return None if row is None else row.password_hash

    @_guarded("listing users")
    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._reading() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [User.model_validate(row) for row in rows]

    # -- erasure -----------------------------------------------------------------------------

    @_guarded("erasing an interview")
    def erase_interview(self, interview_id: str) -> None:
        """Delete the interview, its turns, findings (with their audit trail) and jobs, and its
        pseudonym's identity link, in one commit.

        On SQLite, deleted content is overwritten in the file (``secure_delete``) and the
        write-ahead log is then emptied when no reader holds it, so no copy of the transcript
        stays behind in the log either.
        """
        with self._writing() as session:
            row = self._interview_row(session, interview_id)
            self._delete_content(session, interview_id)
            session.execute(delete(IdentityRow).where(IdentityRow.pseudonym == row.pseudonym))
            session.delete(row)
        if is_sqlite(self._url) and not is_sqlite_memory(self._url):
            self._truncate_wal()

    def _truncate_wal(self) -> None:
        """Checkpoint and empty the write-ahead log (best effort: readers may keep it)."""
        with suppress(SQLAlchemyError, OSError):
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.close()
            finally:
                raw.close()
