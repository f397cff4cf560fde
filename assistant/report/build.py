"""Building a report: the deterministic sections first, then the model's narratives.

``build_report`` is what the CLI and the web pages call; everything it needs comes in as
arguments (records, settings, a model or None), so those adapters stay thin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from assistant.config import Settings
from assistant.findings.codebook import Codebook
from assistant.llm import ChatModel
from assistant.personal_data.redaction import Redactor, default_redactor
from assistant.report.narratives import NarrativeWriter, Piece, finding_line
from assistant.report.records import (
    Narrative,
    NarrativeState,
    NarrativeStatus,
    Report,
    ReportInputs,
    ReportOptions,
    SourceSection,
)
from assistant.report.sections import SectionBuilder, is_draft, selected_findings
from assistant.report.texts import text_for
from assistant.schemas import Finding, ReportBuildPhase, ReportBuildProgress
from assistant.tokens import TokenCounter

# Told how a build stands, as it goes (the worker writes it to the database).
ProgressCallback = Callable[[ReportBuildProgress], Awaitable[None]]


class _Redaction:
    """The redactor's two uses, memoised: a text replaced, or a quote kept only if certain."""

    def __init__(self, redactor: Redactor, language: str) -> None:
        self.redactor = redactor
        self.language = language
        self.text = lru_cache(maxsize=None)(self._text)
        self.quote = lru_cache(maxsize=None)(self._quote)

    def _text(self, text: str) -> str:
        return self.redactor.redact(text, self.language).text

    def _quote(self, text: str) -> str | None:
        result = self.redactor.redact(text, self.language)
        return None if result.doubtful else result.text


@dataclass(frozen=True)
class _Built:
    report: Report
    theme_findings: dict[str, list[Finding]]
    redaction: _Redaction

    def material(self) -> dict[str, list[Piece]]:
        """The redacted finding lines the narratives are written from, by theme."""
        result: dict[str, list[Piece]] = {}
        for theme in self.report.themes:
            pieces = []
            for finding in self.theme_findings.get(theme.code, []):
                quotes = [
                    q for q in map(self.redaction.quote, (e.text for e in finding.evidence)) if q
                ]
                line = finding_line(finding, quotes, self.redaction.text)
                pieces.append(Piece(line, [finding.id], []))
            result[theme.code] = pieces
        return result


def _build_sections(
    inputs: ReportInputs,
    codebook: Codebook,
    options: ReportOptions,
    redactor: Redactor,
    now: datetime | None,
) -> _Built:
    findings = selected_findings(inputs.findings, inputs.interviews, options.include_proposed)
    redaction = _Redaction(redactor, options.language)
    builder = SectionBuilder(
        codebook=codebook,
        language=options.language,
        min_people=options.min_people,
        min_people_for_quotes=options.min_people_for_quotes,
        quotes_per_theme=options.quotes_per_theme,
        redact=redaction.text,
        redact_quote=redaction.quote,
        employee_words=inputs.employee_words,
    )
    sections = builder.build(inputs.interviews, findings, inputs.profiles)
    report = Report(
        title=options.title or text_for(options.language, "title"),
        language=options.language,
        generated_at=now or datetime.now(UTC),
        codebook=codebook.ref,
        include_proposed=options.include_proposed,
        min_people=options.min_people,
        min_people_for_quotes=options.min_people_for_quotes,
        quotes_allowed=sections.quotes_allowed,
        coverage=sections.coverage,
        heatmap=sections.heatmap,
        themes=sections.themes,
        counterparts=sections.counterparts,
        gaps=sections.gaps,
        automation=sections.automation,
        groups=sections.groups,
        recommendations=[],
        withheld=sections.withheld,
        narratives=NarrativeStatus(state=NarrativeState.NOT_REQUESTED),
    )
    return _Built(report, sections.theme_findings, redaction)


def build_sections_report(
    inputs: ReportInputs,
    codebook: Codebook,
    options: ReportOptions,
    redactor: Redactor,
    *,
    now: datetime | None = None,
) -> Report:
    """The report's deterministic part: every section, computed without any model."""
    return _build_sections(inputs, codebook, options, redactor, now).report


