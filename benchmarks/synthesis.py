"""The leadership report over 10, 100 and 1,000 scripted interviews.

For each size: the time of the deterministic part (every section, redaction of what is shown,
no model), then the narratives with an in-process scripted model, counting model calls and the
largest prompt in tokens. Goals: model calls grow linearly with the interviews, no prompt
exceeds ``prompt_token_budget``, and the deterministic part of the 1,000-interview report takes
under 10 s. spaCy's pipeline is loaded once, before any timing.

``--workers 1,2 [--database postgresql|sqlite]`` measures instead the worker's throughput with
that many ``terrain worker`` processes sharing one database (a throwaway PostgreSQL by
default), against the fake Ollama at a real model's pace (300 ms to the first token, then 40
tokens per second per stream): ``--interviews`` scripted transcripts imported at once (each
queues its extraction), the time until every extraction has ended, then one report build
(narratives included, the extracted findings counted) as the worker's job. Each count starts
on an emptied database, its workers up (a fresh heartbeat each) before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import ROOT, emit, quiet

SIZES = (10, 100, 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        default=None,
        help="comma-separated worker counts (e.g. 1,2): the worker's throughput instead",
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--interviews", type=int, default=24, help="transcripts to extract (--workers)"
    )
    args = parser.parse_args()
    if args.workers:
        quiet()
        workers_throughput([int(n) for n in args.workers.split(",") if n.strip()], args)
        return
    quiet()
    from assistant.config import load_settings
    from assistant.findings.codebook import load_codebook
    from assistant.report import (
        ReportInputs,
        ReportOptions,
        build_report,
        build_sections_report,
        default_redactor,
        load_source_catalogue,
    )
    from tests.report_fakes import report_model
    from tests.report_scripts import synthetic

    codebook = load_codebook()
    sources = load_source_catalogue(ROOT / "knowledge" / "sources", "fr")
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(data_dir=Path(folder))
        started = time.perf_counter()
        default_redactor().redact("Chargement de Madame Test.")
        figures["spacy_load_s"] = round(time.perf_counter() - started, 2)
        runs = []
        for size in SIZES:
            script = synthetic(size)
            inputs = ReportInputs(
                interviews=script.interviews,
                findings=script.findings,
                profiles=script.profiles,
                known_names=script.known_names,
                sources=sources,
            )
            redactor = default_redactor(inputs.known_names)
            started = time.perf_counter()
            report = build_sections_report(inputs, codebook, ReportOptions(), redactor)
            deterministic = time.perf_counter() - started
            model = report_model()
            started = time.perf_counter()
            full = asyncio.run(
                build_report(inputs, settings, model, codebook=codebook, redactor=redactor)
            )
            whole = time.perf_counter() - started
            run = {
                "interviews": size,
                "findings": len(script.findings),
                "themes_shown": len(report.themes),
                "heatmap_hidden_cells": sum(1 for c in report.heatmap.cells if c.people is None),
                "deterministic_s": round(deterministic, 3),
                "with_narratives_s": round(whole, 2),
                "model_calls": full.narratives.model_calls,
                "largest_prompt_tokens": full.narratives.largest_prompt_tokens,
                "budget": settings.prompt_token_budget,
            }
            print(run, flush=True)
            runs.append(run)
        figures["runs"] = runs
        figures["disclosure_audit"] = audit_figures(codebook)
        figures["calls_per_finding"] = [round(r["model_calls"] / r["findings"], 3) for r in runs]
        figures["within_budget"] = all(r["largest_prompt_tokens"] <= r["budget"] for r in runs)
    emit(figures)


# -- the worker's throughput -------------------------------------------------------------

TTFT_SECONDS = 0.3
TOKENS_PER_SECOND = 40.0


def paced_model(body: dict[str, Any]) -> str:
    """The fake model's answers: extraction codes the first employee turn it is shown (its
    last sentence, verbatim); the report's prompts get the tests' scripted report answers."""
    from tests.report_fakes import report_answer
    from tests.support.extraction import coded_reply

    schema = body.get("format")
    title = schema.get("title") if isinstance(schema, dict) else None
    prompt = body["messages"][-1]["content"]
    if isinstance(schema, dict) and "findings" in schema.get("properties", {}):
        return coded_reply(prompt, title)
    if title == "RepairOutput":
        return json.dumps({"quotes": []})
    return report_answer(prompt, title)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Any]:
    """A function that gives an emptied database's URL, each time it is called."""
    if kind == "sqlite":
        count = iter(range(1000))
        yield lambda: f"sqlite:///{folder / f'terrain-{next(count)}.sqlite3'}"
        return
    from tests.postgres import postgres_cluster

    with postgres_cluster() as cluster:

        def emptied() -> str:
            cluster.empty()
            return cluster.url

        yield emptied


