"""The closing summary: the points the employee is asked to confirm, correct or strike.

The model writes them from what the employee said, under the output guard; without a model,
or when it fails or breaks a rule, they are the first sentence of the employee's first answer in
each phase, in their own words.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.interview.deps import SessionDeps
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.flow import summary_confirmed
from assistant.interview.guard import OutputGuard
from assistant.interview.guide import Guide
from assistant.interview.interviewer import Interviewer, log_replaced
from assistant.interview.messages import message
from assistant.interview.state import ClosingStep
from assistant.llm import ChatMessage, ModelError, request_structured
from assistant.prompts import PromptFile
from assistant.schemas import GuardRule, InterviewStatus, InterviewUpdate, Phase, Speaker, Turn
from assistant.text import sentences

if TYPE_CHECKING:
    from assistant.interview.session import InterviewSession

SUMMARY_PROMPT_ID = "interview.summary"


class SummaryPoints(BaseModel):
    points: list[str] = Field(min_length=1, max_length=8)


@dataclass(frozen=True)
class Summary:
    points: list[str]
    by_model: bool  # else extracted from the answers
    replaced: GuardRule | None = None  # the output guard's rule that set the model's aside


async def summarize(
    deps: SessionDeps,
    interviewer: Interviewer,
    guide: Guide,
    template: PromptFile,
    turns: list[Turn],
) -> Summary:
    """The summary's points, by the model when it can write them within the rules."""
    model = deps.model
    replaced: GuardRule | None = None
    if model is not None:
        prompt = [ChatMessage.user(template.render(transcript=said(deps, turns)))]
        try:
            summary = await request_structured(model, prompt, SummaryPoints)
        except ModelError:
            pass
        else:
            guard = interviewer.guard(guide, sources=[prompt[0].content], turns=turns)
            points = summary.value.points
            replaced = await asyncio.to_thread(_first_broken_rule, guard, points)
            if replaced is None:
                return Summary(points, by_model=True)
            log_replaced(replaced)
    return Summary(extractive_summary(turns, guide.language), by_model=False, replaced=replaced)


async def offer_summary(session: InterviewSession) -> AsyncIterator[SessionEvent]:
    """The summary, for the employee to confirm, correct or strike points of."""
    summary = await summarize(
        session.deps,
        session.interviewer,
        session.guide,
        session.summary_prompt,
        await session.writer.turns(),
    )
    session.state.summary = summary.points
    session.state.closing_step = ClosingStep.CONFIRM_SUMMARY
    model = session.deps.model
    yield await session.say(
        summary_message(session.guide, summary.points),
        scripted=not summary.by_model,
        prompt=session.summary_prompt.ref if summary.by_model else session.guide.ref,
        model=model.name if summary.by_model and model else None,
        guard_rule=summary.replaced,
    )


async def answer_in_closing(
    session: InterviewSession, text: str, *, correcting: bool
) -> AsyncIterator[SessionEvent]:
    """The summary confirmed or corrected, then anything else to add, then the end."""
    messages = session.guide.messages
    if session.state.closing_step == ClosingStep.CONFIRM_SUMMARY:
        session.state.closing_step = ClosingStep.ANYTHING_ELSE
        reply = messages.anything_else
        if not summary_confirmed(session.guide, text, correcting=correcting):
            reply = f"{messages.correction_noted} {messages.anything_else}"
        yield await session.say(reply, scripted=True)
        return
    async for event in session.end(messages.thanks, InterviewStatus.CLOSED):
        yield event


async def strike_point(session: InterviewSession, number: int) -> AsyncIterator[SessionEvent]:
    """Take point ``number`` (from 1) out of the summary the session reviews (read just now)."""
    points = session.state.summary
    language = session.guide.language
    if not session.is_reviewing_summary:
        yield SessionEvent(EventKind.NOTICE, message(language, "no_summary_to_change"))
        return
    if not 1 <= number <= len(points):
        notice = message(language, "no_such_point", last=len(points))
        yield SessionEvent(EventKind.NOTICE, notice)
        return
    point = points[number - 1]
    shown = latest_summary(await session.writer.turns())
    state = session.state.model_copy(deep=True)
    state.summary = [p for i, p in enumerate(points, start=1) if i != number]
    saved = state.model_dump(mode="json")
    if shown is None:
        session.interview = await session.writer.update(InterviewUpdate(state=saved))
    else:
        shorter = without_point(shown.text, point)
        await session.writer.revise_turn(shown.id, shorter, state=saved)
        session.interview = session.interview.model_copy(update={"state": saved})
        yield SessionEvent(EventKind.REVISED, shorter, phase=session.phase)
    session.state = state
    yield SessionEvent(EventKind.STRUCK, point, phase=session.phase)


def summary_message(guide: Guide, points: list[str]) -> str:
    """The message that offers the summary for review."""
    messages = guide.messages
    bullets = "\n".join(f"- {point}" for point in points)
    return f"{messages.summary_intro}\n\n{bullets}\n\n{messages.summary_confirm}"


def said(deps: SessionDeps, turns: list[Turn]) -> str:
    """What the employee said, shortened evenly (not cut at the end) to fit the context."""
    answers = [
        " ".join(turn.text.split())  # data: the renderer makes it inert
        for turn in turns
        if turn.speaker == Speaker.EMPLOYEE and turn.phase not in (Phase.CONSENT,)
    ]
    counter = deps.counter
    # Room for the instructions and the answer within the model's context.
    budget = max(deps.settings.context_window - 1500, 1000)
    if answers and counter.count_messages(answers) > budget:
        share = max(budget // len(answers) - counter.PER_MESSAGE_OVERHEAD, 20)
        answers = [counter.truncate(answer, share) for answer in answers]
    return "\n".join(f"- {answer}" for answer in answers)


def without_point(text: str, point: str) -> str:
    """The summary message without the bullet ``point``."""
    kept = [
        line
        for line in text.splitlines()
        if not (line.startswith("- ") and line[2:].strip() == point)
    ]
    return "\n".join(kept)


def latest_summary(turns: list[Turn]) -> Turn | None:
    """The interviewer's latest message in the closing: the summary under review."""
    return next(
        (
            turn
            for turn in reversed(turns)
            if turn.speaker == Speaker.INTERVIEWER and turn.phase == Phase.CLOSING
        ),
        None,
    )


def extractive_summary(turns: list[Turn], language: str) -> list[str]:
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
            points.append(message(language, "quoted", words=first))
    return points or ["-"]


def _first_broken_rule(guard: OutputGuard, points: list[str]) -> GuardRule | None:
    broken = (guard.check_statement(point) for point in points)
    return next((rule for rule in broken if rule is not None), None)
