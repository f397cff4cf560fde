"""Running cases: each on a fresh interview in a throw-away database, through Terrain's own
session and extractor, with the model behind a recorder (and a reply cache, when asked).

Which model answers: with no model named, each case's ``scripted`` replies (the in-process
model, for CI: fixtures that exercise the harness and Terrain's checks); otherwise the model
the caller gives, shared by every case.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.assertions import CANARY, Status, check
from assistant.evaluation.cache import CachedChatModel, CacheMissError, CacheMode
from assistant.evaluation.cases import AssertionSpec, Case, CaseError, CaseKind, Passage
from assistant.evaluation.classifier_fixtures import is_classifier_request, scripted_verdicts
from assistant.evaluation.extraction_scoring import score_extraction
from assistant.evaluation.judge import (
    JudgeError,
    agreement,
    judge,
    load_labels,
    render_conversation,
)
from assistant.evaluation.personas import run_persona, scripted_interviewer, scripted_user
from assistant.evaluation.prompt_pins import pinned_differences, prompt_digests, prompt_versions
from assistant.evaluation.recording import RecordingChatModel
from assistant.evaluation.report_scoring import score_report
from assistant.evaluation.results import (
    AssertionResult,
    Attempt,
    CaseResult,
    Exchange,
    RunResults,
)
from assistant.interview.classifier import SafetyClassifier, SafetyVerdict
from assistant.interview.events import EventKind
from assistant.interview.session import InterviewSession, SessionDeps
from assistant.llm.errors import ModelError
from assistant.llm.port import ChatModel
from assistant.llm.testing import ModelRequest, ScriptedChatModel, ScriptExhaustedError
from assistant.report import Redactor, default_redactor
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit, Retriever, SearchMode, SearchResult
from assistant.schemas import GuardRule, Phase
from assistant.store import Store

SCRIPTED_MODEL = "scripted-fixtures"
SCRIPTED_JUDGE = "scripted-judge"


def scripted_model(case: Case) -> ChatModel:
    """The in-process model answering ``case``'s scripted replies in turn, then the last again
    (a regenerated question gets the same answer unless the case scripts another), and the
    safety classifier's requests with the case's verdicts."""
    if case.kind == CaseKind.PERSONA:
        return scripted_interviewer(case)
    replies = list(case.scripted)
    verdict = scripted_verdicts(case)

    def answer(request: ModelRequest) -> str:
        if is_classifier_request(request):
            return verdict()
        if not replies:
            raise ScriptExhaustedError(f"case {case.id} scripts no model reply")
        return replies.pop(0) if len(replies) > 1 else replies[0]

    return ScriptedChatModel(respond=answer, name=SCRIPTED_MODEL)


def scripted_judge(replies: Sequence[str]) -> ChatModel:
    """The in-process judge answering ``replies`` in turn (the last one again when used up)."""
    queue = list(replies)

    def answer(request: ModelRequest) -> str:
        if not queue:
            raise ScriptExhaustedError(
                "no scripted judge reply: give judge_scripted or --judge-model"
            )
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return ScriptedChatModel(respond=answer, name=SCRIPTED_JUDGE)


@dataclass
class RunOptions:
    settings: Settings
    model_for: Callable[[Case], ChatModel] = scripted_model
    model_name: str = SCRIPTED_MODEL
    judge_for: Callable[[Sequence[str]], ChatModel] = scripted_judge
    judge_name: str = SCRIPTED_JUDGE
    labels: Path | None = None
    user_for: Callable[[Case], ChatModel] | None = None
    repeat: int = 1
    concurrency: int = 4
    cache_mode: CacheMode | None = None
    cache_dir: Path = Path("evals/cache")
    progress: Callable[[str], None] = field(default=lambda case_id: None)
    fixtures: bool = True
    """The interviewer is the cases' scripted model: their canned replies and verdicts apply."""
    real_judge: bool = False
    """A judge model was named: judge checks and the judge's agreement come from it."""
    strict_versions: bool = False
    notes: list[str] = field(default_factory=list)


