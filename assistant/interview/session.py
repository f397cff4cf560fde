"""The interview session: one employee, one turn at a time, nothing lost.

Every employee message is committed before anything else happens, in particular before the
model is called. Deterministic checks run first (consent, distress, stop, off-mission requests);
the model only writes the interviewer's next question, and when it cannot, the guide's own
questions keep the interview going, marked as scripted in the transcript.

Every change the employee makes to their interview is a method here, used alike by the web
app and the terminal, which only render the events: answering (:meth:`InterviewSession.respond`)
and correcting the closing summary (:meth:`~InterviewSession.correct_summary`), each the
employee's turn then the interviewer's; striking a point from the summary
(:meth:`~InterviewSession.strike_point`), stopping (:meth:`~InterviewSession.stop`) and
withdrawing (:meth:`~InterviewSession.withdraw`, once the adapter has asked for confirmation),
each one commit.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from string import Template

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.interview.classifier import SafetyClassifier, SafetyVerdict
from assistant.interview.decisions import Route, SafetyDecision
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.guard import GuardVerdict, OutputGuard, guide_texts
from assistant.interview.guide import GUIDE_PROMPT_ID, Guide, PhaseSpec, load_guide
from assistant.interview.memory import PromptContext, build_messages
from assistant.interview.routes import (
    SUPPORTED_LANGUAGES,
    confidentiality_answer,
    decide,
    safeguarding_message,
    unsupported_language,
)
from assistant.interview.safety import Concern, concern_in
from assistant.interview.state import ClosingStep, SessionState
from assistant.llm import (
    ChatMessage,
    ChatModel,
    ModelError,
    ModelStreamInterruptedError,
    request_structured,
)
from assistant.privacy import erase_interview
from assistant.prompts import PromptFile, load_prompt
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit, Retriever
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
from assistant.text import clean_text, contains_phrase, count_questions, sentences
from assistant.tokens import TokenCounter

log = logging.getLogger(__name__)

SYSTEM_PROMPT_ID = "interviewer.system"
SUMMARY_PROMPT_ID = "interview.summary"
GROUNDING_PASSAGES = 3
_REGENERATE_NOTE = {
    "fr": "Rappel : une seule question courte par message. Reformule avec une seule question.",
    "en": "Reminder: one short question per message. Rephrase with a single question.",
}


class SummaryPoints(BaseModel):
    points: list[str] = Field(min_length=1, max_length=8)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing erased, for the adapter to tell the employee."""

    pseudonym: str
    created_at: datetime
    turns: int


@dataclass
class SessionDeps:
    """What a session needs from the outside world."""

    settings: Settings
    store: Store
    model: ChatModel | None
    retriever: Retriever | None = None
    # Reads each employee message before the interviewer replies; None: the cue words alone.
    classifier: SafetyClassifier | None = None
    clock: Callable[[], datetime] = _now
    # None: a random canary per session. Evaluations fix one, so that their prompts (the keys
    # of the reply cache) are the same from one run to the next.
    canary: str | None = None
    counter: TokenCounter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = TokenCounter(self.settings.tokenizer)


async def _stored(store: Store, interview_id: str) -> Interview:
    """The interview as stored; InterviewNotFoundError if it was erased (or never was)."""
    interview = await asyncio.to_thread(store.interviews.get, interview_id)
    if interview is None:
        raise InterviewNotFoundError(interview_id)
    return interview


