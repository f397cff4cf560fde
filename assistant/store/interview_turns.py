"""The turns of an interview: appending one (what every message does, so its statements are
Core ones built once), reading them, correcting one, counting them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from assistant.schemas import GuardRule, InterviewStatus, Phase, Speaker, Turn
from assistant.store.database import Repository, guarded
from assistant.store.errors import (
    InterviewChangedError,
    InterviewNotFoundError,
    TurnNotFoundError,
)
from assistant.store.models import InterviewRow, TurnRow
from assistant.store.queueing import queue_extraction_on_end
from assistant.store.rows import joining, record_columns, table_of

# Writers are serialised (BEGIN IMMEDIATE on SQLite, the interview's row lock on PostgreSQL),
# so the next turn index cannot race; the retry is a second line of defence.
ADD_TURN_ATTEMPTS = 2

INTERVIEWS = table_of(InterviewRow)
_TURNS = table_of(TurnRow)
# Statements built once (each compiled once per engine, then taken from its cache).
# The interview's row: what the execution's parameters name is set (``updated_at``, and
# ``state``, ``status`` and ``phase`` when given).
TOUCH_INTERVIEW = update(INTERVIEWS).where(INTERVIEWS.c.id == bindparam("touched"))
# The same, only if nothing was written to the interview since ``unchanged_since`` and it is
# still in progress: a writer that knows the interview as of then need not read it first.
_TOUCH_IF_UNCHANGED = TOUCH_INTERVIEW.where(
    INTERVIEWS.c.updated_at == bindparam("unchanged_since", type_=INTERVIEWS.c.updated_at.type),
    INTERVIEWS.c.status == InterviewStatus.IN_PROGRESS.value,
)
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
_TURNS_OF = (
    select(*record_columns(_TURNS, Turn))
    .where(_TURNS.c.interview_id == bindparam("wanted"))
    .order_by(_TURNS.c.index)
)


class InterviewTurns(Repository):
    """The turns half of ``store.interviews``."""

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
        unchanged_since: datetime | None = None,
    ) -> Turn:
        """Append a turn to the interview (index = previous index + 1, from 0), committed;
        returns it as stored.

        ``unchanged_since``: the interview's ``updated_at`` as the caller last read or wrote
        it. The turn is then appended only if nothing was written to the interview since and
        it is still in progress; else nothing is, and :class:`InterviewChangedError` says so.

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
                    if unchanged_since is None:
                        touched = connection.execute(
                            TOUCH_INTERVIEW, {**interview_values, "updated_at": now}
                        )
                    else:
                        touched = connection.execute(
                            _TOUCH_IF_UNCHANGED,
                            {
                                **interview_values,
                                "updated_at": now,
                                "unchanged_since": unchanged_since,
                            },
                        )
                    if touched.rowcount == 0:
                        if unchanged_since is not None:
                            raise InterviewChangedError(interview_id)
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
