"""What every command shares: settings, error display, JSON output."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from assistant.errors import TerrainError

if TYPE_CHECKING:
    from rich.progress import Progress

    from assistant.config import Settings
    from assistant.store import Store

console = Console()
errors = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of text.")]

EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


def fail(error: TerrainError | str, code: int = EXIT_FAILED) -> NoReturn:
    errors.print(f"[bold red]Error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    from assistant.config import load_settings

    try:
        return load_settings()
    except TerrainError as error:
        fail(error, EXIT_BAD_SETTINGS)


def say(text: str, *, to: Console = console) -> None:
    """Print plain text: no markup, no highlighting, and no line breaks of Rich's own."""
    to.print(text, markup=False, highlight=False, soft_wrap=True)


def open_store(config: Settings) -> Store:
    """The store ``config`` names; a command that cannot open it fails with the reason."""
    from rich.markup import escape

    from assistant.store import Store

    try:
        return Store.open(config)
    except TerrainError as error:
        fail(escape(str(error)))


def print_json(data: Any) -> None:
    """Print ``data`` (pydantic models included) as JSON on standard output, nothing else."""
    from pydantic import BaseModel

    def default(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        return str(value)

    sys.stdout.write(json.dumps(data, default=default, ensure_ascii=False, indent=2) + "\n")


def progress_bar() -> Progress:
    """The bar long commands show on a terminal (and only there: callers check isatty)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
