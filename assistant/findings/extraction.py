"""Extraction: transcript → findings, each tied to verified verbatim evidence.

A long transcript is read in windows of turns that fit the prompt budget, overlapping so that
an episode cut at a boundary is still seen whole once. The model proposes findings through
structured output constrained to the codebook; every quote is then located in the employee's
own turns. Quotes that cannot be found get one repair request; what still cannot be found is
dropped and counted, and a finding left without evidence is dropped with it. Findings proposed
twice (overlapping windows) are merged, and a proposal that a facilitator has already decided on
(a reviewed finding of that code sharing its evidence) is not proposed again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from assistant.findings.codebook import Codebook
from assistant.findings.evidence import verify
from assistant.llm import ChatMessage, ChatModel, request_structured
from assistant.prompts import PromptFile, Trusted, fragment, load_prompt
from assistant.retrieval.records import Collection
from assistant.retrieval.search import Hit, Retriever
from assistant.schemas import (
    AutomationExposure,
    Finding,
    Interview,
    PassageCitation,
    PrescribedGap,
    Provenance,
    Quote,
    Speaker,
    Turn,
)
from assistant.tokens import TokenCounter

EXTRACT_PROMPT_ID = "findings.extract"
REPAIR_PROMPT_ID = "findings.repair"
GAP_PASSAGES = 4
_SPEAKER_LABELS = {
    "fr": {Speaker.EMPLOYEE: "Personne", Speaker.INTERVIEWER: "Intervieweur"},
    "en": {Speaker.EMPLOYEE: "Person", Speaker.INTERVIEWER: "Interviewer"},
}


class ProposedQuote(BaseModel):
    turn: int = Field(description="The number in brackets of the turn the quote comes from.")
    text: str = Field(min_length=1)


class ProposedFinding(BaseModel):
    """A finding as the model proposes it, before its quotes are verified."""

    code: str
    activity: str = Field(min_length=1)
    counterpart: str = Field(min_length=1)
    value_chain_stage: str
    quotes: list[ProposedQuote] = Field(min_length=1, max_length=5)
    prescribed_gap: str | None = None
    gap_passage: str | None = None
    automation_exposure: AutomationExposure
    automation_reasons: str = ""
    confidence: float = Field(ge=0, le=1)


class RepairedQuote(BaseModel):
    id: int
    text: str | None


class RepairOutput(BaseModel):
    quotes: list[RepairedQuote]


def output_model(codebook: Codebook) -> type[BaseModel]:
    """The extraction output schema, with codes and stages restricted to the codebook's."""
    code_type: Any = Literal[tuple(codebook.code_ids)]
    stage_type: Any = Literal[tuple(codebook.stage_ids)]
    finding = create_model(
        "Finding",
        __base__=ProposedFinding,
        code=(code_type, ...),
        value_chain_stage=(stage_type, ...),
    )
    return create_model("Findings", findings=(list[finding], ...))


@dataclass
class ExtractionReport:
    findings: list[Finding] = field(default_factory=list)
    windows: int = 0
    model_calls: int = 0
    largest_prompt_tokens: int = 0
    repaired_quotes: int = 0
    dropped_quotes: int = 0
    dropped_findings: int = 0
    already_reviewed: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "findings": len(self.findings),
            "windows": self.windows,
            "model_calls": self.model_calls,
            "largest_prompt_tokens": self.largest_prompt_tokens,
            "repaired_quotes": self.repaired_quotes,
            "dropped_quotes": self.dropped_quotes,
            "dropped_findings": self.dropped_findings,
            "already_reviewed": self.already_reviewed,
        }


def windows(
    turns: Sequence[Turn], counter: TokenCounter, budget: int, overlap: int
) -> list[list[Turn]]:
    """Consecutive runs of turns within ``budget`` tokens, each repeating up to ``overlap``
    tokens of the previous one."""
    result: list[list[Turn]] = []
    current: list[Turn] = []
    used = 0
    for turn in turns:
        size = counter.count(turn.text) + 8
        if current and used + size > budget:
            result.append(current)
            carried: list[Turn] = []
            carried_size = 0
            for previous in reversed(current):
                previous_size = counter.count(previous.text) + 8
                if carried_size + previous_size > overlap:
                    break
                carried.insert(0, previous)
                carried_size += previous_size
            current, used = carried, carried_size
        current.append(turn)
        used += size
    if current:
        result.append(current)
    return result


