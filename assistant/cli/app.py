"""The ``terrain`` application and its commands.

typer: commands, options and their help from typed signatures; rich: colours, prompts and a
progress bar on a terminal. Each command imports the core it needs when it runs, so that
``terrain --help`` and a failing option answer at once; the help is typer's plain one (its
rich help loads markdown-it and rich's tracebacks, three times the rest of the start).
"""

from __future__ import annotations

from typing import Annotated

import typer

import assistant
from assistant.cli.audit import audit
from assistant.cli.campaign import campaign_app
from assistant.cli.common import JsonFlag, console, print_json, settings
from assistant.cli.erase import erase
from assistant.cli.evaluation import eval_app
from assistant.cli.findings import extract, review
from assistant.cli.importing import import_transcripts
from assistant.cli.interview import interview
from assistant.cli.knowledge import ask, ingest
from assistant.cli.report import report_app
from assistant.cli.web import serve, users_app
from assistant.cli.worker import worker

app = typer.Typer(
    name="terrain",
    help=(
        "Terrain interviews employees about their real work, finds where relational goods "
        "arise, and reports them anonymously. Everything runs on this machine or your own "
        "servers: nothing an employee says leaves the company.\n\n"
        "Settings come from TERRAIN_* environment variables or terrain.toml; "
        "run `terrain doctor` first."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"terrain {assistant.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Terrain."""


@app.command()
def doctor(
    as_json: JsonFlag = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Also run the fitness battery on this model (as `terrain eval fitness`).",
        ),
    ] = None,
) -> None:
    """Check that Terrain can work here: the model server (Ollama or OpenAI-compatible), models,
    data folder, tokenizer, vector store.

    Prints one line per check (✓ passed, ! works but needs attention, ✗ failed) and, for each
    failure or warning, the command or setting that fixes it. Creates nothing: a data folder
    not made yet is said so. Exits with status 1 if any check fails.
    """
    import asyncio

    from assistant.doctor import run_checks

    results = asyncio.run(run_checks(settings()))
    if model is not None:
        from assistant.doctor import assess_model, fitness_check

        results.append(fitness_check(assess_model(settings(), model)))
    if as_json:
        print_json(
            {
                "ok": all(r.ok for r in results),
                "warnings": sum(r.warning for r in results),
                "checks": results,
            }
        )
    else:
        for result in results:
            mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
            if result.ok and result.warning:
                mark = "[yellow]![/]"
            line = f"{mark} {result.name}: {result.detail}"
            if result.fix:
                line += f" [yellow]→ {result.fix}[/]"
            console.print(line, highlight=False, soft_wrap=True)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


app.command()(ingest)
app.command()(ask)
app.command()(interview)
app.command()(serve)
app.add_typer(users_app, name="users")
app.command()(extract)
app.command()(review)
app.command(name="import")(import_transcripts)
app.add_typer(report_app, name="report")
app.add_typer(campaign_app, name="campaign")
app.add_typer(eval_app, name="eval")
app.command()(worker)
app.command()(erase)
app.command()(audit)


def main() -> None:
    app()
