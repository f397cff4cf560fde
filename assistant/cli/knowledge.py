"""`terrain ingest` and `terrain ask`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonFlag, console, errors, fail, print_json, progress_bar, settings
from assistant.errors import TerrainError
from assistant.vocabulary import Collection
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.retrieval.ingest import IngestReport, Outcome, SourceFile
    from assistant.retrieval.knowledge_base import KnowledgeBase

CollectionOption = Annotated[
    Collection | None,
    typer.Option(
        "--collection",
        "-c",
        help="Put every file in this collection. By default files in a `sources` folder are "
        "`sources` (the concepts) and everything else `company` (the prescribed work).",
    ),
]


def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to ingest (default: the knowledge folder)."),
    ] = None,
    collection: CollectionOption = None,
    prune: Annotated[
        bool, typer.Option(help="Remove from the index the files that are gone from disk.")
    ] = False,
    reindex: Annotated[
        bool,
        typer.Option(
            help="Embed every passage again with the configured embedding model (after changing "
            "it), from the stored passages: no file is read again."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Index documents for retrieval: Markdown, text, HTML, PDF and Word (.docx).

    Unchanged files are skipped without any call to the embedding model; changed files replace
    their passages. A file that cannot be read is reported with the reason and the rest is
    ingested. Without a reachable embedding model the passages are indexed for lexical search
    only, a warning says how to add their vectors, and the next ingest that reaches the model
    embeds them without reading the files again. Exits with status 1 if any file failed;
    missing vectors alone leave the status at 0.
    """
    import asyncio

    from assistant.llm import embedder_for
    from assistant.retrieval.knowledge_base import KnowledgeBase

    config = settings()
    base = KnowledgeBase(config, embedder_for(config))
    roots = paths or [config.knowledge_dir]
    missing = [str(path) for path in roots if not path.exists()]
    if missing:
        fail(f"No such file or folder: {', '.join(missing)}.")
    try:
        files = base.files(roots, collection)
        report = asyncio.run(_ingest_with_progress(base, files, prune, reindex, show=not as_json))
    except TerrainError as error:
        fail(error)
    if as_json:
        print_json(report.model_dump(mode="json") | {"ok": report.ok})
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


async def _ingest_with_progress(
    base: KnowledgeBase, files: list[SourceFile], prune: bool, reindex: bool, *, show: bool
) -> IngestReport:
    if not (show and sys.stdout.isatty()):
        return await base.ingest(files, prune=prune, reindex=reindex)
    with progress_bar() as progress:
        task = progress.add_task("Ingesting", total=len(files))
        embedding = None

        def advance(file: SourceFile, outcome: Outcome) -> None:
            progress.update(task, advance=1, description=f"{outcome.value}: {file.source}")

        def embedded(done: int, total: int) -> None:
            nonlocal embedding
            if embedding is None:
                embedding = progress.add_task("Embedding passages", total=total)
            progress.update(embedding, completed=done)

        return await base.ingest(
            files, prune=prune, reindex=reindex, on_file=advance, on_vectors=embedded
        )


def _print_report(report: IngestReport) -> None:
    for failure in report.failed:
        errors.print(f"[red]✗[/] {failure.source}: {failure.reason}", highlight=False)
    summary = (
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed"
    )
    if report.pruned:
        summary += f", {len(report.pruned)} pruned"
    written = counted(report.chunks_written, "passage")
    console.print(f"{summary}; {written} written in {report.seconds:.1f} s.", highlight=False)
    if report.reindexed:
        console.print(f"{counted(report.vectors_written, 'passage')} embedded again.")
    if report.vectors_problem:
        errors.print(f"[yellow]Warning:[/] {_vectors_warning(report)}", highlight=False)


def _vectors_warning(report: IngestReport) -> str:
    """Why vectors are missing and how to add them, said once for the whole run."""
    missing = report.vectors_missing
    if not missing:
        return f"{report.vectors_problem} Fix: {report.vectors_fix}."
    are = "is" if missing == 1 else "are"
    return (
        f"{counted(missing, 'passage')} {are} indexed for lexical search only, without "
        f"vectors: {report.vectors_problem} To add the vectors: {report.vectors_fix}."
    )


def ask(
    question: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    collection: CollectionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the passages of the knowledge base that best answer a question, with citations.

    Needs no chat model. Without a reachable embedding model the search is lexical only, and a
    warning says so.
    """
    import asyncio

    from assistant.llm import embedder_for
    from assistant.retrieval.knowledge_base import KnowledgeBase, without_vectors

    if not question.strip():
        fail("The question is empty.")
    config = settings()
    base = KnowledgeBase(config, embedder_for(config))
    try:
        result = asyncio.run(
            base.retriever(many_searches=False).search(question, k=k, collection=collection)
        )
        waiting = base.without_vectors()
    except TerrainError as error:
        fail(error)
    if result.warning:
        errors.print(f"[yellow]Warning:[/] {result.warning}", highlight=False, soft_wrap=True)
    if waiting:
        errors.print(
            f"[yellow]Warning:[/] {without_vectors(waiting)}", highlight=False, soft_wrap=True
        )
    if as_json:
        print_json([hit.model_dump(mode="json") for hit in result.hits])
        return
    if not result.hits:
        console.print("No passage found. Has `terrain ingest` been run?")
        return
    for rank, hit in enumerate(result.hits, start=1):
        console.print(f"[bold]{rank}. {hit.citation}[/]  [dim]({hit.score:.3f})[/]")
        console.print(hit.text, highlight=False, markup=False)
        console.print()
