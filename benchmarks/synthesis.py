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
                "deterministic_s": round(deterministic, 3),
                "with_narratives_s": round(whole, 2),
                "model_calls": full.narratives.model_calls,
                "largest_prompt_tokens": full.narratives.largest_prompt_tokens,
                "budget": settings.prompt_token_budget,
            }
            print(run, flush=True)
            runs.append(run)
        figures["runs"] = runs
        figures["calls_per_finding"] = [round(r["model_calls"] / r["findings"], 3) for r in runs]
        figures["within_budget"] = all(r["largest_prompt_tokens"] <= r["budget"] for r in runs)
    emit(figures)


if __name__ == "__main__":
    main()
