"""A whole run as ``terrain eval run`` makes it: cases chosen, models built, results written."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.cache import CacheMode
from assistant.evaluation.case_files import DEFAULT_PATTERN, CaseFilter, LoadedCases, collect_cases
from assistant.evaluation.cases import Case, CaseError
from assistant.evaluation.report import markdown
from assistant.evaluation.report_html import html
from assistant.evaluation.results import RESULTS_FILE, RunResults
from assistant.evaluation.runner import (
    SCRIPTED_JUDGE,
    SCRIPTED_MODEL,
    RunOptions,
    run_cases,
    scripted_judge,
    scripted_model,
)
from assistant.llm.port import ChatModel
from assistant.prompts import prompts_from

DEFAULT_CASES_DIR = Path("evals")
LABELS_FILE = Path("judge") / "labels.yaml"


@dataclass
class SuiteOptions:
    settings: Settings
    cases_dir: Path = DEFAULT_CASES_DIR
    pattern: str = DEFAULT_PATTERN
    model: str | None = None
    judge_model: str | None = None
    user_model: str | None = None
    prompts_dir: Path | None = None
    repeat: int = 1
    concurrency: int = 4
    cache_mode: CacheMode | None = None
    cache_dir: Path | None = None
    filter: CaseFilter = field(default_factory=CaseFilter)
    strict_versions: bool = False


COMPROMISED_TAG = "needs-compromised-model"
"""Cases whose scripted reply is a misbehaving model's: against a real model they would test the
model, not the guard, so they run only on the fixtures or the compromised fake (by this tag)."""


@dataclass
class Selection:
    cases: list[Case]
    errors: list[CaseError]
    notes: list[str] = field(default_factory=list)


def select_cases(options: SuiteOptions) -> Selection:
    """The cases to run (filtered), the errors of those that cannot, and what was left out."""
    loaded: LoadedCases = options.filter.apply(collect_cases(options.cases_dir, options.pattern))
    notes = []
    if options.model is not None and COMPROMISED_TAG not in options.filter.tags:
        kept = [case for case in loaded.cases if COMPROMISED_TAG not in case.tags]
        left_out = len(loaded.cases) - len(kept)
        if left_out:
            notes.append(
                f"{left_out} cases that need a misbehaving model were not run against "
                f"{options.model} (run them with --tag {COMPROMISED_TAG})."
            )
        loaded.cases = kept
    return Selection(loaded.cases, loaded.errors, notes)


@contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """The cases' folder on the Python path, for their ``python`` assertions."""
    entry = str(folder.resolve())
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)


def _model_for(options: SuiteOptions) -> tuple[Callable[[Case], ChatModel], str]:
    if options.model is None:
        return scripted_model, SCRIPTED_MODEL
    from assistant.llm import chat_model_for

    shared = chat_model_for(options.settings, options.model)
    return (lambda case: shared), shared.name


def _judge_for(options: SuiteOptions) -> tuple[Callable[[Sequence[str]], ChatModel], str]:
    if options.judge_model is None:
        return scripted_judge, SCRIPTED_JUDGE
    from assistant.llm import chat_model_for

    shared = chat_model_for(options.settings, options.judge_model)
    return (lambda replies: shared), shared.name


def _user_for(options: SuiteOptions) -> Callable[[Case], ChatModel] | None:
    """The personas' simulated employee: the model named for it, else the judge's, else the
    interviewer's; with no model named at all, the scripted user of each brief (None)."""
    name = options.user_model or options.judge_model or options.model
    if name is None:
        return None
    from assistant.llm import chat_model_for

    shared = chat_model_for(options.settings, name)
    return lambda case: shared


async def run_suite(
    options: SuiteOptions,
    cases: list[Case] | Selection,
    progress: Callable[[str], None],
) -> RunResults:
    selection = cases if isinstance(cases, Selection) else Selection(cases, [])
    model_for, name = _model_for(options)
    judge_for, judge_name = _judge_for(options)
    labels = options.cases_dir / LABELS_FILE
    folder = options.cases_dir if options.cases_dir.is_dir() else options.cases_dir.parent
    prompts = prompts_from(options.prompts_dir) if options.prompts_dir else nullcontext()
    with prompts, _importable(folder):
        return await run_cases(
            selection.cases,
            RunOptions(
                settings=options.settings,
                model_for=model_for,
                model_name=name,
                judge_for=judge_for,
                judge_name=judge_name,
                labels=labels if labels.is_file() else None,
                user_for=_user_for(options),
                repeat=options.repeat,
                concurrency=options.concurrency,
                cache_mode=options.cache_mode,
                cache_dir=options.cache_dir or options.cases_dir / "cache",
                progress=progress,
                fixtures=options.model is None,
                real_judge=options.judge_model is not None,
                strict_versions=options.strict_versions,
                notes=selection.notes,
            ),
            selection.errors,
        )


def write_results(results: RunResults, out: Path) -> list[Path]:
    """``results.json``, ``report.md`` and ``report.html`` in ``out`` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    written = {
        out / RESULTS_FILE: results.model_dump_json(indent=1),
        out / "report.md": markdown(results),
        out / "report.html": html(results),
    }
    for path, text in written.items():
        path.write_text(text, encoding="utf-8")
    return list(written)
