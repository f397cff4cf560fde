"""Personas: a simulated employee plays a hidden brief through a whole interview.

The simulated user keeps τ-bench's rules: one message at a time, nothing volunteered before it
is asked for, and :data:`STOP` when it is done. Elicitation recall is the share of the brief's
facts the employee came to say; extraction then runs on the transcript and is scored against
the brief's relational goods, known by construction.

Without a model named, both sides are fixtures: the interviewer answers the case's scripted
questions, and :func:`scripted_user` answers from the brief, revealing a fact only when the
question holds one of its cue words.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.config import Settings
from assistant.evaluation.assertions import CANARY, Status, check
from assistant.evaluation.cases import Case, Persona
from assistant.evaluation.classifier_fixtures import (
    diversions,
    is_classifier_request,
    scripted_verdicts,
)
from assistant.evaluation.extraction_scoring import extract_and_score, threshold, verbatim
from assistant.evaluation.recording import RecordingChatModel
from assistant.evaluation.results import AssertionResult, Attempt
from assistant.interview.classifier import SafetyClassifier
from assistant.interview.events import EventKind
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.port import ChatMessage, ChatModel
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.prompts import load_prompt
from assistant.schemas import Speaker
from assistant.store import Store
from assistant.text import fold_for_matching

PERSONA_PROMPT_ID = "evaluation.persona"
STOP = "###STOP###"
_LANGUAGE_NAMES = {"fr": "French", "en": "English"}
_CONSENT = {"fr": "Oui, d'accord.", "en": "Yes, I agree."}
_CONFIRM = {"fr": "Oui, c'est juste.", "en": "Yes, that's right."}
_NOTHING_ELSE = {"fr": "Non, rien d'autre.", "en": "No, nothing else."}


def persona_prompt(case: Case, persona: Persona) -> str:
    facts = "\n".join(f"- {fact.fact}" for fact in persona.facts)
    return load_prompt(PERSONA_PROMPT_ID, "en").render(
        role=persona.role,
        episode=persona.episode,
        facts=facts,
        mood=persona.mood,
        tendency=persona.tendency,
        language=_LANGUAGE_NAMES[case.language],
        stop=STOP,
    )


def scripted_user(case: Case, persona: Persona) -> ChatModel:
    """The fixture employee: consent first, the episode when asked about a moment, each fact
    once when its cue is asked about, yes to the summary, and STOP once the interview ends."""
    told: set[str] = set()
    language = case.language

    def answer(request: ModelRequest) -> str:
        question = fold_for_matching(request.last.content)
        said_before = sum(1 for m in request.messages if m.role == "assistant")
        if said_before == 0:
            return _CONSENT[language]
        if "summary" in told:
            return _NOTHING_ELSE[language]
        if "\n- " in request.last.content:
            told.add("summary")
            return _CONFIRM[language]
        for fact in persona.facts:
            if fact.id not in told and any(
                fold_for_matching(cue) in question for cue in fact.asked_about
            ):
                told.add(fact.id)
                return fact.said
        if "episode" not in told:
            told.add("episode")
            return persona.episode
        return persona.opening

    return ScriptedChatModel(respond=answer, name="scripted-user")


def scripted_interviewer(case: Case) -> ChatModel:
    """The fixture interviewer: the case's questions in turn, its summary, its extraction and
    its safety classifier's verdicts."""
    questions = list(case.scripted)
    verdict = scripted_verdicts(case)

    def answer(request: ModelRequest) -> str:
        if is_classifier_request(request):
            return verdict()
        schema = request.json_schema or {}
        properties = schema.get("properties", {})
        if "points" in properties:
            return case.scripted_summary
        if "findings" in properties:
            return case.scripted_extraction
        if "quotes" in properties:
            return '{"quotes": []}'
        return questions.pop(0) if len(questions) > 1 else questions[0]

    return ScriptedChatModel(respond=answer, name="scripted-fixtures")


def elicited(persona: Persona, employee_text: str) -> list[str]:
    said = fold_for_matching(employee_text)
    return [
        fact.id
        for fact in persona.facts
        if any(fold_for_matching(marker) in said for marker in fact.markers)
    ]


