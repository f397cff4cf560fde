"""The slow marker is declared, not guessed: a test without it that goes over the fast tests'
CPU budget fails with a message telling to mark it; one marked slow is not checked; and with
``-m "not slow"`` a module declared slow is not even imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.slow_marker import declared_slow

pytest_plugins = ["pytester"]

BUSY = """
import time

import pytest


def _spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_busy():
    _spin(0.6)


@pytest.mark.slow
def test_busy_but_marked():
    _spin(0.6)


def test_quick():
    pass
"""


def _run(
    pytester: pytest.Pytester, *args: str, ini: str = "fast_test_cpu_budget = 0.1"
) -> pytest.RunResult:
    pytester.makeini(f"[pytest]\nmarkers =\n    slow: slow\n{ini}\n")
    # Only the plugin under test: the installed ones (LangSmith's, Hypothesis') cost seconds.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        return pytester.runpytest_inprocess("-p", "tests.support.slow_marker", *args)


def test_an_unmarked_test_over_the_cpu_budget_fails_telling_to_mark_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_busy=BUSY)
    result = _run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_busy is not marked slow but took * s of CPU (budget * s)*"])
    result.stdout.fnmatch_lines(["*Mark it `@pytest.mark.slow`*"])


def test_an_unmarked_test_over_the_wall_clock_cap_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sleepy="import time\n\ndef test_sleepy():\n    time.sleep(1.2)\n")
    result = _run(pytester, ini="fast_test_wall_cap = 1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*of wall-clock time (cap 1 s)*"])


def test_a_module_declared_slow_is_not_imported_by_the_fast_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_heavy="import pytest\n\npytestmark = pytest.mark.slow\n"
        "raise RuntimeError('imported')\n",
        test_light="def test_light():\n    pass\n",
    )
    result = _run(pytester, "-m", "not slow")
    result.assert_outcomes(passed=1)


def test_the_suite_declares_its_slow_modules_in_their_source() -> None:
    tests = Path(__file__).parent
    assert declared_slow(tests / "web")
    assert declared_slow(tests / "test_report.py")
    assert not declared_slow(tests / "test_store.py")  # slow on PostgreSQL only, test by test
