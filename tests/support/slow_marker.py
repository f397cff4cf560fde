"""The ``slow`` marker: declared by each slow test (``@pytest.mark.slow``) or module
(``pytestmark = pytest.mark.slow``), never guessed; a test without it that goes over the fast
tests' budget fails, telling to mark it. With ``-m "not slow"`` a module declared slow as a whole
is not even imported (reading its source for the declaration costs far less than importing
Chainlit or spaCy). tests/conftest.py installs these hooks."""

from __future__ import annotations

import ast
import resource
import sys
import time
from functools import cache
from pathlib import Path

import pytest

# The budget is CPU time, this process's and that of the processes the test started and waited
# for (a `terrain` command, a worker, a Python with the network blocked): on the shared 2-core
# machine a test's wall-clock time grows tenfold with the load, its CPU time hardly moves, so
# the check does not flake when the machine is busy and still catches a test that does seconds
# of work (loading spaCy's pipeline, ingesting the knowledge folder). The wall-clock cap is the
# web tests' cap against a hang (tests/web/waiting.py): a test within the CPU budget would need
# a load above 200 on two cores to reach it, so it only catches a test that waits for minutes.
# Setup counts (a fixture that ingests is the test's cost); teardown does not. Under coverage,
# tracing makes Python code run up to three times slower: the budget is three times larger.
CPU_BUDGET = "fast_test_cpu_budget"
WALL_CAP = "fast_test_wall_cap"
DEFAULT_CPU_BUDGET_SECONDS = 5.0
DEFAULT_WALL_CAP_SECONDS = 600.0
COVERAGE_SLOWDOWN = 3.0

_STARTED = pytest.StashKey[tuple[float, float]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        CPU_BUDGET,
        "CPU seconds (setup and call) a test not marked slow may use",
        default=str(DEFAULT_CPU_BUDGET_SECONDS),
    )
    parser.addini(
        WALL_CAP,
        "wall-clock seconds (setup and call) a test not marked slow may take",
        default=str(DEFAULT_WALL_CAP_SECONDS),
    )


def _is_slow_mark(node: ast.expr) -> bool:
    if isinstance(node, ast.List | ast.Tuple):
        return any(_is_slow_mark(element) for element in node.elts)
    return ast.unparse(node) == "pytest.mark.slow"


@cache
def declared_slow(path: Path) -> bool:
    """Whether a test module declares ``pytestmark = pytest.mark.slow`` (alone or in a list),
    or a folder holds test modules that all do: read from the source, without importing it."""
    if path.is_dir():
        modules = [
            module for module in path.rglob("test_*.py") if "node_modules" not in module.parts
        ]
        return bool(modules) and all(declared_slow(module) for module in modules)
    if not (path.name.startswith("test_") and path.suffix == ".py"):
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return any(
        isinstance(node, ast.Assign)
        and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        )
        and _is_slow_mark(node.value)
        for node in tree.body
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With the slow tests left out (``-m "not slow"``), do not even import their modules."""
    if config.getoption("markexpr") == "not slow" and declared_slow(collection_path):
        return True
    return None


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _under_coverage() -> bool:
    coverage = sys.modules.get("coverage")
    return coverage is not None and coverage.Coverage.current() is not None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    item.stash[_STARTED] = (_cpu_seconds(), time.perf_counter())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call" or not report.passed or item.get_closest_marker("slow"):
        return
    started = item.stash.get(_STARTED, None)
    if started is None:
        return
    cpu = _cpu_seconds() - started[0]
    wall = time.perf_counter() - started[1]
    budget = float(item.config.getini(CPU_BUDGET))
    if _under_coverage():
        budget *= COVERAGE_SLOWDOWN
    cap = float(item.config.getini(WALL_CAP))
    if cpu > budget or wall > cap:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is not marked slow but took {cpu:.1f} s of CPU (budget {budget:g} s) "
            f"and {wall:.1f} s of wall-clock time (cap {cap:g} s). Mark it "
            "`@pytest.mark.slow` (or its module `pytestmark = pytest.mark.slow`) so that "
            "`make test-fast` leaves it out, or make it faster."
        )
