"""The transcript writer: how many database transactions an employee turn takes, and that
keeping the turns between two of them never hides a turn written elsewhere."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from assistant.config import Settings
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.schemas import Phase, Speaker
from assistant.store import Store
from tests.conftest import SettingsFactory

QUESTION = "Comment cela s'est-il passé ?"
ROLE = "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile."
EPISODE = "Hier matin chez Mme R., elle était inquiète parce que sa fille ne l'appelait plus."
FOLLOW_UP = "Je me suis assise avec elle, je l'ai laissée parler, puis j'ai fait la toilette."


def interviewer(request: ModelRequest) -> str:
    if request.json_schema is not None:
        return json.dumps({"points": ["Un point."]})
    return QUESTION


async def collect(events: AsyncIterator[SessionEvent]) -> list[SessionEvent]:
    return [event async for event in events]


@contextmanager
def transactions() -> Iterator[list[int]]:
    """Counts the transactions begun on any database engine (reads and writes alike)."""
    begun = [0]

    def count(connection: Connection) -> None:
        begun[0] += 1

    event.listen(Engine, "begin", count)
    try:
        yield begun
    finally:
        event.remove(Engine, "begin", count)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(respond=interviewer)


@pytest.fixture
def deps(settings: Settings, tmp_store: Store, model: ScriptedChatModel) -> SessionDeps:
    return SessionDeps(settings=settings, store=tmp_store, model=model)


async def test_an_employee_turn_takes_two_transactions(deps: SessionDeps) -> None:
    """Commit the employee's turn, commit the interviewer's (and, when the phase moves on,
    commit the move first): the interview is not read first when nothing was written to it
    since this session did, nor are the turns."""
    session = await InterviewSession.begin(deps, language="fr")
    taken = []
    for answer in ("oui", ROLE, EPISODE, FOLLOW_UP):
        with transactions() as begun:
            await collect(session.respond(answer))
        taken.append((session.phase, begun[0]))
    assert taken == [
        (Phase.ROLE, 3),  # consent: the turn, the consent, the question
        (Phase.EPISODE, 3),  # the phase moves on: the turn, the move, the question
        (Phase.EPISODE, 2),  # an ordinary turn: the turn, the question
        (Phase.PEOPLE, 3),
    ]


async def test_the_employee_turn_is_stored_before_the_model_is_asked(
    deps: SessionDeps, tmp_store: Store, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="fr")
    stored_when_asked: list[str] = []

    def looking(request: ModelRequest) -> str:
        turns = tmp_store.interviews.turns(session.interview.id)
        stored_when_asked.append(turns[-1].text)
        return interviewer(request)

    model.respond_with(looking)
    await collect(session.respond("oui"))
    await collect(session.respond(ROLE))
    assert stored_when_asked == ["oui", ROLE]


async def test_a_turn_written_by_another_window_reaches_the_next_prompt(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    first = await InterviewSession.begin(deps, language="fr")
    await collect(first.respond("oui"))
    await collect(first.respond(ROLE))
    # The same interview open in another window: it answers there.
    other = await InterviewSession.resume(deps, first.interview.id)
    await collect(other.respond(EPISODE))
    await collect(first.respond(FOLLOW_UP))
    prompt = " ".join(message.content for message in model.requests[-1].messages)
    assert EPISODE in prompt
    assert FOLLOW_UP in prompt
    turns = await first.transcript()
    said = [turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    assert said == ["oui", ROLE, EPISODE, FOLLOW_UP]


async def two_windows(deps: SessionDeps) -> tuple[InterviewSession, InterviewSession]:
    """An interview past consent, open in two windows."""
    first = await InterviewSession.begin(deps, language="fr")
    await collect(first.respond("oui"))
    return first, await InterviewSession.resume(deps, first.interview.id)


async def test_a_message_sent_after_another_window_stopped_the_interview_is_not_stored(
    deps: SessionDeps, tmp_store: Store
) -> None:
    first, other = await two_windows(deps)
    await collect(other.stop())
    before = len(tmp_store.interviews.turns(first.interview.id))
    with transactions() as begun:
        events = await collect(first.respond(ROLE))
    assert [event.kind for event in events] == [EventKind.NOTICE]
    assert first.is_over
    assert len(tmp_store.interviews.turns(first.interview.id)) == before
    assert begun[0] == 2  # the refused write, then the read that tells why


async def test_a_message_after_another_window_moved_the_phase_is_stored_in_that_phase(
    deps: SessionDeps, tmp_store: Store
) -> None:
    first, other = await two_windows(deps)
    await collect(other.respond(ROLE))  # the role given there: the interview moves on
    assert other.phase != first.phase
    await collect(first.respond(EPISODE))
    stored = tmp_store.interviews.turns(first.interview.id)
    employee = [turn for turn in stored if turn.speaker == Speaker.EMPLOYEE]
    assert employee[-1].text == EPISODE
    assert employee[-1].phase == other.phase


ANSWERS = [
    "oui",
    ROLE,
    EPISODE,
    FOLLOW_UP,
    "Sa fille était au téléphone ensuite ; ma collègue infirmière est passée aussi.",
    "Ça lui a apporté du calme, et moi j'ai senti qu'on avait confiance.",
    "Normalement la toilette dure 30 minutes mais en réalité j'ai dépassé de 20 minutes.",
    "L'application du planning ne sait pas que je reste plus longtemps.",
]


async def test_a_point_struck_in_another_window_stays_struck(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    model.respond_with(
        lambda request: (
            json.dumps({"points": ["Premier point.", "Deuxième point.", "Troisième point."]})
            if request.json_schema is not None
            else QUESTION
        )
    )
    first = await InterviewSession.begin(deps, language="fr")
    for answer in ANSWERS:
        await collect(first.respond(answer))
    assert first.is_reviewing_summary
    other = await InterviewSession.resume(deps, first.interview.id)
    assert await other.unanswered() is None  # the other window has read the turns
    await collect(first.strike_point(1))
    await collect(other.strike_point(1))  # now "Deuxième point."
    summary = (await other.transcript())[-1].text
    assert "Premier point." not in summary
    assert "Deuxième point." not in summary
    assert "Troisième point." in summary
