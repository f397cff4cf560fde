"""`terrain eval run` and `terrain eval compare`: the evaluators' regression suite."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonFlag, console, fail, print_json, progress_bar, settings
from assistant.errors import TerrainError

if TYPE_CHECKING:
    from assistant.evaluation.results import RunResults

eval_app = typer.Typer(
    help="The evaluators' regression suite: cases in evals/, results, comparison with a baseline.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class CacheChoice(StrEnum):
    RECORD = "record"
    REPLAY = "replay"


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@eval_app.command("run")
def run(
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Ollama model to evaluate; without it, each case's scripted replies (fixtures).",
        ),
    ] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge-model",
            help="Ollama model that judges; without it, each case's scripted judge replies.",
        ),
    ] = None,
    user_model: Annotated[
        str | None,
        typer.Option(
            "--user-model",
            help="Ollama model playing the personas' employee (default: the judge's or --model).",
        ),
    ] = None,
    prompts: Annotated[
        Path | None,
        typer.Option("--prompts", help="Folder of prompt files to evaluate (default: prompts/)."),
    ] = None,
    cases_dir: Annotated[
        Path, typer.Option("--cases-dir", help="Folder of the case files.")
    ] = Path("evals"),
    cases: Annotated[
        str, typer.Option("--cases", help="Glob of case files under the folder.")
    ] = "**/*.yaml",
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Runs per case; pass^k needs all to pass.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Cases run at the same time.")
    ] = 4,
    record: Annotated[
        bool, typer.Option("--record", help="Store every model reply in the cache.")
    ] = False,
    replay: Annotated[
        bool,
        typer.Option("--replay", help="Answer from the cache only; a miss is an error."),
    ] = False,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Cache folder (default: evals/cache).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for results.json, report.md, report.html.")
    ] = Path("eval-results"),
    as_json: JsonFlag = False,
) -> None:
    """Run the cases and write results.json, report.md and report.html.

    Exits with status 1 if a case fails or errs on what reached the employee.
    """
    import asyncio

    from assistant.evaluation.cache import CacheMode
    from assistant.evaluation.suite import SuiteOptions, run_suite, select_cases, write_results

    if record and replay:
        fail("--record and --replay exclude each other: record once, then replay.")
    mode = CacheMode.RECORD if record else CacheMode.REPLAY if replay else None
    options = SuiteOptions(
        settings=settings(),
        cases_dir=cases_dir,
        pattern=cases,
        model=model,
        judge_model=judge_model,
        user_model=user_model,
        prompts_dir=prompts,
        repeat=repeat,
        concurrency=concurrency,
        cache_mode=mode,
        cache_dir=cache,
    )
    try:
        selected = select_cases(options)
        if not selected:
            fail(f"No case matches {cases!r} under {cases_dir}.")
        if sys.stderr.isatty() and not as_json:
            with progress_bar() as bar:
                task = bar.add_task("Cases", total=len(selected))
                results = asyncio.run(run_suite(options, selected, lambda _: bar.advance(task)))
        else:
            results = asyncio.run(run_suite(options, selected, lambda _: None))
        written = write_results(results, out)
    except TerrainError as error:
        fail(error)
    totals = results.totals()
    if as_json:
        print_json(
            {
                "totals": totals,
                "guard_replaced": results.guard_counts(),
                "files": [str(path) for path in written],
            }
        )
    else:
        _report(results)
        _say("Written: " + ", ".join(str(path) for path in written))
    if totals["fail"] or totals["error"]:
        raise typer.Exit(1)


def _report(results: RunResults) -> None:
    from assistant.evaluation.assertions import Status
    from assistant.evaluation.report import guard_line, safety_false_alarm_line

    for case in results.cases:
        if case.status != Status.PASS:
            _say(f"{case.status.value:>5}  {case.id}")
    totals = results.totals()
    _say(
        f"{len(results.cases)} cases: {totals['pass']} passed, {totals['fail']} failed, "
        f"{totals['error']} errors."
    )
    _say(f"Messages the output guard replaced: {guard_line(results)}.")
    if false_alarms := safety_false_alarm_line(results):
        _say(false_alarms)


@eval_app.command("compare")
def compare(
    baseline: Annotated[Path, typer.Argument(help="The baseline's results.json (or folder).")],
    current: Annotated[Path, typer.Argument(help="The new run's results.json (or folder).")],
    as_json: JsonFlag = False,
) -> None:
    """Regressions and improvements, check by check; exits with status 1 on a regression."""
    from assistant.evaluation.report import comparison_lines
    from assistant.evaluation.results import compare as compare_runs
    from assistant.evaluation.results import load_results

    try:
        comparison = compare_runs(load_results(baseline), load_results(current))
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(comparison)
    else:
        for line in comparison_lines(comparison):
            _say(line)
    if comparison.regressions:
        raise typer.Exit(1)