@dataclass
class Extractor:
    model: ChatModel
    codebook: Codebook
    counter: TokenCounter
    retriever: Retriever | None = None
    window_tokens: int = 3000
    overlap_tokens: int = 300

    async def extract(
        self, interview: Interview, turns: Sequence[Turn], reviewed: Sequence[Finding] = ()
    ) -> ExtractionReport:
        """The findings of one transcript; ``reviewed`` are the interview's findings that
        facilitators have already decided on (accepted, edited, rejected or added), whose
        proposals are left out and counted in ``already_reviewed``."""
        language = interview.language if interview.language in _SPEAKER_LABELS else "en"
        extract_prompt = load_prompt(EXTRACT_PROMPT_ID, language)
        repair_prompt = load_prompt(REPAIR_PROMPT_ID, language)
        schema = output_model(self.codebook)
        report = ExtractionReport()
        proposed: list[Finding] = []
        for window in windows(turns, self.counter, self.window_tokens, self.overlap_tokens):
            if not any(turn.speaker == Speaker.EMPLOYEE for turn in window):
                continue
            report.windows += 1
            transcript = _render(window, language)
            passages = await self._passages(window)
            prompt = extract_prompt.render(
                codebook=Trusted(self.codebook.describe(language)),
                documents=_render_passages(passages) or "-",
                transcript=transcript,
            )
            messages = [ChatMessage.user(prompt)]
            self._count(report, messages)
            result = await request_structured(self.model, messages, schema)
            report.model_calls += result.attempts
            candidates = [
                ProposedFinding.model_validate(item.model_dump())
                for item in result.value.findings  # type: ignore[attr-defined]
            ]
            proposed += await self._verified(
                candidates,
                turns,
                passages,
                interview,
                extract_prompt,
                repair_prompt,
                transcript,
                report,
            )
        merged = merge(proposed)
        report.findings = [f for f in merged if not already_decided(f, reviewed)]
        report.already_reviewed = len(merged) - len(report.findings)
        return report

    async def _verified(
        self,
        candidates: list[ProposedFinding],
        turns: Sequence[Turn],
        passages: list[Hit],
        interview: Interview,
        extract_prompt: PromptFile,
        repair_prompt: PromptFile,
        transcript: str,
        report: ExtractionReport,
    ) -> list[Finding]:
        located: list[list[Quote | None]] = [
            [verify(q.text, turns, hint=q.turn) for q in c.quotes] for c in candidates
        ]
        missing = [
            (i, j) for i, quotes in enumerate(located) for j, q in enumerate(quotes) if q is None
        ]
        if missing:
            repaired = await self._repair(candidates, missing, repair_prompt, transcript, report)
            for (i, j), text in zip(missing, repaired, strict=True):
                if text and (found := verify(text, turns, hint=candidates[i].quotes[j].turn)):
                    located[i][j] = found
                    report.repaired_quotes += 1
                else:
                    report.dropped_quotes += 1
        now = datetime.now(UTC)
        findings: list[Finding] = []
        for candidate, quotes in zip(candidates, located, strict=True):
            evidence = _unique([q for q in quotes if q is not None])
            if not evidence:
                report.dropped_findings += 1
                continue
            findings.append(
                Finding(
                    id=uuid.uuid4().hex,
                    interview_id=interview.id,
                    code=candidate.code,
                    activity=candidate.activity,
                    counterpart=candidate.counterpart,
                    value_chain_stage=candidate.value_chain_stage,
                    evidence=evidence,
                    prescribed_gap=_gap(candidate, passages),
                    automation_exposure=candidate.automation_exposure,
                    automation_reasons=candidate.automation_reasons,
                    confidence=candidate.confidence,
                    provenance=Provenance(
                        model=self.model.name,
                        prompt=extract_prompt.ref,
                        codebook=self.codebook.ref,
                        created_at=now,
                    ),
                    updated_at=now,
                )
            )
        return findings

    async def _repair(
        self,
        candidates: list[ProposedFinding],
        missing: list[tuple[int, int]],
        repair_prompt: PromptFile,
        transcript: str,
        report: ExtractionReport,
    ) -> list[str | None]:
        listing = "\n".join(
            f"{number}. [{candidates[i].quotes[j].turn}] {candidates[i].quotes[j].text}"
            for number, (i, j) in enumerate(missing)
        )
        messages = [ChatMessage.user(repair_prompt.render(quotes=listing, transcript=transcript))]
        self._count(report, messages)
        result = await request_structured(self.model, messages, RepairOutput)
        report.model_calls += result.attempts
        answers = {quote.id: quote.text for quote in result.value.quotes}
        return [answers.get(number) for number in range(len(missing))]

    async def _passages(self, window: list[Turn]) -> list[Hit]:
        if self.retriever is None:
            return []
        said = " ".join(t.text for t in window if t.speaker == Speaker.EMPLOYEE)[:600]
        try:
            result = await self.retriever.search(
                said, k=GAP_PASSAGES, collection=Collection.COMPANY
            )
        except Exception:  # the gap is optional: extraction goes on without it
            return []
        return result.hits

    def _count(self, report: ExtractionReport, messages: list[ChatMessage]) -> None:
        size = self.counter.count_messages(message.content for message in messages)
        report.largest_prompt_tokens = max(report.largest_prompt_tokens, size)


