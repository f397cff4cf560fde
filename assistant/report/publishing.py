"""The report's life in the store: a draft built and reviewed, numbered versions published,
and versions republished without an erased interview.

Facilitators build a draft, approve or drop each of its quotes, edit its narratives, then
publish. Publishing refuses a draft with quotes still awaiting a decision (an unread quote
must never reach leadership by default); what is published holds only the approved quotes.

When an interview is erased, the store withdraws in the erasure's own commit every version
that drew on it and queues a republish job; the worker runs it
(:mod:`assistant.report.republishing`): :func:`republish_after_erasure` rebuilds each withdrawn
version, without any model, from the findings it drew on that still exist: the erased
interview's quotes, counts and the narratives that cited its findings are gone, and only
quotes approved before stay. A withdrawn version is never read again (:func:`report_of`
refuses it), and its content is cleared once it is replaced.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.findings.codebook import Codebook, load_codebook
from assistant.llm.port import ChatModel
from assistant.personal_data.redaction import Redactor, default_redactor
from assistant.report.build import (
    ProgressCallback,
    build_report,
    build_sections_report,
    edit_narrative,
    load_source_catalogue,
)
from assistant.report.exports import render_pdf, report_json
from assistant.report.qdpx import QdpxExport, build_qdpx
from assistant.report.records import (
    InterviewProfile,
    Narrative,
    Report,
    ReportInputs,
    ReportOptions,
    ShownQuote,
)
from assistant.report.render_html import render_html
from assistant.report.render_markdown import render_markdown
from assistant.report.sections import selected_findings
from assistant.retrieval.people import company_people, company_terms
from assistant.schemas import (
    DEFAULT_CAMPAIGN_ID,
    Finding,
    Interview,
    InterviewStatus,
    QuoteDecision,
    ReportBuildPhase,
    ReportBuildProgress,
    ReportStatus,
    ReportVersion,
    Speaker,
    Turn,
)
from assistant.store import NoDraftError, Store

ERASURE_ACTOR = "terrain (erasure)"
ENDED = (InterviewStatus.CLOSED, InterviewStatus.STOPPED)


class UnreviewedQuotesError(TerrainError):
    """Publishing a draft whose quotes are not all approved or dropped."""


class UnknownQuoteError(TerrainError):
    """A quote id that the draft does not hold."""


class NoPublishedReportError(TerrainError):
    """Nothing is published (yet, or any more)."""


class WithdrawnVersionError(TerrainError):
    """A withdrawn version asked for: its words may include an erased interview's."""

    def __init__(self, version: ReportVersion) -> None:
        super().__init__(
            f"Version {version.number} was withdrawn: an interview it drew on was erased.",
            fix="Read the latest published version (terrain report list shows it).",
        )


@dataclass(frozen=True)
class PendingQuote:
    id: str
    theme: str
    quote: ShownQuote
    decision: QuoteDecision | None


def quote_id(quote: ShownQuote) -> str:
    """A quote's stable id: the same finding and words give the same id in every rebuild."""
    digest = hashlib.sha256(f"{quote.finding_id}\n{quote.text}".encode()).hexdigest()
    return "q" + digest[:8]


def report_of(version: ReportVersion) -> Report:
    """The version's report; a withdrawn one is refused (:class:`WithdrawnVersionError`)."""
    if version.status == ReportStatus.WITHDRAWN:
        raise WithdrawnVersionError(version)
    return Report.model_validate(version.content)


def quotes_of(version: ReportVersion) -> list[PendingQuote]:
    """The version's quotes, theme by theme, with the facilitator's decision if any."""
    return [
        PendingQuote(quote_id(q), theme.code, q, version.quote_decisions.get(quote_id(q)))
        for theme in report_of(version).themes
        for q in theme.quotes
    ]


def with_approved_quotes(report: Report, decisions: dict[str, QuoteDecision]) -> Report:
    """The report keeping only the quotes approved in ``decisions``."""
    themes = [
        theme.model_copy(
            update={
                "quotes": [
                    q for q in theme.quotes if decisions.get(quote_id(q)) == QuoteDecision.APPROVED
                ]
            }
        )
        for theme in report.themes
    ]
    return report.model_copy(update={"themes": themes})


