"""`terrain worker`: the worker (extraction, report builds asked on the staff pages, and
republishing after an erasure) as a process of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, settings
from assistant.errors import TerrainError
from assistant.wording import counted

EXIT_INTERRUPTED = 130

if TYPE_CHECKING:
    from assistant.findings.worker import Worker
    from assistant.schemas import Job


def worker(
    once: Annotated[
        bool,
        typer.Option("--once", help="Run the queued jobs, then exit (for scripts and cron)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Run extraction jobs as interviews end (or are imported), build the report when a
    facilitator asks on the staff pages, and republish it after an erasure, until stopped
    (SIGTERM or Ctrl-C).

    `terrain serve` already runs one (unless started with --no-worker, as web replicas behind
    a proxy are); start more, on this machine or another one sharing the database, when
    extraction falls behind: each job runs in exactly one worker. A worker that
    dies leaves its job to the others once its lease runs out (TERRAIN_JOB_LEASE_SECONDS); one
    stopped gives its job back at once. A job the model fails ends failed with its reason and
    the worker goes on; when the model cannot be reached, the job waits in the queue and the
    worker tries again every TERRAIN_WORKER_POLL_SECONDS. With --once, exits with status 1 if
    a job did not end done. With --json, one JSON object per job as it ends (with --once, one
    object for the whole run).
    """
    import asyncio

    from assistant.findings.jobs import ExtractionJobs
    from assistant.findings.worker import Retention, Worker
    from assistant.report.build_jobs import ReportBuildJobs
    from assistant.report.republishing import RepublishJobs
    from assistant.schemas import JobStatus
    from assistant.store import Store

    config = settings()
    try:
        store = Store.open(config)
    except TerrainError as error:
        fail(error)
    with store:
        runner = Worker(
            ExtractionJobs.from_settings(config, store),
            poll_seconds=config.worker_poll_seconds,
            other_jobs=[
                RepublishJobs.from_settings(config, store),
                ReportBuildJobs.from_settings(config, store),
                Retention(store, config),
            ],
            heartbeats=store.workers,
        )
        if once:
            try:
                ended = asyncio.run(runner.drain(on_done=None if as_json else _say_ended))
            except KeyboardInterrupt:
                errors.print("Stopped; the job that was running waits in the queue again.")
                raise typer.Exit(EXIT_INTERRUPTED) from None
            if as_json:
                print_json(
                    {
                        "jobs": ended,
                        "done": sum(job.status == JobStatus.DONE for job in ended),
                        "not_done": sum(job.status != JobStatus.DONE for job in ended),
                    }
                )
            elif not ended:
                console.print("No job was waiting.", highlight=False)
            if any(job.status != JobStatus.DONE for job in ended):
                raise typer.Exit(1)
            return
        if not as_json:
            console.print("Worker running (Ctrl-C to stop).", highlight=False)
        asyncio.run(_run_until_stopped(runner, as_json=as_json))


async def _run_until_stopped(runner: Worker, *, as_json: bool) -> None:
    import asyncio
    import json
    import signal
    import sys

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def show(job: Job) -> None:
        if as_json:
            sys.stdout.write(json.dumps(job.model_dump(mode="json"), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _say_ended(job)

    await runner.run(stop, on_done=show)
    if not as_json:
        console.print("Worker stopped.", highlight=False)


def _say_ended(job: Job) -> None:
    from assistant.schemas import JobKind, JobStatus

    if job.kind == JobKind.REPUBLISH:
        _say_republished(job)
        return
    if job.kind == JobKind.REPORT_BUILD:
        _say_built(job)
        return
    if job.kind == JobKind.RETENTION:
        erased = counted(int(job.result.get("erased", 0)), "interview")
        console.print(f"[green]✓[/] retention: {erased} erased", highlight=False)
        return
    name = escape(job.interview_id or job.id)
    if job.status == JobStatus.DONE:
        found = counted(int(job.result.get("findings", 0)), "finding")
        console.print(f"[green]✓[/] {name}: {found}", highlight=False)
    elif job.status == JobStatus.QUEUED:
        errors.print(f"[yellow]…[/] {name}: waits: {escape(job.error or '')}", highlight=False)
    else:
        errors.print(f"[red]✗[/] {name}: {escape(job.error or '')}", highlight=False)


def _say_republished(job: Job) -> None:
    from assistant.schemas import JobStatus

    if job.status != JobStatus.DONE:
        errors.print(f"[red]✗[/] republishing: {escape(job.error or '')}", highlight=False)
        return
    pairs = zip(job.result.get("replaced", []), job.result.get("republished", []), strict=False)
    done = ", ".join(f"version {old} as {new}" for old, new in pairs) or "nothing left to do"
    console.print(f"[green]✓[/] report republished after an erasure: {done}", highlight=False)


def _say_built(job: Job) -> None:
    from assistant.schemas import JobStatus

    if job.status != JobStatus.DONE:
        errors.print(f"[red]✗[/] report build: {escape(job.error or '')}", highlight=False)
        return
    findings = counted(int(job.result.get("findings", 0)), "finding")
    narratives = counted(int(job.result.get("narratives_kept", 0)), "narrative")
    console.print(f"[green]✓[/] report draft built: {findings}, {narratives}", highlight=False)