SKIPPED_JUDGE = "not judged: no --judge-model (the cases' canned verdicts are for the fixtures)"
LAST_TURNS = 6


class WatchedClassifier(SafetyClassifier):
    """The safety classifier, counting the messages it could give no verdict on: in a run,
    each is an error of the case, not a log line."""

    def __init__(self, model: ChatModel) -> None:
        super().__init__(model)
        self.calls = 0
        self.failures = 0

    async def classify(self, text: str, language: str) -> SafetyVerdict | None:
        verdict = await super().classify(text, language)
        self.calls += 1
        self.failures += verdict is None
        return verdict


class PassagesRetriever(Retriever):
    """Serves a case's passages as the company's documents, whatever the query."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._hits = [
            Hit(
                id=f"passage-{number}",
                text=passage.text,
                source=passage.source,
                title=passage.title,
                page=None,
                section="",
                collection=Collection.COMPANY,
                score=1.0 - number / 100,
                citation=passage.source,
            )
            for number, passage in enumerate(passages)
        ]

    async def search(self, query: str, *, k: int = 5, **_: object) -> SearchResult:
        return SearchResult(hits=self._hits[:k], mode=SearchMode.LEXICAL)


def _parameters(settings: Settings) -> dict[str, object]:
    return {"temperature": settings.temperature, "num_ctx": settings.context_window}


class Runner:
    def __init__(self, options: RunOptions, store: Store) -> None:
        self.options = options
        self.store = store
        self._report_redactor: Redactor | None = None

    def _redactor(self) -> Redactor:
        """One redactor for every report case: its spaCy pipeline takes seconds to load."""
        if self._report_redactor is None:
            self._report_redactor = default_redactor()
        return self._report_redactor

    def _cached(self, model: ChatModel) -> ChatModel:
        if self.options.cache_mode is None:
            return model
        return CachedChatModel(
            model,
            self.options.cache_dir,
            self.options.cache_mode,
            _parameters(self.options.settings),
        )

    def _user(self, case: Case) -> ChatModel:
        if self.options.user_for is not None:
            return self._cached(self.options.user_for(case))
        assert case.persona is not None  # validated with the case
        return scripted_user(case, case.persona)

    def _model(self, case: Case) -> RecordingChatModel:
        return RecordingChatModel(self._cached(self.options.model_for(case)))

    async def run_case(self, case: Case) -> CaseResult:
        attempts = []
        for _ in range(self.options.repeat):
            model = self._model(case)
            try:
                if case.kind == CaseKind.EXTRACTION:
                    attempt = await self._extraction(case, model)
                elif case.kind == CaseKind.REPORT:
                    attempt = await score_report(case, self.options.settings, self._redactor())
                elif case.kind == CaseKind.PERSONA:
                    attempt = await run_persona(
                        case, model, self._user(case), self.store, self.options.settings
                    )
                else:
                    attempt = await self._interviewer_turn(case, model)
            except (CacheMissError, ScriptExhaustedError, ModelError) as error:
                attempt = Attempt(raw=None, delivered=None, error=f"case {case.id}: {error}")
            _count_calls(attempt, model)
            attempts.append(attempt)
        return CaseResult(
            id=case.id,
            kind=case.kind,
            tags=case.tags,
            prompts=case.prompts,
            attempts=attempts,
            pinned=pinned_differences(case),
            strict_versions=self.options.strict_versions,
        )

    async def _interviewer_turn(self, case: Case, model: RecordingChatModel) -> Attempt:
        retriever = PassagesRetriever(case.passages) if case.passages else None
        deps = SessionDeps(
            settings=self.options.settings,
            store=self.store,
            model=model,
            retriever=retriever,
            classifier=(classifier := WatchedClassifier(model)),
            canary=CANARY,
        )
        session = await InterviewSession.begin(deps, language=case.language)
        interview_id = session.interview.id
        await asyncio.to_thread(self._prepare, interview_id, case, session.guide.ref)
        session = await InterviewSession.resume(deps, interview_id)
        events = [event async for event in session.respond(case.message)]
        # What reached the employee: the interviewer's messages, or the question a withdrawal
        # asked in words is confirmed with.
        shown = (EventKind.MESSAGE, EventKind.WITHDRAWAL_REQUESTED)
        messages = [event for event in events if event.kind in shown]
        delivered = messages[-1].text if messages else None
        scripted = bool(messages) and messages[-1].scripted
        raw = next((call.text for call in model.calls if not call.structured), None)
        judge_model = self._cached(self.options.judge_for(case.judge_scripted))
        conversation = render_conversation(case.conversation, case.message)
        turns = await session.transcript()
        replaced = [turn.guard_rule for turn in turns if turn.guard_rule is not None]
        results = []
        for spec in case.assertions:
            if spec.type == "judge":
                if self.options.fixtures or self.options.real_judge:
                    results.append(await _judged(spec, judge_model, conversation, raw, delivered))
                else:
                    results.append(_skipped(spec, SKIPPED_JUDGE))
                continue
            if spec.type == "replaced_by":
                results.append(_replaced_by(spec, replaced))
                continue
            on_raw = Status.NOT_APPLICABLE
            detail = ""
            if raw is not None and spec.type not in ("scripted", "model_written"):
                verdict = check(spec, raw, language=case.language, scripted=False)
                on_raw, detail = verdict.status, verdict.detail
            on_delivered = Status.ERROR
            if delivered is not None:
                verdict = check(spec, delivered, language=case.language, scripted=scripted)
                on_delivered = verdict.status
                detail = _details(detail, verdict.detail)
            results.append(
                AssertionResult(name=spec.label, raw=on_raw, delivered=on_delivered, detail=detail)
            )
        await asyncio.to_thread(self.store.interviews.erase, interview_id)
        said = [turn.said for turn in case.conversation[-(LAST_TURNS - 1) :]]
        exchanges = [Exchange(speaker=speaker.value, text=text) for speaker, text in said]
        exchanges.append(Exchange(speaker="employee", text=case.message))
        return Attempt(
            raw=raw,
            delivered=delivered,
            assertions=results,
            guard_rules=replaced,
            conversation=exchanges,
            metrics={
                "classifier_calls": classifier.calls,
                "classifier_failures": classifier.failures,
            },
            error=(
                f"case {case.id}: messages the safety classifier gave no verdict on: "
                f"{classifier.failures}"
                if classifier.failures and not case.classifier_fails
                else None
            ),
        )

    def _prepare(self, interview_id: str, case: Case, consent_version: str) -> None:
        """The interview as the case has it: consent given (unless the case is about consent),
        its phase, and the conversation so far."""
        interviews = self.store.interviews
        if case.phase != Phase.CONSENT:
            interviews.record_consent(
                interview_id, given=True, version=consent_version, next_phase=case.phase
            )
        for turn in case.conversation:
            speaker, text = turn.said
            interviews.add_turn(interview_id, speaker=speaker, text=text, phase=case.phase)

    async def _extraction(self, case: Case, model: RecordingChatModel) -> Attempt:
        return await score_extraction(case, model, self.store, self.options.settings)


def _replaced_by(spec: AssertionSpec, replaced: Sequence[GuardRule]) -> AssertionResult:
    """Whether the output guard's rule ``spec.value`` replaced the model's message (what the
    model wrote is not judged: the rule is the guard's verdict on it)."""
    wanted = str(spec.value)
    found = ", ".join(replaced) or "none"
    return AssertionResult(
        name=spec.label,
        raw=Status.NOT_APPLICABLE,
        delivered=Status.PASS if wanted in replaced else Status.FAIL,
        detail="" if wanted in replaced else f"replaced by: {found}, expected {wanted}",
    )


def _skipped(spec: AssertionSpec, why: str) -> AssertionResult:
    return AssertionResult(
        name=spec.label, raw=Status.SKIPPED, delivered=Status.SKIPPED, detail="", reason=why
    )


def _details(raw: str, delivered: str) -> str:
    parts = [f"raw: {raw}" if raw else "", f"delivered: {delivered}" if delivered else ""]
    return "; ".join(part for part in parts if part)


async def _judged(
    spec: AssertionSpec,
    model: ChatModel,
    conversation: str,
    raw: str | None,
    delivered: str | None,
) -> AssertionResult:
    """The judge's verdict on each text: a pass when every criterion scores at least the
    threshold; no usable rubric is an error."""
    threshold = int(spec.value or 3)
    statuses: list[Status] = []
    details: list[str] = []
    reasons: list[str] = []
    for label, text in (("raw", raw), ("delivered", delivered)):
        if text is None:
            statuses.append(Status.NOT_APPLICABLE)
            details.append("")
            continue
        try:
            rubric = await judge(model, conversation, text)
        except JudgeError as error:
            statuses.append(Status.ERROR)
            details.append(str(error))
            continue
        low = {c.value: s for c, s in rubric.by_criterion().items() if s < threshold}
        statuses.append(Status.FAIL if low else Status.PASS)
        details.append(f"below {threshold}: {low}" if low else "")
        reasons.append(
            f"{label}: "
            + "; ".join(f"{s.criterion.value} {s.score} ({s.reason})" for s in rubric.scores)
        )
    return AssertionResult(
        name=spec.label,
        raw=statuses[0],
        delivered=statuses[1],
        detail=_details(*details),
        reason="\n".join(reasons),
    )


def _count_calls(attempt: Attempt, model: RecordingChatModel) -> None:
    attempt.model_calls = len(model.calls)
    attempt.prompt_tokens = sum(call.prompt_tokens or 0 for call in model.calls)
    attempt.completion_tokens = sum(call.completion_tokens or 0 for call in model.calls)
    attempt.seconds = round(sum(call.seconds for call in model.calls), 4)


def case_error_result(error: CaseError) -> CaseResult:
    """A case that could not be loaded, as an error of that case in the results."""
    return CaseResult(
        id=error.label,
        kind="invalid",
        tags=list(error.tags),
        prompts={},
        attempts=[Attempt(raw=None, delivered=None, error=str(error))],
    )


async def run_cases(
    cases: Sequence[Case], options: RunOptions, errors: Sequence[CaseError] = ()
) -> RunResults:
    """Every case, ``options.concurrency`` at a time, in a database of its own."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # A failing classifier is its case's error in the results, not a warning per message.
    classifier_log = logging.getLogger("assistant.interview.classifier")
    level = classifier_log.level
    classifier_log.setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="terrain-eval-") as folder:
        store = Store(f"sqlite:///{Path(folder) / 'eval.db'}")
        try:
            await asyncio.to_thread(store.migrate)
            runner = Runner(options, store)
            limit = asyncio.Semaphore(max(options.concurrency, 1))

            async def one(case: Case) -> CaseResult:
                async with limit:
                    result = await runner.run_case(case)
                options.progress(case.id)
                return result

            results = await asyncio.gather(*(one(case) for case in cases))
            judged = None
            if options.labels is not None and options.real_judge:
                judged = await agreement(
                    load_labels(options.labels),
                    lambda replies: runner._cached(options.judge_for(replies)),
                )
        finally:
            store.close()
            classifier_log.setLevel(level)
    settings = options.settings
    languages = sorted({case.language for case in cases} or {"en"})
    notes = list(options.notes)
    if not options.real_judge:
        notes.append("No judge agreement: it is measured only with a judge model (--judge-model).")
    if not options.fixtures and not options.real_judge:
        notes.append("Judge checks skipped: no --judge-model.")
    return RunResults(
        started_at=started,
        models={"interviewer": options.model_name, "judge": options.judge_name},
        prompts=prompt_versions(languages),
        prompt_digests=prompt_digests(languages),
        notes=notes,
        settings={
            **_parameters(settings),
            "max_question_chars": settings.max_question_chars,
            "cache": options.cache_mode.value if options.cache_mode else "off",
        },
        repeat=options.repeat,
        cases=[*(case_error_result(error) for error in errors), *results],
        judge_agreement=judged,
    )
