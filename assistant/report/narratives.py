"""Narratives drafted by the model: a synthesis per theme, then a few recommendations.

Bounded map-reduce. *Map*: a theme's findings (already redacted) are cut into batches that fit
the prompt budget, and each batch is summarised. *Reduce*: the summaries are grouped, again
within the budget, and each group merged into one summary, until a single synthesis remains.
The recommendations are drafted from the syntheses, trimmed to the budget. Every prompt is
counted before it is sent, so none exceeds ``prompt_token_budget``, whatever the number of
interviews; model calls grow linearly with the number of findings.

Every draft is checked deterministically: finding ids that do not exist, or are not in its
theme, are removed; sources not in the catalogue are removed; a draft left citing no finding is
dropped. Drafts are redacted again before they are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, Field

from assistant.findings.codebook import Codebook
from assistant.llm import ChatMessage, ChatModel, request_structured
from assistant.llm.errors import ModelError, StructuredOutputError
from assistant.prompts import PromptFile, Trusted, load_prompt
from assistant.report.records import (
    DroppedNarrative,
    DropReason,
    Narrative,
    NarrativeState,
    NarrativeStatus,
    SourceSection,
    Theme,
)
from assistant.schemas import Finding
from assistant.tokens import TokenCounter

THEME_PROMPT_ID = "report.theme"
REDUCE_PROMPT_ID = "report.reduce"
RECOMMEND_PROMPT_ID = "report.recommend"
# Share of the budget the sources catalogue may take in a prompt.
_SOURCES_SHARE = 4
_MAX_RECOMMENDATIONS = 5
T = TypeVar("T", bound=BaseModel)


class BatchSummary(BaseModel):
    summary: str = Field(min_length=1)
    finding_ids: list[str]


class ThemeDraft(BaseModel):
    text: str = Field(min_length=1)
    summaries: list[str] = Field(description="Labels (R1, R2…) of the summaries it rests on.")
    sources: list[str] = Field(default_factory=list)


class RecommendationDraft(BaseModel):
    text: str = Field(min_length=1)
    themes: list[str] = Field(description="Labels (T1, T2…) of the themes supporting it.")
    sources: list[str] = Field(default_factory=list)


class RecommendationsDraft(BaseModel):
    recommendations: list[RecommendationDraft] = Field(max_length=_MAX_RECOMMENDATIONS)


@dataclass
class Piece:
    """A text standing for some findings: a finding line, or a summary of several."""

    text: str
    finding_ids: list[str]
    sources: list[str]


@dataclass
class Outcome:
    syntheses: dict[str, Narrative]
    recommendations: list[Narrative]
    status: NarrativeStatus


class BudgetError(ValueError):
    """A prompt's fixed part alone leaves no room for data."""