# -------------------------------------------------------------------------- inputs


def ended_interviews(store: Store, campaign_id: str | None = None) -> list[Interview]:
    """The ended interviews (of one campaign, when given)."""
    return [
        i
        for status in ENDED
        for i in store.interviews.where(status=status, campaign_id=campaign_id)
    ]


def known_names(store: Store, settings: Settings, interviews: Sequence[Interview]) -> set[str]:
    """Names the redactor must hide whatever its model says: account names and display
    names, the interviews' pseudonyms, and the people named in the company's ingested
    documents (found at ingest)."""
    names = {interview.pseudonym for interview in interviews} | company_people(
        store, settings.data_dir
    )
    for account in store.accounts.all():
        names.add(account.name)
        if account.display_name:
            names.add(account.display_name)
    return names


def profiles_of(interviews: Sequence[Interview]) -> dict[str, InterviewProfile]:
    """Each interview's group, as it kept it when it started (never the account's now)."""
    return {i.id: InterviewProfile(role=i.job, site=i.site) for i in interviews if i.job or i.site}


def employee_turns(turns: Sequence[Turn]) -> list[Turn]:
    """Only what the employee said: what the report may show in quotation marks as theirs."""
    return [turn for turn in turns if turn.speaker == Speaker.EMPLOYEE]


def gather_inputs(
    store: Store,
    settings: Settings,
    *,
    interview_ids: set[str] | None = None,
    finding_ids: set[str] | None = None,
    campaign_id: str | None = None,
) -> ReportInputs:
    """The ended interviews and their findings (only those of the given ids, and of one
    campaign, when given)."""
    interviews = [
        i
        for i in ended_interviews(store, campaign_id)
        if interview_ids is None or i.id in interview_ids
    ]
    of_interviews = {i.id for i in interviews}
    findings = [
        f
        for f in store.findings.where()
        if (finding_ids is None or f.id in finding_ids) and f.interview_id in of_interviews
    ]
    return ReportInputs(
        interviews=interviews,
        findings=findings,
        profiles=profiles_of(interviews),
        known_names=known_names(store, settings, interviews),
        allowed_terms=company_terms(store),
        employee_words={i.id: employee_turns(store.interviews.turns(i.id)) for i in interviews},
        sources=load_source_catalogue(Path(settings.knowledge_dir) / "sources", settings.language),
    )


def options_for(settings: Settings, *, include_proposed: bool) -> ReportOptions:
    return ReportOptions(
        language=settings.language,
        include_proposed=include_proposed,
        min_people=settings.report_min_people,
        min_people_for_quotes=settings.report_min_people_for_quotes,
    )


def codebook_for(settings: Settings) -> Codebook:
    return load_codebook(settings.codebook)


# -------------------------------------------------------------------------- the draft


async def build_draft(
    store: Store,
    settings: Settings,
    model: ChatModel | None,
    *,
    actor: str,
    include_proposed: bool = False,
    redactor: Redactor | None = None,
    on_progress: ProgressCallback | None = None,
    campaign_id: str = DEFAULT_CAMPAIGN_ID,
) -> ReportVersion:
    """Build the report from every ended interview of the campaign and store it as the draft
    (replacing the previous draft and its decisions), recording its campaign. With ``model``
    None, narratives are missing.

    The one build of the draft: the worker's REPORT_BUILD jobs (:mod:`.build_jobs`) and
    ``terrain report build`` both call it. ``on_progress`` is awaited at each phase, model call
    and narrative kept or dropped. The database reads, the redactor and the sections run in a
    thread, so that the caller's loop (the worker's heartbeat and lease) keeps going."""

    async def tell(progress: ReportBuildProgress) -> None:
        if on_progress is not None:
            await on_progress(progress)

    await tell(ReportBuildProgress(phase=ReportBuildPhase.READING))
    inputs = await asyncio.to_thread(
        partial(gather_inputs, store, settings, campaign_id=campaign_id)
    )
    options = options_for(settings, include_proposed=include_proposed)
    report = await build_report(
        inputs,
        settings,
        model,
        codebook=codebook_for(settings),
        options=options,
        redactor=redactor or default_redactor(inputs.known_names, inputs.allowed_terms),
        on_progress=on_progress,
    )
    narratives = report.narratives
    await tell(
        ReportBuildProgress(
            phase=ReportBuildPhase.SAVING,
            model_calls=narratives.model_calls,
            narratives_kept=len(report.recommendations)
            + sum(t.synthesis is not None for t in report.themes),
            narratives_dropped=narratives.dropped,
        )
    )
    used = selected_findings(inputs.findings, inputs.interviews, include_proposed)
    return await asyncio.to_thread(
        partial(
            store.reports.save_draft,
            report.model_dump(mode="json"),
            finding_ids=[f.id for f in used],
            interview_ids=[i.id for i in inputs.interviews],
            built_by=actor,
            campaign_id=campaign_id,
        )
    )


