"""How long the ``terrain`` command takes to answer: ``terrain --help`` and ``terrain ask``.

Each command runs as a fresh process, the way a person runs it, so the figures include Python's
start and every import. ``terrain ask`` searches an index of 10,000 passages built as
``retrieval.py`` builds it, with no embedding model reachable (``OLLAMA_HOST`` points at a
closed loopback port), so the search is lexical. ``ask`` is timed twice: with the default
settings, whose two retries wait 0.5 s then 1 s for an Ollama that may be starting, and with
``TERRAIN_MAX_RETRIES=0``, which is Terrain's own time. Goals (medians): ``--help`` <= 0.3 s,
``ask`` without retries <= 1.5 s. Every command runs once before it is timed, with bytecode
caching on, so that compiling sources is not counted. ``--before DIR`` measures another
checkout of Terrain (say, a ``git worktree`` of an older commit) on the same index, for a
before/after comparison. Run from the repository root::

    .venv/bin/python benchmarks/cli.py [--before /tmp/cli-before] [--runs 5]

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import EMBED_DIM, EMBED_MODEL, ROOT, bench_settings, emit, quiet
from retrieval import SEED, build_index, build_records

from tests.ollama_server import OllamaTestServer

GOAL_HELP_SECONDS = 0.3
GOAL_ASK_SECONDS = 1.5
QUESTION = "Comment le chef d'equipe verifie le registre des incidents ?"
RUN_TERRAIN = "import sys; sys.argv[0] = 'terrain'; from assistant.cli import main; main()"


def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_runs(
    source: Path, args: list[str], env: dict[str, str], runs: int, cwd: Path
) -> tuple[list[float], list[float]]:
    """Elapsed and CPU seconds of each run of ``terrain ARGS`` with the package found in
    ``source``, after one untimed run. CPU time says what the command costs even on a busy
    machine. ``cwd`` must not hold a Terrain checkout: ``python -c`` imports from there first."""
    env = env | {"PYTHONPATH": str(source)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    seconds: list[float] = []
    cpu: list[float] = []
    for _ in range(runs + 1):
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", RUN_TERRAIN, *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
        if done.returncode != 0:
            raise RuntimeError(f"terrain {' '.join(args)} failed in {source}: {done.stderr}")
    return seconds[1:], cpu[1:]


def measure(source: Path, env: dict[str, str], runs: int, cwd: Path) -> dict[str, Any]:
    ask = ["ask", QUESTION, "--json"]
    samples = {
        "help": timed_runs(source, ["--help"], env, runs, cwd),
        "ask": timed_runs(source, ask, env | {"TERRAIN_MAX_RETRIES": "0"}, runs, cwd),
        "ask_with_retries": timed_runs(source, ask, env, runs, cwd),
    }
    figures: dict[str, Any] = {}
    for name, (seconds, cpu) in samples.items():
        figures[f"{name}_median_seconds"] = round(statistics.median(seconds), 3)
        figures[f"{name}_min_seconds"] = round(min(seconds), 3)
        figures[f"{name}_median_cpu_seconds"] = round(statistics.median(cpu), 3)
    print(
        f"{source}: terrain --help median {figures['help_median_seconds']:.2f} s "
        f"(CPU {figures['help_median_cpu_seconds']:.2f} s); terrain ask median "
        f"{figures['ask_median_seconds']:.2f} s without retries "
        f"(CPU {figures['ask_median_cpu_seconds']:.2f} s), "
        f"{figures['ask_with_retries_median_seconds']:.2f} s with the default retries "
        f"({runs} runs each); load average {os.getloadavg()[0]:.1f}"
    )
    return figures


async def build(data_dir: Path) -> int:
    records, _ = build_records(random.Random(SEED))
    with OllamaTestServer(models=(EMBED_MODEL,), embed_dim=EMBED_DIM) as server:
        await build_index(bench_settings(data_dir, server.url), records)
    return len(records)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="Another Terrain checkout to measure too.")
    parser.add_argument("--runs", type=int, default=5, help="Runs of each command.")
    options = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory(prefix="terrain-bench-cli-") as temp:
        data_dir = Path(temp) / "data"
        passages = asyncio.run(build(data_dir))
        env = os.environ | {
            "TERRAIN_DATA_DIR": str(data_dir),
            "OLLAMA_HOST": f"http://127.0.0.1:{closed_port()}",
        }
        print(f"Index: {passages} passages; Ollama unreachable, so ask is lexical.")
        after = measure(ROOT, env, options.runs, Path(temp))
        before = (
            measure(options.before.resolve(), env, options.runs, Path(temp))
            if options.before
            else None
        )
    met = (
        after["help_median_seconds"] <= GOAL_HELP_SECONDS
        and after["ask_median_seconds"] <= GOAL_ASK_SECONDS
    )
    print(
        f"Goals: --help <= {GOAL_HELP_SECONDS} s, ask <= {GOAL_ASK_SECONDS} s: "
        f"{'MET' if met else 'NOT MET'}"
    )
    return {
        "benchmark": "cli",
        "passages": passages,
        "runs": options.runs,
        **after,
        **({"before": before} if before else {}),
        "goal_help_seconds_max": GOAL_HELP_SECONDS,
        "goal_ask_seconds_max": GOAL_ASK_SECONDS,
        "goal_met": met,
    }


if __name__ == "__main__":
    emit(main())
