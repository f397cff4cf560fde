"""The interview session's logic on an in-process model: the turn loop, the one-question rule,
fallbacks, consent, the closing summary and the prompt budget. No HTTP, no LangChain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.interview.state import SessionState
from assistant.llm import ModelResponseError
from assistant.llm.testing import CutOff, Fail, ModelRequest, ScriptedChatModel
from assistant.schemas import GuardRule, InterviewStatus, JobKind, JobStatus, Phase, Speaker
from assistant.store import Store
from assistant.tokens import TokenCounter
from tests.conftest import SettingsFactory
from tests.support.session import QUESTION, SUMMARY, collect, interviewer, messages, streamed

# One answer per phase, each carrying what the guide looks for in that phase.
ANSWERS = [
    "oui",
    "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile.",
    "Hier matin chez Mme R., elle était inquiète parce que sa fille ne l'appelait plus.",
    "Je me suis assise avec elle, je l'ai laissée parler, puis j'ai fait la toilette.",
    "Sa fille était au téléphone ensuite ; ma collègue infirmière est passée aussi.",
    "Ça lui a apporté du calme, et moi j'ai senti qu'on avait confiance.",
    "Normalement la toilette dure 30 minutes mais en réalité j'ai dépassé de 20 minutes.",
    "L'application du planning ne sait pas que je reste plus longtemps.",
    "Oui, c'est juste.",
    "Non, c'est tout.",
]


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel(name="scripted-interviewer")


@pytest.fixture
def offline_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


DepsFactory = Callable[..., SessionDeps]


@pytest.fixture
def make_deps(
    offline_settings: Settings, tmp_store: Store, model: ScriptedChatModel
) -> DepsFactory:
    def build(**changes: object) -> SessionDeps:
        values: dict[str, Any] = {
            "settings": offline_settings,
            "store": tmp_store,
            "model": model,
        }
        values.update(changes)
        return SessionDeps(**values)

    return build


@pytest.fixture
def deps(make_deps: DepsFactory) -> SessionDeps:
    return make_deps()


async def consented(deps: SessionDeps, *, language: str = "fr", **options: Any) -> InterviewSession:
    """A session past consent, its first (model) question asked."""
    session = await InterviewSession.begin(deps, language=language, **options)
    await collect(session.respond("oui" if language == "fr" else "yes"))
    return session


# ------------------------------------------------------------------------------ the whole path


async def test_a_full_interview_covers_every_phase_and_closes_on_a_confirmed_summary(
    deps: SessionDeps, model: ScriptedChatModel, tmp_store: Store
) -> None:
    model.respond_with(interviewer)
    session = await InterviewSession.begin(deps, language="fr")
    phases: list[Phase] = []
    last: list[SessionEvent] = []
    for answer in ANSWERS:
        last = await collect(session.respond(answer))
        phases += [event.phase for event in last if event.kind == EventKind.PHASE and event.phase]
    assert phases == [
        Phase.ROLE,
        Phase.EPISODE,
        Phase.PEOPLE,
        Phase.GAP,
        Phase.AUTOMATION,
        Phase.CLOSING,
    ]
    assert last[-1] == SessionEvent(EventKind.ENDED, status=InterviewStatus.CLOSED)
    assert (session.interview.status, session.interview.phase) == (
        InterviewStatus.CLOSED,
        Phase.DONE,
    )
    assert session.interview.consent_given is True
    assert session.interview.prompt_versions.keys() == {
        "interviewer.system",
        "interview.guide",
        "interview.summary",
    }
    # Closing queues the extraction of findings, to run in the background.
    [job] = tmp_store.jobs.where(kind=JobKind.EXTRACTION)
    assert (job.interview_id, job.status) == (session.interview.id, JobStatus.QUEUED)
    turns = await session.transcript()
    assert [t.text for t in turns if t.speaker == Speaker.EMPLOYEE] == ANSWERS
    summary = next(t for t in turns if t.text.startswith("Voici ce que je retiens"))
    assert all(f"- {point}" in summary.text for point in SUMMARY)
    assert (summary.prompt, summary.model, summary.scripted) == (
        "interview.summary@1.0.0",
        model.name,
        False,
    )
    questions = [t for t in turns if t.text == QUESTION]
    assert questions
    assert all(t.prompt == "interviewer.system@1.2.0" for t in questions)
    assert all((t.model, t.scripted) == (model.name, False) for t in questions)
    # Every question was streamed; the summary alone is a structured request.
    structured = [r for r in model.requests if r.json_schema is not None]
    assert len(structured) == 1
    assert all(r.streamed for r in model.requests if r.json_schema is None)


async def test_an_interview_resumes_exactly_where_it_stopped(
    offline_settings: Settings, tmp_path: Path, model: ScriptedChatModel
) -> None:
    model.respond_with(interviewer)
    url = f"sqlite:///{tmp_path / 'resume.db'}"
    first_store = Store(url)
    first_store.migrate()
    deps = SessionDeps(settings=offline_settings, store=first_store, model=model)
    session = await InterviewSession.begin(deps, language="fr")
    for answer in ANSWERS[:4]:
        await collect(session.respond(answer))
    before = session.interview
    first_store.close()

    # A new process: a new store on the same database, a new session object.
    deps = SessionDeps(settings=offline_settings, store=Store(url), model=model)
    resumed = await InterviewSession.resume(deps, before.id)
    assert resumed.phase == before.phase
    assert resumed.state == session.state
    for answer in ANSWERS[4:]:
        await collect(resumed.respond(answer))
    assert resumed.interview.status == InterviewStatus.CLOSED


async def test_a_message_left_unanswered_by_a_killed_server_is_answered_on_resume(
    deps: SessionDeps, model: ScriptedChatModel, tmp_store: Store
) -> None:
    model.respond_with(interviewer)
    session = await consented(deps)
    # What a server killed while the model answered leaves: the employee's turn, stored first.
    answer = "Je suis auxiliaire de vie sociale, je m'occupe de personnes âgées à domicile."
    await asyncio.to_thread(
        tmp_store.interviews.add_turn,
        session.interview.id,
        speaker=Speaker.EMPLOYEE,
        text=answer,
        phase=session.phase,
    )
    resumed = await InterviewSession.resume(deps, session.interview.id)
    pending = await resumed.unanswered()
    assert pending is not None
    assert pending.text == answer
    events = await collect(resumed.answer_unanswered())
    assert messages(events) == [QUESTION]
    turns = await resumed.transcript()
    assert [t.text for t in turns if t.speaker == Speaker.EMPLOYEE] == ["oui", answer]
    assert (turns[-1].speaker, turns[-1].text) == (Speaker.INTERVIEWER, QUESTION)
    assert resumed.state.answers == {Phase.ROLE: 1}
    # Answered once: a second resume finds nothing to answer.
    assert await resumed.unanswered() is None
    assert await collect(resumed.answer_unanswered()) == []


async def test_a_reply_cut_off_then_lost_leaves_the_message_unanswered_until_resumed(
    deps: SessionDeps, model: ScriptedChatModel, tmp_store: Store
) -> None:
    model.respond_with(interviewer)
    session = await consented(deps)
    answer = "Je suis aide à domicile depuis six ans."
    for speaker, text, complete in [
        (Speaker.EMPLOYEE, answer, True),
        (Speaker.INTERVIEWER, "Pouvez-vous me décrire une", False),
    ]:
        await asyncio.to_thread(
            tmp_store.interviews.add_turn,
            session.interview.id,
            speaker=speaker,
            text=text,
            phase=session.phase,
            complete=complete,
        )
    resumed = await InterviewSession.resume(deps, session.interview.id)
    assert messages(await collect(resumed.answer_unanswered())) == [QUESTION]
    # A complete reply, and the session answering in this process: nothing more to answer.
    assert await resumed.unanswered() is None
    answering = resumed.respond("Je m'occupe de six personnes chaque matin.")
    await anext(answering)  # the turn is stored; the model's answer is under way
    assert await resumed.unanswered() is None
    await collect(answering)


# ------------------------------------------------------------------------------ one question


async def test_a_reply_with_two_questions_is_asked_for_again_once(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="fr")
    model.queue("Quel est votre métier ? Et depuis quand ?", "Quel est votre métier, ici ?")
    events = await collect(session.respond("oui"))
    # Shown only once checked: the second reply, as stored.
    assert streamed(events) == "Quel est votre métier, ici ?"
    assert messages(events)[-1] == "Quel est votre métier, ici ?"
    last = (await session.transcript())[-1]
    assert (last.text, last.scripted, last.guard_rule) == (
        "Quel est votre métier, ici ?",
        False,
        None,
    )
    first, again = model.requests
    assert again.messages[:-1] == first.messages
    assert (again.last.role, "une seule question" in again.last.content) == ("system", True)


async def test_nothing_is_shown_before_the_whole_reply_is_checked(
    make_deps: DepsFactory,
) -> None:
    by_character = ScriptedChatModel(split=list)
    session = await InterviewSession.begin(make_deps(model=by_character), language="fr")
    by_character.queue(
        "D'accord. Quel est votre métier ? Et depuis quand ?",
        "D'accord. Quel est votre métier ? Et où ?",
    )
    events = await collect(session.respond("oui"))
    tokens = [event.text for event in events if event.kind == EventKind.TOKEN]
    assert tokens == ["D'accord. Quel est votre métier ?"]
    assert messages(events)[-1] == "D'accord. Quel est votre métier ?"


async def test_still_two_questions_after_asking_again_keeps_the_first(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="en")
    model.queue("What is your job? Since when?", "What do you do? And where?")
    events = await collect(session.respond("yes"))
    assert messages(events)[-1] == "What do you do?"
    assert "single question" in model.requests[-1].last.content
    assert len(model.requests) == 2  # asked again once, not more


async def test_a_reply_over_the_message_limit_is_replaced_by_the_guides_question(
    make_deps: DepsFactory, make_settings: SettingsFactory
) -> None:
    # Cut to the limit, it would lose its question, which comes last.
    model = ScriptedChatModel()
    deps = make_deps(settings=make_settings(max_question_chars=100), model=model)
    session = await InterviewSession.begin(deps, language="fr")
    model.queue("Je vous écoute. " * 12 + "Que s'est-il passé ?")
    events = await collect(session.respond("oui"))
    first_question = session.guide.phases[0].questions[0]
    assert messages(events)[-1] == first_question
    assert streamed(events) == ""
    last = (await session.transcript())[-1]
    assert (last.text, last.scripted, last.guard_rule) == (first_question, True, GuardRule.LENGTH)


# ------------------------------------------------------------------------------ fallbacks


async def test_a_stream_cut_midway_loses_nothing_and_the_interview_goes_on(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    model.respond_with(interviewer)
    session = await consented(deps)
    model.queue(CutOff("Pouvez-vous me décrire une"))
    answer = "Je suis aide à domicile depuis six ans."
    events = await collect(session.respond(answer))
    assert streamed(events) == ""  # a cut-off reply is shown once checked, as it stands
    cut = next(e for e in events if e.kind == EventKind.MESSAGE and not e.complete)
    assert cut.text == "Pouvez-vous me décrire une (La réponse a été interrompue avant la fin.)"
    assert [e.kind for e in events][-2:] == [EventKind.NOTICE, EventKind.MESSAGE]
    turns = await session.transcript()
    employee, partial, scripted = turns[-3:]
    assert (employee.speaker, employee.text) == (Speaker.EMPLOYEE, answer)
    assert (partial.text, partial.complete, partial.scripted) == (
        "Pouvez-vous me décrire une",
        False,
        False,
    )
    assert (scripted.speaker, scripted.scripted) == (Speaker.INTERVIEWER, True)
    episode = session.guide.phase(Phase.EPISODE)
    assert episode is not None
    assert (session.phase, scripted.text) == (Phase.EPISODE, episode.questions[0])

    # The model is back: the next question comes from it again.
    await collect(session.respond("Je m'occupe de six personnes chaque matin."))
    last = (await session.transcript())[-1]
    assert (last.text, last.scripted, last.model) == (QUESTION, False, model.name)


async def test_a_stream_cut_before_any_text_shows_no_empty_message(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="fr")
    model.queue(CutOff(""))
    events = await collect(session.respond("oui"))
    assert all(event.complete for event in events)
    assert [t.complete for t in await session.transcript()] == [True, True, True]
    assert events[-1].scripted


@pytest.mark.parametrize(
    "failure",
    [Fail.unavailable(), Fail(ModelResponseError("HTTP 500")), ""],
    ids=["unavailable", "server-error", "empty-answer"],
)
async def test_a_failing_model_gives_way_to_the_guides_questions_in_order(
    deps: SessionDeps, model: ScriptedChatModel, failure: Fail | str
) -> None:
    model.respond_with(lambda request: failure)
    session = await InterviewSession.begin(deps, language="fr")
    first = await collect(session.respond("oui"))
    second = await collect(session.respond("Bien."))  # nothing the role phase looks for
    notice = session.guide.messages.model_unavailable
    role = session.guide.phase(Phase.ROLE)
    assert role is not None
    for events, question in ((first, role.questions[0]), (second, role.questions[1])):
        assert [e.text for e in events if e.kind == EventKind.NOTICE] == [notice]
        assert messages(events) == [question]
        assert events[-1].scripted
    assert len(model.requests) == 2


async def test_without_any_model_the_guide_carries_the_interview_to_its_end(
    make_deps: DepsFactory,
) -> None:
    session = await InterviewSession.begin(make_deps(model=None), language="fr")
    for answer in ANSWERS:
        await collect(session.respond(answer))
    assert session.interview.status == InterviewStatus.CLOSED
    turns = await session.transcript()
    assert all(t.scripted for t in turns if t.speaker == Speaker.INTERVIEWER)
    summary = next(t for t in turns if t.text.startswith("Voici ce que je retiens"))
    # Extractive, in the employee's own words.
    assert "« Je suis auxiliaire de vie sociale, je m'occupe" in summary.text
    assert summary.prompt == session.guide.ref  # the guide, not a model, wrote it


async def test_a_summary_the_model_cannot_give_is_extracted_from_the_answers(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    def no_summary(request: ModelRequest) -> str:
        return "pas du JSON" if request.json_schema is not None else QUESTION

    model.respond_with(no_summary)
    session = await InterviewSession.begin(deps, language="fr")
    for answer in ANSWERS[:-2]:
        await collect(session.respond(answer))
    assert session.phase == Phase.CLOSING
    summary = (await session.transcript())[-1]
    assert summary.text.startswith("Voici ce que je retiens")
    assert "« Hier matin chez Mme R., elle était inquiète" in summary.text
    assert (summary.scripted, summary.model) == (True, None)
    # The structured request was repaired once before giving up.
    assert sum(1 for r in model.requests if r.json_schema is not None) == 2


# ------------------------------------------------------------------------------ consent, input


async def test_nothing_reaches_the_model_before_consent_and_a_refusal_keeps_only_itself(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="fr")
    unclear = await collect(session.respond("Je ne sais pas trop, c'est pour quoi ?"))
    assert messages(unclear) == [session.guide.framing.consent_reminder]
    events = await collect(session.respond("Non merci."))
    assert messages(events) == [session.guide.framing.declined]
    assert events[-1] == SessionEvent(EventKind.ENDED, status=InterviewStatus.DECLINED)
    assert model.requests == []
    stored = await InterviewSession.resume(deps, session.interview.id)
    assert (stored.interview.status, stored.interview.consent_given) == (
        InterviewStatus.DECLINED,
        False,
    )
    assert stored.state == SessionState()  # not even how long the employee spent reading
    assert [t.speaker for t in await stored.transcript()] == [Speaker.INTERVIEWER]


async def test_consent_opens_the_first_phase_with_the_models_question(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="en")
    model.queue("What is your job here?")
    events = await collect(session.respond("Yes, let's go."))
    assert events[0] == SessionEvent(EventKind.PHASE, phase=Phase.ROLE)
    assert messages(events) == ["What is your job here?"]
    assert session.interview.consent_given is True
    [request] = model.requests
    assert request.last.content == "Yes, let's go."  # the employee's words, as the user's


async def test_bad_input_gets_a_notice_and_stores_nothing(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    session = await InterviewSession.begin(deps, language="en")
    before = len(await session.transcript())
    for text in ("", "   \n ", "x" * (deps.settings.max_message_chars + 1)):
        events = await collect(session.respond(text))
        assert [e.kind for e in events] == [EventKind.NOTICE]
    assert "20000" in events[0].text
    assert len(await session.transcript()) == before
    assert model.requests == []


async def test_a_second_window_that_stopped_the_interview_is_heeded(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    model.respond_with(interviewer)
    first = await consented(deps)
    second = await InterviewSession.resume(deps, first.interview.id)  # the same, elsewhere
    await collect(second.respond("stop"))
    stored = len(await first.transcript())
    events = await collect(first.respond("Je suis aide à domicile."))
    assert [event.kind for event in events] == [EventKind.NOTICE]
    assert len(await first.transcript()) == stored  # nothing written after the stop
    assert first.is_over


# ------------------------------------------------------------------------------ closing


async def test_a_corrected_summary_is_noted_and_the_interview_ends_with_thanks(
    deps: SessionDeps, model: ScriptedChatModel
) -> None:
    model.respond_with(interviewer)
    session = await InterviewSession.begin(deps, language="fr")
    for answer in ANSWERS[:-2]:
        await collect(session.respond(answer))
    words = session.guide.messages
    correction = await collect(session.respond("Non, ce n'était pas hier mais avant-hier."))
    assert messages(correction) == [f"{words.correction_noted} {words.anything_else}"]
    end = await collect(session.respond("Non, c'est tout."))
    assert messages(end) == [words.thanks]
    assert end[-1] == SessionEvent(EventKind.ENDED, status=InterviewStatus.CLOSED)


async def test_the_interview_closes_when_its_time_is_up(
    make_deps: DepsFactory, model: ScriptedChatModel
) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def clock() -> datetime:
        return now

    model.respond_with(interviewer)
    deps = make_deps(clock=clock)
    session = await consented(deps)
    # 20 minutes planned: closing starts at 85 % of them (17 minutes), and a pause counts for
    # at most 5 minutes.
    for _ in range(3):
        now += timedelta(minutes=4)
        await collect(session.respond("Je suis aide à domicile."))
    assert session.phase != Phase.CLOSING
    now += timedelta(hours=1)
    events = await collect(session.respond("Je suis aide à domicile."))
    assert SessionEvent(EventKind.PHASE, phase=Phase.CLOSING) in events
    assert session.state.active_seconds == 3 * 240 + 300


async def test_the_prompt_stays_within_budget_however_long_the_interview(
    make_deps: DepsFactory, make_settings: SettingsFactory, model: ScriptedChatModel
) -> None:
    settings = make_settings(
        prompt_token_budget=1500, interview_max_questions=100, interview_minutes=120
    )
    model.respond_with(interviewer)
    session = await consented(make_deps(settings=settings))
    long_answer = "Je suis auxiliaire et je raconte en détail ce qui s'est passé ce jour-là. " * 12
    for _ in range(30):
        await collect(session.respond(long_answer))
    assert session.is_over

    counter = TokenCounter(settings.tokenizer)

    def size(request: ModelRequest) -> int:
        return counter.count_messages(m.content for m in request.messages)

    questions = [r for r in model.requests if r.json_schema is None]
    summaries = [r for r in model.requests if r.json_schema is not None]
    assert len(questions) > 15
    assert max(size(r) for r in questions) <= settings.prompt_token_budget
    assert "earlier answers not shown" in questions[-1].system
    # The closing summary reads every answer, shortened evenly to fit the model's context.
    [summary] = summaries
    assert size(summary) <= settings.context_window
    # One question per answer: the answer that led to the closing got the summary instead.
    assert summary.last.content.count("- Je suis auxiliaire") == len(questions)
