"""The interviewer: prompt, model, guard, verdict.

The one place a reply is asked for again: a reply holding more than one question is asked for
once more, with a reminder, as a validator would retry (whatever the adapter: the web app, the
terminal and the evaluations get the same). The model's reply is read whole (streamed and
buffered: nothing reaches the employee before the output guard has read all of it), then
judged by the guard; when it breaks a rule, the session puts the guide's question in its place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from assistant.interview import flow
from assistant.interview.deps import SessionDeps
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.guard import GuardVerdict, OutputGuard, guide_texts
from assistant.interview.guide import Guide, PhaseSpec
from assistant.interview.messages import message
from assistant.interview.prompt_builder import PromptContext, build_messages
from assistant.interview.state import SessionState
from assistant.llm import ChatMessage, ChatModel, ModelError, ModelStreamInterruptedError
from assistant.prompts import PromptFile
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit
from assistant.schemas import GuardRule, Phase, Speaker, Turn
from assistant.text import count_questions

if TYPE_CHECKING:
    from assistant.interview.session import InterviewSession

log = logging.getLogger(__name__)

GROUNDING_PASSAGES = 3


class Interviewer:
    """Asks the model for the interview's next question, for one session (``canary``: written
    into the instructions, a reply showing it leaked them)."""

    def __init__(self, deps: SessionDeps, canary: str) -> None:
        self.deps = deps
        self.canary = canary
        self.focus = ""  # the campaign's, which the interviewer keeps to (set by the session)

    def guard(self, guide: Guide, *, sources: list[str], turns: list[Turn]) -> OutputGuard:
        """The output guard for one prompt: ``sources`` are what the model was given."""
        settings = self.deps.settings
        return OutputGuard(
            language=guide.language,
            max_chars=settings.max_question_chars,
            max_shared_words=settings.guard_max_shared_words,
            sources=[*sources, *guide_texts(guide)],
            said=[turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE],
            canary=self.canary,
        )

    async def question(
        self,
        model: ChatModel,
        *,
        guide: Guide,
        template: PromptFile,
        spec: PhaseSpec,
        state: SessionState,
        turns: list[Turn],
        latest_answer: str,
    ) -> GuardVerdict:
        """The model's next question for ``state`` as the output guard judged it. A reply cut
        off midway raises with its partial text only if that text passed the guard."""
        documents = await self._grounding(spec, latest_answer)
        settings = self.deps.settings
        context = PromptContext(
            template=template,
            phase=spec,
            state=state,
            target_minutes=settings.interview_minutes,
            max_questions=settings.interview_max_questions,
            canary=self.canary,
            focus=self.focus,
        )
        prompt = build_messages(
            context, turns, documents, self.deps.counter, settings.prompt_token_budget
        )
        # Built on the event loop (it only keeps its sources); its checks work off the loop,
        # where other interviews are answered: they take milliseconds, but the language
        # detector loads its models (~2 s) at first use.
        guard = self.guard(guide, sources=[prompt[0].content], turns=turns)
        verdict = await self._checked(model, guard, await self._reply(model, prompt, guard))
        if _ask_again(verdict):
            # The validator's retry: the one place a reply is asked for again.
            log.info("Interviewer message asked for again: it held more than one question")
            reminder = ChatMessage.system(message(guide.language, "one_question_reminder"))
            again = await self._reply(model, [*prompt, reminder], guard)
            verdict = await self._checked(model, guard, again)
        if verdict.rule is not None:
            log_replaced(verdict.rule)
        elif verdict.trimmed:
            log.info("Interviewer message corrected: a trailing second question was dropped")
        return verdict

    @staticmethod
    async def _checked(
        model: ChatModel, guard: OutputGuard, reply: str | GuardVerdict
    ) -> GuardVerdict:
        if isinstance(reply, GuardVerdict):
            return reply  # a reply cut off midway, its partial text already judged
        if not reply.strip():
            raise ModelStreamInterruptedError(model.name, "", "the model gave an empty answer")
        # On the event loop: a check is a fraction of a millisecond, less than the trip to a
        # worker thread and back that would only wait for the GIL it needs.
        return guard.check(reply)

    async def _reply(
        self, model: ChatModel, prompt: Sequence[ChatMessage], guard: OutputGuard
    ) -> str | GuardVerdict:
        """The model's whole reply. Streamed, so that a reply cut off midway keeps what it
        said; buffered, so that no piece reaches the employee before the guard read them all.
        A reply cut off midway: the guard's verdict when its partial text broke a rule."""
        try:
            return "".join([piece async for piece in model.stream(prompt)])
        except ModelStreamInterruptedError as error:
            partial = guard.check(error.partial, complete=False)
            if partial.rule is not None:
                return partial
            raise ModelStreamInterruptedError(model.name, partial.text, str(error)) from None

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


def _ask_again(verdict: GuardVerdict) -> bool:
    """Whether the guard found more than one question, and nothing else wrong before it: a
    reply that leaked or linked is not given a second try."""
    return verdict.trimmed or (
        verdict.rule == GuardRule.QUESTIONS and count_questions(verdict.text) > 1
    )


def log_replaced(rule: GuardRule) -> None:
    # The rule's name only: what the model wrote stays out of the logs.
    log.info("Interviewer message replaced by the guide's question: rule %s", rule.value)


async def model_question(
    session: InterviewSession, phase: Phase, turn: Turn, state: SessionState
) -> GuardVerdict:
    """The model's question in ``phase`` after the employee's ``turn``, for ``state``."""
    model = session.deps.model
    assert model is not None  # only asked with a model
    return await session.interviewer.question(
        model,
        guide=session.guide,
        template=session.system_prompt,
        spec=flow.phase_spec(session.guide, phase),
        state=state,
        turns=await session.writer.turns(),
        latest_answer=turn.text,
    )


async def ask(
    session: InterviewSession, turn: Turn, asked: asyncio.Task[GuardVerdict] | None = None
) -> AsyncIterator[SessionEvent]:
    """The next question after ``turn``: the model's (``asked``, when it was asked ahead),
    once the guard passed it; else the guide's."""
    model = session.deps.model
    messages = session.guide.messages
    replaced: GuardRule | None = None
    if model is not None:
        try:
            verdict = await (asked or model_question(session, session.phase, turn, session.state))
        except ModelStreamInterruptedError as error:
            if error.partial.strip():
                await session.record(error.partial, scripted=False, complete=False)
                yield SessionEvent(
                    EventKind.MESSAGE,
                    f"{error.partial} {messages.interrupted}",
                    phase=session.phase,
                    complete=False,
                )
            yield SessionEvent(EventKind.NOTICE, messages.model_unavailable)
        except ModelError:
            yield SessionEvent(EventKind.NOTICE, messages.model_unavailable)
        else:
            if verdict.rule is None:
                # Checked whole: the adapters may show it as the stream they wait for.
                yield SessionEvent(EventKind.TOKEN, verdict.text, phase=session.phase)
                yield await session.say(
                    verdict.text,
                    scripted=False,
                    prompt=session.system_prompt.ref,
                    question=True,
                    model=model.name,
                )
                return
            replaced = verdict.rule
    spec = flow.phase_spec(session.guide, session.phase)
    question = flow.take_fallback_question(session.state, spec)
    yield await session.say(question, scripted=True, question=True, guard_rule=replaced)
