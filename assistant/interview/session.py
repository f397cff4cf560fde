"""The interview session: one employee, one turn at a time, nothing lost.

Every employee message is committed before anything else happens, in particular before the
model is called. Deterministic checks run first (consent, distress, stop, off-mission requests);
the model only writes the interviewer's next question, and when it cannot, the guide's own
questions keep the interview going, marked as scripted in the transcript.

Every change the employee makes to their interview is a method here, used alike by the web
app, the terminal and the evaluations, with the same options, which only render the events:
answering (:meth:`InterviewSession.respond`) and correcting the closing summary
(:meth:`~InterviewSession.correct_summary`), each the employee's turn then the interviewer's;
striking a point from the summary (:meth:`~InterviewSession.strike_point`), stopping
(:meth:`~InterviewSession.stop`) and withdrawing (:meth:`~InterviewSession.withdraw`, once the
adapter has asked for confirmation), each one commit.

The session carries out what the others decide: the flow (:mod:`~assistant.interview.flow`,
pure), the interviewer (:mod:`~assistant.interview.interviewer`: prompt, model, guard), the
safety routes (:mod:`~assistant.interview.route_handlers`), the closing summary
(:mod:`~assistant.interview.summary`); it writes through :mod:`~assistant.interview.transcript`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from assistant.campaigns import focus_of
from assistant.interview import ahead, flow, interviewer, route_handlers, summary
from assistant.interview.deps import SessionDeps
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.flow import ConsentAnswer, Plan
from assistant.interview.guard import GuardVerdict
from assistant.interview.guide import GUIDE_PROMPT_ID, Guide, load_guide
from assistant.interview.messages import message
from assistant.interview.safety import Concern, concern_in
from assistant.interview.state import ClosingStep, SessionState
from assistant.interview.summary import SUMMARY_PROMPT_ID
from assistant.interview.transcript import TranscriptWriter
from assistant.privacy import erase_interview
from assistant.prompts import PromptFile, load_prompt
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
from assistant.store import InterviewChangedError
from assistant.text import clean_text

__all__ = ["SYSTEM_PROMPT_ID", "InterviewSession", "SessionDeps", "Withdrawal", "answers_consent"]

log = logging.getLogger(__name__)

SYSTEM_PROMPT_ID = "interviewer.system"


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing erased, for the adapter to tell the employee."""

    pseudonym: str
    created_at: datetime
    turns: int


def answers_consent(language: str, text: str) -> bool:
    """Whether ``text`` answers the consent question (yes or no) of an interview in
    ``language``: the web app opens the interview only then."""
    return flow.consent_answer(load_guide(language), text) != ConsentAnswer.UNCLEAR


