"""The evaluators' suite in replay mode: 200 cases answered from the reply cache.

The suite's interviewer, extraction and judge cases are repeated under new ids up to 200 and
recorded once on their scripted fixtures (untimed); the figure is the replay of all 200, which
is Terrain's own time per case (session, checks, assertions, cache reads): a replay never
waits for a model.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from _common import ROOT, bench_settings, emit, quiet

CASES = 200
GOAL_SECONDS = 20.0


async def main() -> dict[str, object]:
    quiet()
    from assistant.evaluation.assertions import Status
    from assistant.evaluation.cache import CacheMode
    from assistant.evaluation.case_files import load_cases
    from assistant.evaluation.cases import CaseKind
    from assistant.evaluation.runner import RunOptions, run_cases

    originals = [c for c in load_cases(ROOT / "evals") if c.kind != CaseKind.PERSONA]
    cases = [
        originals[n % len(originals)].model_copy(
            update={"id": f"{originals[n % len(originals)].id}.copy-{n}"}
        )
        for n in range(CASES)
    ]
    with tempfile.TemporaryDirectory(prefix="terrain-bench-evals-") as folder:
        settings = bench_settings(Path(folder) / "data", "http://127.0.0.1:9")
        cache = Path(folder) / "cache"
        await run_cases(
            cases, RunOptions(settings=settings, cache_mode=CacheMode.RECORD, cache_dir=cache)
        )
        started = time.perf_counter()
        replayed = await run_cases(
            cases, RunOptions(settings=settings, cache_mode=CacheMode.REPLAY, cache_dir=cache)
        )
        seconds = time.perf_counter() - started
    passed = sum(1 for case in replayed.cases if case.status == Status.PASS)
    return {
        "benchmark": "evals",
        "cases": len(cases),
        "passed": passed,
        "replay_seconds": round(seconds, 2),
        "per_case_ms": round(seconds / len(cases) * 1000, 1),
        "goal_seconds_max": GOAL_SECONDS,
        "goal_met": seconds <= GOAL_SECONDS,
    }


if __name__ == "__main__":
    emit(asyncio.run(main()))
