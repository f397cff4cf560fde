"""Interviews: creating, importing, reading, changing (their turns and erasing them: modules of
their own, :mod:`.interview_turns` and :mod:`.interview_erasure`, of which this repository is
made).

Every interview belongs to a campaign: the one it names, or the default one
(:mod:`.campaigns`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    Interview,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Profile,
    Speaker,
)
from assistant.store.campaigns import check_campaign
from assistant.store.database import guarded
from assistant.store.errors import (
    DuplicateTranscriptError,
    InterviewNotFoundError,
    StoreError,
)
from assistant.store.interview_erasure import (
    ERASED_TABLES,
    InterviewErasure,
    delete_content,
    interview_row,
)
from assistant.store.interview_turns import INTERVIEWS, TOUCH_INTERVIEW, InterviewTurns
from assistant.store.models import (
    InterviewRow,
    TurnRow,
)
from assistant.store.pseudonyms import new_pseudonym
from assistant.store.queueing import queue_extraction_on_end
from assistant.store.rows import joining, record_columns

PSEUDONYM_ATTEMPTS = 20

# Statements built once (each compiled once per engine, then taken from its cache).
_INTERVIEW_COLUMNS = record_columns(INTERVIEWS, Interview)
_READ = select(*_INTERVIEW_COLUMNS).where(INTERVIEWS.c.id == bindparam("wanted"))
_ID_TAKEN = select(INTERVIEWS.c.id).where(INTERVIEWS.c.id == bindparam("wanted"))
_PSEUDONYM_TAKEN = (
    select(INTERVIEWS.c.id).where(INTERVIEWS.c.pseudonym == bindparam("wanted")).limit(1)
)
_ADD = insert(INTERVIEWS)
_CHANGE = TOUCH_INTERVIEW.returning(*_INTERVIEW_COLUMNS)


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


class InterviewRepository(InterviewTurns, InterviewErasure):
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
        query = select(*_INTERVIEW_COLUMNS).order_by(
            INTERVIEWS.c.created_at.desc(), INTERVIEWS.c.id.desc()
        )
        if owner_key is not None:
            query = query.where(INTERVIEWS.c.owner_key == owner_key)
        if status is not None:
            query = query.where(INTERVIEWS.c.status == InterviewStatus(status).value)
        if campaign_id is not None:
            query = query.where(INTERVIEWS.c.campaign_id == campaign_id)
        if limit is not None:
            query = query.limit(limit)
        with self._db.reading_rows() as connection:
            rows = connection.execute(query).all()
        return [Interview.model_validate(row._asdict()) for row in rows]

    @guarded("finding an interview")
    def by_pseudonym(self, pseudonym: str) -> Interview | None:
        """The interview with this pseudonym, whatever the letter case; None if there is none."""
        query = select(InterviewRow).where(
            func.lower(InterviewRow.pseudonym) == pseudonym.strip().lower()
        )
        with self._db.reading() as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else Interview.model_validate(row)

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