def current_draft(store: Store) -> ReportVersion:
    draft = store.reports.draft()
    if draft is None:
        raise NoDraftError
    return draft


def decide_quote(store: Store, quote: str, decision: QuoteDecision) -> ReportVersion:
    """Approve or drop one of the draft's quotes."""
    draft = current_draft(store)
    if quote not in {q.id for q in quotes_of(draft)}:
        raise UnknownQuoteError(
            f"The draft has no quote {quote!r}.", fix="See its quotes: terrain report show."
        )
    return store.reports.update_draft(decisions={quote: decision})


def edit_draft_narrative(
    store: Store,
    narrative_id: str,
    text: str,
    *,
    settings: Settings,
    editor: str,
    redactor: Redactor | None = None,
) -> ReportVersion:
    """Replace a narrative's text in the draft (redacted, marked as edited by ``editor``)."""
    draft = current_draft(store)
    report = report_of(draft)
    if redactor is None:
        redactor = default_redactor(known_names(store, settings, ended_interviews(store)), set())
    try:
        edited = edit_narrative(report, narrative_id, text, editor, redactor)
    except KeyError:
        raise TerrainError(
            f"The draft has no narrative {narrative_id!r}.",
            fix="See its narratives: terrain report show.",
        ) from None
    return store.reports.update_draft(content=edited.model_dump(mode="json"))


def publish(store: Store, *, actor: str) -> ReportVersion:
    """Publish the draft as the next version. Refused while a quote awaits a decision."""
    draft = current_draft(store)
    pending = [q for q in quotes_of(draft) if q.decision is None]
    if pending:
        raise UnreviewedQuotesError(
            f"Quotes of the draft that await approval: {len(pending)}; nothing was published.",
            fix="Approve or drop each one (terrain report show lists them), then publish.",
        )
    frozen = with_approved_quotes(report_of(draft), dict(draft.quote_decisions))
    return store.reports.publish_draft(frozen.model_dump(mode="json"), actor=actor)


def latest_published_report(
    store: Store, campaign_id: str | None = None
) -> tuple[ReportVersion, Report]:
    """What leadership reads (of one campaign, when given)."""
    version = store.reports.latest_published(campaign_id)
    if version is None:
        raise NoPublishedReportError("No report is published yet.")
    return version, report_of(version)


def leadership_file(report: Report, file_format: str) -> bytes:
    """One of leadership's files: ``html``, ``pdf``, ``md`` or ``json``."""
    if file_format == "pdf":
        return render_pdf(report)
    renderers: dict[str, Callable[[Report], str]] = {
        "html": render_html,
        "md": render_markdown,
        "json": report_json,
    }
    return renderers[file_format](report).encode()