async def build_report(
    inputs: ReportInputs,
    settings: Settings,
    model: ChatModel | None,
    *,
    codebook: Codebook,
    options: ReportOptions | None = None,
    redactor: Redactor | None = None,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
) -> Report:
    """The whole report. With ``model`` None, or no model reachable, it is complete but for
    its narratives, and says so in ``report.narratives``. ``on_progress`` is awaited as the
    sections start, then after each model call and each narrative kept or dropped.

    The sections (the redactor's spaCy pipeline loads then) are computed in a thread, so that
    the caller's event loop is never held for that long."""

    async def tell(progress: ReportBuildProgress) -> None:
        if on_progress is not None:
            await on_progress(progress)

    options = options or ReportOptions(language=settings.language)
    redactor = redactor or default_redactor(inputs.known_names, inputs.allowed_terms)
    await tell(ReportBuildProgress(phase=ReportBuildPhase.SECTIONS))
    built = await asyncio.to_thread(_build_sections, inputs, codebook, options, redactor, now)
    report = built.report
    if model is None:
        return report
    writer: NarrativeWriter | None = None

    async def narrated() -> None:
        if writer is not None:
            await tell(
                ReportBuildProgress(
                    phase=ReportBuildPhase.NARRATIVES,
                    model_calls=writer.calls,
                    narratives_kept=writer.kept,
                    narratives_dropped=writer.dropped,
                )
            )

    writer = NarrativeWriter(
        model=model,
        codebook=codebook,
        counter=TokenCounter(settings.tokenizer),
        budget=settings.prompt_token_budget,
        language=options.language,
        sources=inputs.sources,
        redact=built.redaction.text,
        on_progress=narrated,
    )
    await narrated()
    outcome = await writer.write(report.themes, built.material())
    unreviewed = {
        f.id for findings in built.theme_findings.values() for f in findings if is_draft(f)
    }

    def marked(narrative: Narrative) -> Narrative:
        drafts = any(i in unreviewed for i in narrative.finding_ids)
        return narrative.model_copy(update={"drafts": drafts})

    themes = []
    for theme in report.themes:
        synthesis = outcome.syntheses.get(theme.code)
        themes.append(theme.model_copy(update={"synthesis": synthesis and marked(synthesis)}))
    return report.model_copy(
        update={
            "themes": themes,
            "recommendations": [marked(n) for n in outcome.recommendations],
            "narratives": outcome.status,
        }
    )


def edit_narrative(
    report: Report,
    narrative_id: str,
    text: str,
    editor: str,
    redactor: Redactor,
    *,
    now: datetime | None = None,
) -> Report:
    """The report with one narrative's text replaced by a facilitator's, redacted and marked
    as edited. Raises ``KeyError`` when no narrative has that id."""
    redacted = redactor.redact(text, report.language).text

    def edited(narrative: Narrative) -> Narrative:
        return narrative.model_copy(
            update={
                "text": redacted,
                "edited": True,
                "edited_by": editor,
                "edited_at": now or datetime.now(UTC),
            }
        )

    found = False
    themes = []
    for theme in report.themes:
        if theme.synthesis is not None and theme.synthesis.id == narrative_id:
            theme = theme.model_copy(update={"synthesis": edited(theme.synthesis)})
            found = True
        themes.append(theme)
    recommendations = []
    for narrative in report.recommendations:
        if narrative.id == narrative_id:
            narrative = edited(narrative)
            found = True
        recommendations.append(narrative)
    if not found:
        raise KeyError(narrative_id)
    return report.model_copy(update={"themes": themes, "recommendations": recommendations})


def load_source_catalogue(directory: Path, language: str) -> list[SourceSection]:
    """The sections of the essay's sources in ``language`` (``*.<language>.md``), by heading."""
    sections = []
    for path in sorted(directory.glob(f"*.{language}.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
                if heading:
                    sections.append(SourceSection(file=path.name, section=heading))
    return sections
