"""Extraction cases: Terrain's extractor on a transcript, scored against the expected findings.

A finding found matches an expected one when it has the expected code and one of its quotes
overlaps the expected evidence (either contains the other, case and accents aside). Precision
is the share of findings found that match an expected one; recall the share of expected
findings matched. Every quote must also stand verbatim in the transcript.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.cases import Case, ExpectedFinding
from assistant.evaluation.results import AssertionResult, Attempt
from assistant.findings.codebook import load_codebook
from assistant.findings.extraction import Extractor
from assistant.llm.port import ChatModel
from assistant.schemas import Finding, Phase, Speaker, Turn
from assistant.store import Store
from assistant.text import fold_for_matching
from assistant.tokens import TokenCounter


def _matches(finding: Finding, expected: ExpectedFinding) -> bool:
    if finding.code != expected.code:
        return False
    wanted = fold_for_matching(expected.evidence)
    return any(
        wanted in fold_for_matching(quote.text) or fold_for_matching(quote.text) in wanted
        for quote in finding.evidence
    )


def precision_recall(
    found: Sequence[Finding], expected: Sequence[ExpectedFinding]
) -> tuple[float, float]:
    """(precision, recall); with nothing found precision is 1 (nothing wrong was said), with
    nothing expected recall is 1."""
    right = sum(1 for finding in found if any(_matches(finding, e) for e in expected))
    recalled = sum(1 for e in expected if any(_matches(finding, e) for finding in found))
    precision = right / len(found) if found else 1.0
    recall = recalled / len(expected) if expected else 1.0
    return round(precision, 4), round(recall, 4)


def verbatim(findings: Sequence[Finding], turns: Sequence[Turn]) -> bool:
    """Whether every quote is exactly its employee turn's text between its offsets."""
    by_index = {turn.index: turn for turn in turns}
    for finding in findings:
        for quote in finding.evidence:
            turn = by_index.get(quote.turn_index)
            if turn is None or turn.speaker != Speaker.EMPLOYEE:
                return False
            if turn.text[quote.start : quote.end] != quote.text:
                return False
    return True


def threshold(name: str, value: float, minimum: float) -> AssertionResult:
    status = Status.PASS if value >= minimum else Status.FAIL
    detail = "" if status == Status.PASS else f"{name} {value:.2f} < {minimum:.2f}"
    return AssertionResult(name=name, raw=status, delivered=status, detail=detail)


async def extract_and_score(
    turns_text: Sequence[tuple[Speaker, str]],
    language: str,
    expected: Sequence[ExpectedFinding],
    model: ChatModel,
    store: Store,
    settings: Settings,
) -> tuple[list[Finding], list[Turn], float, float]:
    """Extract findings from a transcript stored for the purpose (then erased)."""
    interview = await asyncio.to_thread(store.interviews.create, language=language)
    try:
        for speaker, text in turns_text:
            await asyncio.to_thread(
                store.interviews.add_turn,
                interview.id,
                speaker=speaker,
                text=text,
                phase=Phase.EPISODE,
            )
        turns = await asyncio.to_thread(store.interviews.turns, interview.id)
        extractor = Extractor(
            model=model,
            codebook=load_codebook(settings.codebook),
            counter=TokenCounter(settings.tokenizer),
            window_tokens=settings.extraction_window_tokens,
            overlap_tokens=settings.extraction_overlap_tokens,
        )
        report = await extractor.extract(interview, turns)
    finally:
        await asyncio.to_thread(store.interviews.erase, interview.id)
    precision, recall = precision_recall(report.findings, expected)
    return report.findings, turns, precision, recall


async def score_extraction(
    case: Case, model: ChatModel, store: Store, settings: Settings
) -> Attempt:
    turns_text = [turn.said for turn in case.transcript]
    findings, turns, precision, recall = await extract_and_score(
        turns_text, case.language, case.expected, model, store, settings
    )
    quoted = verbatim(findings, turns)
    evidence_status = Status.PASS if quoted else Status.FAIL
    assertions = [
        threshold("precision", precision, case.min_precision),
        threshold("recall", recall, case.min_recall),
        AssertionResult(
            name="verbatim_evidence",
            raw=evidence_status,
            delivered=evidence_status,
            detail="" if quoted else "a quote is not the employee's exact words",
        ),
    ]
    codes = ", ".join(sorted({finding.code for finding in findings})) or "none"
    return Attempt(
        raw=None,
        delivered=f"findings: {len(findings)}, codes: {codes}",
        assertions=assertions,
        metrics={"precision": precision, "recall": recall, "findings": len(findings)},
    )
