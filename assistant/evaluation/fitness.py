"""Whether a model fits Terrain: a short battery run on it, each measure against a stated
threshold, with a verdict and, when it fails, what to try.

The battery (``fitness.yaml`` beside this module) is 20 ordinary interviewer turns in English
and French, 4 extractions and 4 summaries on short transcripts, and 3 streamed questions for
the time to the first token: 31 requests of the interviewer's kind, each turn also a request
of the safety classifier. Nothing is scripted: the model answers everything.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from assistant.config import Settings
from assistant.evaluation.case_files import load_case_file
from assistant.evaluation.cases import Case, CaseKind
from assistant.evaluation.results import RunResults
from assistant.evaluation.runner import RunOptions, run_cases
from assistant.interview.rules import language_of
from assistant.interview.summary import SUMMARY_PROMPT_ID, SummaryPoints
from assistant.llm.errors import ModelError
from assistant.llm.port import ChatMessage, ChatModel
from assistant.llm.structured import request_structured
from assistant.prompts import load_prompt
from assistant.text import count_questions

BATTERY = Path(__file__).with_name("fitness.yaml")
FITS = "fits"
DOES_NOT_FIT = "does not fit"


@dataclass(frozen=True)
class Threshold:
    """A measure's bound: at least ``minimum`` (or at most, when ``at_most``)."""

    name: str
    bound: float
    unit: str
    at_most: bool
    to_try: str

    def met(self, value: float) -> bool:
        return value <= self.bound if self.at_most else value >= self.bound

    def stated(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {_shown(self.bound, self.unit)}"


def _shown(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0%}"
    return f"{value:.1f} {unit}"


MODEL_TIP = "a larger instruction-tuned model (a 24B such as mistral-small3.2 rather than an 8B)"
THRESHOLDS = {
    "one_question": Threshold(
        "one question per message",
        0.9,
        "%",
        False,
        f"{MODEL_TIP}, or a lower temperature (TERRAIN_TEMPERATURE, e.g. 0.2)",
    ),
    "language": Threshold(
        "the interview's language kept",
        0.95,
        "%",
        False,
        "a multilingual model (Mistral Small, Qwen 2.5); small English-centred models drift "
        "to English",
    ),
    "guard": Threshold(
        "messages the output guard replaced",
        0.1,
        "%",
        True,
        f"{MODEL_TIP}; the rules it broke, in its reasons, say what it kept doing",
    ),
    "classifier": Threshold(
        "valid safety-classifier verdicts",
        0.95,
        "%",
        False,
        "a model that supports Ollama's structured output (format); a larger context window "
        "(TERRAIN_CONTEXT_WINDOW)",
    ),
    "extraction": Threshold(
        "valid structured extractions",
        1.0,
        "%",
        False,
        "a model that supports Ollama's structured output (format), or a larger one; a larger "
        "context window (TERRAIN_CONTEXT_WINDOW)",
    ),
    "summary": Threshold(
        "valid structured summaries", 1.0, "%", False, "the same as for extraction"
    ),
    "tokens_per_second": Threshold(
        "tokens per second",
        8.0,
        "tokens/s",
        False,
        "a smaller quantisation (q4_K_M), a GPU, or a smaller model; a person reads about "
        "5 words a second",
    ),
    "first_token": Threshold(
        "time to the first token (median)",
        5.0,
        "s",
        True,
        "a GPU, a smaller model, or keeping the model loaded (OLLAMA_KEEP_ALIVE)",
    ),
}


class Measure(BaseModel):
    key: str
    name: str
    value: float
    shown: str
    threshold: str
    ok: bool
    reason: str = ""
    to_try: str = ""


class FitnessReport(BaseModel):
    model: str
    verdict: str
    measures: list[Measure]
    guard_rules: dict[str, int]
    requests: int
    seconds: float

    def lines(self) -> list[str]:
        lines = [f"Model {self.model}: {self.verdict} Terrain."]
        for measure in self.measures:
            mark = "✓" if measure.ok else "✗"
            lines.append(f"  {mark} {measure.name}: {measure.shown} (needs {measure.threshold})")
            if measure.reason:
                lines.append(f"      why: {measure.reason}")
            if not measure.ok:
                lines.append(f"      try: {measure.to_try}")
        lines.append(f"{self.requests} requests in {self.seconds:.1f} s.")
        return lines


def battery() -> list[Case]:
    return load_case_file(BATTERY)


def _measure(key: str, value: float, reason: str = "") -> Measure:
    threshold = THRESHOLDS[key]
    ok = threshold.met(value)
    return Measure(
        key=key,
        name=threshold.name,
        value=round(value, 4),
        shown=_shown(value, threshold.unit),
        threshold=threshold.stated(),
        ok=ok,
        reason=reason,
        to_try="" if ok else threshold.to_try,
    )


def _share(good: int, total: int) -> float:
    return good / total if total else 0.0


def _examples(found: list[str]) -> str:
    distinct = list(dict.fromkeys(" ".join(text.split())[:90] for text in found))
    return "; ".join(f"“{text}”" for text in distinct[:2])


def _turn_measures(cases: list[Case], results: RunResults) -> tuple[list[Measure], Counter[str]]:
    by_id = {case.id: case for case in cases}
    turns = [
        (by_id[result.id], attempt)
        for result in results.cases
        if result.kind == CaseKind.INTERVIEWER_TURN
        for attempt in result.attempts
    ]
    errors = [attempt.error for _, attempt in turns if attempt.raw is None and attempt.error]
    several = [a.raw for _, a in turns if a.raw is not None and count_questions(a.raw) > 1]
    asked_none = [a.raw for _, a in turns if a.raw is not None and count_questions(a.raw) == 0]
    one = sum(1 for _, a in turns if a.raw is not None and count_questions(a.raw) == 1)
    drifted = [
        f"{case.language} → {language_of(a.raw) or '?'}: {a.raw}"
        for case, a in turns
        if a.raw is not None and language_of(a.raw) != case.language
    ]
    rules: Counter[str] = Counter(rule for _, a in turns for rule in a.guard_rules)
    replaced = sum(1 for _, a in turns if a.guard_rules)
    calls = sum(a.metrics.get("classifier_calls", 0) for _, a in turns)
    failed = sum(a.metrics.get("classifier_failures", 0) for _, a in turns)
    no_answer = f"{len(errors)} turns without an answer ({errors[0]})" if errors else ""
    one_reason = "; ".join(
        part
        for part in (
            f"{len(several)} with several questions: {_examples(several)}" if several else "",
            f"{len(asked_none)} with no question: {_examples(asked_none)}" if asked_none else "",
            no_answer,
        )
        if part
    )
    rule_reason = ", ".join(f"{rule} {count}" for rule, count in rules.most_common())
    measures = [
        _measure("one_question", _share(one, len(turns)), one_reason),
        _measure(
            "language",
            _share(len(turns) - len(drifted) - len(errors), len(turns)),
            f"{len(drifted)} drifted: {_examples(drifted)}" if drifted else no_answer,
        ),
        _measure("guard", _share(replaced, len(turns)), f"by rule: {rule_reason}" if rules else ""),
        _measure(
            "classifier",
            _share(int(calls - failed), int(calls)),
            f"{int(failed)} of {int(calls)} verdicts unusable" if failed else "",
        ),
    ]
    return measures, rules


def _extraction_measure(results: RunResults) -> Measure:
    attempts = [a for r in results.cases if r.kind == CaseKind.EXTRACTION for a in r.attempts]
    failed = [a.error or "" for a in attempts if a.error]
    reason = f"{len(failed)} of {len(attempts)} failed: {failed[0][:160]}" if failed else ""
    return _measure("extraction", _share(len(attempts) - len(failed), len(attempts)), reason)


async def _summaries(model: ChatModel, cases: list[Case]) -> tuple[Measure, list[float]]:
    transcripts = [case for case in cases if case.kind == CaseKind.EXTRACTION]
    failures: list[str] = []
    rates: list[float] = []
    for case in transcripts:
        said = "\n".join(text for speaker, text in (t.said for t in case.transcript))
        prompt = load_prompt(SUMMARY_PROMPT_ID, case.language).render(transcript=said)
        started = time.perf_counter()
        try:
            result = await request_structured(model, [ChatMessage.user(prompt)], SummaryPoints)
        except ModelError as error:
            failures.append(str(error))
            continue
        seconds = time.perf_counter() - started
        tokens = sum(response.completion_tokens or 0 for response in result.responses)
        if tokens and seconds > 0:
            rates.append(tokens / seconds)
    reason = f"{len(failures)} failed: {failures[0][:160]}" if failures else ""
    ok = len(transcripts) - len(failures)
    return _measure("summary", _share(ok, len(transcripts)), reason), rates


async def _first_tokens(model: ChatModel) -> list[float]:
    """Seconds to the first streamed piece of a short answer, three times."""
    waits = []
    for question in (
        "In one short sentence, what is a home care worker?",
        "En une phrase courte, qu'est-ce qu'une aide à domicile ?",
        "Ask me one short question about my work.",
    ):
        started = time.perf_counter()
        first: float | None = None
        try:
            # Read to the end: a stream left open is an HTTP response never closed.
            async for _ in model.stream([ChatMessage.user(question)]):
                if first is None:
                    first = time.perf_counter() - started
        except ModelError:
            continue  # no first token: the median is of those that came, none is a failure
        if first is not None:
            waits.append(first)
    return waits


async def assess(
    settings: Settings,
    model: ChatModel,
    progress: Callable[[str], None] = lambda case_id: None,
) -> FitnessReport:
    """Run the battery on ``model`` and judge each measure against its threshold."""
    started = time.perf_counter()
    cases = battery()
    results = await run_cases(
        cases,
        RunOptions(
            settings=settings,
            model_for=lambda case: model,
            model_name=model.name,
            fixtures=False,
            concurrency=2,
            progress=progress,
        ),
    )
    measures, rules = _turn_measures(cases, results)
    measures.append(_extraction_measure(results))
    summary, summary_rates = await _summaries(model, cases)
    measures.append(summary)
    turns = [a for r in results.cases if r.kind == CaseKind.INTERVIEWER_TURN for a in r.attempts]
    tokens = sum(a.completion_tokens for a in turns)
    seconds = sum(a.seconds for a in turns)
    rates = ([tokens / seconds] if tokens and seconds > 0 else []) + summary_rates
    measures.append(
        _measure(
            "tokens_per_second",
            statistics.median(rates) if rates else 0.0,
            "" if rates else "the model reported no token counts",
        )
    )
    waits = await _first_tokens(model)
    progress("first tokens")
    measures.append(
        _measure(
            "first_token",
            statistics.median(waits) if waits else float("inf"),
            "" if waits else "no streamed answer",
        )
    )
    return FitnessReport(
        model=model.name,
        verdict=FITS if all(measure.ok for measure in measures) else DOES_NOT_FIT,
        measures=measures,
        guard_rules=dict(rules),
        requests=len(cases) + 4 + 3,
        seconds=round(time.perf_counter() - started, 2),
    )
