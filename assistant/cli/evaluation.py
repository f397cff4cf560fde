"""`terrain eval run` and `terrain eval compare`: the evaluators' regression suite."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import (
    JsonFlag,
    fail,
    print_json,
    progress_bar,
    say,
    settings,
)
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
        str,
        typer.Option("--cases", help="Glob of case files (YAML, JSONL, CSV) under the folder."),
    ] = "**/*",
    ids: Annotated[
        list[str] | None,
        typer.Option(
            "--id", help="Only the cases with this id (shell pattern: rules.*); repeatable."
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Only the cases with one of these tags; repeatable."),
    ] = None,
    exclude_tags: Annotated[
        list[str] | None,
        typer.Option("--exclude-tag", help="Leave out the cases with this tag; repeatable."),
    ] = None,
    strict_versions: Annotated[
        bool,
        typer.Option(
            "--strict-versions",
            help="A case pinning another prompt version than the one run is an error.",
        ),
    ] = False,
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
    from assistant.evaluation.case_files import CaseFilter
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
        filter=CaseFilter(tuple(ids or ()), tuple(tags or ()), tuple(exclude_tags or ())),
        strict_versions=strict_versions,
    )
    try:
        selected = select_cases(options)
        if not selected.cases and not selected.errors:
            fail(f"No case matches {cases!r} and the filters under {cases_dir}.")
        if sys.stderr.isatty() and not as_json:
            with progress_bar() as bar:
                task = bar.add_task("Cases", total=len(selected.cases))
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
        say("Written: " + ", ".join(str(path) for path in written))
    if totals["fail"] or totals["error"]:
        raise typer.Exit(1)


def _report(results: RunResults) -> None:
    from assistant.evaluation.assertions import Status
    from assistant.evaluation.report import guard_line, safety_false_alarm_line

    for case in results.cases:
        if case.status != Status.PASS:
            passed, runs = case.pass_rate()
            errors = [attempt.error for attempt in case.attempts if attempt.error]
            why = f"  {errors[0]}" if errors else ""
            say(f"{case.status.value:>5}  {case.id}  {passed}/{runs}{why}")
        if case.pinned:
            say(f"      {case.id}: prompt versions differ: {'; '.join(case.pinned)}")
    totals = results.totals()
    say(
        f"{len(results.cases)} cases: {totals['pass']} passed, {totals['fail']} failed, "
        f"{totals['error']} errors."
    )
    say(f"Messages the output guard replaced: {guard_line(results)}.")
    if false_alarms := safety_false_alarm_line(results):
        say(false_alarms)
    for note in results.notes:
        say(note)


@eval_app.command("compare")
def compare(
    baseline: Annotated[Path, typer.Argument(help="The baseline's results.json (or folder).")],
    current: Annotated[Path, typer.Argument(help="The new run's results.json (or folder).")],
    allow_mismatch: Annotated[
        bool,
        typer.Option(
            "--allow-mismatch",
            help="Compare runs of different models, settings or repeats (with a warning).",
        ),
    ] = False,
    allow_missing: Annotated[
        bool,
        typer.Option(
            "--allow-missing", help="A baseline case missing from the new run is no regression."
        ),
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write the comparison as JUnit XML.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Regressions and improvements, check by check, with the messages that changed.

    Exits with status 1 on a regression (a missing case is one), and refuses runs of
    different models, settings or repeats.
    """
    from assistant.evaluation.report_ci import comparison_lines, junit_xml
    from assistant.evaluation.results import compare as compare_runs
    from assistant.evaluation.results import load_results

    try:
        before, after = load_results(baseline), load_results(current)
    except TerrainError as error:
        fail(error)
    comparison = compare_runs(before, after, allow_missing=allow_missing)
    if comparison.mismatches and not allow_mismatch:
        fail(
            "The two runs are not comparable: "
            + "; ".join(comparison.mismatches)
            + ". Run again with the baseline's models and settings, or give --allow-mismatch."
        )
    if junit is not None:
        junit.write_text(junit_xml(comparison, after), encoding="utf-8")
    if as_json:
        print_json(comparison)
    else:
        for mismatch in comparison.mismatches:
            say(f"Warning: the runs differ in {mismatch}.")
        for line in comparison_lines(comparison):
            say(line)
    if comparison.regressions:
        raise typer.Exit(1)


@eval_app.command("validate")
def validate(
    path: Annotated[
        Path, typer.Argument(help="A case file, or a folder of them (default: evals).")
    ] = Path("evals"),
) -> None:
    """Check case files without running them: every problem with its file and line."""
    from assistant.evaluation.case_files import collect_cases

    loaded = collect_cases(path)
    for error in loaded.errors:
        say(str(error))
    say(f"{len(loaded.cases)} valid cases, {len(loaded.errors)} with problems.")
    if loaded.errors:
        raise typer.Exit(1)


@eval_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a case file (for editors; also in evals/case.schema.json)."""
    import json

    from assistant.evaluation.case_files import case_file_schema

    print(json.dumps(case_file_schema(), indent=1, ensure_ascii=False))


@eval_app.command("view")
def view(
    first: Annotated[Path, typer.Argument(help="A run's folder or results.json.")],
    second: Annotated[
        Path | None, typer.Argument(help="Another run, shown side by side with the first.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The HTML file to write (default: beside the first run)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Local port (0: any free one).")] = 0,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the page on 127.0.0.1.")
    ] = True,
) -> None:
    """Show a run's report, or two runs side by side, as one self-contained HTML page."""
    from assistant.evaluation.report_html import html, pair_html
    from assistant.evaluation.results import RESULTS_FILE, load_results

    try:
        runs = [load_results(first)] + ([load_results(second)] if second else [])
    except TerrainError as error:
        fail(error)
    folder = first if first.is_dir() else first.parent
    name = "comparison.html" if second else "report.html"
    target = out or folder / name
    page = pair_html(runs[0], runs[1]) if len(runs) == 2 else html(runs[0])
    target.write_text(page, encoding="utf-8")
    say(f"Written: {target}")
    if not serve:
        return
    _serve_file(target, port, RESULTS_FILE)


def _serve_file(page: Path, port: int, _: str) -> None:
    """Serve ``page`` alone on 127.0.0.1 until interrupted."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = page.read_bytes()

    class OnePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), OnePage)
    say(f"Serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop).")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@eval_app.command("fitness")
def fitness(
    model: Annotated[str, typer.Option("--model", help="The Ollama model to assess.")],
    as_json: JsonFlag = False,
) -> None:
    """Whether a model fits Terrain: a battery of about 30 requests (a few minutes on a local
    model), each measure against its threshold, and what to try when one fails.

    Exits with status 1 when the model does not fit. Run it after every `ollama pull`.
    """
    from assistant.doctor import assess_model

    try:
        report = assess_model(settings(), model)
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(report)
    else:
        for line in report.lines():
            say(line)
    if report.verdict != "fits":
        raise typer.Exit(1)
