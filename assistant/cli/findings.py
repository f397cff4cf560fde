"""`terrain extract` and `terrain review`."""

from __future__ import annotations

import getpass
import sys
from collections import Counter
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from assistant.cli.common import (
    JsonFlag,
    console,
    errors,
    fail,
    open_store,
    print_json,
    progress_bar,
    say,
    settings,
)
from assistant.errors import TerrainError
from assistant.vocabulary import UNEXTRACTABLE, NotQueuedReason, QueuedBecause
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.findings.agreement import FindingCounts
    from assistant.findings.jobs import ExtractionJobs, NotQueued, Queueing
    from assistant.schemas import Finding, Job
    from assistant.store import Store

QUEUED_BECAUSE = {
    QueuedBecause.NEW: "never extracted",
    QueuedBecause.RETRY: "failed last time",
    QueuedBecause.CHANGED: "changed since extracted",
    QueuedBecause.FORCED: "extracted again on purpose",
    QueuedBecause.WAITING: "already queued",
}
# How a group of interviews left out is described, after its count ("3 interviews …").
LEFT_OUT = {
    NotQueuedReason.UP_TO_DATE: "already extracted and unchanged since",
    NotQueuedReason.RUNNING: "being extracted by another run",
    NotQueuedReason.IN_PROGRESS: "still in progress (extracted once ended)",
    NotQueuedReason.NOTHING_SAID: "with nothing said beyond consent",
    NotQueuedReason.DECLINED: "whose consent was refused",
}


class Decision(StrEnum):
    """What a facilitator did with one finding in an interactive review."""

    ACCEPTED = "accepted"
    CODE_CHANGED = "code changed"
    REJECTED = "rejected"
    SKIPPED = "skipped"


REVIEW_PROMPT = "[a]ccept, [r]eject, [c]hange code, [s]kip, [q]uit? "
REVIEW_ANSWERS = frozenset("arcsq")


