"""The leadership report over 10, 100 and 1,000 scripted interviews.

For each size: the time of the deterministic part (every section, redaction of what is shown,
no model), then the narratives with an in-process scripted model, counting model calls and the
largest prompt in tokens. Goals: model calls grow linearly with the interviews, no prompt
exceeds ``prompt_token_budget``, and the deterministic part of the 1,000-interview report takes
under 10 s. spaCy's pipeline is loaded once, before any timing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from _common import ROOT, emit, quiet

SIZES = (10, 100, 1000)


def main() -> None:
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