class NarrativeWriter:
    def __init__(
        self,
        model: ChatModel,
        codebook: Codebook,
        counter: TokenCounter,
        budget: int,
        language: str,
        sources: Sequence[SourceSection],
        redact: Callable[[str], str],
        on_progress: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``on_progress`` is awaited after each model call and each narrative kept or
        dropped; it reads :attr:`calls`, :attr:`kept` and :attr:`dropped`."""
        self.model = model
        self.on_progress = on_progress
        self.codebook = codebook
        self.counter = counter
        self.budget = budget
        self.language = language
        self.redact = redact
        self.catalogue = {f"S{i}": source for i, source in enumerate(sources, start=1)}
        self.calls = 0
        self.largest = 0
        self.dropped = 0
        self.kept = 0
        self.dropped_sections: list[DroppedNarrative] = []
        self.theme_prompt = load_prompt(THEME_PROMPT_ID, language)
        self.reduce_prompt = load_prompt(REDUCE_PROMPT_ID, language)
        self.recommend_prompt = load_prompt(RECOMMEND_PROMPT_ID, language)

    async def write(self, themes: Sequence[Theme], material: dict[str, list[Piece]]) -> Outcome:
        """Syntheses for ``themes`` from ``material`` (redacted finding lines by theme code).

        A section whose draft is dropped is recorded with the reason, so that the report says
        why it has no narrative there instead of leaving a silent hole."""
        syntheses: dict[str, Narrative] = {}
        try:
            for theme in themes:
                pieces = material.get(theme.code, [])
                if not pieces:
                    continue
                try:
                    narrative = await self._synthesis(theme, pieces)
                except StructuredOutputError as error:
                    self.calls += error.attempts - 1
                    self._drop(theme.code, DropReason.MALFORMED)
                    await self._progressed()
                    continue
                if narrative is None:
                    self._drop(theme.code, DropReason.NO_CITATION)
                else:
                    syntheses[theme.code] = narrative
                    self.kept += 1
                await self._progressed()
            recommendations = await self._recommendations(themes, syntheses)
            self.kept += len(recommendations)
            await self._progressed()
        except (ModelError, BudgetError) as error:
            return Outcome({}, [], self._status(NarrativeState.UNAVAILABLE, str(error)))
        return Outcome(syntheses, recommendations, self._status(NarrativeState.WRITTEN))

    async def _progressed(self) -> None:
        if self.on_progress is not None:
            await self.on_progress()

    def _drop(self, theme: str | None, reason: DropReason, count: int = 1) -> None:
        self.dropped += count
        if all(d.theme != theme for d in self.dropped_sections):
            self.dropped_sections.append(DroppedNarrative(theme=theme, reason=reason))

    def _status(self, state: NarrativeState, detail: str = "") -> NarrativeStatus:
        return NarrativeStatus(
            state=state,
            detail=detail,
            model_calls=self.calls,
            largest_prompt_tokens=self.largest,
            dropped=self.dropped,
            dropped_sections=self.dropped_sections if state == NarrativeState.WRITTEN else [],
        )

    # ------------------------------------------------------------------ map-reduce

    async def _synthesis(self, theme: Theme, pieces: list[Piece]) -> Narrative | None:
        allowed = set(theme.finding_ids)
        theme_text = self._theme_text(theme.code)
        sources_text = self._sources_text()
        summaries: list[Piece] = []
        # Each finding is shown under a short label (C1, C2…) that a model copies back
        # reliably, where a 32-digit id would often come back altered and cite nothing.
        labels = {f"C{n}": piece for n, piece in enumerate(pieces, start=1)}
        shown = [Piece(f"[{label}] {p.text}", [label], []) for label, p in labels.items()]
        batches = self._batches(shown, 1, self.theme_prompt, theme=theme_text, findings="")
        for batch in batches:
            prompt = self.theme_prompt.render(
                theme=theme_text, findings="\n".join(p.text for p in batch)
            )
            result = await self._ask(prompt, BatchSummary)
            chosen = _valid(result.finding_ids, {p.finding_ids[0] for p in batch})
            ids = _valid([i for label in chosen for i in labels[label].finding_ids], allowed)
            if ids:
                summaries.append(Piece(result.summary, ids, []))
        while summaries:
            # Two pieces at least per group, so that every round shrinks the list.
            groups = self._batches(
                summaries,
                2,
                self.reduce_prompt,
                theme=theme_text,
                summaries="",
                sources=sources_text,
            )
            merged: list[Piece] = []
            for group in groups:
                labelled = {f"R{n}": piece for n, piece in enumerate(group, start=1)}
                prompt = self.reduce_prompt.render(
                    theme=theme_text,
                    summaries="\n".join(f"{label}: {p.text}" for label, p in labelled.items()),
                    sources=sources_text,
                )
                draft = await self._ask(prompt, ThemeDraft)
                cited = [labelled[label] for label in _valid(draft.summaries, set(labelled))]
                ids = _valid([i for p in cited for i in p.finding_ids], allowed)
                if not ids:
                    continue
                sources = _valid(draft.sources, set(self.catalogue))
                sources = list(dict.fromkeys([*sources, *(s for p in group for s in p.sources)]))
                merged.append(Piece(draft.text, ids, sources))
            if len(groups) == 1:
                if not merged:
                    return None
                final = merged[0]
                return self._narrative(final, theme.code, self.reduce_prompt)
            summaries = merged
        return None

    async def _recommendations(
        self, themes: Sequence[Theme], syntheses: dict[str, Narrative]
    ) -> list[Narrative]:
        if not syntheses:
            return []
        sources_text = self._sources_text()
        fixed = self.counter.count(self.recommend_prompt.render(themes="", sources=sources_text))
        room = self.budget - fixed - self.counter.PER_MESSAGE_OVERHEAD
        lines: list[str] = []
        labelled: dict[str, Narrative] = {}
        used = 0
        for theme in themes:
            narrative = syntheses.get(theme.code)
            if narrative is None:
                continue
            label = f"T{len(labelled) + 1}"
            line = f"{label}: {theme.label} — {narrative.text}"
            size = self.counter.count(line) + 1
            if used + size > room:
                line = self.counter.truncate(line, max(room - used - 1, 0))
                size = self.counter.count(line) + 1
                if not line or used + size > room:
                    break
            lines.append(line)
            labelled[label] = narrative
            used += size
        prompt = self.recommend_prompt.render(themes="\n".join(lines), sources=sources_text)
        try:
            drafts = await self._ask(prompt, RecommendationsDraft)
        except StructuredOutputError as error:
            self.calls += error.attempts - 1
            self._drop(None, DropReason.MALFORMED)
            return []
        result = []
        unsupported = 0
        for draft in drafts.recommendations:
            cited = [labelled[label] for label in _valid(draft.themes, set(labelled))]
            ids = list(dict.fromkeys(i for n in cited for i in n.finding_ids))
            if not ids:
                unsupported += 1
                continue
            piece = Piece(draft.text, ids, _valid(draft.sources, set(self.catalogue)))
            result.append(self._narrative(piece, None, self.recommend_prompt))
        if unsupported and not result:
            self._drop(None, DropReason.NO_CITATION, unsupported)
        else:
            self.dropped += unsupported
        return result

    # --------------------------------------------------------------------- helpers

    def _batches(
        self, pieces: Sequence[Piece], at_least: int, prompt: PromptFile, **empty: str
    ) -> list[list[Piece]]:
        """Consecutive runs of pieces that fit the budget beside the prompt's fixed part; a
        piece longer than a share ``1/at_least`` of the room is cut to it."""
        fixed = self.counter.count(prompt.render(**empty)) + self.counter.PER_MESSAGE_OVERHEAD
        room = self.budget - fixed
        if room < 50:
            raise BudgetError(f"prompt {prompt.ref} leaves {room} tokens for data")
        batches: list[list[Piece]] = []
        current: list[Piece] = []
        used = 0
        for piece in pieces:
            size = self.counter.count(piece.text) + 1
            if size > room // at_least:
                text = self.counter.truncate(piece.text, room // at_least - 1)
                piece = Piece(text, piece.finding_ids, piece.sources)
                size = self.counter.count(text) + 1
            if current and used + size > room:
                batches.append(current)
                current, used = [], 0
            current.append(piece)
            used += size
        if current:
            batches.append(current)
        return batches

    async def _ask(self, prompt: str, schema: type[T]) -> T:
        messages = [ChatMessage.user(prompt)]
        size = self.counter.count_messages([prompt])
        self.largest = max(self.largest, size)
        self.calls += 1
        result = await request_structured(self.model, messages, schema)
        self.calls += result.attempts - 1
        await self._progressed()
        return result.value

    def _theme_text(self, code_id: str) -> Trusted:
        """The codebook's words for the theme: ours, unlike the findings the prompt carries."""
        code = self.codebook.code(code_id)
        if code is None:
            return Trusted(code_id)
        label, definition = code.label, code.definition
        return Trusted(
            f"{label.in_language(self.language)} — {definition.in_language(self.language)}"
        )

    def _sources_text(self) -> str:
        lines = [f"{key}: {s.file} § {s.section}" for key, s in self.catalogue.items()]
        return self.counter.truncate("\n".join(lines), self.budget // _SOURCES_SHARE) or "-"

    def _narrative(self, piece: Piece, theme: str | None, prompt: PromptFile) -> Narrative:
        return Narrative(
            id=uuid.uuid4().hex,
            text=self.redact(piece.text),
            finding_ids=piece.finding_ids,
            sources=[self.catalogue[s] for s in piece.sources],
            theme=theme,
            drafted_by_model=self.model.name,
            prompt=prompt.ref,
        )


def _valid(ids: Sequence[str], allowed: set[str]) -> list[str]:
    """The ids or labels that exist, in order, once each; a label a model wrote in brackets
    or with spaces ("[R1]", " S2") counts as the label."""
    return [i for i in dict.fromkeys(i.strip(" []") for i in ids) if i in allowed]


def finding_line(finding: Finding, quotes: Sequence[str], redact: Callable[[str], str]) -> str:
    """A finding as the map prompt shows it (after its label); ``quotes`` are already
    redacted."""
    parts = [
        redact(finding.activity or "?"),
        f"— {redact(finding.counterpart or '?')}:",
        " | ".join(f"« {q} »" for q in quotes) or "-",
    ]
    return " ".join(parts)