def workers_throughput(counts: list[int], args: argparse.Namespace) -> None:
    from assistant.store import Store
    from tests.deploy.topology import Process, terrain_command
    from tests.ollama_server import OllamaTestServer
    from tests.report_scripts import scripted
    from tests.web.server import CHAT_MODEL, EMBED_MODEL, server_environment

    script = scripted(args.interviews)
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="terrain-workers-") as name:
        folder = Path(name)
        with database(args.database, folder) as emptied:
            for count in counts:
                url = emptied()
                with Store(url) as store:
                    store.migrate()
                with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as model:
                    model.time_to_first_token = TTFT_SECONDS
                    model.tokens_per_second = TOKENS_PER_SECOND
                    model.respond_with(paced_model)
                    env = server_environment(folder / f"data-{count}", model.url) | {
                        "TERRAIN_DATABASE_URL": url,
                        "TERRAIN_WORKER_POLL_SECONDS": "0.2",
                        "TERRAIN_REPORT_MIN_PEOPLE": "3",
                        "TERRAIN_REPORT_MIN_PEOPLE_FOR_QUOTES": "3",
                        "TERRAIN_REQUEST_TIMEOUT": "120",
                    }
                    workers = [
                        Process(
                            f"worker {n}",
                            terrain_command("worker"),
                            env,
                            folder / f"worker-{count}-{n}.log",
                        ).start()
                        for n in range(count)
                    ]
                    try:
                        runs.append(_timed_jobs(url, script, workers, count))
                    finally:
                        for worker in workers:
                            worker.stop()
                print(runs[-1], flush=True)
    emit(
        {
            "benchmark": "worker_throughput",
            "database": args.database,
            "interviews": args.interviews,
            "model_ttft_s": TTFT_SECONDS,
            "model_tokens_per_s_per_stream": TOKENS_PER_SECOND,
            "runs": runs,
        }
    )


def _timed_jobs(url: str, script: Any, workers: list[Any], count: int) -> dict[str, object]:
    from assistant.findings.worker import SILENT_SECONDS
    from assistant.report.build_jobs import queue_build
    from assistant.schemas import JobKind, JobStatus, ReportBuildRequest
    from assistant.store import Store
    from tests.deploy.topology import wait_until

    ended = (JobStatus.DONE, JobStatus.FAILED)
    with Store(url) as store:
        pids = {worker.pid for worker in workers}

        def beating() -> bool:
            for worker in workers:
                if not worker.running():
                    raise RuntimeError(f"{worker.name} exited:\n{worker.output()[-2000:]}")
            return pids <= {beat.pid for beat in store.workers.alive(SILENT_SECONDS)}

        wait_until(beating, "the workers starting", cap=600)
        started = time.perf_counter()
        for interview in script.interviews:
            store.interviews.import_transcript(
                language=interview.language,
                source="scripted",
                turns=[(turn.speaker, turn.text) for turn in script.turns[interview.id]],
                owner_key=interview.owner_key,
            )

        def extracted() -> bool:
            jobs = store.jobs.where(kind=JobKind.EXTRACTION)
            return len(jobs) == len(script.interviews) and all(j.status in ended for j in jobs)

        wait_until(extracted, "the extractions", cap=3600)
        extraction_s = time.perf_counter() - started
        jobs = store.jobs.where(kind=JobKind.EXTRACTION)
        done = sum(job.status is JobStatus.DONE for job in jobs)
        findings = len(store.findings.where())
        started = time.perf_counter()
        queue_build(store, ReportBuildRequest(requested_by="benchmark", include_proposed=True))

        def built() -> bool:
            return all(j.status in ended for j in store.jobs.where(kind=JobKind.REPORT_BUILD))

        wait_until(built, "the report build", cap=3600)
        build_s = time.perf_counter() - started
        [build] = store.jobs.where(kind=JobKind.REPORT_BUILD)
    return {
        "workers": count,
        "extractions": len(jobs),
        "extractions_done": done,
        "findings": findings,
        "extraction_s": round(extraction_s, 2),
        "extractions_per_min": round(60 * len(jobs) / extraction_s, 1),
        "report_build": build.status.value,
        "report_build_s": round(build_s, 2),
    }


def audit_figures(codebook: object) -> dict[str, object]:
    """Suppression with the disclosure audit on the whole codebook's heatmap (every stage ×
    every code) filled with random small counts, k = 5: the worst case for the audit, which
    only runs where something is hidden."""
    import random

    from assistant.report.anonymity import Line
    from assistant.report.disclosure import protect

    stages, codes = codebook.stage_ids, codebook.code_ids  # type: ignore[attr-defined]
    timings, hidden = [], []
    for seed in range(20):
        rng = random.Random(seed)
        sizes = (0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 12, 20)
        counts = {(s, c): rng.choice(sizes) for s in stages for c in codes}
        counts |= {("stage", s): sum(counts[(s, c)] for c in codes) for s in stages}
        counts |= {("code", c): sum(counts[(s, c)] for s in stages) for c in codes}
        counts[("all", "")] = sum(counts[("stage", s)] for s in stages)
        lines = [Line([(s, c) for c in codes], ("stage", s)) for s in stages]
        lines += [Line([(s, c) for s in stages], ("code", c)) for c in codes]
        lines += [Line([("stage", s) for s in stages], ("all", ""))]
        lines += [Line([("code", c) for c in codes], ("all", ""))]
        started = time.perf_counter()
        hidden.append(len(protect(counts, lines, 5, fixed=frozenset({("all", "")}))))
        timings.append(time.perf_counter() - started)
    return {
        "tables": len(timings),
        "cells": len(stages) * len(codes),
        "hidden_mean": round(sum(hidden) / len(hidden), 1),
        "protect_max_s": round(max(timings), 3),
        "protect_mean_s": round(sum(timings) / len(timings), 3),
    }


if __name__ == "__main__":
    main()