def extract(
    interview: Annotated[
        str | None,
        typer.Option("--interview", help="Extract findings from this interview (id or pseudonym)."),
    ] = None,
    all_pending: Annotated[
        bool,
        typer.Option(
            "--all-pending",
            help="Queue every ended interview (closed or stopped) not yet extracted or changed "
            "since, then run.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Extract again even what is extracted and unchanged; reviewed findings stay, "
            "unreviewed proposals are replaced.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Find where relational goods arise in ended interviews, with verified quotes.

    Each interview is one persisted job: queued, running, done, or failed with its reason. An
    interview in progress is extracted once it has ended (closed, or stopped early). Interviews
    are named by their pseudonym. A failed job is queued again by the
    next run, and so is one whose transcript changed since it was extracted (a turn added, the
    summary corrected); an unchanged one is not redone unless --force. Findings go to
    facilitators as proposals (`terrain review`); findings they reviewed or added are never
    replaced. Runs every queued job, and says what was queued, what ran and what was left out,
    and why. Exits with status 1 if any job failed or the interview named cannot be extracted.
    """
    import asyncio

    from assistant.findings.jobs import ExtractionJobs
    from assistant.schemas import JobStatus

    if bool(interview) == all_pending:
        fail("Give either --interview ID or --all-pending.")
    config = settings()
    store = open_store(config)
    jobs = ExtractionJobs.from_settings(config, store)
    try:
        if interview:
            # Named by its id, or by the pseudonym every page and this command show.
            found = store.interviews.get(interview) or store.interviews.by_pseudonym(interview)
            queueing = jobs.queue(found.id if found else interview, force=force)
        else:
            queueing = jobs.queue_pending(force=force)
        finished = asyncio.run(_run_with_progress(jobs, show=not as_json))
    except TerrainError as error:
        fail(escape(str(error)))
    named = interview is not None
    refused = [left for left in queueing.not_queued if named and left.reason in UNEXTRACTABLE]
    because = None if finished else _why_nothing_ran(queueing, named=named)
    if as_json:
        print_json(
            {
                "queued": queueing.queued,
                "not_queued": queueing.not_queued,
                "jobs": finished,
                "done": sum(job.status == JobStatus.DONE for job in finished),
                "failed": sum(job.status == JobStatus.FAILED for job in finished),
                "nothing_ran_because": because,
            }
        )
    else:
        names = {i.id: i.pseudonym for i in store.interviews.where()}
        _show_extraction(queueing, finished, refused, because, named=named, names=names)
    # A job given back to the queue (the model cannot be reached) did not run either.
    if refused or any(job.status != JobStatus.DONE for job in finished):
        raise typer.Exit(1)


def _show_extraction(
    queueing: Queueing,
    finished: list[Job],
    refused: list[NotQueued],
    because: str | None,
    *,
    named: bool,
    names: dict[str, str],
) -> None:
    """Say what ran and what was left out, naming interviews by pseudonym (``names``)."""
    from assistant.schemas import JobStatus

    def name(job: Job) -> str:
        return names.get(job.interview_id or "", job.interview_id or job.id)

    if queueing.queued:
        reasons = Counter(queued.because for queued in queueing.queued)
        parts = [f"{n} {QUEUED_BECAUSE[reason]}" for reason, n in reasons.items()]
        say(f"Queued {counted(len(queueing.queued), 'interview')} ({', '.join(parts)}).")
    for job in finished:
        if job.status == JobStatus.DONE:
            line = f"[green]✓[/] {escape(name(job))}: "
            line += counted(job.result.get("findings", 0), "finding")
            kept = job.result.get("already_reviewed", 0)
            if kept:
                line += f" (and {kept} already reviewed, not proposed again)"
            console.print(line, highlight=False, soft_wrap=True)
        else:
            errors.print(
                f"[red]✗[/] {escape(name(job))}: {escape(job.error or '')}",
                highlight=False,
                soft_wrap=True,
            )
    for left in refused:
        errors.print(
            f"[red]✗[/] {escape(left.pseudonym)}: cannot be extracted: {left.detail}.",
            highlight=False,
            soft_wrap=True,
        )
    if because is not None and not refused:
        say(f"Nothing to extract: {because}.")
        if any(left.reason == NotQueuedReason.UP_TO_DATE for left in queueing.not_queued):
            say("--force extracts again what is up to date.")
    elif finished and queueing.not_queued and not refused:
        left_out = _left_out(queueing.not_queued, named=named)
        say(f"Left out: {left_out}.")


def _left_out(not_queued: list[NotQueued], *, named: bool) -> str:
    """The interviews left out: the one named, with its reason; otherwise counts by reason."""
    if named:
        return "; ".join(f"{left.pseudonym}: {left.detail}" for left in not_queued)
    reasons = Counter(left.reason for left in not_queued)
    return ", ".join(
        f"{counted(reasons[reason], 'interview')} {LEFT_OUT[reason]}"
        for reason in LEFT_OUT
        if reasons[reason]
    )


def _why_nothing_ran(queueing: Queueing, *, named: bool) -> str:
    if queueing.queued:
        return "another run took the queued jobs first"
    if queueing.not_queued:
        return _left_out(queueing.not_queued, named=named)
    return "there is no interview yet"


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
    turn_number: Annotated[
        int | None,
        typer.Option("--turn", help="The turn the quote comes from, numbered from 1 as shown."),
    ] = None,
    code: Annotated[str | None, typer.Option("--code", help="The code for --add-quote.")] = None,
    stage: Annotated[
        str, typer.Option("--stage", help="Value-chain stage for --add-quote.")
    ] = "service_delivery",
    activity: Annotated[
        str | None, typer.Option(help="Activity for --add-quote (unknown if left out).")
    ] = None,
    counterpart: Annotated[
        str | None, typer.Option(help="Counterpart for --add-quote (unknown if left out).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Review findings: accept, edit the code, or reject each proposal; or measure agreement.

    Without --accept-all, each proposed finding is shown with its quotes and you answer
    a (accept), r (reject), c (change the code), s (skip) or q (quit); each decision is
    confirmed, and a summary ends the review. Every decision is kept with who made it and
    when. --agreement says how many findings there are of each kind, and why there is nothing
    to compare yet when no proposal of the model has been reviewed.
    """
    from assistant.findings.agreement import agreement
    from assistant.findings.codebook import load_codebook
    from assistant.schemas import FindingStatus, ReviewAction

    config = settings()
    store = open_store(config)
    codebook = load_codebook(config.codebook)
    if show_agreement:
        result = agreement(store.findings.where(), codebook.code_ids)
        if as_json:
            print_json(result)
            return
        if result.nothing_to_compare_because:
            say(f"Nothing to compare: {result.nothing_to_compare_because}.")
        else:
            kappa = "undefined" if result.kappa is None else f"{result.kappa:.3f}"
            say(f"Reviewed findings: {result.units}; Cohen's κ overall: {kappa}")
            for code_id, value in result.per_code.items():
                shown = "undefined" if value is None else f"{value:.3f}"
                say(f"  {code_id}: κ = {shown}")
        say(f"Findings: {_all_kinds(result.findings)}.")
        return
    if not interview:
        fail("Give --interview ID (or --agreement).")
    if store.interviews.get(interview) is None:
        fail(escape(f"No interview {interview!r}."))
    reviewer = actor or getpass.getuser()
    if add_quote is not None:
        added = _add_finding(
            store, interview, add_quote, turn_number, code, stage, activity, counterpart, reviewer
        )
        if as_json:
            print_json(added)
        else:
            say(f"Added finding {added.id} ({added.code}).")
        return
    proposed = store.findings.where(interview_id=interview, status=FindingStatus.PROPOSED)
    if not proposed:
        if as_json:
            print_json([])
        else:
            say(_nothing_to_review(store, interview))
        return
    if accept_all:
        accepted = [
            store.findings.review(f.id, actor=reviewer, action=ReviewAction.ACCEPT)
            for f in proposed
        ]
        if as_json:
            print_json(accepted)
        else:
            say(f"Accepted {counted(len(accepted), 'finding')}.")
        return
    if not sys.stdin.isatty():
        fail("Interactive review needs a terminal; use --accept-all for scripts.")
    _review_interactively(store, proposed, reviewer, codebook.code_ids)


def _all_kinds(counts: FindingCounts) -> str:
    return (
        f"{counts.proposed} proposed by the model awaiting review; {counts.reviewed} reviewed "
        f"({counts.accepted} accepted, {counts.edited} edited, {counts.rejected} rejected); "
        f"{counts.added} added by facilitators"
    )


def _nothing_to_review(store: Store, interview_id: str) -> str:
    from assistant.findings.agreement import count_findings

    counts = count_findings(store.findings.where(interview_id=interview_id))
    if not (counts.reviewed or counts.added):
        return (
            f"Nothing to review in {interview_id}: it has no findings yet "
            f"(`terrain extract --interview {interview_id}` extracts them)."
        )
    kinds = [
        (counts.accepted, "accepted"),
        (counts.edited, "edited"),
        (counts.rejected, "rejected"),
        (counts.added, "added by facilitators"),
    ]
    described = ", ".join(f"{n} {kind}" for n, kind in kinds if n)
    return f"Nothing to review in {interview_id}: no finding awaits review ({described})."


def _review_interactively(
    store: Store, proposed: list[Finding], reviewer: str, codes: list[str]
) -> None:
    decisions: Counter[Decision] = Counter()
    for finding in proposed:
        decision = _review_one(store, finding, reviewer, codes)
        if decision is None:
            break
        decisions[decision] += 1
    made = [d for d in Decision if d != Decision.SKIPPED and decisions[d]]
    decided = sum(decisions[d] for d in made)
    parts = [f"{decisions[d]} {d}" for d in made]
    summary = f"Reviewed {decided} of {counted(len(proposed), 'finding')}"
    summary += f" ({', '.join(parts)})." if parts else "."
    left = len(proposed) - decided
    if left:
        summary += f" {left} still {'awaits' if left == 1 else 'await'} review."
    say(summary)


def _review_one(store: Store, finding: Finding, reviewer: str, codes: list[str]) -> Decision | None:
    """Show one finding and record the facilitator's decision: what was decided, or None to
    stop reviewing."""
    from assistant.schemas import ReviewAction

    activity, counterpart = (finding.activity or "unknown"), (finding.counterpart or "unknown")
    console.rule(escape(f"{finding.code} — {activity} ({counterpart})"))
    for quote in finding.evidence:
        console.print(
            f"  « {escape(quote.text)} » [dim](turn {quote.turn_number})[/]", highlight=False
        )
    if finding.prescribed_gap:
        say(f"  Gap: {finding.prescribed_gap.description}")
    answer = _ask(REVIEW_PROMPT)
    while answer is not None and answer not in REVIEW_ANSWERS:
        answer = _ask("Please answer a, r, c, s or q: ")
    if answer is None or answer == "q":
        return None
    if answer == "a":
        store.findings.review(finding.id, actor=reviewer, action=ReviewAction.ACCEPT)
        say("Accepted.")
        return Decision.ACCEPTED
    if answer == "r":
        store.findings.review(finding.id, actor=reviewer, action=ReviewAction.REJECT)
        say("Rejected.")
        return Decision.REJECTED
    if answer == "c":
        return _change_code(store, finding, reviewer, codes)
    say("Skipped: the finding awaits review.")
    return Decision.SKIPPED


def _change_code(store: Store, finding: Finding, reviewer: str, codes: list[str]) -> Decision:
    from assistant.schemas import FindingEdit, ReviewAction

    code = _ask(f"New code ({', '.join(codes)}): ", lower=False) or ""
    if code == finding.code:
        say(f"The code is already {code}: finding left as proposed.")
        return Decision.SKIPPED
    if code not in codes:
        say(f"Unknown code {code!r}: finding left as proposed.", to=errors)
        return Decision.SKIPPED
    store.findings.review(
        finding.id, actor=reviewer, action=ReviewAction.EDIT, edit=FindingEdit(code=code)
    )
    say(f"Code changed: {finding.code} → {code}.")
    return Decision.CODE_CHANGED


def _ask(prompt: str, *, lower: bool = True) -> str | None:
    """The answer typed (without surrounding spaces), or None when input has ended."""
    try:
        answer = console.input(prompt, markup=False).strip()
    except EOFError:
        return None
    return answer.lower() if lower else answer


def _add_finding(
    store: Store,
    interview_id: str,
    quote: str,
    turn_number: int | None,
    code: str | None,
    stage: str,
    activity: str | None,
    counterpart: str | None,
    reviewer: str,
) -> Finding:
    from assistant.findings.codebook import load_codebook
    from assistant.findings.review import (
        InterviewerTurnError,
        NoSuchTurnError,
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
            store.interviews.turns(interview_id),
            quote,
            code=code,
            stage=stage,
            turn_number=turn_number,
            activity=activity,
            counterpart=counterpart,
        )
    except UnknownCodeError:
        fail(f"Give --code, one of: {', '.join(codebook.code_ids)}.")
    except UnknownStageError:
        fail(escape(f"Unknown --stage {stage!r}: use one of {', '.join(codebook.stage_ids)}."))
    except (NoSuchTurnError, InterviewerTurnError) as error:
        fail(escape(str(error)))
    except QuoteNotFoundError:
        fail("Those words are not in the employee's turns: a quote must be their exact words.")
    return store.findings.add_by_facilitator(finding, actor=reviewer)