def draft_qdpx(store: Store, settings: Settings) -> QdpxExport:
    """The facilitators' REFI-QDA project of what the draft drew on: pseudonymised
    transcripts (third parties masked, unless the setting turns it off) and their coded
    findings. Never leadership's."""
    draft = current_draft(store)
    wanted = set(draft.interview_ids)
    interviews = [i for i in ended_interviews(store) if i.id in wanted]
    findings = [f for f in store.findings.where() if f.id in set(draft.finding_ids)]
    return build_qdpx(
        interviews,
        {i.id: store.interviews.turns(i.id) for i in interviews},
        findings,
        codebook_for(settings),
        include_proposed=report_of(draft).include_proposed,
        mask_third_parties=settings.mask_third_parties,
        language=settings.staff_language or settings.language,
        reviewers=last_reviewers(store, findings),
        campaigns={campaign.id: campaign.name for campaign in store.campaigns.all()},
    )


def last_reviewers(store: Store, findings: Sequence[Finding]) -> dict[str, str]:
    """By finding id, the facilitator whose review action on it was the last (none: absent)."""
    wanted = {f.id for f in findings}
    last: dict[str, str] = {}
    for change in sorted(store.findings.changes(), key=lambda c: (c.at, c.id)):
        if change.finding_id in wanted:
            last[change.finding_id] = change.actor
    return last


# -------------------------------------------------------------------------- erasure


def _kept_narratives(old: Report, erased_findings: set[str]) -> dict[str, Narrative]:
    narratives = [t.synthesis for t in old.themes if t.synthesis] + list(old.recommendations)
    return {n.id: n for n in narratives if erased_findings.isdisjoint(n.finding_ids)}


def rebuilt_without(
    withdrawn: ReportVersion,
    inputs: ReportInputs,
    settings: Settings,
    redactor: Redactor,
) -> Report:
    """``withdrawn`` rebuilt from ``inputs`` without a model: the narratives citing none of
    the findings gone, and only the quotes approved before."""
    old = Report.model_validate(withdrawn.content)
    options = ReportOptions(
        language=old.language,
        include_proposed=old.include_proposed,
        min_people=old.min_people,
        min_people_for_quotes=old.min_people_for_quotes,
        title=old.title,
    )
    report = build_sections_report(inputs, codebook_for(settings), options, redactor)
    remaining = {f.id for f in inputs.findings}
    kept = _kept_narratives(old, set(withdrawn.finding_ids) - remaining)
    themes = []
    for theme in report.themes:
        old_synthesis = next(
            (t.synthesis for t in old.themes if t.code == theme.code and t.synthesis), None
        )
        synthesis = kept.get(old_synthesis.id) if old_synthesis else None
        themes.append(theme.model_copy(update={"synthesis": synthesis}))
    shown = {t.code for t in themes}
    recommendations = [
        n for n in old.recommendations if n.id in kept and (n.theme is None or n.theme in shown)
    ]
    rebuilt = report.model_copy(
        update={
            "themes": themes,
            "recommendations": recommendations,
            "narratives": old.narratives,
        }
    )
    return with_approved_quotes(rebuilt, dict(withdrawn.quote_decisions))


def republish_after_erasure(store: Store, settings: Settings) -> list[ReportVersion]:
    """Publish the replacement of every version an erasure withdrew, oldest first; returns
    the replacements (none when there was nothing to republish). Idempotent."""
    return [
        _republish(store, settings, withdrawn) for withdrawn in store.reports.awaiting_replacement()
    ]


def _republish(store: Store, settings: Settings, withdrawn: ReportVersion) -> ReportVersion:
    inputs = gather_inputs(
        store,
        settings,
        interview_ids=set(withdrawn.interview_ids),
        finding_ids=set(withdrawn.finding_ids),
    )
    redactor = default_redactor(inputs.known_names, inputs.allowed_terms)
    report = rebuilt_without(withdrawn, inputs, settings, redactor)
    kept_quotes = {quote_id(q) for t in report.themes for q in t.quotes}
    return store.reports.publish_replacement(
        withdrawn,
        report.model_dump(mode="json"),
        finding_ids=[f.id for f in inputs.findings],
        interview_ids=[i.id for i in inputs.interviews],
        quote_decisions={k: v for k, v in withdrawn.quote_decisions.items() if k in kept_quotes},
        actor=ERASURE_ACTOR,
    )