class InterviewSession:
    def __init__(self, deps: SessionDeps, interview: Interview, writer: TranscriptWriter) -> None:
        self.deps = deps
        self.interview = interview
        self.writer = writer
        self.speak(interview.language)
        self.state = SessionState.model_validate(interview.state)
        # Written into the instructions the model is given: a reply showing it leaked them.
        self.interviewer = interviewer.Interviewer(
            deps, deps.canary or f"TERRAIN-{secrets.token_hex(6)}"
        )

    def speak(self, language: str) -> None:
        """Take the guide and prompts of ``language``."""
        self.guide: Guide = load_guide(language)
        self.system_prompt: PromptFile = load_prompt(SYSTEM_PROMPT_ID, language)
        self.summary_prompt: PromptFile = load_prompt(SUMMARY_PROMPT_ID, language)

    # ----------------------------------------------------------------- starting and resuming

    @classmethod
    async def begin(
        cls,
        deps: SessionDeps,
        *,
        language: str,
        owner_key: str | None = None,
        interview_id: str | None = None,
        profile: Profile | None = None,
        campaign_id: str = DEFAULT_CAMPAIGN_ID,
    ) -> InterviewSession:
        """A new interview, its framing and consent question already in the transcript.

        ``owner_key``: :func:`assistant.privacy.owner_key` of the employee's user name (None
        in the terminal). ``interview_id``: the id to give it (the web app uses its
        conversation's id). The prompts' versions and file digests are recorded with it.
        """
        guide = load_guide(language)
        prompts = [
            load_prompt(prompt_id, language)
            for prompt_id in (SYSTEM_PROMPT_ID, SUMMARY_PROMPT_ID, GUIDE_PROMPT_ID)
        ]
        writer, interview = await TranscriptWriter.create(
            deps.store,
            language=language,
            owner_key=owner_key,
            prompt_versions={prompt.id: prompt.version for prompt in prompts},
            prompt_digests={prompt.id: prompt.digest for prompt in prompts},
            interview_id=interview_id,
            profile=profile,  # the employee's job, site and team now: the interview keeps them
            campaign_id=campaign_id,
        )
        session = cls(deps, interview, writer)
        session.interviewer.focus = await deps.store.run_read(focus_of, deps.store, campaign_id)
        await session.say(guide.welcome(deps.settings), scripted=True, prompt=guide.ref)
        return session

    @classmethod
    async def resume(cls, deps: SessionDeps, interview_id: str) -> InterviewSession:
        """The interview as stored. Its last message may be the employee's, never answered
        (the server was killed while the model answered): :meth:`answer_unanswered` answers it."""
        writer = TranscriptWriter(deps.store, interview_id)
        session = cls(deps, await writer.interview(), writer)
        campaign = session.interview.campaign_id
        session.interviewer.focus = await deps.store.run_read(focus_of, deps.store, campaign)
        return session

    async def unanswered(self) -> Turn | None:
        """The employee's last message when nothing answered it (only a reply cut off in the
        middle, or nothing), and no session of this process is answering it now; else None."""
        if ahead.is_answered_now(self.interview.id):
            return None
        return await self._unanswered()

    async def _unanswered(self) -> Turn | None:
        await self._refresh()
        return None if self.is_over else flow.left_unanswered(await self.writer.turns())

    async def answer_unanswered(self) -> AsyncIterator[SessionEvent]:
        """Answer the employee's message left without a reply, as if it had just been sent
        (it is stored already: it is not stored again). Nothing when there is none."""
        with ahead.answering(self.interview.id) as answering:
            turn = await self._unanswered() if answering else None
            if turn is None:
                return
            log.info("Answering a message the interviewer had not answered (resumed).")
            # The phase may have moved on with this message before the session ended: then only
            # the question it leads to is missing.
            moved_on = turn.phase != self.phase
            events = (
                self._question_after(turn) if moved_on else self._answer(turn, correcting=False)
            )
            async for event in events:
                yield event

    async def _refresh(self) -> None:
        """Take the interview as stored: another window may have stopped or withdrawn it, or
        struck a point from its summary, since this session last wrote."""
        interview = await self.writer.interview()
        if interview.language != self.guide.language:
            self.speak(interview.language)
        self.interview = interview
        self.state = SessionState.model_validate(interview.state)

    async def transcript(self) -> list[Turn]:
        """The turns as stored now."""
        return await self.writer.fresh_turns()

    @property
    def phase(self) -> Phase:
        return self.interview.phase

    @property
    def is_over(self) -> bool:
        return self.interview.status != InterviewStatus.IN_PROGRESS

    @property
    def is_reviewing_summary(self) -> bool:
        """Whether the employee is asked to confirm, correct or strike points of the summary."""
        return (
            not self.is_over
            and self.phase == Phase.CLOSING
            and self.state.closing_step == ClosingStep.CONFIRM_SUMMARY
        )

    # ----------------------------------------------------------------- the employee's actions

    async def strike_point(self, number: int) -> AsyncIterator[SessionEvent]:
        """Take point ``number`` (from 1) out of the summary: the stored summary message and
        the session state change in one commit. Yields REVISED (the summary as it now reads)
        then STRUCK (the point), or a NOTICE when there is no such point to strike."""
        await self._refresh()
        async for event in summary.strike_point(self, number):
            yield event

    async def correct_summary(self, text: str) -> AsyncIterator[SessionEvent]:
        """The employee's correction of the summary, kept as their turn whatever its words
        (a correction saying "yes, but…" is still a correction)."""
        await self._refresh()
        async for event in self._respond(text, correcting=self.is_reviewing_summary):
            yield event

    async def stop(self) -> AsyncIterator[SessionEvent]:
        """End the interview now, at the employee's request (STOPPED): one commit."""
        await self._refresh()
        if self.is_over:
            yield SessionEvent(EventKind.NOTICE, message(self.guide.language, "interview_over"))
            return
        async for event in self.end(self.guide.messages.stopped, InterviewStatus.STOPPED):
            yield event

    async def withdraw(self) -> Withdrawal:
        """Erase the interview for good (the adapter asked the employee to confirm first): its
        turns, findings and jobs go with it, in one commit. InterviewNotFoundError if it was
        erased already."""
        interview = await self.writer.interview()
        turns = await self.writer.fresh_turns()
        await asyncio.to_thread(erase_interview, self.deps.store, self.deps.settings, interview.id)
        return Withdrawal(
            pseudonym=interview.pseudonym, created_at=interview.created_at, turns=len(turns)
        )

    # ----------------------------------------------------------------- the turn loop

    async def respond(self, text: str) -> AsyncIterator[SessionEvent]:
        """Take the employee's message and produce the interviewer's answer, as events."""
        async for event in self._respond(text, correcting=False):
            yield event

    async def _respond(self, text: str, *, correcting: bool) -> AsyncIterator[SessionEvent]:
        # Cleaned before anything reads it: the model, the guard and the store see one text.
        text = clean_text(text).strip()
        with ahead.answering(self.interview.id):
            stored = await self._stored(text)
            if isinstance(stored, str):
                yield SessionEvent(EventKind.NOTICE, stored)
                return
            async for event in self._answer(stored, correcting=correcting):
                yield event

    async def _stored(self, text: str) -> Turn | str:
        """The employee's message stored as their turn, or the notice saying why it is not.

        In one commit when nothing was written to the interview since this session last read
        or wrote it (the common case: the session knows it as stored). Otherwise another
        window may have stopped or withdrawn it, or struck a point from its summary: it is
        read again, and the message judged again, before anything is stored.
        """
        if not self.is_over:
            try:
                return await self._add_answer(text, unchanged_since=self.interview.updated_at)
            except InterviewChangedError:
                pass
        await self._refresh()
        return await self._add_answer(text)

    async def _add_answer(
        self, text: str, *, unchanged_since: datetime | None = None
    ) -> Turn | str:
        if self.is_over:
            return message(self.guide.language, "interview_over")
        unfit = flow.unfit_message(self.guide, self.deps.settings, text)
        if unfit is not None:
            return unfit
        self.state.count_activity(self.deps.clock())
        return await self.writer.add_turn(
            speaker=Speaker.EMPLOYEE, text=text, phase=self.phase, unchanged_since=unchanged_since
        )

    async def _answer(self, turn: Turn, *, correcting: bool) -> AsyncIterator[SessionEvent]:
        """The interviewer's answer to the employee's stored message ``turn``."""
        text = turn.text
        concern = concern_in(text, self.guide)
        if self.phase == Phase.CONSENT and concern != Concern.DISTRESS:
            async for event in self._handle_consent(turn):
                yield event
            return
        # Safety routes (issue 15): the cue words, then the classifier for what they miss.
        classifying = ahead.classifying(self, text) if concern is None else None
        asking = self.phase not in (Phase.CONSENT, Phase.CLOSING)  # in a phase with questions
        planned = self._planned(text) if asking else None
        # The next question is asked of the model while the classifier reads the message: the
        # employee waits for the longer of the two, not for both. It is shown, and the answer
        # counted, only once the classifier has let the message through.
        asked = ahead.ask_ahead(self, planned, turn) if classifying is not None else None
        try:
            decision = await route_handlers.safety_decision(self, turn.id, concern, classifying)
        except BaseException:  # cancelled (the employee left), or the store failed
            if asked is not None:
                asked.cancel()
            raise
        if decision is not None or self.state.paused_for_safeguarding:
            await ahead.abandoned(asked)
            async for event in route_handlers.take_route(self, decision, text):
                yield event
            return
        if self.phase == Phase.CLOSING:
            async for event in summary.answer_in_closing(self, text, correcting=correcting):
                yield event
            return

        plan = planned or self._planned(text)
        self.state = plan.state
        if plan.phase != self.phase:
            await self._move_to(plan.phase)
            yield SessionEvent(EventKind.PHASE, phase=plan.phase)
        async for event in self._question_after(turn, asked):
            yield event

    def _question_after(
        self, turn: Turn, asked: asyncio.Task[GuardVerdict] | None = None
    ) -> AsyncIterator[SessionEvent]:
        """What the interviewer says next in this phase: the summary, in closing."""
        if self.phase == Phase.CLOSING:
            return summary.offer_summary(self)
        return interviewer.ask(self, turn, asked)

    def _planned(self, text: str) -> Plan:
        return flow.plan_answer(self.guide, self.deps.settings, self.state, self.phase, text)

    # ----------------------------------------------------------------- phases

    async def _handle_consent(self, turn: Turn) -> AsyncIterator[SessionEvent]:
        answer = flow.consent_answer(self.guide, turn.text)
        if answer == ConsentAnswer.REFUSED:
            self.interview = await self.writer.record_consent(given=False, version=self.guide.ref)
            # A refusal keeps nothing of the session: the acknowledgement is stored without it.
            self.state = SessionState()
            declined = self.guide.framing.declined
            await self.record(declined, scripted=True, prompt=self.guide.ref)
            yield SessionEvent(EventKind.MESSAGE, declined, phase=self.phase, scripted=True)
            yield SessionEvent(EventKind.ENDED, status=self.interview.status)
            return
        if answer == ConsentAnswer.UNCLEAR:
            yield await self.say(self.guide.framing.consent_reminder, scripted=True)
            return
        first = self.guide.next_phase(Phase.CONSENT)
        self.interview = await self.writer.record_consent(
            given=True, version=self.guide.ref, next_phase=first
        )
        yield SessionEvent(EventKind.PHASE, phase=first)
        async for event in interviewer.ask(self, turn):
            yield event

    async def _move_to(self, phase: Phase) -> None:
        self.interview = await self.writer.update(
            InterviewUpdate(phase=phase, state=self.state.model_dump(mode="json"))
        )

    # ----------------------------------------------------------------- asking

    # ----------------------------------------------------------------- saying

    async def say(
        self,
        text: str,
        *,
        scripted: bool,
        prompt: str | None = None,
        question: bool = False,
        model: str | None = None,
        ending: InterviewStatus | None = None,
        guard_rule: GuardRule | None = None,
    ) -> SessionEvent:
        """Store an interviewer message with the state it leaves behind (and, when it is the
        last, the interview's end, or the output guard's rule it stands in for), and announce
        it."""
        phase = self.phase
        state = self.state.model_copy(deep=True)
        if question:
            state.questions[phase] = state.questions.get(phase, 0) + 1
            state.last_question = text
        await self.record(
            text,
            scripted=scripted,
            prompt=prompt or self.guide.ref,
            model=model,
            state=state,
            ending=ending,
            guard_rule=guard_rule,
        )
        return SessionEvent(EventKind.MESSAGE, text, phase=phase, scripted=scripted)

    async def end(self, text: str, status: InterviewStatus) -> AsyncIterator[SessionEvent]:
        # The store queues its extraction in the commit that ends it (closed or stopped, when
        # something was said): extraction never runs while the employee waits.
        yield await self.say(text, scripted=True, ending=status)
        yield SessionEvent(EventKind.ENDED, status=status)

    async def record(
        self,
        text: str,
        *,
        scripted: bool,
        complete: bool = True,
        prompt: str | None = None,
        model: str | None = None,
        state: SessionState | None = None,
        ending: InterviewStatus | None = None,
        guard_rule: GuardRule | None = None,
    ) -> Turn:
        turn = await self.writer.add_turn(
            speaker=Speaker.INTERVIEWER,
            text=text,
            phase=self.phase,
            scripted=scripted,
            complete=complete,
            prompt=prompt,
            model=model,
            state=None if state is None else state.model_dump(mode="json"),
            ending=ending,
            guard_rule=guard_rule,
        )
        changes: dict[str, object] = {"updated_at": turn.created_at}
        if state is not None:
            self.state = state
            changes["state"] = state.model_dump(mode="json")
        if ending is not None:
            changes |= {"status": ending, "phase": Phase.DONE}
        self.interview = self.interview.model_copy(update=changes)
        return turn
