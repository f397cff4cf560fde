"""The interview's record, written for one session: every call one transaction of the store,
run off the event loop.

Each employee turn is committed before anything else happens (before the model is called).
The turns the prompt is built from are kept between turns instead of read again each time: the
interview's ``updated_at``, which every write of the store moves, tells when another window (or
process) has written since, and each turn this session adds comes back with its index, which
tells whether one was added in between. Either way the turns are read again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.schemas import (
    GuardRule,
    Interview,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Profile,
    Speaker,
    Turn,
)
from assistant.store import InterviewNotFoundError, Store


class TranscriptWriter:
    """One interview's record in ``store``, as one session reads and writes it."""

    def __init__(self, store: Store, interview_id: str) -> None:
        self.store = store
        self.interview_id = interview_id
        self._turns: list[Turn] | None = None  # as of ``_known``; None: read them again
        self._known: datetime | None = None  # the interview's updated_at the turns match
        self._seen: datetime | None = None  # its updated_at at the latest read

    @classmethod
    async def create(
        cls,
        store: Store,
        *,
        language: str,
        owner_key: str | None,
        prompt_versions: dict[str, str],
        prompt_digests: dict[str, str],
        interview_id: str | None,
        profile: Profile | None,
        campaign_id: str,
    ) -> tuple[TranscriptWriter, Interview]:
        interview = await store.run_write(
            store.interviews.create,
            language=language,
            owner_key=owner_key,
            prompt_versions=prompt_versions,
            prompt_digests=prompt_digests,
            interview_id=interview_id,
            profile=profile,
            campaign_id=campaign_id,
        )
        writer = cls(store, interview.id)
        writer._turns, writer._known = [], interview.updated_at  # a new interview has none
        return writer, interview

    # -- reading -----------------------------------------------------------------------------

    async def interview(self) -> Interview:
        """The interview as stored; InterviewNotFoundError if it was erased (or never was)."""
        interview = await self.store.run_read(self.store.interviews.get, self.interview_id)
        if interview is None:
            raise InterviewNotFoundError(self.interview_id)
        self._seen = interview.updated_at
        if interview.updated_at != self._known:
            self._turns = None  # written elsewhere since
        return interview

    async def turns(self) -> list[Turn]:
        """The turns as of the latest :meth:`interview` read (or this session's writes)."""
        if self._turns is None:
            known = self._seen
            self._turns = await self.fresh_turns()
            self._known = known
        return list(self._turns)

    async def fresh_turns(self) -> list[Turn]:
        """The turns as stored now."""
        return await self.store.run_read(self.store.interviews.turns, self.interview_id)

    # -- writing -----------------------------------------------------------------------------

    async def add_turn(
        self,
        *,
        speaker: Speaker,
        text: str,
        phase: Phase,
        scripted: bool = False,
        complete: bool = True,
        prompt: str | None = None,
        model: str | None = None,
        state: dict[str, Any] | None = None,
        ending: InterviewStatus | None = None,
        guard_rule: GuardRule | None = None,
        unchanged_since: datetime | None = None,
    ) -> Turn:
        """Append a turn, with the state it leaves and the interview's end when it is the last,
        in one commit; with ``unchanged_since``, only if nothing was written to the interview
        since (else InterviewChangedError, and nothing is)."""
        turn = await self.store.run_write(
            self.store.interviews.add_turn,
            self.interview_id,
            speaker=speaker,
            text=text,
            phase=phase,
            scripted=scripted,
            complete=complete,
            prompt=prompt,
            model=model,
            state=state,
            ending=ending,
            guard_rule=guard_rule,
            unchanged_since=unchanged_since,
        )
        if self._turns is not None and turn.index == len(self._turns):
            self._turns.append(turn)
            self._known = turn.created_at  # the interview's updated_at, set in the same commit
        else:
            self._turns = None  # another turn came in between: read them again
        return turn

    async def record_consent(
        self, *, given: bool, version: str, next_phase: Phase | None = None
    ) -> Interview:
        interview = await self.store.run_write(
            self.store.interviews.record_consent,
            self.interview_id,
            given=given,
            version=version,
            next_phase=next_phase,
        )
        if given:
            self._written(interview)
        else:
            self._turns = None  # a refusal deletes what was said
        return interview

    async def update(self, changes: InterviewUpdate) -> Interview:
        interview = await self.store.run_write(
            self.store.interviews.update, self.interview_id, changes
        )
        self._written(interview)
        return interview

    async def flag(self, reason: str) -> Interview:
        interview = await self.store.run_write(
            self.store.interviews.flag, self.interview_id, reason
        )
        self._written(interview)
        return interview

    async def revise_turn(self, turn_id: int, text: str, *, state: dict[str, Any]) -> Turn:
        turn = await self.store.run_write(
            self.store.interviews.revise_turn, turn_id, text, state=state
        )
        self._turns = None  # its commit's time is not returned: read them again when needed
        return turn

    def _written(self, interview: Interview) -> None:
        """This session changed the interview but not its turns."""
        if self._turns is not None:
            self._known = interview.updated_at