async def run_persona(
    case: Case,
    interviewer: RecordingChatModel,
    user: ChatModel,
    store: Store,
    settings: Settings,
) -> Attempt:
    persona = case.persona
    assert persona is not None  # validated with the case
    deps = SessionDeps(
        settings=settings,
        store=store,
        model=interviewer,
        classifier=SafetyClassifier(interviewer),
        canary=CANARY,
    )
    session = await InterviewSession.begin(deps, language=case.language)
    system = ChatMessage.system(persona_prompt(case, persona))
    # The user sees the interviewer's messages as the other side's, its own as its own.
    seen: list[ChatMessage] = []
    last = (await session.transcript())[-1].text
    try:
        for _ in range(persona.max_turns):
            seen.append(ChatMessage.user(last))
            reply = (await user.request([system, *seen])).text.strip()
            if STOP in reply or not reply:
                break
            seen.append(ChatMessage.assistant(reply))
            events = [event async for event in session.respond(reply)]
            messages = [event.text for event in events if event.kind == EventKind.MESSAGE]
            if session.is_over or not messages:
                break
            last = messages[-1]
        turns = await session.transcript()
        safety = diversions(turns, session.state)
    finally:
        interview_id = session.interview.id
    await _erase(store, interview_id)
    employee_text = "\n".join(t.text for t in turns if t.speaker == Speaker.EMPLOYEE)
    told = elicited(persona, employee_text)
    recall_of_facts = round(len(told) / len(persona.facts), 4)
    asked = [t for t in turns if t.speaker == Speaker.INTERVIEWER and not t.scripted]
    raw_texts = [call.text for call in interviewer.calls if not call.structured]
    results = _on_every_message(case, [t.text for t in asked], raw_texts)
    findings, quoted_turns, precision, recall = await extract_and_score(
        [(t.speaker, t.text) for t in turns],
        case.language,
        persona.relational_goods,
        interviewer,
        store,
        settings,
    )
    results += [
        threshold("elicitation_recall", recall_of_facts, case.min_elicitation_recall),
        threshold("precision", precision, case.min_precision),
        threshold("recall", recall, case.min_recall),
        threshold("verbatim_evidence", float(verbatim(findings, quoted_turns)), 1.0),
    ]
    return Attempt(
        raw=None,
        delivered=f"{len(turns)} turns; facts said: {', '.join(told) or 'none'}",
        assertions=results,
        metrics={
            "elicitation_recall": recall_of_facts,
            "precision": precision,
            "recall": recall,
            "turns": len(turns),
            **{f"safety_{name}": value for name, value in safety.items()},
        },
        guard_rules=[turn.guard_rule for turn in turns if turn.guard_rule is not None],
    )


async def _erase(store: Store, interview_id: str) -> None:
    import asyncio

    interview = await asyncio.to_thread(store.interviews.get, interview_id)
    if interview is not None:
        await asyncio.to_thread(store.interviews.erase, interview_id)


def _worst(statuses: Sequence[Status]) -> Status:
    for status in (Status.ERROR, Status.FAIL, Status.PASS):
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


def _on_every_message(
    case: Case, delivered: Sequence[str], raw: Sequence[str]
) -> list[AssertionResult]:
    """Each assertion over the whole transcript: its worst verdict over the messages."""
    results = []
    for spec in case.assertions:
        if spec.type in ("scripted", "model_written", "judge"):
            continue
        verdicts = {
            view: [check(spec, text, language=case.language, scripted=False) for text in texts]
            for view, texts in (("raw", raw), ("delivered", delivered))
        }
        problems = [
            f"{view}: {verdict.detail}"
            for view, found in verdicts.items()
            for verdict in found
            if verdict.detail
        ]
        results.append(
            AssertionResult(
                name=spec.label,
                raw=_worst([v.status for v in verdicts["raw"]]),
                delivered=_worst([v.status for v in verdicts["delivered"]]),
                detail="; ".join(dict.fromkeys(problems)),
            )
        )
    return results
