"""Interviews and their turns: creating, importing, reading, changing (erasing: its own
module, :mod:`.interview_erasure`, of which this repository is made).

Every interview belongs to a campaign: the one it names, or the default one
(:mod:`.campaigns`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    GuardRule,
    Interview,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Profile,
    Speaker,
    Turn,
)
from assistant.store.campaigns import check_campaign
from assistant.store.database import guarded
from assistant.store.errors import (
    DuplicateTranscriptError,
    InterviewNotFoundError,
    StoreError,
    TurnNotFoundError,
)
from assistant.store.interview_erasure import (
    ERASED_TABLES,
    InterviewErasure,
    delete_content,
    interview_row,
)
from assistant.store.models import (
    InterviewRow,
    TurnRow,
)
from assistant.store.pseudonyms import new_pseudonym
from assistant.store.queueing import queue_extraction_on_end
from assistant.store.rows import joining, record_columns, table_of

PSEUDONYM_ATTEMPTS = 20
# Writers are serialised (BEGIN IMMEDIATE on SQLite, the interview's row lock on PostgreSQL),
# so the next turn index cannot race; the retry is a second line of defence.
ADD_TURN_ATTEMPTS = 2

# A message's statements, built once (each compiled once per engine, then taken from its
# cache). The interview's row: what the execution's parameters name is set (``updated_at``,
# and ``state``, ``status`` and ``phase`` when given).
_INTERVIEWS = table_of(InterviewRow)
_TURNS = table_of(TurnRow)
_INTERVIEW_COLUMNS = record_columns(_INTERVIEWS, Interview)
_READ = select(*_INTERVIEW_COLUMNS).where(_INTERVIEWS.c.id == bindparam("wanted"))
_TURNS_OF = (
    select(*record_columns(_TURNS, Turn))
    .where(_TURNS.c.interview_id == bindparam("wanted"))
    .order_by(_TURNS.c.index)
)
_ID_TAKEN = select(_INTERVIEWS.c.id).where(_INTERVIEWS.c.id == bindparam("wanted"))
_PSEUDONYM_TAKEN = (
    select(_INTERVIEWS.c.id).where(_INTERVIEWS.c.pseudonym == bindparam("wanted")).limit(1)
)
_ADD = insert(_INTERVIEWS)
_TOUCH = update(_INTERVIEWS).where(_INTERVIEWS.c.id == bindparam("touched"))
_CHANGE = _TOUCH.returning(*_INTERVIEW_COLUMNS)
# The turn at the next index, read and written by one statement; RETURNING needs SQLite 3.35
# (which chromadb requires too) or PostgreSQL.
_APPEND = (
    insert(_TURNS)
    .values(
        interview_id=bindparam("of_interview"),
        index=select(func.coalesce(func.max(_TURNS.c.index) + 1, 0))
        .where(_TURNS.c.interview_id == bindparam("of_interview"))
        .scalar_subquery(),
    )
    .returning(_TURNS.c.id, _TURNS.c.index, _TURNS.c.text)
)


def _plain(value: Any) -> Any:
    """Enum members as their stored string values."""
    return value.value if isinstance(value, Enum) else value


def _changed(connection: Connection, interview_id: str, values: Mapping[str, Any]) -> Interview:
    """Set ``values`` (stored values: no enum members) on the interview's row; the interview
    as it is then. InterviewNotFoundError if there is none."""
    row = connection.execute(_CHANGE, {**values, "touched": interview_id}).one_or_none()
    if row is None:
        raise InterviewNotFoundError(interview_id)
    return Interview.model_validate(row._asdict())


class InterviewRepository(InterviewErasure):
    """Interviews and turns (``store.interviews``)."""

    # -- creating ----------------------------------------------------------------------------

    def _insert(
        self,
        record_with: Callable[[str], Interview],
        *,
        pseudonym: str | None = None,
        fill: Callable[[Session, Interview], None] | None = None,
    ) -> Interview:
        """Store the interview ``record_with(pseudonym)`` (and what ``fill`` adds, in the same
        commit) under ``pseudonym``, or under a freshly drawn one that no interview uses: the
        one pseudonym allocator of creating and importing."""
        for _ in range(PSEUDONYM_ATTEMPTS):
            record = record_with(pseudonym if pseudonym is not None else new_pseudonym())
            try:
                with self._db.writing_rows() as connection:
                    if connection.scalar(_ID_TAKEN, {"wanted": record.id}) is not None:
                        raise StoreError(
                            f"An interview with the id {record.id} already exists.",
                            fix="Leave the id out to have a new one drawn.",
                        )
                    if (
                        pseudonym is None
                        and connection.scalar(_PSEUDONYM_TAKEN, {"wanted": record.pseudonym})
                        is not None
                    ):
                        continue  # drawn already: draw again
                    check_campaign(connection, record.campaign_id, record.created_at)
                    connection.execute(_ADD, {k: _plain(v) for k, v in record.model_dump().items()})
                    if fill is not None:
                        with joining(connection) as session:
                            fill(session, record)
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
    def _imported_with_digest(session: Session, content_digest: str) -> InterviewRow | None:
        """The first interview imported from a transcript with this digest of its turns."""
        return session.scalar(
            select(InterviewRow)
            .where(InterviewRow.content_digest == content_digest)
            .order_by(InterviewRow.created_at, InterviewRow.id)
            .limit(1)
        )

    @guarded("creating an interview")
    def create(
        self,
        *,
        language: str,
        owner_key: str | None = None,
        pseudonym: str | None = None,
        prompt_versions: Mapping[str, str] | None = None,
        prompt_digests: Mapping[str, str] | None = None,
        source: str = "terrain",
        interview_id: str | None = None,
        profile: Profile | None = None,
        campaign_id: str = DEFAULT_CAMPAIGN_ID,
    ) -> Interview:
        """A new interview, in progress at the consent phase; a pseudonym is drawn if not given.

        ``interview_id`` (32 lowercase hex digits) lets an adapter choose the id, as the web app
        does so that its conversation and the interview share one id; a new one otherwise.
        ``profile``: the employee's job, site and team now, kept by the interview for good.
        ``campaign_id``: the campaign it belongs to (CampaignNotFoundError if there is none).
        """
        if interview_id is not None and not re.fullmatch(r"[0-9a-f]{32}", interview_id):
            raise ValueError("An interview id is 32 lowercase hexadecimal digits.")
        now = self._db.now()
        chosen_id = interview_id or uuid.uuid4().hex
        return self._insert(
            lambda drawn: Interview(
                id=chosen_id,
                pseudonym=drawn,
                owner_key=owner_key,
                language=language,
                prompt_versions=dict(prompt_versions or {}),
                prompt_digests=dict(prompt_digests or {}),
                source=source,
                created_at=now,
                updated_at=now,
                **(profile or Profile()).model_dump(),
                campaign_id=campaign_id,
            ),
            pseudonym=pseudonym,
        )

    @guarded("importing an interview")
    def import_transcript(
        self,
        *,
        language: str,
        source: str,
        turns: Sequence[tuple[Speaker, str]],
        phase: Phase = Phase.EPISODE,
        consent_version: str = "imported",
        owner_key: str | None = None,
        content_digest: str | None = None,
        allow_duplicate: bool = False,
        profile: Profile | None = None,
        campaign_id: str = DEFAULT_CAMPAIGN_ID,
    ) -> Interview:
        """An interview held elsewhere (a transcript), stored whole in one transaction.

        ``content_digest`` (the transcript's digest of who said what) is stored with it; when
        an interview with the same digest exists already, :class:`DuplicateTranscriptError`
        names it and nothing is stored, unless ``allow_duplicate``. The check and the insert are
        one transaction, so two imports of one file at once still make one interview.

        It is CLOSED at phase DONE (its extraction queued in the same commit), with consent
        recorded as given under ``consent_version`` (the people who held it collected it), a
        fresh pseudonym, and ``turns`` in order
        (index 0, 1, …), all at ``phase``: the guide's phases are unknown for a transcript, and
        EPISODE, the account of real work, is the phase every reader of the content keeps.
        Either everything is stored or nothing is. Raises ValueError without turns or for an
        empty one.
        """
        if not turns:
            raise ValueError("An imported interview needs at least one turn.")
        for position, (_, text) in enumerate(turns, start=1):
            if not text.strip():
                raise ValueError(f"Turn {position} of the imported interview is empty.")
        phase_value = Phase(phase).value
        now = self._db.now()
        interview_id = uuid.uuid4().hex

        def add_turns(session: Session, record: Interview) -> None:
            if content_digest is not None:
                if not allow_duplicate:
                    existing = self._imported_with_digest(session, content_digest)
                    if existing is not None:
                        raise DuplicateTranscriptError(
                            existing.id, existing.source, existing.created_at
                        )
                interview_row(session, record.id).content_digest = content_digest
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
            # An imported transcript has ended: its extraction waits for the worker.
            queue_extraction_on_end(session, record.id, now)

        return self._insert(
            lambda drawn: Interview(
                id=interview_id,
                pseudonym=drawn,
                owner_key=owner_key,
                language=language,
                status=InterviewStatus.CLOSED,
                phase=Phase.DONE,
                consent_given=True,
                consent_at=now,
                consent_version=consent_version,
                source=source,
                created_at=now,
                updated_at=now,
                **(profile or Profile()).model_dump(),
                campaign_id=campaign_id,
            ),
            fill=add_turns,
        )

    # -- reading -----------------------------------------------------------------------------

    @guarded("reading an interview")
    def get(self, interview_id: str) -> Interview | None:
        with self._db.reading_rows() as connection:
            row = connection.execute(_READ, {"wanted": interview_id}).one_or_none()
        return None if row is None else Interview.model_validate(row._asdict())

    @guarded("listing interviews")
    def where(
        self,
        *,
        owner_key: str | None = None,
        status: InterviewStatus | None = None,
        limit: int | None = None,
        campaign_id: str | None = None,
    ) -> list[Interview]:
        """Interviews, newest first, optionally only those of one owner key, in one status
        and/or of one campaign, and at most ``limit`` of them."""
        query = select(InterviewRow).order_by(
            InterviewRow.created_at.desc(), InterviewRow.id.desc()
        )
        if owner_key is not None:
            query = query.where(InterviewRow.owner_key == owner_key)
        if status is not None:
            query = query.where(InterviewRow.status == InterviewStatus(status).value)
        if campaign_id is not None:
            query = query.where(InterviewRow.campaign_id == campaign_id)
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading() as session:
            return [Interview.model_validate(row) for row in session.scalars(query)]

    @guarded("finding an interview")
    def by_pseudonym(self, pseudonym: str) -> Interview | None:
        """The interview with this pseudonym, whatever the letter case; None if there is none."""
        query = select(InterviewRow).where(
            func.lower(InterviewRow.pseudonym) == pseudonym.strip().lower()
        )
        with self._db.reading() as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else Interview.model_validate(row)

    @guarded("counting turns")
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
        with self._db.reading() as session:
            counts.update({interview_id: n for interview_id, n in session.execute(query)})
        return counts

    @guarded("reading turns")
    def turns(self, interview_id: str) -> list[Turn]:
        """The interview's turns in order (empty if it has none or does not exist)."""
        with self._db.reading_rows() as connection:
            rows = connection.execute(_TURNS_OF, {"wanted": interview_id}).all()
        return [Turn.model_validate(row._asdict()) for row in rows]

    @guarded("counting the output guard's replacements")
    def guard_counts(self) -> dict[GuardRule, int]:
        """How many interviewer messages each rule of the output guard replaced, in every
        interview still stored (rules that never fired are left out)."""
        query = (
            select(TurnRow.guard_rule, func.count())
            .where(TurnRow.guard_rule.is_not(None))
            .group_by(TurnRow.guard_rule)
        )
        with self._db.reading() as session:
            return {GuardRule(str(rule)): count for rule, count in session.execute(query)}

    # -- changing ----------------------------------------------------------------------------

    @guarded("updating an interview")
    def update(self, interview_id: str, changes: InterviewUpdate) -> Interview:
        """Apply the fields ``changes`` gives; the others stay as they are."""
        given = {
            name: _plain(value) for name, value in changes.model_dump(exclude_none=True).items()
        }
        with self._db.writing_rows() as connection:
            return _changed(connection, interview_id, {**given, "updated_at": self._db.now()})

    @guarded("recording consent")
    def record_consent(
        self, interview_id: str, *, given: bool, version: str, next_phase: Phase | None = None
    ) -> Interview:
        """Record the employee's answer to consent form ``version``, timestamped now (UTC).

        A refusal ends the interview (DECLINED, phase DONE) and keeps nothing beyond the
        refusal: the turns said so far, the session state, and any findings and jobs are
        deleted. Consent given changes nothing else, but for moving the interview to
        ``next_phase`` when given, in the same commit.
        """
        now = self._db.now()
        values: dict[str, Any] = {
            "consent_given": given,
            "consent_at": now,
            "consent_version": version,
            "updated_at": now,
        }
        if given and next_phase is not None:
            values["phase"] = Phase(next_phase).value
        if not given:
            values |= {
                "status": InterviewStatus.DECLINED.value,
                "phase": Phase.DONE.value,
                "state": {},
            }
        with self._db.writing_rows() as connection:
            recorded = _changed(connection, interview_id, values)
            if not given:
                with joining(connection) as session:
                    delete_content(session, interview_id, self._db.now())
        if not given:
            self._db.leave_no_copy(ERASED_TABLES)
        return recorded

    @guarded("flagging an interview")
    def flag(self, interview_id: str, reason: str) -> Interview:
        """Mark the interview for a person's attention, saying why."""
        values = {"flagged": True, "flag_reason": reason, "updated_at": self._db.now()}
        with self._db.writing_rows() as connection:
            return _changed(connection, interview_id, values)

    @guarded("saving a turn")
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
        guard_rule: GuardRule | None = None,
        state: Mapping[str, Any] | None = None,
        ending: InterviewStatus | None = None,
    ) -> Turn:
        """Append a turn to the interview (index = previous index + 1, from 0), committed;
        returns it as stored.

        ``state``, when given, replaces the interview's session state in the same commit: a
        message and the coverage it leaves behind are saved together or not at all. So does
        ``ending``, the status (phase DONE) of an interview that this turn ends, with the
        queueing of its extraction when the employee said something beyond consent.
        """
        turn_values: dict[str, Any] = {
            "of_interview": interview_id,
            "speaker": Speaker(speaker).value,
            "text": text,
            "phase": Phase(phase).value,
            "scripted": scripted,
            "complete": complete,
            "model": model,
            "prompt": prompt,
            "guard_rule": None if guard_rule is None else GuardRule(guard_rule).value,
        }
        interview_values: dict[str, Any] = {"touched": interview_id}
        if state is not None:
            interview_values["state"] = dict(state)
        if ending is not None:
            if InterviewStatus(ending) == InterviewStatus.IN_PROGRESS:
                raise ValueError("A turn that ends an interview gives its final status.")
            interview_values |= {"status": InterviewStatus(ending).value, "phase": Phase.DONE.value}
        for attempt in range(1, ADD_TURN_ATTEMPTS + 1):
            try:
                with self._db.writing_rows() as connection:
                    now = self._db.now()
                    # Updating the interview first locks its row (PostgreSQL) until the commit:
                    # two writers of one interview cannot read the same last index.
                    touched = connection.execute(_TOUCH, {**interview_values, "updated_at": now})
                    if touched.rowcount == 0:
                        raise InterviewNotFoundError(interview_id)
                    stored = connection.execute(_APPEND, {**turn_values, "created_at": now}).one()
                    if ending is not None and ending != InterviewStatus.DECLINED:
                        with joining(connection) as session:
                            queue_extraction_on_end(session, interview_id, now)
            except IntegrityError:
                if attempt == ADD_TURN_ATTEMPTS:
                    raise
                continue
            return Turn(
                id=stored.id,
                interview_id=interview_id,
                index=stored.index,
                speaker=turn_values["speaker"],
                text=stored.text,
                phase=turn_values["phase"],
                scripted=scripted,
                complete=complete,
                model=model,
                prompt=prompt,
                guard_rule=turn_values["guard_rule"],
                created_at=now,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    @guarded("correcting a turn")
    def revise_turn(
        self, turn_id: int, text: str, *, state: Mapping[str, Any] | None = None
    ) -> Turn:
        """Replace a turn's text (an employee striking part of their summary) and, when given,
        the interview's session state, in one commit."""
        with self._db.writing() as session:
            row = session.get(TurnRow, turn_id)
            if row is None:
                raise TurnNotFoundError(turn_id)
            row.text = text
            values: dict[str, Any] = {"updated_at": self._db.now()}
            if state is not None:
                values["state"] = dict(state)
            session.execute(
                update(InterviewRow).where(InterviewRow.id == row.interview_id).values(**values)
            )
            revised = Turn.model_validate(row)
        # The words struck out must not stay behind in the database's files either.
        self._db.leave_no_copy((TurnRow.__tablename__, InterviewRow.__tablename__))
        return revised