def _render(window: Sequence[Turn], language: str) -> str:
    labels = _SPEAKER_LABELS[language]
    return "\n".join(f"[{turn.index}] {labels[turn.speaker]} : {turn.text}" for turn in window)


def _render_passages(passages: Sequence[Hit]) -> Trusted:
    return Trusted("\n").join(
        fragment(
            '<passage id="P$number" source="$source">$text</passage>',
            number=number,
            source=hit.citation,
            text=hit.text,
        )
        for number, hit in enumerate(passages, start=1)
    )


def _gap(candidate: ProposedFinding, passages: Sequence[Hit]) -> PrescribedGap | None:
    if not candidate.prescribed_gap:
        return None
    citation = None
    label = (candidate.gap_passage or "").strip().upper().removeprefix("P")
    if label.isdigit() and 1 <= int(label) <= len(passages):
        hit = passages[int(label) - 1]
        citation = PassageCitation(
            source=hit.source, page=hit.page, section=hit.section, text=hit.text
        )
    return PrescribedGap(description=candidate.prescribed_gap, passage=citation)


def _unique(quotes: list[Quote]) -> list[Quote]:
    seen: dict[tuple[int, int, int], Quote] = {}
    for quote in quotes:
        seen.setdefault((quote.turn_index, quote.start, quote.end), quote)
    return list(seen.values())


def _overlap(left: Sequence[Quote], right: Sequence[Quote]) -> bool:
    return any(
        a.turn_index == b.turn_index and a.start < b.end and b.start < a.end
        for a in left
        for b in right
    )


def already_decided(proposal: Finding, reviewed: Sequence[Finding]) -> bool:
    """Whether a facilitator has decided on this proposal already: a reviewed finding whose
    code, as the model proposed it or as the facilitator kept it, is the proposal's, and whose
    evidence overlaps the proposal's."""
    return any(
        proposal.code in (finding.code, finding.proposed_code)
        and _overlap(finding.evidence, proposal.evidence)
        for finding in reviewed
    )


def transcript_digest(turns: Sequence[Turn]) -> str:
    """A digest of what extraction reads: each turn's position, speaker and text, in order.

    A turn added, removed or corrected changes it; nothing else about the interview does.
    """
    digest = hashlib.sha256()
    for turn in turns:
        line = json.dumps([turn.index, turn.speaker.value, turn.text], ensure_ascii=False)
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per code and piece of evidence: overlapping duplicates are combined."""
    merged: list[Finding] = []
    for finding in findings:
        twin = next(
            (
                i
                for i, kept in enumerate(merged)
                if kept.code == finding.code and _overlap(kept.evidence, finding.evidence)
            ),
            None,
        )
        if twin is None:
            merged.append(finding)
            continue
        kept = merged[twin]
        merged[twin] = kept.model_copy(
            update={
                "evidence": _unique([*kept.evidence, *finding.evidence]),
                "confidence": max(
                    (c for c in (kept.confidence, finding.confidence) if c is not None),
                    default=None,
                ),
                "prescribed_gap": kept.prescribed_gap or finding.prescribed_gap,
            }
        )
    return merged
