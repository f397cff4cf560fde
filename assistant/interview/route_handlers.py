"""What the session does on each safety route (:mod:`assistant.interview.routes` decides which):
each route's scripted answer, written by the guide and the settings, never by a model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from string import Template
from typing import TYPE_CHECKING

from assistant.interview.classifier import SafetyVerdict
from assistant.interview.decisions import Route, SafetyDecision
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.flow import next_question, question_again
from assistant.interview.routes import (
    SUPPORTED_LANGUAGES,
    confidentiality_answer,
    decide,
    safeguarding_message,
    unsupported_language,
)
from assistant.interview.safety import Concern
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit
from assistant.schemas import InterviewStatus, InterviewUpdate, Phase

if TYPE_CHECKING:
    from assistant.interview.session import InterviewSession

log = logging.getLogger(__name__)


async def safety_decision(
    session: InterviewSession,
    turn_id: int,
    concern: Concern | None,
    classifying: asyncio.Task[SafetyVerdict | None] | None,
) -> SafetyDecision | None:
    """The route the message ``turn_id`` takes, if any, kept in the state: the cue words'
    ``concern``, else the classifier's verdict when it was asked."""
    classifier = session.deps.classifier
    language = session.interview.language
    verdict = prompt = None
    if classifying is not None and classifier is not None:
        verdict = await classifying
        prompt = classifier.prompt(language).ref
    decision = decide(
        turn_id,
        concern,
        verdict,
        language=language,
        min_confidence=session.deps.settings.safety_min_confidence,
        prompt=prompt,
    )
    if decision is not None:
        session.state.safety.append(decision)
        log.info("Safety route %s, decided by %s.", decision.route, decision.source)
    return decision


async def take_route(
    session: InterviewSession, decision: SafetyDecision | None, text: str
) -> AsyncIterator[SessionEvent]:
    """Each route's scripted answer; no model writes any of them."""
    route = None if decision is None else decision.route
    if route == Route.DISTRESS:
        async for event in _stop_for_safety(session):
            yield event
        return
    guide = session.guide
    if session.state.paused_for_safeguarding:
        # The answer to "go on or stop?": a stop request stops, anything else goes on.
        session.state.paused_for_safeguarding = False
        if route is None:
            question = next_question(guide, session.state, session.phase)
            yield await session.say(
                f"{guide.routes.resumed} {question}", scripted=True, question=True
            )
            return
    if route == Route.STOP:
        async for event in session.end(guide.messages.stopped, InterviewStatus.STOPPED):
            yield event
    elif route == Route.OFF_MISSION:
        yield await session.say(f"{guide.messages.off_mission} {_again(session)}", scripted=True)
    elif route == Route.HOSTILITY:
        yield await session.say(f"{guide.routes.hostility} {_again(session)}", scripted=True)
    elif route == Route.CONFIDENTIALITY:
        answer = confidentiality_answer(guide, session.deps.settings)
        yield await session.say(f"{answer}\n\n{_again(session)}", scripted=True)
    elif route == Route.SAFEGUARDING:
        yield await _pause_for_safeguarding(session, text)
    elif route == Route.WITHDRAWAL:
        asked = await session.say(guide.routes.withdrawal, scripted=True)
        yield SessionEvent(
            EventKind.WITHDRAWAL_REQUESTED, asked.text, phase=asked.phase, scripted=True
        )
    elif route == Route.LANGUAGE_CHANGE and decision is not None:
        yield await _change_language(session, decision.language or "")


def _again(session: InterviewSession) -> str:
    return question_again(session.guide, session.state, session.phase)


async def _pause_for_safeguarding(session: InterviewSession, text: str) -> SessionEvent:
    """Say that it must be reported today and how, flag the interview, and ask whether to
    go on: the next message decides."""
    procedure = await _incident_procedure(session, text)
    session.interview = await session.writer.flag(
        "safeguarding: someone in the employee's care may be being harmed"
    )
    session.state.paused_for_safeguarding = True
    message = safeguarding_message(session.guide, session.deps.settings, procedure)
    return await session.say(message, scripted=True)


async def _incident_procedure(session: InterviewSession, text: str) -> Hit | None:
    """The company's best passage on reporting an incident, when documents are ingested."""
    retriever = session.deps.retriever
    if retriever is None:
        return None
    query = f"{session.guide.routes.safeguarding_query} {text[:400]}"
    try:
        result = await retriever.search(query, k=1, collection=Collection.COMPANY)
    except Exception:  # the contact is said anyway; the procedure only adds to it
        log.warning("No company procedure could be retrieved for a safeguarding report.")
        return None
    return result.hits[0] if result.hits else None


async def _change_language(session: InterviewSession, language: str) -> SessionEvent:
    """Go on in ``language`` when it is offered; otherwise say which languages are."""
    if language not in SUPPORTED_LANGUAGES:
        return await session.say(
            f"{unsupported_language(session.guide)} {_again(session)}", scripted=True
        )
    session.interview = await session.writer.update(
        InterviewUpdate(language=language, state=session.state.model_dump(mode="json"))
    )
    session.speak(language)
    switched = session.guide.routes.language_switched
    if session.phase == Phase.CLOSING:
        return await session.say(f"{switched} {_again(session)}", scripted=True)
    question = next_question(session.guide, session.state, session.phase)
    return await session.say(f"{switched} {question}", scripted=True, question=True)


async def _stop_for_safety(session: InterviewSession) -> AsyncIterator[SessionEvent]:
    text = Template(session.guide.messages.distress.strip()).substitute(
        resources=session.deps.settings.help_resources
    )
    session.interview = await session.writer.flag("distress expressed during the interview")
    async for event in session.end(text, InterviewStatus.STOPPED):
        yield event
