"""`terrain extract` and `terrain review`."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, progress_bar, settings
from assistant.errors import TerrainError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.findings.jobs import ExtractionJobs
    from assistant.schemas import Finding, Job
    from assistant.store import Store


def _store(config: Settings) -> Store:
    from assistant.store import Store

    try:
        return Store.open(config)
    except TerrainError as error:
        fail(error)


def extract(
    interview: Annotated[
        str | None, typer.Option("--interview", help="Extract findings from this interview.")
    ] = None,
    all_pending: Annotated[
        bool,
        typer.Option(
            "--all-pending", help="Queue every closed interview not yet extracted, then run."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Find where relational goods arise in closed interviews, with verified quotes.

    Each interview is one persisted job: queued, running, done, or failed with its reason. A
    failed job is queued again by the next run; a done job is not redone. Findings go to
    facilitators as proposals (`terrain review`). Exits with status 1 if any job failed.
    """
    import asyncio

    from assistant.findings.jobs import ExtractionJobs
    from assistant.schemas import JobStatus

    if bool(interview) == all_pending:
        fail("Give either --interview ID or --all-pending.")
    config = settings()
    store = _store(config)
    jobs = ExtractionJobs.from_settings(config, store)
    try:
        if interview:
            if store.get_interview(interview) is None:
                fail(f"No interview {interview!r}.")
            queued = [jobs.queue(interview)]
        else:
            queued = jobs.queue_pending()
        finished = asyncio.run(_run_with_progress(jobs, show=not as_json))
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json({"queued": len(queued), "jobs": finished})
    else:
        for job in finished:
            if job.status == JobStatus.DONE:
                found = job.result.get("findings", 0)
                console.print(f"[green]✓[/] {job.interview_id}: {found} findings", highlight=False)
            else:
                errors.print(f"[red]✗[/] {job.interview_id}: {job.error}", highlight=False)
        if not finished:
            console.print("Nothing to extract: every closed interview is done.")
    if any(job.status == JobStatus.FAILED for job in finished):
        raise typer.Exit(1)


async def _run_with_progress(jobs: ExtractionJobs, *, show: bool) -> list[Job]:
    total = len(jobs.queued())
    if not (show and sys.stdout.isatty()) or total == 0:
        return await jobs.run_queued()
    with progress_bar() as progress:
        task = progress.add_task("Extracting", total=total)
        return await jobs.run_queued(on_done=lambda _: progress.advance(task))


