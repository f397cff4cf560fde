"""The safety classifier and its routes, on the in-process model: what the cue words miss, the
classifier routes (care, safeguarding, confidentiality, withdrawal, language, hostility); when
it fails, the cue words alone decide. In French and in English."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from assistant.config import Settings
from assistant.interview.classifier import SafetyClassifier, SafetyVerdict
from assistant.interview.decisions import DecisionSource, Route
from assistant.interview.events import EventKind, SessionEvent
from assistant.interview.guide import load_guide
from assistant.interview.routes import decide
from assistant.interview.safety import Concern
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm import ChatMessage, ModelResponse
from assistant.llm.port import JsonSchema
from assistant.llm.testing import Fail, ModelRequest, Reply, ScriptedChatModel
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit, Retriever, SearchMode, SearchResult
from assistant.schemas import InterviewStatus, Phase, Speaker
from assistant.store import Store
from tests.conftest import SettingsFactory

QUESTION = {"fr": "Comment cela s'est-il passé ?", "en": "How did that go?"}
CONSENT = {"fr": "oui", "en": "yes"}
ORDINARY = {
    "fr": "Je suis auxiliaire de vie, je passe chez six personnes par jour.",
    "en": "I am a home carer, I visit six people a day.",
}
# Hopelessness and quiet preparations, without any of the guide's cue words.
QUIET_DISTRESS = {
    "fr": "J'ai rangé mes papiers et donné mon chat à ma sœur. Bientôt ce sera plus simple.",
    "en": "I've sorted my papers and given my cat to my sister. Soon it will all be simpler.",
}
DISCLOSURE = {
    "fr": "Le fils de Mme B. la bouscule quand il vient, elle a des bleus sur les bras.",
    "en": "Mrs B's son pushes her around when he visits, she has bruises on her arms.",
}


def verdict(category: str, confidence: float = 0.9, language: str | None = None) -> str:
    return json.dumps({"category": category, "confidence": confidence, "language": language})


class Model:
    """One model, as in production: it classifies (the classifier's schema) and interviews."""

    def __init__(self) -> None:
        self.verdicts: list[Reply] = []
        self.chat = ScriptedChatModel(respond=self._answer, name="scripted")

    def _answer(self, request: ModelRequest) -> Reply:
        properties = (request.json_schema or {}).get("properties", {})
        if "category" in properties:
            return self.verdicts.pop(0) if self.verdicts else verdict("none", 0.95)
        if "points" in properties:
            return json.dumps({"points": ["Vous accompagnez des personnes."]})
        return QUESTION["fr" if "Tu conduis" in request.system else "en"]

    def classifications(self) -> list[ModelRequest]:
        return [r for r in self.chat.requests if r.json_schema and "category" in str(r.json_schema)]

    def questions(self) -> list[ModelRequest]:
        return [r for r in self.chat.requests if r.json_schema is None]


async def collect(events: AsyncIterator[SessionEvent]) -> list[SessionEvent]:
    return [event async for event in events]


def said(events: list[SessionEvent]) -> str:
    return "\n".join(event.text for event in events if event.kind == EventKind.MESSAGE)


class ProcedureRetriever(Retriever):
    """The company's documents: one incident procedure, whatever is asked."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    async def search(self, query: str, *, k: int = 5, **_: object) -> SearchResult:
        self.queries.append(query)
        hit = Hit(
            id="procedure-1",
            text="Toute suspicion de maltraitance est signalée le jour même.",
            source="procedures/incidents.md",
            title="Incidents",
            page=None,
            section="Signalement",
            collection=Collection.COMPANY,
            score=0.9,
            citation="procedures/incidents.md, Signalement",
        )
        return SearchResult(hits=[hit][:k], mode=SearchMode.LEXICAL)


@pytest.fixture(params=["fr", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(safeguarding_contact="the duty line 01 23 45 67 89")


@pytest.fixture
def model() -> Model:
    return Model()


def deps_for(settings: Settings, store: Store, model: Model, **changes: Any) -> SessionDeps:
    values: dict[str, Any] = {
        "settings": settings,
        "store": store,
        "model": model.chat,
        "classifier": SafetyClassifier(model.chat),
    }
    return SessionDeps(**(values | changes))


async def consented(deps: SessionDeps, language: str) -> InterviewSession:
    session = await InterviewSession.begin(deps, language=language)
    await collect(session.respond(CONSENT[language]))
    return session


def _questions_stored(store: Store, session: InterviewSession) -> int:
    """The model's questions kept in the transcript (and so shown): the interviewer's turns
    that are not the guide's scripted texts."""
    turns = store.interviews.turns(session.interview.id)
    return sum(1 for t in turns if t.speaker == Speaker.INTERVIEWER and not t.scripted)


class ClassifierAfterTheQuestion(ScriptedChatModel):
    """The classifier's verdict comes only once the interviewer has been asked its question:
    a session that waited for the verdict before asking would never get one (the wait gives
    up after 10 s and the test fails)."""

    def __init__(self, category: str) -> None:
        answers = Model()
        answers.verdicts.append(verdict(category, 0.9))
        super().__init__(respond=answers._answer, name="scripted")
        self.asked = asyncio.Event()

    def questions(self) -> int:
        return sum(1 for request in self.requests if request.json_schema is None)

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        if json_schema is not None and "category" in json_schema.get("properties", {}):
            await asyncio.wait_for(self.asked.wait(), timeout=10)
        elif json_schema is None:
            self.asked.set()
        return await super().request(messages, json_schema=json_schema, brief=brief)

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        self.asked.set()  # the interviewer's question, asked (its reply is read whole)
        async for piece in super().stream(messages):
            yield piece


def _one_model(settings: Settings, store: Store, model: ScriptedChatModel) -> SessionDeps:
    return SessionDeps(
        settings=settings, store=store, model=model, classifier=SafetyClassifier(model)
    )


async def test_the_next_question_is_asked_while_the_classifier_reads_the_message(
    settings: Settings, tmp_store: Store, language: str
) -> None:
    model = ClassifierAfterTheQuestion("none")
    session = await consented(_one_model(settings, tmp_store, model), language)
    model.asked.clear()

    events = await collect(session.respond(ORDINARY[language]))

    assert said(events) == QUESTION[language]
    assert session.state.answers == {Phase.ROLE: 1}


async def test_a_question_asked_ahead_of_a_safety_route_is_set_aside(
    settings: Settings, tmp_store: Store, language: str
) -> None:
    model = ClassifierAfterTheQuestion("distress")
    session = await consented(_one_model(settings, tmp_store, model), language)
    model.asked.clear()
    asked = _questions_stored(tmp_store, session)
    questions_before = model.questions()

    events = await collect(session.respond(QUIET_DISTRESS[language]))

    assert model.questions() == questions_before + 1  # it was asked, ahead
    assert QUESTION[language] not in said(events)  # but never shown
    assert _questions_stored(tmp_store, session) == asked  # nor kept
    assert settings.help_resources in said(events)
    assert session.interview.status == InterviewStatus.STOPPED
    assert session.state.answers == {}  # the message was not counted as an answer


async def test_distress_without_cue_words_routes_to_care_when_the_classifier_says_so(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    asked = _questions_stored(tmp_store, session)
    model.verdicts.append(verdict("distress", 0.9))

    events = await collect(session.respond(QUIET_DISTRESS[language]))

    assert settings.help_resources in said(events)
    assert session.interview.status == InterviewStatus.STOPPED
    assert QUESTION[language] not in said(events)  # a question asked ahead is never shown
    assert _questions_stored(tmp_store, session) == asked
    stored = tmp_store.interviews.get(session.interview.id)
    assert stored is not None
    assert stored.flagged
    decision = session.state.safety[-1]
    assert (decision.route, decision.source) == (Route.DISTRESS, DecisionSource.CLASSIFIER)
    assert decision.prompt == "interview.safety@1.0.0"


async def test_a_verdict_below_the_threshold_leaves_the_answer_to_the_interviewer(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("distress", settings.safety_min_confidence - 0.1))

    events = await collect(session.respond(QUIET_DISTRESS[language]))

    assert said(events) == QUESTION[language]
    assert not session.is_over
    assert session.state.safety == []


async def test_the_cue_words_win_and_the_classifier_is_not_asked(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("none", 0.99))

    events = await collect(session.respond("stop"))

    assert session.interview.status == InterviewStatus.STOPPED
    assert model.classifications() == []
    assert said(events) == load_guide(language).messages.stopped
    assert session.state.safety[-1].source == DecisionSource.CUE


async def test_nothing_is_classified_before_consent(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    await consented(deps_for(settings, tmp_store, model), language)
    assert model.classifications() == []


async def test_a_safeguarding_disclosure_pauses_shows_the_contact_and_flags(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    asked = _questions_stored(tmp_store, session)
    model.verdicts.append(verdict("safeguarding", 0.88))

    events = await collect(session.respond(DISCLOSURE[language]))

    text = said(events)
    guide = load_guide(language)
    assert "the duty line 01 23 45 67 89" in text
    assert guide.routes.safeguarding_no_procedure in text  # no company document ingested
    assert events[-1].scripted
    assert not session.is_over
    assert _questions_stored(tmp_store, session) == asked
    stored = tmp_store.interviews.get(session.interview.id)
    assert stored is not None
    assert stored.flagged
    assert stored.flag_reason is not None
    assert "safeguarding" in stored.flag_reason
    assert session.state.paused_for_safeguarding


async def test_after_a_safeguarding_pause_anything_but_stop_goes_on_with_the_next_question(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("safeguarding"))
    await collect(session.respond(DISCLOSURE[language]))

    events = await collect(session.respond("ok" if language == "en" else "on continue"))

    guide = load_guide(language)
    role = guide.phase(Phase.ROLE)
    assert role is not None
    assert said(events) == f"{guide.routes.resumed} {role.questions[0]}"
    assert not session.state.paused_for_safeguarding
    assert not session.is_over


async def test_after_a_safeguarding_pause_stop_stops(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("safeguarding"))
    await collect(session.respond(DISCLOSURE[language]))

    await collect(session.respond("stop"))

    assert session.interview.status == InterviewStatus.STOPPED


async def test_a_safeguarding_pause_cites_the_companys_incident_procedure(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    retriever = ProcedureRetriever()
    deps = deps_for(settings, tmp_store, model, retriever=retriever)
    session = await consented(deps, language)
    model.verdicts.append(verdict("safeguarding"))

    events = await collect(session.respond(DISCLOSURE[language]))

    assert "procedures/incidents.md, Signalement" in said(events)
    assert load_guide(language).routes.safeguarding_query in retriever.queries[-1]


@pytest.mark.parametrize(("minimum", "for_quotes"), [(5, 10), (7, 12)])
async def test_a_confidentiality_question_is_answered_from_the_configured_rules(
    make_settings: SettingsFactory,
    tmp_store: Store,
    model: Model,
    language: str,
    minimum: int,
    for_quotes: int,
) -> None:
    settings = make_settings(report_min_people=minimum, report_min_people_for_quotes=for_quotes)
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("confidentiality"))
    question = (
        "Will my coordinator read this?" if language == "en" else "Ma coordinatrice lira ça ?"
    )

    events = await collect(session.respond(question))

    text = said(events)
    people = "people" if language == "en" else "personnes"
    assert f"{minimum} {people}" in text
    assert f"{for_quotes} {people}" in text
    assert text.endswith(QUESTION[language])  # then the interview goes on
    assert events[-1].scripted
    assert not session.is_over


async def test_a_withdrawal_request_asks_for_confirmation_then_erases(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("withdrawal"))

    events = await collect(session.respond("I want to take it all back"))

    requested = [e for e in events if e.kind == EventKind.WITHDRAWAL_REQUESTED]
    assert [e.text for e in requested] == [load_guide(language).routes.withdrawal]
    assert tmp_store.interviews.get(session.interview.id) is not None  # nothing erased yet
    await session.withdraw()  # the employee confirmed
    assert tmp_store.interviews.get(session.interview.id) is None


async def test_a_declined_withdrawal_lets_the_interview_go_on(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("withdrawal"))
    await collect(session.respond("je veux tout retirer"))

    events = await collect(session.respond(ORDINARY[language]))

    assert said(events) == QUESTION[language]
    assert not session.is_over


async def test_a_change_between_french_and_english_switches_the_interview(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    other = "en" if language == "fr" else "fr"
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("language_change", 0.95, other))

    events = await collect(session.respond("Can we switch, please?"))

    guide = load_guide(other)
    assert said(events).startswith(guide.routes.language_switched)
    stored = tmp_store.interviews.get(session.interview.id)
    assert stored is not None
    assert stored.language == other
    assert session.guide.language == other
    events = await collect(session.respond(ORDINARY[other]))
    assert said(events) == QUESTION[other]  # the interviewer's prompt is now the other one's
    turns = tmp_store.interviews.turns(session.interview.id)
    framing = next(turn for turn in turns if turn.speaker == Speaker.INTERVIEWER)
    assert framing.text == load_guide(language).welcome(settings)  # the transcript keeps both


async def test_another_language_gets_a_truthful_answer_and_nothing_changes(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("language_change", 0.95, "es"))

    events = await collect(session.respond("¿Podemos seguir en español?"))

    offered = "French or English" if language == "en" else "français ou anglais"
    assert offered in said(events)
    assert session.interview.language == language
    assert not session.is_over


async def test_hostility_gets_a_calm_reply_and_the_last_question_again(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts.append(verdict("hostility"))

    events = await collect(session.respond("You useless machine."))

    guide = load_guide(language)
    assert said(events) == f"{guide.routes.hostility} {QUESTION[language]}"


async def test_when_the_classifier_fails_the_cue_words_alone_decide_and_it_is_logged(
    settings: Settings,
    tmp_store: Store,
    model: Model,
    language: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts += [Fail.unavailable(), Fail.unavailable()]

    with caplog.at_level(logging.WARNING, logger="assistant.interview.classifier"):
        events = await collect(session.respond(QUIET_DISTRESS[language]))
        stopped = await collect(session.respond("stop"))

    assert said(events) == QUESTION[language]  # what the cue words miss, nothing catches
    assert session.interview.status == InterviewStatus.STOPPED  # what they catch, they do
    assert said(stopped) == load_guide(language).messages.stopped
    logged = caplog.text
    assert "cue words alone decide" in logged
    assert "ModelUnavailableError" in logged
    assert QUIET_DISTRESS[language] not in logged


async def test_a_classifier_answer_that_is_not_a_verdict_is_a_failure_too(
    settings: Settings, tmp_store: Store, model: Model, language: str
) -> None:
    session = await consented(deps_for(settings, tmp_store, model), language)
    model.verdicts += ['{"category": "panic"}', "not json"]

    events = await collect(session.respond(ORDINARY[language]))

    assert said(events) == QUESTION[language]
    assert session.state.safety == []


# ------------------------------------------------------------------------------ the decision


def parsed(category: str, confidence: float = 0.9, language: str | None = None) -> SafetyVerdict:
    return SafetyVerdict.model_validate_json(verdict(category, confidence, language))


@pytest.mark.parametrize(
    ("concern", "verdict_", "expected"),
    [
        (Concern.STOP, parsed("distress"), (Route.STOP, DecisionSource.CUE)),
        (None, parsed("distress", 0.7), (Route.DISTRESS, DecisionSource.CLASSIFIER)),
        (None, parsed("distress", 0.69), None),
        (None, parsed("none", 1.0), None),
        (None, None, None),
        (None, parsed("language_change", 0.9, "fr"), None),  # already the interview's
        (
            None,
            parsed("language_change", 0.9, "EN-gb"),
            (Route.LANGUAGE_CHANGE, DecisionSource.CLASSIFIER),
        ),
    ],
)
def test_cue_words_win_and_the_classifier_counts_from_its_threshold(
    concern: Concern | None,
    verdict_: SafetyVerdict | None,
    expected: tuple[Route, DecisionSource] | None,
) -> None:
    decision = decide(1, concern, verdict_, language="fr", min_confidence=0.7)
    assert (None if decision is None else (decision.route, decision.source)) == expected
