"""Ingest throughput, and what an unchanged or lightly edited re-ingest costs.

Generates a deterministic corpus (Markdown, multi-page PDFs, HTML) in a temporary folder, starts
the fake Ollama server in-process as the embedding model, and times ``KnowledgeBase.ingest``
three times on the same index: the first ingest, an unchanged re-ingest (goal: at most 5 % of
the first, and no embedding request), then after touching one file's modification time and
after editing one file. On a second index it times an ingest with no embedding model reachable
(passages indexed for lexical search only) and the next ingest, which embeds the stored
passages without parsing any file, then ``--reindex``. Run from the repository root::

    .venv/bin/python benchmarks/ingest.py

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import html
import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    EMBED_DIM,
    EMBED_MODEL,
    bench_settings,
    emit,
    paragraph,
    quiet,
    sentence,
    topic,
)
from fpdf import FPDF

from assistant.llm import embedder_for
from assistant.retrieval.ingest import IngestReport
from assistant.retrieval.knowledge_base import KnowledgeBase
from tests.ollama_server import OllamaTestServer, free_port_url

SEED = 20250117
MARKDOWN_FILES = 40
PDF_FILES = 10
HTML_FILES = 6
GOAL_UNCHANGED_RATIO = 0.05


@dataclass
class Corpus:
    root: Path
    files: int
    pages: int  # PDF pages, plus one per other file
    pdf_pages: int
    bytes: int
    markdown: list[Path]


def _markdown(rng: random.Random, language: str, number: int) -> str:
    lines = [f"# {topic(rng, language)} ({number:02d})", "", paragraph(rng, language), ""]
    for section in range(rng.randint(8, 11)):
        lines += [f"## {topic(rng, language)} {section + 1}", "", paragraph(rng, language), ""]
        for sub in range(rng.randint(2, 4)):
            lines += [f"### {section + 1}.{sub + 1} {topic(rng, language)}", ""]
            for _ in range(rng.randint(2, 4)):
                lines += [paragraph(rng, language), ""]
            if rng.random() < 0.4:
                lines += [f"- {sentence(rng, language)}" for _ in range(rng.randint(3, 6))]
                lines.append("")
    return "\n".join(lines)


def _pdf(rng: random.Random, language: str, number: int) -> tuple[bytes, int]:
    pdf = FPDF()
    pdf.set_title(f"{topic(rng, language)} ({number:02d})")
    pdf.set_font("helvetica", size=10)
    pages = rng.randint(8, 16)
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", style="B", size=13)
        pdf.multi_cell(0, 7, f"{page + 1}. {topic(rng, language)}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
        for _ in range(rng.randint(3, 5)):
            pdf.multi_cell(0, 5, paragraph(rng, language), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output()), pages


def _html(rng: random.Random, language: str, number: int) -> str:
    title = html.escape(f"{topic(rng, language)} ({number:02d})")
    body = [f"<h1>{title}</h1>"]
    for section in range(rng.randint(10, 14)):
        body.append(f"<h2>{html.escape(topic(rng, language))} {section + 1}</h2>")
        body += [f"<p>{html.escape(paragraph(rng, language))}</p>" for _ in range(4)]
        items = "".join(f"<li>{html.escape(sentence(rng, language))}</li>" for _ in range(4))
        body.append(f"<ul>{items}</ul>")
    noise = "<script>var analytics = {page: 'intranet'};</script><nav>Accueil | Contact</nav>"
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{title}</title>{noise}</head><body>{''.join(body)}</body></html>"
    )


def generate_corpus(root: Path) -> Corpus:
    rng = random.Random(SEED)
    company, sources = root / "entreprise", root / "sources"
    company.mkdir(parents=True)
    sources.mkdir()
    markdown: list[Path] = []
    pdf_pages = 0
    for number in range(MARKDOWN_FILES):
        language = "fr" if number % 4 else "en"
        folder = sources if number % 10 == 0 else company
        path = folder / f"note-{number:02d}.{language}.md"
        path.write_text(_markdown(rng, language, number), encoding="utf-8")
        markdown.append(path)
    for number in range(PDF_FILES):
        language = "fr" if number % 3 else "en"
        data, pages = _pdf(rng, language, number)
        (company / f"manuel-{number:02d}.pdf").write_bytes(data)
        pdf_pages += pages
    for number in range(HTML_FILES):
        language = "fr" if number % 2 else "en"
        page = _html(rng, language, number)
        (company / f"intranet-{number:02d}.html").write_text(page, encoding="utf-8")
    files = [path for path in root.rglob("*") if path.is_file()]
    return Corpus(
        root=root,
        files=len(files),
        pages=pdf_pages + MARKDOWN_FILES + HTML_FILES,
        pdf_pages=pdf_pages,
        bytes=sum(path.stat().st_size for path in files),
        markdown=markdown,
    )


@dataclass
class Run:
    seconds: float
    report: IngestReport
    embed_requests: int
    texts_embedded: int


async def timed_ingest(
    base: KnowledgeBase,
    corpus: Corpus,
    server: OllamaTestServer,
    *,
    reindex: bool = False,
    vectors_expected: bool = True,
) -> Run:
    files = base.files([corpus.root], None)
    calls, texts = server.embed_calls, server.embedded_texts
    started = time.perf_counter()
    report = await base.ingest(files, reindex=reindex)
    seconds = time.perf_counter() - started
    if not report.ok or (vectors_expected and report.vectors_missing):
        raise RuntimeError(f"ingest failed: {report.failed} {report.vectors_problem}")
    return Run(seconds, report, server.embed_calls - calls, server.embedded_texts - texts)


async def offline_then_online(
    root: Path, corpus: Corpus, server: OllamaTestServer
) -> dict[str, float | int]:
    """An ingest that cannot embed, the one that embeds the stored passages, a reindex."""
    offline_settings = bench_settings(root, free_port_url(), max_retries=0)
    offline = KnowledgeBase(offline_settings, embedder_for(offline_settings))
    _ = offline.store
    lexical = await timed_ingest(offline, corpus, server, vectors_expected=False)
    online_settings = bench_settings(root, server.url)
    online = KnowledgeBase(online_settings, embedder_for(online_settings))
    filled = await timed_ingest(online, corpus, server)
    if filled.report.chunks_written or len(filled.report.unchanged) != corpus.files:
        raise RuntimeError("the ingest after an offline one parsed files again")
    reindexed = await timed_ingest(online, corpus, server, reindex=True)
    print(
        f"Without an embedding model: {lexical.seconds:.2f} s, "
        f"{lexical.report.vectors_missing} passages indexed for lexical search only; next "
        f"ingest embeds them in {filled.seconds:.2f} s ({filled.report.vectors_written} "
        f"passages, no file parsed); --reindex {reindexed.seconds:.2f} s"
    )
    return {
        "offline_seconds": round(lexical.seconds, 3),
        "offline_passages_without_vectors": lexical.report.vectors_missing,
        "fill_seconds": round(filled.seconds, 3),
        "fill_vectors_written": filled.report.vectors_written,
        "reindex_seconds": round(reindexed.seconds, 3),
        "reindex_vectors_written": reindexed.report.vectors_written,
    }


async def main() -> dict[str, Any]:
    quiet()
    with tempfile.TemporaryDirectory(prefix="terrain-bench-ingest-") as temp:
        root = Path(temp)
        started = time.perf_counter()
        corpus = generate_corpus(root / "corpus")
        print(
            f"Corpus: {corpus.files} files ({MARKDOWN_FILES} Markdown, {PDF_FILES} PDF with "
            f"{corpus.pdf_pages} pages, {HTML_FILES} HTML), {corpus.bytes / 1e6:.2f} MB, "
            f"{corpus.pages} pages; generated in {time.perf_counter() - started:.1f} s"
        )
        with OllamaTestServer(models=(EMBED_MODEL,), embed_dim=EMBED_DIM) as server:
            settings = bench_settings(root / "data", server.url)
            base = KnowledgeBase(settings, embedder_for(settings))
            opened = time.perf_counter()
            _ = base.store  # open Chroma outside the timings: every run pays it the same
            store_open = time.perf_counter() - opened

            first = await timed_ingest(base, corpus, server)
            chunks = first.report.chunks_written
            print(
                f"First ingest: {first.seconds:.2f} s, {corpus.pages / first.seconds:.1f} "
                f"pages/s, {corpus.files / first.seconds:.1f} files/s, "
                f"{chunks / first.seconds:.0f} chunks/s; {chunks} chunks, "
                f"{first.embed_requests} embedding requests, {first.texts_embedded} texts"
            )

            unchanged = await timed_ingest(base, corpus, server)
            ratio = unchanged.seconds / first.seconds
            print(
                f"Unchanged re-ingest: {unchanged.seconds * 1000:.0f} ms "
                f"({ratio:.1%} of the first), {unchanged.embed_requests} embedding requests"
            )

            touched_path = corpus.markdown[7]
            stamp = time.time() + 60
            os.utime(touched_path, (stamp, stamp))
            touched = await timed_ingest(base, corpus, server)
            print(
                f"One file touched (mtime only): {touched.seconds * 1000:.0f} ms, "
                f"{touched.embed_requests} embedding requests"
            )

            with touched_path.open("a", encoding="utf-8") as out:
                out.write("\n## Ajout\n\nUne nouvelle consigne sur la tournee du dimanche.\n")
            edited = await timed_ingest(base, corpus, server)
            rebuild = edited.seconds - edited.report.seconds
            print(
                f"One file edited: {edited.seconds * 1000:.0f} ms, "
                f"{edited.embed_requests} embedding requests, "
                f"{edited.report.chunks_written} chunks rewritten; of which "
                f"{rebuild * 1000:.0f} ms rebuilding the whole lexical index"
            )
            without_embedder = await offline_then_online(root / "offline", corpus, server)

        goal_met = ratio <= GOAL_UNCHANGED_RATIO and unchanged.embed_requests == 0
        verdict = "MET" if goal_met else "NOT MET"
        print(
            f"Goal: unchanged re-ingest <= {GOAL_UNCHANGED_RATIO:.0%} of the first ingest "
            f"with no embedding request: {verdict} ({ratio:.1%}, "
            f"{unchanged.embed_requests} requests)"
        )
        return {
            "benchmark": "ingest",
            "files": corpus.files,
            "markdown_files": MARKDOWN_FILES,
            "pdf_files": PDF_FILES,
            "html_files": HTML_FILES,
            "pages": corpus.pages,
            "pdf_pages": corpus.pdf_pages,
            "corpus_mb": round(corpus.bytes / 1e6, 3),
            "chunks": chunks,
            "embed_dim": EMBED_DIM,
            "store_open_seconds": round(store_open, 3),
            "first_seconds": round(first.seconds, 3),
            "first_lexical_rebuild_seconds": round(first.seconds - first.report.seconds, 3),
            "pages_per_second": round(corpus.pages / first.seconds, 2),
            "files_per_second": round(corpus.files / first.seconds, 2),
            "chunks_per_second": round(chunks / first.seconds, 1),
            "mb_per_second": round(corpus.bytes / 1e6 / first.seconds, 3),
            "first_embed_requests": first.embed_requests,
            "first_texts_embedded": first.texts_embedded,
            "unchanged_seconds": round(unchanged.seconds, 4),
            "unchanged_embed_requests": unchanged.embed_requests,
            "unchanged_ratio": round(ratio, 4),
            "touched_seconds": round(touched.seconds, 4),
            "touched_embed_requests": touched.embed_requests,
            "edited_seconds": round(edited.seconds, 4),
            "edited_embed_requests": edited.embed_requests,
            "edited_chunks_written": edited.report.chunks_written,
            "edited_lexical_rebuild_seconds": round(rebuild, 4),
            **without_embedder,
            "goal_unchanged_ratio_max": GOAL_UNCHANGED_RATIO,
            "goal_met": goal_met,
        }


if __name__ == "__main__":
    emit(asyncio.run(main()))