def review(
    interview: Annotated[
        str | None, typer.Option("--interview", help="Review the findings of this interview.")
    ] = None,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="Accept every proposed finding (with --interview).")
    ] = False,
    show_agreement: Annotated[
        bool,
        typer.Option(
            "--agreement", help="Cohen's kappa between the model's codes and the reviewed ones."
        ),
    ] = False,
    actor: Annotated[
        str | None, typer.Option("--as", help="Who is reviewing (default: your login name).")
    ] = None,
    add_quote: Annotated[
        str | None,
        typer.Option(
            "--add-quote",
            help="Add a finding of your own: the employee's exact words (with --turn, --code).",
        ),
    ] = None,
    turn_index: Annotated[
        int | None, typer.Option("--turn", help="The turn number the quote comes from.")
    ] = None,
    code: Annotated[str | None, typer.Option("--code", help="The code for --add-quote.")] = None,
    stage: Annotated[
        str, typer.Option("--stage", help="Value-chain stage for --add-quote.")
    ] = "service_delivery",
    activity: Annotated[str, typer.Option(help="Activity for --add-quote.")] = "-",
    counterpart: Annotated[str, typer.Option(help="Counterpart for --add-quote.")] = "-",
    as_json: JsonFlag = False,
) -> None:
    """Review findings: accept, edit the code, or reject each proposal; or measure agreement.

    Without --accept-all, each proposed finding is shown with its quotes and you answer
    a (accept), r (reject), c (change the code), s (skip) or q (quit). Every decision is kept
    with who made it and when.
    """
    from assistant.findings.agreement import agreement
    from assistant.findings.codebook import load_codebook
    from assistant.schemas import FindingStatus

    config = settings()
    store = _store(config)
    codebook = load_codebook(config.codebook)
    if show_agreement:
        result = agreement(store.findings(), codebook.code_ids)
        if as_json:
            print_json(result)
            return
        kappa = "undefined" if result.kappa is None else f"{result.kappa:.3f}"
        console.print(f"Reviewed findings: {result.units}; Cohen's κ overall: {kappa}")
        for code, value in result.per_code.items():
            shown = "undefined" if value is None else f"{value:.3f}"
            console.print(f"  {code}: κ = {shown}", highlight=False)
        return
    if not interview:
        fail("Give --interview ID (or --agreement).")
    reviewer = actor or getpass.getuser()
    if add_quote is not None:
        added = _add_finding(
            store, interview, add_quote, turn_index, code, stage, activity, counterpart, reviewer
        )
        if as_json:
            print_json(added)
        else:
            console.print(f"Added finding {added.id} ({added.code}).", highlight=False)
        return
    proposed = store.findings(interview_id=interview, status=FindingStatus.PROPOSED)
    if accept_all:
        accepted = [store.review_finding(f.id, actor=reviewer, action="accept") for f in proposed]
        if as_json:
            print_json(accepted)
        else:
            console.print(f"Accepted {len(accepted)} findings.")
        return
    if not sys.stdin.isatty():
        fail("Interactive review needs a terminal; use --accept-all for scripts.")
    for finding in proposed:
        if not _review_one(store, finding, reviewer, codebook.code_ids):
            break


def _review_one(store: Store, finding: Finding, reviewer: str, codes: list[str]) -> bool:
    console.rule(f"{finding.code} — {finding.activity} ({finding.counterpart})")
    for quote in finding.evidence:
        console.print(f"  « {quote.text} » [dim](turn {quote.turn_index})[/]", highlight=False)
    if finding.prescribed_gap:
        console.print(f"  Gap: {finding.prescribed_gap.description}", highlight=False)
    answer = console.input("[a]ccept, [r]eject, [c]hange code, [s]kip, [q]uit? ").strip().lower()
    if answer == "q":
        return False
    if answer == "a":
        store.review_finding(finding.id, actor=reviewer, action="accept")
    elif answer == "r":
        store.review_finding(finding.id, actor=reviewer, action="reject")
    elif answer == "c":
        code = console.input(f"New code ({', '.join(codes)}): ").strip()
        if code in codes:
            store.review_finding(finding.id, actor=reviewer, action="edit", changes={"code": code})
        else:
            errors.print(f"Unknown code {code!r}: finding left as proposed.")
    return True


def _add_finding(
    store: Store,
    interview_id: str,
    quote: str,
    turn_index: int | None,
    code: str | None,
    stage: str,
    activity: str,
    counterpart: str,
    reviewer: str,
) -> Finding:
    from assistant.findings.codebook import load_codebook
    from assistant.findings.review import (
        QuoteNotFoundError,
        UnknownCodeError,
        UnknownStageError,
        facilitator_finding,
    )

    codebook = load_codebook(settings().codebook)
    try:
        finding = facilitator_finding(
            codebook,
            interview_id,
            store.turns(interview_id),
            quote,
            code=code,
            stage=stage,
            turn_index=turn_index,
            activity=activity,
            counterpart=counterpart,
        )
    except UnknownCodeError:
        fail(f"Give --code, one of: {', '.join(codebook.code_ids)}.")
    except UnknownStageError:
        fail(f"Unknown --stage {stage!r}: use one of {', '.join(codebook.stage_ids)}.")
    except QuoteNotFoundError:
        fail("Those words are not in the employee's turns: a quote must be their exact words.")
    return store.add_facilitator_finding(finding, actor=reviewer)