class InterviewSession:
    def __init__(self, deps: SessionDeps, interview: Interview, *, streaming: bool = True) -> None:
        self.deps = deps
        self.interview = interview
        self.streaming = streaming
        self._speak(interview.language)
        self.state = SessionState.model_validate(interview.state)
        # Written into the instructions the model is given: a reply showing it leaked them.
        self.canary = deps.canary or f"TERRAIN-{secrets.token_hex(6)}"

    def _speak(self, language: str) -> None:
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
        streaming: bool = True,
        interview_id: str | None = None,
        profile: Profile | None = None,
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
        interview = await asyncio.to_thread(
            deps.store.interviews.create,
            language=language,
            owner_key=owner_key,
            prompt_versions={prompt.id: prompt.version for prompt in prompts},
            prompt_digests={prompt.id: prompt.digest for prompt in prompts},
            interview_id=interview_id,
            profile=profile,  # the employee's job, site and team now: the interview keeps them
        )
        session = cls(deps, interview, streaming=streaming)
        await session._say(guide.welcome(deps.settings), scripted=True, prompt=guide.ref)
        return session

    @classmethod
    async def resume(
        cls, deps: SessionDeps, interview_id: str, *, streaming: bool = True
    ) -> InterviewSession:
        """The interview as stored. Its last message may be the employee's, never answered
        (the server was killed while the model answered): :meth:`answer_unanswered` answers it."""
        return cls(deps, await _stored(deps.store, interview_id), streaming=streaming)

    async def unanswered(self) -> Turn | None:
        """The employee's last message when nothing answered it (only a reply cut off in the
        middle, or nothing), and no session of this process is answering it now; else None."""
        if self.interview.id in _ANSWERING:
            return None
        return await self._unanswered()

    async def _unanswered(self) -> Turn | None:
        await self._refresh()
        return None if self.is_over else _left_unanswered(await self.transcript())

    async def answer_unanswered(self) -> AsyncIterator[SessionEvent]:
        """Answer the employee's message left without a reply, as if it had just been sent
        (it is stored already: it is not stored again). Nothing when there is none."""
        with _answering(self.interview.id) as answering:
            turn = await self._unanswered() if answering else None
            if turn is None:
                return
            log.info("Answering a message the interviewer had not answered (resumed).")
            if turn.phase != self.phase:
                # The phase moved on with this message before the session ended: only the
                # question it leads to is missing.
                if self.phase == Phase.CLOSING:
                    async for event in self._offer_summary():
                        yield event
                    return
                async for event in self._ask(turn.text):
                    yield event
                return
            async for event in self._answer(turn, correcting=False):
                yield event

    async def _refresh(self) -> None:
        """Take the interview as stored: another window may have stopped or withdrawn it, or
        struck a point from its summary, since this session last wrote."""
        interview = await _stored(self.deps.store, self.interview.id)
        if interview.language != self.guide.language:
            self._speak(interview.language)
        self.interview = interview
        self.state = SessionState.model_validate(interview.state)

    async def transcript(self) -> list[Turn]:
        return await asyncio.to_thread(self.deps.store.interviews.turns, self.interview.id)

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
        points = self.state.summary
        if not self.is_reviewing_summary or not 1 <= number <= len(points):
            yield SessionEvent(EventKind.NOTICE, self._no_such_point(len(points)))
            return
        point = points[number - 1]
        turns = await self.transcript()
        summary = next(
            (
                turn
                for turn in reversed(turns)
                if turn.speaker == Speaker.INTERVIEWER and turn.phase == Phase.CLOSING
            ),
            None,
        )
        state = self.state.model_copy(deep=True)
        state.summary = [p for i, p in enumerate(points, start=1) if i != number]
        saved = state.model_dump(mode="json")
        if summary is None:
            self.interview = await asyncio.to_thread(
                self.deps.store.interviews.update, self.interview.id, InterviewUpdate(state=saved)
            )
        else:
            shorter = _without_point(summary.text, point)
            await asyncio.to_thread(
                self.deps.store.interviews.revise_turn, summary.id, shorter, state=saved
            )
            self.interview = self.interview.model_copy(update={"state": saved})
            yield SessionEvent(EventKind.REVISED, shorter, phase=self.phase)
        self.state = state
        yield SessionEvent(EventKind.STRUCK, point, phase=self.phase)

    async def correct_summary(self, text: str) -> AsyncIterator[SessionEvent]:
        """The employee's correction of the summary, kept as their turn whatever its words
        (a correction saying "yes, but…" is still a correction)."""
        await self._refresh()
        if not self.is_reviewing_summary:
            async for event in self.respond(text):
                yield event
            return
        async for event in self._respond(text, correcting=True):
            yield event

    async def stop(self) -> AsyncIterator[SessionEvent]:
        """End the interview now, at the employee's request (STOPPED): one commit."""
        await self._refresh()
        if self.is_over:
            yield SessionEvent(EventKind.NOTICE, self._closed_notice())
            return
        async for event in self._end(self.guide.messages.stopped, InterviewStatus.STOPPED):
            yield event

    async def withdraw(self) -> Withdrawal:
        """Erase the interview for good (the adapter asked the employee to confirm first): its
        turns, findings and jobs go with it, in one commit. InterviewNotFoundError if it was
        erased already."""
        interview = await _stored(self.deps.store, self.interview.id)
        turns = await self.transcript()
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
        messages = self.guide.messages
        await self._refresh()
        if self.is_over:
            yield SessionEvent(EventKind.NOTICE, self._closed_notice())
            return
        if not text:
            yield SessionEvent(EventKind.NOTICE, messages.empty)
            return
        limit = self.deps.settings.max_message_chars
        if len(text) > limit:
            yield SessionEvent(
                EventKind.NOTICE, Template(messages.too_long).substitute(limit=limit)
            )
            return

        with _answering(self.interview.id):
            turn = await self._record_employee(text)
            async for event in self._answer(turn, correcting=correcting):
                yield event

    async def _answer(self, turn: Turn, *, correcting: bool) -> AsyncIterator[SessionEvent]:
        """The interviewer's answer to the employee's stored message ``turn``."""
        text = turn.text
        concern = concern_in(text, self.guide)
        if self.phase == Phase.CONSENT and concern != Concern.DISTRESS:
            async for event in self._handle_consent(text, concern):
                yield event
            return
        # Safety routes (issue 15): the cue words, then the classifier for what they miss.
        classifying = self._classifying(text, concern)
        asking = self.phase not in (Phase.CONSENT, Phase.CLOSING)  # in a phase with questions
        planned = self._planned(text) if asking else None
        # The next question is asked of the model while the classifier reads the message: the
        # employee waits for the longer of the two, not for both. It is shown, and the answer
        # counted, only once the classifier has let the message through.
        ahead = self._reply_ahead(planned, text) if classifying is not None else None
        try:
            decision = await self._safety_decision(turn.id, text, concern, classifying)
        except BaseException:  # cancelled (the employee left), or the store failed
            if ahead is not None:
                ahead.cancel()
            raise
        if decision is not None or self.state.paused_for_safeguarding:
            await _abandoned(ahead)
            async for event in self._take_route(decision, text):
                yield event
            return
        if self.phase == Phase.CLOSING:
            async for event in self._handle_closing(text, correcting=correcting):
                yield event
            return

        self.state, next_phase = planned or self._planned(text)
        if next_phase != self.phase:
            await self._move_to(next_phase)
            yield SessionEvent(EventKind.PHASE, phase=next_phase)
        if next_phase == Phase.CLOSING:
            async for event in self._offer_summary():
                yield event
            return
        async for event in self._ask(text, ahead=ahead):
            yield event

    def _planned(self, text: str) -> tuple[SessionState, Phase]:
        """The state once ``text`` is counted as an answer in this phase, and the phase it
        leads to; nothing of the session changes until the plan is taken."""
        state = self.state.model_copy(deep=True)
        spec = self._spec()
        state.answers[spec.id] = state.answers.get(spec.id, 0) + 1
        if spec.signalled_by(text) and spec.id not in state.signalled:
            state.signalled.append(spec.id)
        return state, self._next_phase(spec, state)

    def _reply_ahead(
        self, planned: tuple[SessionState, Phase] | None, text: str
    ) -> asyncio.Task[GuardVerdict] | None:
        """The model's next question, asked now for the phase the plan leads to (not when the
        plan ends in the summary or the session is paused, which ask no question of it)."""
        model = self.deps.model
        if model is None or planned is None or self.state.paused_for_safeguarding:
            return None
        state, phase = planned
        spec = self.guide.phase(phase)
        if spec is None or phase == Phase.CLOSING:
            return None
        return asyncio.create_task(self._ask_model(model, spec, text, state=state))

    # ----------------------------------------------------------------- phases

    async def _handle_consent(
        self, text: str, concern: Concern | None
    ) -> AsyncIterator[SessionEvent]:
        words = self.guide.words
        said_no = concern == Concern.STOP or contains_phrase(text, words.no)
        said_yes = contains_phrase(text, words.yes) and not said_no
        if said_no:
            self.interview = await asyncio.to_thread(
                self.deps.store.interviews.record_consent,
                self.interview.id,
                given=False,
                version=self.guide.ref,
            )
            # A refusal keeps nothing of the session: the acknowledgement is stored without it.
            self.state = SessionState()
            declined = self.guide.framing.declined
            await self._record(declined, scripted=True, prompt=self.guide.ref)
            yield SessionEvent(EventKind.MESSAGE, declined, phase=self.phase, scripted=True)
            yield SessionEvent(EventKind.ENDED, status=self.interview.status)
            return
        if not said_yes:
            yield await self._say(self.guide.framing.consent_reminder, scripted=True)
            return
        first = self.guide.next_phase(Phase.CONSENT)
        self.interview = await asyncio.to_thread(
            self.deps.store.interviews.record_consent,
            self.interview.id,
            given=True,
            version=self.guide.ref,
            next_phase=first,
        )
        yield SessionEvent(EventKind.PHASE, phase=first)
        async for event in self._ask(text):
            yield event

    def _next_phase(self, spec: PhaseSpec, state: SessionState) -> Phase:
        settings = self.deps.settings
        time_is_up = state.active_seconds >= settings.interview_minutes * 60 * 0.85
        questions_are_up = state.total_questions >= settings.interview_max_questions - 1
        if time_is_up or questions_are_up:
            return Phase.CLOSING
        asked = state.questions.get(spec.id, 0)
        covered = asked >= spec.max_questions or (
            asked >= spec.min_questions and spec.id in state.signalled
        )
        return self.guide.next_phase(spec.id) if covered else spec.id

    async def _offer_summary(self) -> AsyncIterator[SessionEvent]:
        points, by_model, replaced = await self._summary_points()
        self.state.summary = points
        self.state.closing_step = ClosingStep.CONFIRM_SUMMARY
        messages = self.guide.messages
        bullets = "\n".join(f"- {point}" for point in points)
        text = f"{messages.summary_intro}\n\n{bullets}\n\n{messages.summary_confirm}"
        model = self.deps.model.name if by_model and self.deps.model else None
        prompt = self.summary_prompt.ref if by_model else self.guide.ref
        yield await self._say(
            text, scripted=not by_model, prompt=prompt, model=model, guard_rule=replaced
        )

    async def _handle_closing(self, text: str, *, correcting: bool) -> AsyncIterator[SessionEvent]:
        messages = self.guide.messages
        if self.state.closing_step == ClosingStep.CONFIRM_SUMMARY:
            words = self.guide.words
            confirmed = (
                not correcting
                and contains_phrase(text, words.yes)
                and not contains_phrase(text, words.no)
            )
            self.state.closing_step = ClosingStep.ANYTHING_ELSE
            reply = messages.anything_else
            if not confirmed:
                reply = f"{messages.correction_noted} {messages.anything_else}"
            yield await self._say(reply, scripted=True)
            return
        async for event in self._end(messages.thanks, InterviewStatus.CLOSED):
            yield event

    # ----------------------------------------------------------------- safety routes

    def _classifying(
        self, text: str, concern: Concern | None
    ) -> asyncio.Task[SafetyVerdict | None] | None:
        """The classifier reading ``text``, started now; only when the cue words are silent,
        and never before consent."""
        classifier = self.deps.classifier
        if concern is not None or classifier is None or self.phase == Phase.CONSENT:
            return None
        return asyncio.create_task(classifier.classify(text, self.interview.language))

    async def _safety_decision(
        self,
        turn_id: int,
        text: str,
        concern: Concern | None,
        classifying: asyncio.Task[SafetyVerdict | None] | None,
    ) -> SafetyDecision | None:
        """The route ``text`` takes, if any, kept in the state: the cue words' ``concern``,
        else the classifier's verdict when it was asked."""
        classifier = self.deps.classifier
        language = self.interview.language
        verdict = prompt = None
        if classifying is not None and classifier is not None:
            verdict = await classifying
            prompt = classifier.prompt(language).ref
        decision = decide(
            turn_id,
            concern,
            verdict,
            language=language,
            min_confidence=self.deps.settings.safety_min_confidence,
            prompt=prompt,
        )
        if decision is not None:
            self.state.safety.append(decision)
            log.info("Safety route %s, decided by %s.", decision.route, decision.source)
        return decision

    async def _take_route(
        self, decision: SafetyDecision | None, text: str
    ) -> AsyncIterator[SessionEvent]:
        """Each route's scripted answer; no model writes any of them."""
        route = None if decision is None else decision.route
        if route == Route.DISTRESS:
            async for event in self._stop_for_safety():
                yield event
            return
        messages = self.guide.messages
        if self.state.paused_for_safeguarding:
            # The answer to "go on or stop?": a stop request stops, anything else goes on.
            self.state.paused_for_safeguarding = False
            if route is None:
                question = self._next_question()
                yield await self._say(
                    f"{self.guide.routes.resumed} {question}", scripted=True, question=True
                )
                return
        if route == Route.STOP:
            async for event in self._end(messages.stopped, InterviewStatus.STOPPED):
                yield event
        elif route == Route.OFF_MISSION:
            yield await self._say(f"{messages.off_mission} {self._again()}", scripted=True)
        elif route == Route.HOSTILITY:
            yield await self._say(f"{self.guide.routes.hostility} {self._again()}", scripted=True)
        elif route == Route.CONFIDENTIALITY:
            answer = confidentiality_answer(self.guide, self.deps.settings)
            yield await self._say(f"{answer}\n\n{self._again()}", scripted=True)
        elif route == Route.SAFEGUARDING:
            yield await self._pause_for_safeguarding(text)
        elif route == Route.WITHDRAWAL:
            question = self.guide.routes.withdrawal
            await self._record(question, scripted=True, prompt=self.guide.ref, state=self.state)
            yield SessionEvent(
                EventKind.WITHDRAWAL_REQUESTED, question, phase=self.phase, scripted=True
            )
        elif route == Route.LANGUAGE_CHANGE and decision is not None:
            yield await self._change_language(decision.language or "")

    async def _pause_for_safeguarding(self, text: str) -> SessionEvent:
        """Say that it must be reported today and how, flag the interview, and ask whether to
        go on: the next message decides."""
        procedure = await self._incident_procedure(text)
        self.interview = await asyncio.to_thread(
            self.deps.store.interviews.flag,
            self.interview.id,
            "safeguarding: someone in the employee's care may be being harmed",
        )
        self.state.paused_for_safeguarding = True
        message = safeguarding_message(self.guide, self.deps.settings, procedure)
        return await self._say(message, scripted=True)

    async def _incident_procedure(self, text: str) -> Hit | None:
        """The company's best passage on reporting an incident, when documents are ingested."""
        retriever = self.deps.retriever
        if retriever is None:
            return None
        query = f"{self.guide.routes.safeguarding_query} {text[:400]}"
        try:
            result = await retriever.search(query, k=1, collection=Collection.COMPANY)
        except Exception:  # the contact is said anyway; the procedure only adds to it
            log.warning("No company procedure could be retrieved for a safeguarding report.")
            return None
        return result.hits[0] if result.hits else None

    async def _change_language(self, language: str) -> SessionEvent:
        """Go on in ``language`` when it is offered; otherwise say which languages are."""
        if language not in SUPPORTED_LANGUAGES:
            return await self._say(
                f"{unsupported_language(self.guide)} {self._again()}", scripted=True
            )
        self.interview = await asyncio.to_thread(
            self.deps.store.interviews.update,
            self.interview.id,
            InterviewUpdate(language=language, state=self.state.model_dump(mode="json")),
        )
        self._speak(language)
        switched = self.guide.routes.language_switched
        if self.phase == Phase.CLOSING:
            return await self._say(f"{switched} {self._again()}", scripted=True)
        question = self._next_question()
        return await self._say(f"{switched} {question}", scripted=True, question=True)

    def _again(self) -> str:
        """The question the employee was last asked, to go on after a route's answer."""
        if self.phase == Phase.CLOSING:
            messages = self.guide.messages
            if self.state.closing_step == ClosingStep.CONFIRM_SUMMARY:
                return messages.summary_confirm
            return messages.anything_else
        return self.state.last_question or self._fallback_question(self._spec())

    def _next_question(self) -> str:
        """The guide's next question in this phase (the closing step's, in closing)."""
        if self.phase == Phase.CLOSING:
            return self._again()
        spec = self._spec()
        question = self._fallback_question(spec)
        self.state.fallback_used[spec.id] = self.state.fallback_used.get(spec.id, 0) + 1
        return question

    async def _stop_for_safety(self) -> AsyncIterator[SessionEvent]:
        text = Template(self.guide.messages.distress.strip()).substitute(
            resources=self.deps.settings.help_resources
        )
        self.interview = await asyncio.to_thread(
            self.deps.store.interviews.flag,
            self.interview.id,
            "distress expressed during the interview",
        )
        async for event in self._end(text, InterviewStatus.STOPPED):
            yield event

    async def _end(self, text: str, status: InterviewStatus) -> AsyncIterator[SessionEvent]:
        # The store queues its extraction in the commit that ends it (closed or stopped, when
        # something was said): extraction never runs while the employee waits.
        yield await self._say(text, scripted=True, ending=status)
        yield SessionEvent(EventKind.ENDED, status=status)

    async def _move_to(self, phase: Phase) -> None:
        self.interview = await asyncio.to_thread(
            self.deps.store.interviews.update,
            self.interview.id,
            InterviewUpdate(phase=phase, state=self.state.model_dump(mode="json")),
        )

    # ----------------------------------------------------------------- asking

    async def _ask(
        self, latest_answer: str, *, ahead: asyncio.Task[GuardVerdict] | None = None
    ) -> AsyncIterator[SessionEvent]:
        """The next question: the model's (``ahead``, when it was asked already), once the guard
        passed it; else the guide's."""
        spec = self._spec()
        model = self.deps.model
        replaced: GuardRule | None = None
        if model is not None:
            try:
                verdict = await (ahead or self._ask_model(model, spec, latest_answer))
            except ModelStreamInterruptedError as error:
                if error.partial.strip():
                    await self._record(error.partial, scripted=False, complete=False)
                    yield SessionEvent(
                        EventKind.MESSAGE,
                        f"{error.partial} {self.guide.messages.interrupted}",
                        phase=self.phase,
                        complete=False,
                    )
                yield SessionEvent(EventKind.NOTICE, self.guide.messages.model_unavailable)
            except ModelError:
                yield SessionEvent(EventKind.NOTICE, self.guide.messages.model_unavailable)
            else:
                if verdict.rule is None:
                    if self.streaming:
                        # Checked whole: the adapters show it as the stream they wait for.
                        yield SessionEvent(EventKind.TOKEN, verdict.text, phase=self.phase)
                    yield await self._say(
                        verdict.text,
                        scripted=False,
                        prompt=self.system_prompt.ref,
                        question=True,
                        model=model.name,
                    )
                    return
                replaced = verdict.rule
        question = self._fallback_question(spec)
        self.state.fallback_used[spec.id] = self.state.fallback_used.get(spec.id, 0) + 1
        yield await self._say(question, scripted=True, question=True, guard_rule=replaced)

    async def _ask_model(
        self,
        model: ChatModel,
        spec: PhaseSpec,
        latest_answer: str,
        *,
        state: SessionState | None = None,
    ) -> GuardVerdict:
        """The model's next question as the output guard judged it, for the session's state
        or the planned ``state``. A stream cut off midway raises with its partial text only if
        that text passed the guard."""
        documents = await self._grounding(spec, latest_answer)
        turns = await self.transcript()
        context = PromptContext(
            template=self.system_prompt,
            phase=spec,
            state=self.state if state is None else state,
            target_minutes=self.deps.settings.interview_minutes,
            max_questions=self.deps.settings.interview_max_questions,
            canary=self.canary,
        )
        prompt = build_messages(
            context, turns, documents, self.deps.counter, self.deps.settings.prompt_token_budget
        )
        # Built on the event loop (it only keeps its sources); its checks work off the loop,
        # where other interviews are answered: they take milliseconds, but the language
        # detector loads its models (~2 s) at first use.
        guard = self._guard(sources=[prompt[0].content], turns=turns)
        if self.streaming:
            # Buffered whole: no piece reaches the employee before the guard has read them all.
            try:
                reply = "".join([piece async for piece in model.stream(prompt)])
            except ModelStreamInterruptedError as error:
                partial = await asyncio.to_thread(guard.check, error.partial, complete=False)
                if partial.rule is not None:
                    _log_replaced(partial.rule)
                    return partial
                raise ModelStreamInterruptedError(model.name, partial.text, str(error)) from None
        else:
            reply = (await model.request(prompt)).text
            if count_questions(reply) > 1:
                note = _REGENERATE_NOTE.get(self.interview.language, _REGENERATE_NOTE["en"])
                reply = (await model.request([*prompt, ChatMessage.system(note)])).text
        if not reply.strip():
            raise ModelStreamInterruptedError(model.name, "", "the model gave an empty answer")
        verdict = await asyncio.to_thread(guard.check, reply)
        if verdict.rule is not None:
            _log_replaced(verdict.rule)
        elif verdict.trimmed:
            log.info("Interviewer message corrected: a trailing second question was dropped")
        return verdict

    def _guard(self, *, sources: list[str], turns: list[Turn]) -> OutputGuard:
        """The output guard for one prompt: ``sources`` are what the model was given."""
        settings = self.deps.settings
        return OutputGuard(
            language=self.interview.language,
            max_chars=settings.max_question_chars,
            max_shared_words=settings.guard_max_shared_words,
            sources=[*sources, *guide_texts(self.guide)],
            said=[turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE],
            canary=self.canary,
        )

    async def _grounding(self, spec: PhaseSpec, latest_answer: str) -> list[Hit]:
        retriever = self.deps.retriever
        if retriever is None or not spec.grounding:
            return []
        query = f"{spec.grounding} {latest_answer[:400]}"
        try:
            result = await retriever.search(
                query, k=GROUNDING_PASSAGES, collection=Collection.COMPANY
            )
        except Exception:  # grounding helps; its failure must never stop an interview
            return []
        return result.hits

    def _fallback_question(self, spec: PhaseSpec) -> str:
        used = self.state.fallback_used.get(spec.id, 0)
        return spec.questions[min(used, len(spec.questions) - 1)]

    async def _summary_points(self) -> tuple[list[str], bool, GuardRule | None]:
        """The summary's points, whether the model wrote them (else they are extracted), and
        the output guard's rule that set the model's points aside, if one did."""
        turns = await self.transcript()
        model = self.deps.model
        replaced: GuardRule | None = None
        if model is not None:
            prompt = [ChatMessage.user(self.summary_prompt.render(transcript=self._said(turns)))]
            try:
                summary = await request_structured(model, prompt, SummaryPoints)
            except ModelError:
                pass
            else:
                guard = self._guard(sources=[prompt[0].content], turns=turns)
                points = summary.value.points
                replaced = await asyncio.to_thread(_first_broken_rule, guard, points)
                if replaced is None:
                    return points, True, None
                _log_replaced(replaced)
        return _extractive_summary(turns, self.interview.language), False, replaced

    def _said(self, turns: list[Turn]) -> str:
        """What the employee said, shortened evenly (not cut at the end) to fit the context."""
        answers = [
            " ".join(turn.text.split())  # data: the renderer makes it inert
            for turn in turns
            if turn.speaker == Speaker.EMPLOYEE and turn.phase not in (Phase.CONSENT,)
        ]
        counter = self.deps.counter
        # Room for the instructions and the answer within the model's context.
        budget = max(self.deps.settings.context_window - 1500, 1000)
        if answers and counter.count_messages(answers) > budget:
            share = max(budget // len(answers) - counter.PER_MESSAGE_OVERHEAD, 20)
            answers = [counter.truncate(answer, share) for answer in answers]
        return "\n".join(f"- {answer}" for answer in answers)

    # ----------------------------------------------------------------- persistence

    async def _record_employee(self, text: str) -> Turn:
        self.state.count_activity(self.deps.clock())
        return await asyncio.to_thread(
            self.deps.store.interviews.add_turn,
            self.interview.id,
            speaker=Speaker.EMPLOYEE,
            text=text,
            phase=self.phase,
        )

    async def _record(
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
        turn = await asyncio.to_thread(
            self.deps.store.interviews.add_turn,
            self.interview.id,
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

    async def _say(
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
        await self._record(
            text,
            scripted=scripted,
            prompt=prompt or self.guide.ref,
            model=model,
            state=state,
            ending=ending,
            guard_rule=guard_rule,
        )
        return SessionEvent(EventKind.MESSAGE, text, phase=phase, scripted=scripted)

    def _spec(self) -> PhaseSpec:
        spec = self.guide.phase(self.phase)
        if spec is None:
            raise RuntimeError(f"no guide phase for {self.phase}")
        return spec

    def _no_such_point(self, count: int) -> str:
        if self.interview.language == "fr":
            if not self.is_reviewing_summary:
                return "Il n'y a pas de résumé à modifier en ce moment."
            return f"Le résumé a {count} point(s) : donnez un numéro de 1 à {count}."
        if not self.is_reviewing_summary:
            return "There is no summary to change right now."
        return f"The summary has {count} point(s): give a number from 1 to {count}."

    def _closed_notice(self) -> str:
        return {
            "fr": "Cet entretien est terminé ; vous pouvez en commencer un nouveau.",
        }.get(self.interview.language, "This interview is over; you can start a new one.")


# The interviews whose employee message a session of this process is answering now: a resumed
# conversation must not answer it a second time.
_ANSWERING: set[str] = set()


@contextmanager
def _answering(interview_id: str) -> Iterator[bool]:
    """Mark the interview as being answered; yields False when another session already is."""
    if interview_id in _ANSWERING:
        yield False
        return
    _ANSWERING.add(interview_id)
    try:
        yield True
    finally:
        _ANSWERING.discard(interview_id)


def _left_unanswered(turns: list[Turn]) -> Turn | None:
    """The last employee turn if only replies cut off midway (or none) follow it."""
    for turn in reversed(turns):
        if turn.speaker == Speaker.EMPLOYEE:
            return turn
        if turn.complete:
            return None
    return None


def _first_broken_rule(guard: OutputGuard, points: list[str]) -> GuardRule | None:
    broken = (guard.check_statement(point) for point in points)
    return next((rule for rule in broken if rule is not None), None)


def _log_replaced(rule: GuardRule) -> None:
    # The rule's name only: what the model wrote stays out of the logs.
    log.info("Interviewer message replaced by the guide's question: rule %s", rule.value)


def _without_point(text: str, point: str) -> str:
    """The summary message without the bullet ``point``."""
    kept = [
        line
        for line in text.splitlines()
        if not (line.startswith("- ") and line[2:].strip() == point)
    ]
    return "\n".join(kept)


def _extractive_summary(turns: list[Turn], language: str) -> list[str]:
    """Without a model: the first sentence of the employee's first answers in each phase."""
    points: list[str] = []
    seen: set[Phase] = set()
    for turn in turns:
        if turn.speaker != Speaker.EMPLOYEE or turn.phase in seen:
            continue
        if turn.phase in (Phase.CONSENT, Phase.CLOSING, Phase.DONE):
            continue
        seen.add(turn.phase)
        first = sentences(turn.text)[0] if turn.text.strip() else ""
        if len(first) > 300:
            first = first[:297] + "…"
        if first:
            points.append(f"« {first} »" if language == "fr" else f"“{first}”")
    return points or ["-"]


async def _abandoned(reply: asyncio.Task[GuardVerdict] | None) -> None:
    """A reply asked ahead and not needed (the message took a safety route): stopped, and
    whatever it ended with (an answer, a model's failure) set aside."""
    if reply is None:
        return
    reply.cancel()
    await asyncio.gather(reply, return_exceptions=True)
