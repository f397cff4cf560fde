"""Running cases: each on a fresh interview in a throw-away database, through Terrain's own
session and extractor, with the model behind a recorder (and a reply cache, when asked).

Which model answers: with no model named, each case's ``scripted`` replies (the in-process
model, for CI: fixtures that exercise the harness and Terrain's checks); otherwise the model
the caller gives, shared by every case.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.assertions import Status, check
from assistant.evaluation.cache import CachedChatModel, CacheMissError, CacheMode
from assistant.evaluation.cases import Case, CaseKind, Passage
from assistant.evaluation.extraction_scoring import score_extraction
from assistant.evaluation.recording import RecordingChatModel
from assistant.evaluation.results import AssertionResult, Attempt, CaseResult, RunResults
from assistant.interview.events import EventKind
from assistant.interview.session import SYSTEM_PROMPT_ID, InterviewSession, SessionDeps
from assistant.llm.errors import ModelError
from assistant.llm.port import ChatModel
from assistant.llm.testing import ModelRequest, ScriptedChatModel, ScriptExhaustedError
from assistant.prompts import load_prompt
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit, Retriever, SearchMode, SearchResult
from assistant.schemas import Phase
from assistant.store import Store

SCRIPTED_MODEL = "scripted-fixtures"
_EVALUATED_PROMPTS = (
    SYSTEM_PROMPT_ID,
    "interview.guide",
    "interview.summary",
    "findings.extract",
    "findings.repair",
)


def scripted_model(case: Case) -> ChatModel:
    """The in-process model answering ``case``'s scripted replies in turn, then the last again
    (a regenerated question gets the same answer unless the case scripts another)."""
    replies = list(case.scripted)

    def answer(request: ModelRequest) -> str:
        if not replies:
            raise ScriptExhaustedError(f"case {case.id} scripts no model reply")
        return replies.pop(0) if len(replies) > 1 else replies[0]

    return ScriptedChatModel(respond=answer, name=SCRIPTED_MODEL)


@dataclass
class RunOptions:
    settings: Settings
    model_for: Callable[[Case], ChatModel] = scripted_model
    model_name: str = SCRIPTED_MODEL
    repeat: int = 1
    concurrency: int = 4
    cache_mode: CacheMode | None = None
    cache_dir: Path = Path("evals/cache")
    progress: Callable[[str], None] = field(default=lambda case_id: None)


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

    def _model(self, case: Case) -> RecordingChatModel:
        model = self.options.model_for(case)
        if self.options.cache_mode is not None:
            model = CachedChatModel(
                model,
                self.options.cache_dir,
                self.options.cache_mode,
                _parameters(self.options.settings),
            )
        return RecordingChatModel(model)

    async def run_case(self, case: Case) -> CaseResult:
        attempts = []
        for _ in range(self.options.repeat):
            model = self._model(case)
            try:
                if case.kind == CaseKind.EXTRACTION:
                    attempt = await self._extraction(case, model)
                else:
                    attempt = await self._interviewer_turn(case, model)
            except (CacheMissError, ScriptExhaustedError, ModelError) as error:
                attempt = Attempt(raw=None, delivered=None, error=str(error))
            _count_calls(attempt, model)
            attempts.append(attempt)
        return CaseResult(
            id=case.id, kind=case.kind, tags=case.tags, prompts=case.prompts, attempts=attempts
        )

    async def _interviewer_turn(self, case: Case, model: RecordingChatModel) -> Attempt:
        retriever = PassagesRetriever(case.passages) if case.passages else None
        deps = SessionDeps(
            settings=self.options.settings, store=self.store, model=model, retriever=retriever
        )
        session = await InterviewSession.begin(deps, language=case.language, streaming=False)
        interview_id = session.interview.id
        await asyncio.to_thread(self._prepare, interview_id, case, session.guide.ref)
        session = await InterviewSession.resume(deps, interview_id, streaming=False)
        events = [event async for event in session.respond(case.message)]
        messages = [event for event in events if event.kind == EventKind.MESSAGE]
        delivered = messages[-1].text if messages else None
        scripted = bool(messages) and messages[-1].scripted
        raw = next((call.text for call in model.calls if not call.structured), None)
        results = []
        for spec in case.assertions:
            on_raw = Status.NOT_APPLICABLE
            detail = ""
            if raw is not None and spec.type not in ("scripted", "model_written"):
                verdict = check(spec, raw, language=case.language, scripted=False)
                on_raw, detail = verdict.status, verdict.detail
            on_delivered = Status.ERROR
            if delivered is not None:
                verdict = check(spec, delivered, language=case.language, scripted=scripted)
                on_delivered = verdict.status
                detail = "; ".join(
                    part
                    for part in (
                        f"raw: {detail}" if detail else "",
                        f"delivered: {verdict.detail}" if verdict.detail else "",
                    )
                    if part
                )
            results.append(
                AssertionResult(name=spec.label, raw=on_raw, delivered=on_delivered, detail=detail)
            )
        await asyncio.to_thread(self.store.interviews.erase, interview_id)
        return Attempt(raw=raw, delivered=delivered, assertions=results)

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


def _count_calls(attempt: Attempt, model: RecordingChatModel) -> None:
    attempt.model_calls = len(model.calls)
    attempt.prompt_tokens = sum(call.prompt_tokens or 0 for call in model.calls)
    attempt.completion_tokens = sum(call.completion_tokens or 0 for call in model.calls)
    attempt.seconds = round(sum(call.seconds for call in model.calls), 4)


def prompt_versions(languages: Sequence[str]) -> dict[str, str]:
    return {
        f"{prompt_id}.{language}": load_prompt(prompt_id, language).version
        for prompt_id in _EVALUATED_PROMPTS
        for language in languages
    }


async def run_cases(cases: Sequence[Case], options: RunOptions) -> RunResults:
    """Every case, ``options.concurrency`` at a time, in a database of its own."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
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
        finally:
            store.close()
    settings = options.settings
    return RunResults(
        started_at=started,
        models={"interviewer": options.model_name},
        prompts=prompt_versions(sorted({case.language for case in cases} or {"en"})),
        settings={
            **_parameters(settings),
            "max_question_chars": settings.max_question_chars,
            "cache": options.cache_mode.value if options.cache_mode else "off",
        },
        repeat=options.repeat,
        cases=list(results),
    )
