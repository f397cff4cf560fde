"""`terrain report`: build the draft, review its quotes, publish, list, show, compare, export."""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from assistant.cli.common import (
    JsonFlag,
    errors,
    fail,
    open_store,
    print_json,
    progress_bar,
    say,
    settings,
)
from assistant.cli.report_display import say_narratives, show_counts, summary
from assistant.errors import TerrainError
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.report.build_jobs import ReportBuildJobs
    from assistant.schemas import Job, ReportBuildProgress, ReportVersion
    from assistant.store import Store

report_app = typer.Typer(
    help="The leadership report: build a draft, approve or drop its quotes, edit its "
    "narratives, publish numbered versions, export them. Leadership reads only the latest "
    "published version.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class ExportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    MD = "md"
    JSON = "json"
    QDPX = "qdpx"


Actor = Annotated[
    str | None,
    typer.Option("--as", help="Who does it, as the report records it (default: your login)."),
]
CampaignOption = Annotated[
    str | None,
    typer.Option(
        "--campaign",
        help="The campaign whose interviews it draws on (`terrain campaign list`; default: "
        "the campaign named 'default').",
    ),
]
VersionOption = Annotated[
    int | None,
    typer.Option("--version", min=1, help="A published version's number (default: the draft)."),
]


# What the progress bar says in each phase of a build.
_PHASES = {
    "reading": "Reading the interviews",
    "sections": "Computing the sections",
    "narratives": "Writing the narratives (model calls)",
    "saving": "Saving the draft",
}


def _campaign_id(store: Store, name: str | None) -> str:
    from assistant.schemas import DEFAULT_CAMPAIGN_ID

    if name is None:
        return DEFAULT_CAMPAIGN_ID
    try:
        return store.campaigns.named(name).id
    except TerrainError as error:
        fail(escape(str(error)))


def _version_or_draft(store: Store, number: int | None) -> ReportVersion:
    from assistant.report.publishing import current_draft

    if number is None:
        return current_draft(store)
    version = store.reports.version(number)
    if version is None:
        raise TerrainError(f"There is no version {number}.", fix="See them: terrain report list.")
    return version


@report_app.command()
def build(
    include_proposed: Annotated[
        bool,
        typer.Option(
            "--include-proposed",
            help="Count findings not yet reviewed too (marked as drafts in the report).",
        ),
    ] = False,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Build without narratives, calling no model.")
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Queue the build for the worker and return at once; the staff report page "
            "shows how it stands.",
        ),
    ] = False,
    actor: Actor = None,
    campaign: CampaignOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Build the report draft from the findings of every ended interview of one campaign
    (replacing the previous draft and its quote decisions). The draft, and each version
    published from it, records its campaign.

    The narratives are written by the configured chat model; when it cannot be reached, the
    draft is complete but for them, and this says so. The build runs here, as a report-build
    job this command holds (the staff report page shows its progress; one build at a time,
    wherever it was asked); with --queue, the worker runs it instead. Exits with status 1 only
    on failure.
    """
    from assistant.report.build_jobs import ReportBuildJobs
    from assistant.report.publishing import quotes_of, report_of
    from assistant.schemas import JobStatus, ReportBuildRequest

    config = settings()
    store = open_store(config)
    request = ReportBuildRequest(
        requested_by=actor or getpass.getuser(),
        include_proposed=include_proposed,
        with_model=not no_model,
        campaign_id=_campaign_id(store, campaign),
    )
    try:
        job = store.jobs.queue_report_build(
            request.model_dump(mode="json"),
            lease_seconds=None if queue else config.job_lease_seconds,
        )
    except TerrainError as error:  # another build is queued or running
        fail(escape(str(error)))
    if queue:
        if as_json:
            print_json({"queued": job})
        else:
            say(
                f"Report build {job.id} queued: the worker runs it (`terrain worker`, or the "
                "one `terrain serve` starts); the staff report page shows how it stands."
            )
        return
    runner = ReportBuildJobs.from_settings(config, store)
    show = not as_json and sys.stdout.isatty() and not no_model
    try:
        ended = _run_build(runner, job, show=show)
    except KeyboardInterrupt:
        # Stopped on purpose: not given to a worker to run again.
        store.jobs.fail(job.id, error="stopped from the command line before it ended")
        errors.print("Stopped; the previous draft is unchanged.")
        raise typer.Exit(130) from None
    if ended is None or ended.status != JobStatus.DONE:
        fail(escape(ended.error or "the build did not end") if ended else "the build was lost")
    draft = store.reports.draft()
    if draft is None:
        fail("The build ended but no draft is stored.")
    report = report_of(draft)
    pending = len(quotes_of(draft))
    if as_json:
        print_json({"draft": summary(draft, report), "quotes_awaiting": pending})
        return
    show_counts(report)
    say_narratives(report)
    say(
        f"{counted(pending, 'quote')} await approval: `terrain report show` lists them, "
        "`terrain report approve` / `drop` decide, then `terrain report publish`."
    )


def _run_build(runner: ReportBuildJobs, job: Job, *, show: bool) -> Job | None:
    """The build, run here; on a terminal, a bar of its phases and model calls."""
    import asyncio

    if not show:
        return asyncio.run(runner.run_claimed(job))
    with progress_bar() as bar:
        task = bar.add_task("Building the report", total=None)

        async def on_progress(progress: ReportBuildProgress) -> None:
            bar.update(
                task,
                description=_PHASES.get(progress.phase, "Building the report"),
                completed=progress.model_calls,
            )

        return asyncio.run(runner.run_claimed(job, on_progress))


@report_app.command()
def show(number: VersionOption = None, as_json: JsonFlag = False) -> None:
    """Show the draft (or a version): its counts, its quotes with their ids and decisions, and
    its narratives with their ids."""
    from assistant.report.publishing import quotes_of, report_of

    store = open_store(settings())
    try:
        version = _version_or_draft(store, number)
        report = report_of(version)
    except TerrainError as error:
        fail(escape(str(error)))
    quotes = quotes_of(version)
    narratives = [t.synthesis for t in report.themes if t.synthesis] + report.recommendations
    if as_json:
        print_json(
            {
                "version": summary(version, report),
                "quotes": [
                    {
                        "id": q.id,
                        "theme": q.theme,
                        "text": q.quote.text,
                        "decision": q.decision and q.decision.value,
                    }
                    for q in quotes
                ],
                "narratives": [{"id": n.id, "theme": n.theme, "text": n.text} for n in narratives],
            }
        )
        return
    title = "Draft" if version.number is None else f"Version {version.number}"
    say(f"{title} ({version.status.value}), built by {version.built_by}.")
    show_counts(report)
    say(f"Quotes ({len(quotes)}):")
    for q in quotes:
        decision = q.decision.value if q.decision else "awaiting approval"
        say(f"  {q.id} [{q.theme}] {decision}: « {q.quote.text} »")
    say(f"Narratives ({len(narratives)}):")
    for n in narratives:
        say(f"  {n.id} [{n.theme or 'recommendation'}]{' (edited)' if n.edited else ''}: {n.text}")


def _decide(quote_ids: list[str], every: bool, approve: bool) -> None:
    from assistant.report.publishing import current_draft, decide_quote, quotes_of
    from assistant.schemas import QuoteDecision

    decision = QuoteDecision.APPROVED if approve else QuoteDecision.DROPPED
    store = open_store(settings())
    try:
        if every:
            quote_ids = [q.id for q in quotes_of(current_draft(store)) if q.decision is None]
        if not quote_ids:
            fail("Name the quotes (ids from `terrain report show`), or give --all-pending.")
        for quote in quote_ids:
            decide_quote(store, quote, decision)
    except TerrainError as error:
        fail(escape(str(error)))
    say(f"{counted(len(quote_ids), 'quote')} {decision.value}.")


QuoteIds = Annotated[
    list[str] | None, typer.Argument(help="Quote ids, as `terrain report show` prints them.")
]
AllPending = Annotated[
    bool, typer.Option("--all-pending", help="Every quote still awaiting a decision.")
]


@report_app.command()
def approve(quote_ids: QuoteIds = None, every: AllPending = False) -> None:
    """Approve quotes of the draft for publication."""
    _decide(quote_ids or [], every, approve=True)


@report_app.command()
def drop(quote_ids: QuoteIds = None, every: AllPending = False) -> None:
    """Drop quotes from the draft: they will not be published."""
    _decide(quote_ids or [], every, approve=False)


@report_app.command(name="edit-narrative")
def edit_narrative(
    narrative_id: Annotated[str, typer.Argument(help="Its id, from `terrain report show`.")],
    text: Annotated[str, typer.Argument(help="The new text (redacted before it is kept).")],
    actor: Actor = None,
) -> None:
    """Replace a narrative of the draft with your own text, marked as edited by you."""
    from assistant.report.publishing import edit_draft_narrative

    config = settings()
    store = open_store(config)
    try:
        edit_draft_narrative(
            store, narrative_id, text, settings=config, editor=actor or getpass.getuser()
        )
    except TerrainError as error:
        fail(escape(str(error)))
    say(f"Narrative {narrative_id} edited.")


@report_app.command()
def publish(actor: Actor = None, as_json: JsonFlag = False) -> None:
    """Publish the draft as the next numbered version, which leadership then reads.

    Refused (status 1, nothing published) while any quote awaits approval; only approved
    quotes are published.
    """
    from assistant.report.publishing import publish as publish_draft
    from assistant.report.publishing import report_of

    store = open_store(settings())
    try:
        version = publish_draft(store, actor=actor or getpass.getuser())
    except TerrainError as error:
        fail(escape(str(error)))
    if as_json:
        print_json(summary(version, report_of(version)))
    else:
        say(f"Published version {version.number}: leadership now reads it.")


@report_app.command(name="list")
def list_versions(as_json: JsonFlag = False) -> None:
    """The published versions, newest first, with their status (published or withdrawn) and
    which one leadership reads. A withdrawn version is listed, but neither shown nor exported."""
    from assistant.report.publishing import report_of
    from assistant.schemas import ReportStatus

    store = open_store(settings())
    versions = store.reports.versions()
    read = store.reports.latest_published()
    if as_json:
        print_json(
            [
                {
                    **summary(v, None if v.status == ReportStatus.WITHDRAWN else report_of(v)),
                    "read_by_leadership": read is not None and v.id == read.id,
                }
                for v in versions
            ]
        )
        return
    if not versions:
        say("No version published yet.")
    for v in versions:
        line = f"{v.number}  {v.status.value}  {v.published_at:%Y-%m-%d %H:%M} by {v.published_by}"
        if v.replaces:
            line += f" (replaces {v.replaces})"
        if v.withdrawn_reason:
            line += f" (withdrawn: {v.withdrawn_reason.value})"
        if read is not None and v.id == read.id:
            line += "  ← leadership reads this one"
        say(line)


@report_app.command()
def export(
    file_format: Annotated[ExportFormat, typer.Option("--format", help="The file's format.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    number: Annotated[
        int | None,
        typer.Option("--version", min=1, help="A version's number (default: the latest)."),
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Export the draft, for facilitators.")
    ] = False,
    campaign: Annotated[
        str | None,
        typer.Option("--campaign", help="The latest published version of this campaign."),
    ] = None,
) -> None:
    """Write the latest published version (or --version N, or the --draft) as HTML, PDF,
    Markdown or JSON. qdpx (REFI-QDA, for qualitative-analysis software) holds the
    pseudonymised transcripts: it is only for facilitators, and only of the draft."""
    from assistant.report.publishing import (
        draft_qdpx,
        latest_published_report,
        leadership_file,
        report_of,
    )

    config = settings()
    store = open_store(config)
    try:
        if file_format == ExportFormat.QDPX:
            if not draft:
                fail("qdpx holds transcripts: it is exported from the draft only (--draft).")
            data = draft_qdpx(store, config).data
        else:
            if draft:
                version = _version_or_draft(store, None)
            elif number is not None:
                version = _version_or_draft(store, number)
            else:
                chosen = None if campaign is None else _campaign_id(store, campaign)
                version = latest_published_report(store, chosen)[0]
            data = leadership_file(report_of(version), file_format.value)
        out.write_bytes(data)
    except OSError as error:
        fail(f"Cannot write {escape(str(out))}: {escape(error.strerror or str(error))}.")
    except TerrainError as error:
        fail(escape(str(error)))
    say(f"Wrote {out} ({len(data):,} bytes).")


@report_app.command()
def compare(
    before: Annotated[int, typer.Argument(min=1, help="The earlier published version's number.")],
    after: Annotated[int, typer.Argument(min=1, help="The later published version's number.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two published versions: the themes that rose or fell (in people,
    and in share of the people with a finding), in which value-chain stages. A figure hidden in
    either version is not compared. Two campaigns compare through their latest versions."""
    from assistant.report.comparison import compare_versions
    from assistant.report.render_comparison import comparison_lines

    store = open_store(settings())
    try:
        comparison = compare_versions(store, before, after)
    except TerrainError as error:
        fail(escape(str(error)))
    if as_json:
        print_json(comparison.model_dump(mode="json"))
        return
    for line in comparison_lines(comparison):
        say(line)


@report_app.command()
def schema() -> None:
    """Print the JSON Schema of the report's JSON export."""
    from assistant.report import report_json_schema

    print_json(report_json_schema())
