"""Report cases: their assertions pass on the suite's cases and fail when an expectation is
wrong, so a report that broke an anonymity or citation rule would be caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.case_files import load_cases
from assistant.evaluation.cases import Case, CaseKind, ReportExpectations
from assistant.evaluation.runner import RunOptions, run_cases
from tests.conftest import SettingsFactory

EVALS = Path(__file__).resolve().parent.parent / "evals"


@pytest.fixture
def eval_settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


def _case(case_id: str) -> Case:
    cases = {case.id: case for case in load_cases(EVALS, "report/*.yaml")}
    assert all(case.kind == CaseKind.REPORT for case in cases.values())
    return cases[case_id]


def _expecting(case: Case, **expectations: object) -> Case:
    assert case.report is not None
    expect = ReportExpectations.model_validate(expectations)
    report = case.report.model_copy(update={"expect": expect})
    return case.model_copy(update={"report": report})


@pytest.mark.slow  # builds whole reports: 5 to 8 s of CPU on a loaded machine
async def test_a_report_case_fails_when_it_expects_a_hidden_theme_shown(
    eval_settings: Settings,
) -> None:
    case = _case("report.small-theme-hidden")
    wrong = _expecting(case, themes_shown=["mediation"])
    results = await run_cases([case, wrong], RunOptions(settings=eval_settings))
    right, failed = results.cases
    assert right.status == Status.PASS
    assert failed.status == Status.FAIL
    assert failed.pass_k()["themes_shown/delivered"] == Status.FAIL
    assert "mediation" in failed.attempts[0].assertions[0].detail


@pytest.mark.slow  # builds whole reports: 6 to 7 s of CPU alone on this machine
async def test_a_planted_detail_left_in_the_renderings_fails(eval_settings: Settings) -> None:
    # The case's quote is shown in every rendering: expecting it absent fails in all three.
    case = _expecting(_case("report.twelve-people-quotes"), absent=["Participant-0000"])
    leaked = _expecting(_case("report.twelve-people-quotes"), absent=["depuis deux ans"])
    results = await run_cases([case, leaked], RunOptions(settings=eval_settings))
    assert results.cases[0].status == Status.PASS
    assert results.cases[1].status == Status.FAIL
    detail = results.cases[1].attempts[0].assertions[0].detail
    assert {"markdown", "html", "json"} <= set(detail.replace(";", " ").split())


async def test_citations_without_any_narrative_fail(eval_settings: Settings) -> None:
    # No scripted narrative model for this case: no theme has a narrative to check.
    case = _expecting(_case("report.twelve-people-quotes"), citations_in_theme=True)
    results = await run_cases([case], RunOptions(settings=eval_settings))
    assert results.cases[0].pass_k()["citations_in_theme/delivered"] == Status.FAIL


def test_a_report_case_expecting_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="expects at least one thing"):
        ReportExpectations()
